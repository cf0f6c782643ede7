#!/usr/bin/env bash
# 41_health: the engine's memory over many lookups in one process (issue 3, "Done when").
#
#   healthy    both servers pass: the baseline p50/p99, and the load: hedge sends at most
#              1.05 queries per query needed; sequence exactly 1; race about 2.
#   blackhole  primary blackholed, hedge: over the 200 lookups after the first, p50 and
#              p99 within a few ms of the healthy run (measured in the same run: p50 at
#              most 2 ms more, p99 at most 8 ms more, below the 10 ms hedge_min_ms, so
#              three lookups that waited for a hedge already fail it); the
#              primary is marked down and afterwards asked only by probes, about one per
#              probe_interval_ms.
#   slow       primary delay=300, hedge: after the first few lookups p50 within a few ms
#              of healthy (the slow server is ranked behind the fast one).
#   recovery   primary blackholed, then switched to pass mid-run (mode file + SIGUSR1):
#              within about a probe interval traffic is back on it (the debug log says
#              whose reply won each lookup), for hedge and sequence.
#
# One process per run (tests/tools/fault_client), lookups 10 ms apart (NSD's response
# rate limiting allows 200 a second per response class: all wildcard names are one
# class), each a fresh name under wild.dnsf.test (A 192.0.2.70, AAAA NODATA) asked for
# AF_UNSPEC, so 2 queries are needed per lookup. Config: the shipped defaults (timeout_ms
# 1000, attempts 2, deadline_ms 5000, fail_threshold 3, hedge 10..200 ms) except
# probe_interval_ms 200, cache off and a debug log.
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
N=201                     # lookups per run: the first, then 200 "over the next 200"
WILD='.*:h[0-9]+\.wild\.dnsf\.test=0 192.0.2.70'

# run NAME STRATEGY PRIMARY_MODE: one run of N lookups; leaves $C, P50/P99 over calls
# 2..N, the proxies' stats, DUR (ms from the first call's start to the last's).
run() {
	local name=$1 st=$2 mode=$3 t1 tn
	C=$FL_DIR/$name
	fl_proxy p 127.53.0.2 "$mode"
	fl_proxy s 127.53.0.3 pass
	fl_conf "$C.conf" "$st" "$C.log" "${FL_SRV[p]}" "${FL_SRV[s]}"
	fl_client "$C.out" "$C.conf" -n "$N" -i 10 'unspec:h{}.wild.dnsf.test'
	fl_stats p
	fl_stats s
	fl_proxy_stop p s
	P50=$(fl_pct "$C.out" 50 2)
	P99=$(fl_pct "$C.out" 99 2)
	PQ=$(fl_stat p queries)
	SQ=$(fl_stat s queries)
	t1=$(fl_get "$C.out" 1 start)
	tn=$(fl_get "$C.out" "$N" start)
	DUR=$(awk -v a="${t1:-0}" -v b="${tn:-0}" 'BEGIN { printf "%d", b - a }')
	diag "$name ($st, primary $mode): first $(fl_get "$C.out" 1 ms) ms; calls 2..$N p50 $P50 p99 $P99 max $(fl_maxms "$C.out" 2) ms; queries primary $PQ secondary $SQ; $DUR ms"
	fl_expect_calls "$C.out" "$name: every lookup answered right" "$WILD"
	cmp_int "$name: all $N lookups ran" "$(fl_calls "$C.out")" -eq "$N"
}

# ratio A B: A / B with 3 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

# ------------------------------------------------------------------ healthy, and load
run healthy hedge pass
H50=$P50 H99=$P99
R=$(ratio $((PQ + SQ)) $((2 * N)))
diag "figure: healthy hedge sends $R queries per query needed ($PQ + $SQ for $((2 * N)))"
if fl_le "$R" 1.05; then
	ok "load: healthy primary, hedge: $R queries sent per query needed (<= 1.05)"
else
	not_ok "load: healthy primary, hedge: $R queries sent per query needed (> 1.05)"
