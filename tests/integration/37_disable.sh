#!/usr/bin/env bash
# 37_disable: DNSFAILOVER_DISABLE=1 turns every hook into a pure pass-through.
#   - results are glibc's (byte for byte in lookup's canonical form, getent's output);
#   - the shim never speaks: its config (which would log at debug level to stderr) is not
#     even read, so stderr stays empty;
#   - the DNS step is glibc's: with a resolv.conf that only the shim's config could get
#     around, lookups fail; with a blackholed primary and `options timeout:1 attempts:1`
#     a lookup takes glibc's ~1 s, where the enabled shim takes well under 500 ms.
# DNSFAILOVER_DISABLE=0 and an empty value leave the shim enabled.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent
require_tool lookup
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
DEAD=$(sr_etc dead 127.53.0.250)
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:1 attempts:1")
CONF=$(sr_conf debug <<EOF
nameservers = ["$DNSF_NS_ADDR"];
log: { level = "debug"; target = "stderr"; };
EOF
)
BHCONF=$(sr_conf bh <<EOF
log: { level = "debug"; target = "stderr"; };
EOF
)
O=$DNSF_TMP/out E=$DNSF_TMP/err

CALLS=(gai www.dnsf.test http -- gai alias1.dnsf.test - flags=AI_CANONNAME family=inet
	-- gai v6only.dnsf.test - family=inet -- gai nxdomain.dnsf.test - -- ghr multi.dnsf.test
	-- gh2r www.dnsf.test inet6 -- gh cname-out.dnsf.test -- gh2 v4only.dnsf.test inet6
	-- gha 192.0.2.13 -- ghar 2001:db8::21 -- gha 192.0.2.11 -- gni 192.0.2.10 22 0
	-- gni 192.0.2.11 53 NI_NAMEREQD)

# 1. Same results as glibc, silence on stderr.
sr_plain "$GOOD" "$TOOLS/lookup" "${CALLS[@]}" >"$DNSF_TMP/glibc" 2>&1
sr_shim "$GOOD" "$CONF" env DNSFAILOVER_DISABLE=1 DNSFAILOVER_LOG=debug "$TOOLS/lookup" "${CALLS[@]}" >"$O" 2>"$E"
assert_eq "$(grep -v errno-after-success "$DNSF_TMP/glibc")" "$(grep -v errno-after-success "$O")" \
	"DISABLE=1: lookup's 13 calls print exactly glibc's results"
if ! cmp -s "$DNSF_TMP/glibc" "$O"; then
	diag "note: errno-after-success differs (allowed by POSIX):"
	diff "$DNSF_TMP/glibc" "$O" | sed 's/^/#   /'
fi
assert_eq "" "$(cat "$E")" "DISABLE=1: nothing on stderr (config with debug logging not applied)"
for mode in ahosts ahostsv4 ahostsv6 hosts; do
	want=$(sr_plain "$GOOD" getent "$mode" multi.dnsf.test)
	got=$(sr_shim "$GOOD" "$CONF" env DNSFAILOVER_DISABLE=1 getent "$mode" multi.dnsf.test 2>"$E")
	assert_eq "$want" "$got" "DISABLE=1: getent $mode multi.dnsf.test as glibc"
	assert_eq "" "$(cat "$E")" "DISABLE=1: getent $mode: nothing on stderr"
done
# Control for the silence checks: the same config without DISABLE does log.
sr_shim "$GOOD" "$CONF" getent hosts www.dnsf.test >"$O" 2>"$E"
assert_contains "$(cat "$E")" "debug: ask $DNSF_NS_ADDR:53 for www.dnsf.test" \
	"control: without DISABLE the same config logs its queries on stderr"

# 2. Only the shim's config knows a working server: DISABLE=1 must not find it.
sr_shim "$DEAD" "$CONF" env DNSFAILOVER_DISABLE=1 getent hosts www.dnsf.test >"$O" 2>"$E"
rc=$?
assert_eq "2|" "$rc|$(cat "$O" "$E")" "DISABLE=1: with a dead resolv.conf getent fails (exit 2), silently"
sr_shim "$DEAD" "$CONF" getent hosts www.dnsf.test >"$O" 2>/dev/null
assert_eq "2001:db8::10    www.dnsf.test" "$(cat "$O")" "control: enabled, the shim's config server answers"

# 3. Timing with a blackholed primary (timeout:1 attempts:1).
sr_timed "$O" "$E" sr_shim "$BH" "$BHCONF" env DNSFAILOVER_DISABLE=1 getent ahostsv4 www.dnsf.test
assert_contains "$SR_RC $(cat "$O")" "0 192.0.2.10      STREAM www.dnsf.test" "DISABLE=1, blackholed primary: still resolves (glibc)"
if [ "$SR_MS" -ge 900 ]; then
	ok "DISABLE=1, blackholed primary: $SR_MS ms (>= 900 ms: glibc waited its 1 s timeout)"
else
	not_ok "DISABLE=1, blackholed primary: only $SR_MS ms (< 900 ms): not glibc's behaviour"
fi
assert_eq 0 "$(sr_count "$E" 'dnsfailover')" "DISABLE=1, blackholed primary: no log line"
for v in "" 0; do
	sr_timed "$O" "$E" sr_shim "$BH" "$BHCONF" env DNSFAILOVER_DISABLE="$v" getent ahostsv4 www.dnsf.test
	assert_contains "$SR_RC $(cat "$O")" "0 192.0.2.10      STREAM www.dnsf.test" "DISABLE='$v', blackholed primary: resolves"
	if [ "$SR_MS" -lt 500 ]; then
		ok "DISABLE='$v', blackholed primary: $SR_MS ms (< 500 ms: the shim is enabled)"
	else
		not_ok "DISABLE='$v', blackholed primary: $SR_MS ms (>= 500 ms)"
	fi
	assert_contains "$(cat "$E")" "debug: ask $DNSF_NS_ADDR:53 for www.dnsf.test" \
		"DISABLE='$v': the shim asked the secondary"
done

finish
