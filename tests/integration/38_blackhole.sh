#!/usr/bin/env bash
# 38_blackhole: the figure issue 2 is "done" on. The first nameserver in resolv.conf
# swallows every query (faultdns blackhole on 127.53.0.2), the second is the healthy NSD.
# glibc waits out its 5 s timeout on every lookup; through the shim (default config:
# hedge, the secondary asked after ~10 ms) `getent ahosts` must answer correctly in well
# under a second. Both figures are printed. errno must be unchanged by successful calls
# that went through the failover path.
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
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR")   # glibc's default options: timeout 5, attempts 2
O=$DNSF_TMP/out E=$DNSF_TMP/err

# What the answer must be: glibc against the healthy server alone.
expected=$(sr_plain "$GOOD" getent ahosts www.dnsf.test)
assert_contains "$expected" "192.0.2.10      STREAM www.dnsf.test" "baseline: glibc resolves www.dnsf.test via NSD"

# The shim: three fresh processes (no state carried over), each well under a second.
figs=""
for i in 1 2 3; do
	sr_timed "$O" "$E" sr_shim "$BH" - getent ahosts www.dnsf.test
	figs="$figs ${SR_MS}ms"
	assert_eq "0|$expected" "$SR_RC|$(cat "$O")" "shim run $i: getent ahosts www.dnsf.test answers exactly as glibc does"
	if [ "$SR_MS" -lt 1000 ]; then
		ok "shim run $i: answered in $SR_MS ms (< 1000 ms) with the primary blackholed"
	else
		not_ok "shim run $i: took $SR_MS ms (>= 1000 ms) with the primary blackholed"
	fi
	assert_eq "" "$(cat "$E")" "shim run $i: nothing on stderr"
done
diag "figure: shim, primary blackholed: getent ahosts www.dnsf.test took$figs"

# glibc alone, once (it costs 5 s): it waits for the primary before asking the secondary.
sr_timed "$O" "$E" sr_plain "$BH" getent ahosts www.dnsf.test
assert_eq "0|$expected" "$SR_RC|$(cat "$O")" "glibc alone: same answer, eventually"
if [ "$SR_MS" -ge 4500 ]; then
	ok "glibc alone: took $SR_MS ms (>= 4500 ms: it waited out the dead primary)"
else
	not_ok "glibc alone: took only $SR_MS ms (< 4500 ms): the primary was not really blackholed?"
fi
diag "figure: glibc alone, primary blackholed: getent ahosts www.dnsf.test took ${SR_MS}ms"

# errno across successful calls that needed the failover (lookup sets errno to EDOM before
# each call and reports whether it changed).
sr_timed "$O" "$E" sr_shim "$BH" - "$TOOLS/lookup" gai www.dnsf.test - socktype=stream \
	-- ghr www.dnsf.test -- gh2r v6only.dnsf.test inet6 -- gh multi.dnsf.test \
	-- gha 192.0.2.10 -- gni 2001:db8::10 80 NI_NAMEREQD
out=$(cat "$O")
assert_eq 0 "$SR_RC" "lookup: six calls ran through the failover path"
assert_eq 6 "$(grep -c 'errno-after-success=unchanged' <<<"$out")" \
	"errno unchanged after each of the 6 successful calls"
assert_eq 0 "$(grep -c 'errno-after-success=changed' <<<"$out")" "no call changed errno on success"
assert_contains "$out" '[0] AF_INET SOCK_STREAM IPPROTO_TCP 192.0.2.10 port=0' "gai: 192.0.2.10 first"
assert_contains "$out" '[1] AF_INET6 SOCK_STREAM IPPROTO_TCP 2001:db8::10' "gai: 2001:db8::10 second"
assert_contains "$out" 'h_addr=2001:db8::11' "gethostbyname2_r: v6only's address"
assert_contains "$out" 'host="www.dnsf.test" serv="http"' "getnameinfo: PTR of 2001:db8::10"
if [ "$SR_MS" -lt 3000 ]; then
	ok "lookup: six failover calls in $SR_MS ms (< 3000 ms; glibc would need ~30 s)"
else
	not_ok "lookup: six failover calls took $SR_MS ms (>= 3000 ms)"
fi

finish