fi
for st in sequence race; do
	C=$FL_DIR/load-$st
	fl_proxy p 127.53.0.2 pass
	fl_proxy s 127.53.0.3 pass
	fl_conf "$C.conf" "$st" "$C.log" "${FL_SRV[p]}" "${FL_SRV[s]}"
	fl_client "$C.out" "$C.conf" -n 100 -i 10 'unspec:h{}.wild.dnsf.test'
	fl_stats p
	fl_stats s
	fl_proxy_stop p s
	PQ=$(fl_stat p queries) SQ=$(fl_stat s queries)
	R=$(ratio $((PQ + SQ)) 200)
	diag "figure: healthy $st sends $R queries per query needed ($PQ + $SQ for 200)"
	fl_expect_calls "$C.out" "load/$st: every lookup answered right" "$WILD"
	if [ "$st" = sequence ]; then
		cmp_int "load: healthy primary, sequence: the secondary is never asked" "$SQ" -eq 0
		cmp_int "load: healthy primary, sequence: one query per query needed" "$PQ" -eq 200
	else
		cmp_int "load: race asks both servers every time (secondary queries)" "$SQ" -eq 200
		cmp_int "load: race asks both servers every time (primary queries)" "$PQ" -eq 200
	fi
done

# ------------------------------------------------------------------ blackholed primary
run blackhole hedge blackhole
diag "figure: primary blackholed, hedge: first $(fl_get "$C.out" 1 ms) ms, p50 $P50 (healthy $H50), p99 $P99 (healthy $H99)"
within "blackhole: first lookup (one hedge delay of 50 ms)" "$(fl_get "$C.out" 1 ms)" 45 150
within "blackhole: p50 of the next 200 lookups, minus healthy p50 ($H50)" "$(awk -v a="$P50" -v b="$H50" 'BEGIN { print a - b }')" -1000 2
within "blackhole: p99 of the next 200 lookups, minus healthy p99 ($H99)" "$(awk -v a="$P99" -v b="$H99" 'BEGIN { print a - b }')" -1000 8
cmp_int "blackhole: the primary was marked down (debug log)" "$(fl_count_log "$C.log" "server ${FL_SRV[p]} marked down")" -ge 1
# After the down mark, the primary gets probes only.
notprobe=$(awk -v p="${FL_SRV[p]}" '
	/marked down/ && index($0, "server " p " ") { down = 1; next }
	down && $3 == "ask" && $4 == p && $9 != "(probe," { n++ } END { print n + 0 }' "$C.log")
probes=$(awk -v p="${FL_SRV[p]}" '$3 == "ask" && $4 == p && $9 == "(probe," { n++ } END { print n + 0 }' "$C.log")
cmp_int "blackhole: once down, the primary is asked by probes only (other queries to it)" "$notprobe" -eq 0
# About one probe per probe interval over the run, never more (the first lookup's two
# queries come on top).
lo=$((DUR / FL_PROBE / 2)) hi=$((DUR / FL_PROBE + 3))
diag "figure: $probes probes to the blackholed primary in $DUR ms (probe_interval_ms $FL_PROBE); it got $PQ queries in all for $N lookups"
if [ "$probes" -ge "$lo" ] && [ "$probes" -le "$hi" ]; then
	ok "blackhole: $probes probes in $DUR ms, about one per ${FL_PROBE} ms (allowed $lo..$hi)"
else
	not_ok "blackhole: $probes probes in $DUR ms, not about one per ${FL_PROBE} ms (allowed $lo..$hi)"
fi
# Before its down mark the primary is suspect, ranked behind the secondary: a lookup whose
# secondary stalls past the hedge delay (10 ms; a loaded machine does that) hedges to it,
# both families at once. Those hedges are counted from the log; nothing else may reach it.
hedges=$(awk -v p="${FL_SRV[p]}" '$3 == "ask" && $4 == p && $9 == "(hedge," { n++ } END { print n + 0 }' "$C.log")
cmp_int "blackhole: queries at the primary = the first lookup's 2 + probes + hedges to it ($hedges)" "$PQ" -le $((probes + 2 + hedges))

# ------------------------------------------------------------------ slow primary
run slow hedge delay=300
S50=$(fl_pct "$C.out" 50 4)
slowcalls=$(fl_ms_list "$C.out" 4 | awk '$1 >= 10 { n++ } END { print n + 0 }')
diag "figure: primary 300 ms slow, hedge: first $(fl_get "$C.out" 1 ms) ms, p50 after 3 lookups $S50 (healthy $H50), p99 $P99; $slowcalls of $((N - 3)) lookups took >= 10 ms"
within "slow: first lookup (one hedge delay of 50 ms)" "$(fl_get "$C.out" 1 ms)" 45 150
within "slow: p50 after the first 3 lookups, minus healthy p50 ($H50)" "$(awk -v a="$S50" -v b="$H50" 'BEGIN { print a - b }')" -1000 2
# The slow primary is preferred by configuration, so it is probed once per probe interval;
# such a probe may cost one lookup one hedge delay, never more.
cmp_int "slow: lookups that waited (>= 10 ms) at most one per probe interval" "$slowcalls" -le $((DUR / FL_PROBE + 3))

# ------------------------------------------------------------------ recovery
# Lookups every 20 ms for 3.5 s; after 1.5 s the primary's mode goes from blackhole to
# pass. Whose reply won each lookup is in the debug log (one fresh name per lookup).
# timeout_ms 300 here, so that sequence has marked the primary down well before the
# switch (its first lookups wait out the timeout) and the figure is the recovery alone.
FL_TIMEOUT=300
for st in hedge sequence; do
	C=$FL_DIR/recover-$st
	fl_proxy p 127.53.0.2 blackhole
	fl_proxy s 127.53.0.3 pass
	fl_conf "$C.conf" "$st" "$C.log" "${FL_SRV[p]}" "${FL_SRV[s]}"
	fl_client "$C.out" "$C.conf" -d 3500 -i 20 'unspec:h{}.wild.dnsf.test' &
	cpid=$!
	sleep 1.5
	tsw0=$(now_ms)
	fl_setmode p pass
	tsw=$(now_ms)
	wait "$cpid"
	fl_stats p
	fl_stats s
	fl_proxy_stop p s
	fl_expect_calls "$C.out" "recovery/$st: every lookup answered right" "$WILD"
	# One line per call: start time and the winner of its A query.
	awk '/^call=/ { for (i = 1; i <= NF; i++) { if (index($i, "start=") == 1) s = substr($i, 7); if (index($i, "name=") == 1) n = substr($i, 6) } print s, n }' "$C.out" |
		while read -r start name; do
			echo "$start $(fl_winner "$C.log" "$name" 1)"
		done >"$C.winners"
	before=$(awk -v t="$tsw0" -v p="${FL_SRV[p]}" '$1 < t && $2 == p { n++ } END { print n + 0 }' "$C.winners")
	back=$(awk -v t="$tsw" -v p="${FL_SRV[p]}" '$1 >= t && $2 == p { printf "%d", $1 - t; exit }' "$C.winners")
	after=$(awk -v t="$tsw" -v p="${FL_SRV[p]}" -v b="${back:-0}" '$1 >= t + b { n++; if ($2 == p) k++ } END { printf "%d %d", k + 0, n + 0 }' "$C.winners")
	diag "recovery/$st: switch took $((tsw - tsw0)) ms to signal; first primary win ${back:-never} ms after it; then the primary won ${after% *} of ${after#* } lookups; primary queries $(fl_stat p queries), secondary $(fl_stat s queries)"
	cmp_int "recovery/$st: no lookup won by the blackholed primary before the switch" "$before" -eq 0
	if [ -n "$back" ] && [ "$back" -le 1000 ]; then
		ok "recovery/$st: traffic back on the primary $back ms after it recovered (<= 1000 ms, probe_interval_ms $FL_PROBE)"
	else
		not_ok "recovery/$st: traffic not back on the primary within 1000 ms of its recovery (first win: ${back:-never})"
	fi
	if [ "${after#* }" -gt 0 ] && [ $((${after% *} * 100)) -ge $((${after#* } * 90)) ]; then
		ok "recovery/$st: then the primary won ${after% *} of ${after#* } lookups (>= 90 %)"
	else
		not_ok "recovery/$st: after recovering, the primary won only ${after% *} of ${after#* } lookups"
	fi
done

diag "41_health ran for $(($(now_ms) - T_START)) ms (after NSD was up)"

finish
