#!/usr/bin/env bash
# 32_threads: 16 threads of mixed resolver calls at once, every result checked.
#
# tests/tools/threads.c runs 24 fixed cases (getaddrinfo AF_UNSPEC/AF_INET/AF_INET6 with and
# without AI_CANONNAME, gethostbyname_r, gethostbyname2_r, gethostbyaddr_r, getnameinfo;
# positive and negative answers, one name from /etc/hosts) in every thread, each thread
# in its own rotating order. The expected results are glibc's: `threads -p` run once
# without the shim against the healthy server. Under the shim every single result must
# equal that, and errno must be unchanged by every successful call (-E).
# Three runs: a healthy primary with the default config (the shim's answer cache on, so
# mostly concurrent cache hits and single-flight misses); the same with the cache off, so
# every call is a DNS lookup; and a blackholed primary (faultdns) with the healthy server
# second and the cache off, so that every lookup goes through the hedge/failover path
# concurrently.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd
require_tool threads
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR")
O=$DNSF_TMP/out E=$DNSF_TMP/err
EXP=$DNSF_TMP/expected

sr_plain "$GOOD" "$TOOLS/threads" -p >"$EXP" 2>"$E"
assert_eq "0|24" "$?|$(grep -c '' "$EXP")" "glibc alone: 24 expected results"
# Sanity of the expectations themselves (so a broken server cannot make them vacuous).
exp=$(cat "$EXP")
assert_contains "$exp" "gai alias1.dnsf.test family=0 flags=2 rc=0 canon=multi.dnsf.test addrs=" "expected: alias1's canonical name"
assert_contains "$exp" "gai no-such-name.dnsf.test family=0 flags=0 rc=-2" "expected: EAI_NONAME for a missing name"
assert_contains "$exp" "ghar 192.0.2.13 family=2 ret=0 name=two-" "expected: a PTR with two names"
assert_contains "$exp" "gni 192.0.2.12 port=0 flags=8 rc=0 host=cname-ptr.dnsf.test" "expected: PTR through a CNAME"
# (In either order: glibc sorts AF_UNSPEC results by RFC 6724, which depends on the routes
# of the network namespace the test runs in.)
hosts_line=$(grep '^gai hostsonly.dnsf.test family=0 ' <<<"$exp")
assert_contains "$hosts_line" " rc=0 canon=- addrs= " "expected: a name from /etc/hosts"
assert_contains "$hosts_line" " 192.0.2.200" "expected: ... with its address there"

NOCACHE=$(sr_conf nocache <<EOF
cache: { enabled = false; };
EOF
)

# run_threads WHAT ETC CONF ITERATIONS: 16 threads under the shim.
run_threads() {
	local what=$1 etc=$2 conf=$3 iters=$4 summary
	sr_timed "$O" "$E" sr_shim "$etc" "$conf" "$TOOLS/threads" -t 16 -i "$iters" -e "$EXP" -E -w 150
	summary=$(tail -n 1 "$O")
	diag "$what: $summary (wall $SR_MS ms)"
	if [ "$SR_RC" = 0 ] && [[ $summary == *" mismatches=0 errno_changes=0 "* ]] &&
		[[ $summary == *" calls=$((16 * iters * 24 + 24)) "* ]]; then
		ok "$what: 16 threads x $iters iterations x 24 cases, every result equals glibc's, errno kept"
	else
		not_ok "$what: 16 threads x $iters iterations x 24 cases (rc=$SR_RC)"
		head -n 40 "$E" | sed 's/^/#   /'
	fi
}
run_threads "healthy primary, default config" "$GOOD" - 40
run_threads "healthy primary, cache off" "$GOOD" "$NOCACHE" 40
run_threads "blackholed primary, cache off" "$BH" "$NOCACHE" 10
# The blackholed run went through failover: at 16 x 10 x 24 lookups, glibc alone would
# have waited 5 s per DNS lookup; the shim must have finished in the watchdog's time.
if [ "$SR_MS" -lt 60000 ]; then
	ok "blackholed primary: the threaded run finished in $SR_MS ms (< 60 s)"
else
	not_ok "blackholed primary: the threaded run took $SR_MS ms"
fi

finish
