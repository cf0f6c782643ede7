#!/usr/bin/env bash
# 48_balance: strategy "balance" (issue 15), its bounds in one process.
#
# Two servers A (127.53.0.2) and B (127.53.0.3), faultdns in front of NSD; 300 lookups
# of fresh names (inet: one A query each) 5 ms apart in one fault_client process. The
# first choice of each lookup is read from the shim's debug log ("ask S for N type 1
# (first, ..."): probes and hedges are not first choices.
#
#   equal    A and B pass: each takes 30-70 % of the first queries.
#   slow     A delay=300: A takes at most 5 % of them (it is outside the band once
#            measured; the first lookups may try it before either has an RTT).
#   dead     A blackholed: over lookups 2..300, p50 and p99 within 2 ms and 8 ms of
#            hedge's in the same run, and A is marked down as in hedge.
# Every lookup must be answered right in every case.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd
require_lib
ns_start
fl_init
T_START=$(now_ms)

FL_TIMEOUT=1000 FL_ATTEMPTS=2 FL_DEADLINE=5000 FL_THRESHOLD=3 FL_PROBE=200
N=300
WILD='.*:h[0-9]+\.wild\.dnsf\.test=0 192.0.2.70'

# firsts LOG SERVER: the lookups whose first query went to SERVER.
firsts() { awk -v s="$2" '$3 == "ask" && $4 == s && $8 == 1 && $9 == "(first," { k++ } END { print k + 0 }' "$1"; }

# run NAME STRATEGY A_MODE: N lookups; sets FA, FB (first choices), P50, P99 (calls 2..N).
run() {
	local name=$1 st=$2 mode=$3
	C=$FL_DIR/$name
	fl_proxy a 127.53.0.2 "$mode"
	fl_proxy b 127.53.0.3 pass
	fl_conf "$C.conf" "$st" "$C.log" "${FL_SRV[a]}" "${FL_SRV[b]}"
	fl_client "$C.out" "$C.conf" -n "$N" -i 5 'inet:h{}.wild.dnsf.test'
	fl_proxy_stop a b
	FA=$(firsts "$C.log" "${FL_SRV[a]}")
	FB=$(firsts "$C.log" "${FL_SRV[b]}")
	P50=$(fl_pct "$C.out" 50 2)
	P99=$(fl_pct "$C.out" 99 2)
	diag "$name ($st, A $mode): first choices A $FA, B $FB; calls 2..$N p50 $P50 p99 $P99 ms"
	fl_expect_calls "$C.out" "$name ($st): every lookup answered right" "$WILD"
	cmp_int "$name ($st): every lookup made one first choice" $((FA + FB)) -eq "$N"
}

run equal balance pass
cmp_int "equal: A takes at least 30 % of the first queries" "$FA" -ge $((N * 30 / 100))
cmp_int "equal: A takes at most 70 % of the first queries" "$FA" -le $((N * 70 / 100))
cmp_int "equal: B takes at least 30 % of the first queries" "$FB" -ge $((N * 30 / 100))

run equal-hedge hedge pass
cmp_int "equal, hedge (for contrast): B, second in order, is almost never first" "$FB" -le $((N * 5 / 100))

run slow balance delay=300
cmp_int "slow: the 300 ms server takes at most 5 % of the first queries" "$FA" -le $((N * 5 / 100))

run dead-hedge hedge blackhole
H50=$P50 H99=$P99 HA=$FA
run dead balance blackhole
within "dead: balance p50 minus hedge's ($H50)" "$(awk -v a="$P50" -v b="$H50" 'BEGIN { print a - b }')" -1000 2
within "dead: balance p99 minus hedge's ($H99)" "$(awk -v a="$P99" -v b="$H99" 'BEGIN { print a - b }')" -1000 8
cmp_int "dead: the blackholed server was marked down (debug log)" \
	"$(fl_count_log "$C.log" "server ${FL_SRV[a]} marked down")" -ge 1
cmp_int "dead: first choices of the dead server no more than hedge's ($HA) + 2" "$FA" -le $((HA + 2))

finish
