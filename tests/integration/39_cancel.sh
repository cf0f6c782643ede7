#!/usr/bin/env bash
# 39_cancel: pthread_cancel of a thread in the middle of a lookup leaves nothing behind
# (tests/tools/canceltest.c). The library's only nameserver is a proxy that delays every
# reply, so lookups spend their time waiting; resolv.conf names a dead address, so only
# the library can answer.
#
#   leader    the thread that asks the nameserver for a name (the one the others would
#             wait for) is cancelled while it waits: the thread ends, and a later lookup
#             of the same name answers at once, not after the deadline with EAI_AGAIN
#   follower  a thread waiting for another thread's lookup of the same name is cancelled:
#             it ends, the other thread gets its answer, and later lookups of that name
#             and of 24 others (every shard of the cache) answer
#   storm     12 threads call getaddrinfo, gethostbyname_r and res_query for 6 names (so
#             most calls wait for another thread's query) while one of them is cancelled
#             and replaced every 5-60 ms for 3 s, twice (two seeds): no thread hangs, every
#             completed call is right, every name answers promptly afterwards, and the
#             process holds as many descriptors as before
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd
require_tool canceltest
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 delay=500
sr_fault 127.53.0.3 delay=100
DEAD=$(sr_etc dead 127.53.0.250 --options "timeout:1 attempts:1")
O=$DNSF_TMP/out E=$DNSF_TMP/err
WILD=192.0.2.70

SLOW=$(sr_conf slow <<EOF
nameservers = ["127.53.0.2"];
timeout_ms = 2000;
deadline_ms = 4000;
EOF
)
# Nothing is cached, so every call asks the nameserver; concurrent calls for one name
# still share one query (single-flight).
STORM=$(sr_conf storm <<EOF
nameservers = ["127.53.0.3"];
timeout_ms = 2000;
deadline_ms = 4000;
cache: { max_ttl = 0; negative_max_ttl = 0; };
EOF
)

# check WHAT: the last run's summary line; passes when canceltest exited 0.
check() {
	local line
	line=$(tail -n 1 "$O")
	if [ "$SR_RC" = 0 ]; then
		ok "$1: $line"
	else
		not_ok "$1 (rc=$SR_RC): $line"
		head -n 5 "$E" | sed 's/^/#   stderr: /'
	fi
}

sr_timed "$O" "$E" sr_shim "$DEAD" "$SLOW" "$TOOLS/canceltest" -b 1500 leader 192.0.2.10 www.dnsf.test
check "cancelled leader: it ends, and the name answers afterwards"

OTHERS=()
for i in $(seq 1 24); do OTHERS+=("f$i.wild.dnsf.test"); done
sr_timed "$O" "$E" sr_shim "$DEAD" "$SLOW" "$TOOLS/canceltest" -b 1500 follower "$WILD" \
	f0.wild.dnsf.test "${OTHERS[@]}"
check "cancelled follower: it ends, the leader answers, every name answers afterwards"

NAMES=()
for i in 1 2 3 4 5 6; do NAMES+=("s$i.wild.dnsf.test"); done
for seed in 1 2; do
	sr_timed "$O" "$E" sr_shim "$DEAD" "$STORM" "$TOOLS/canceltest" -b 1500 -t 12 -s 3 \
		-r "$seed" -w 500 storm "$WILD" "${NAMES[@]}"
	check "storm of cancels (seed $seed): no hang, no wrong answer, no descriptor left"
	cancels=$(sed -n 's/.* cancels=\([0-9]*\) .*/\1/p' "$O")
	if [ "${cancels:-0}" -ge 20 ]; then
		ok "storm (seed $seed): $cancels threads cancelled"
	else
		not_ok "storm (seed $seed): at least 20 threads cancelled, got ${cancels:-none}"
	fi
done

finish
