#!/usr/bin/env bash
# 47_shared_fresh: short-lived processes learn a dead primary once per host (issue 13).
#
# Health is shared across processes under state_dir (include/dnsf/shstate.h). For each
# strategy (hedge, sequence, race): 50 fresh processes one after the other, each one
# tests/tools/fresh_lookup (one getaddrinfo, getent ahosts's hints) of a new name, with
# the primary blackholed (faultdns) and a healthy secondary; a state_dir of the cell's own.
#   * every process gets its answer;
#   * after the first 10 (the learning ones), the median process is fast: under 30 ms,
#     which a process paying the unknown-server hedge delay (50 ms) or sequence's timeout
#     (1 s) per lookup cannot meet, and a loaded 2-core machine still can;
#   * the dead primary receives at most 10 queries in all, not 2 per process.
# Then failback across processes: the primary is restored (pass) and fresh processes,
# one every 100 ms with probe_interval_ms = 300, must have the primary answer again
# within 5 probe intervals, and keep it.
#
# Without the wiring (state_dir ignored) hedge pays ~55 ms and sequence 1 s per process,
# and every process sends 2 queries to the dead primary: each cell fails.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd
require_lib
require_tool fresh_lookup
ns_start
fl_init

N=50 LEARN=10
# fresh_runs CONF OUT FIRST COUNT [GAP_MS]: COUNT fresh processes, names FIRST.., one
# line "ms rc" each in OUT; all in one private /etc (fl_shim's).
fresh_runs() {
	local conf=$1 out=$2 first=$3 count=$4 gap=${5:-0}
	local -a e
	mapfile -t e < <(dnsf_shim_env)
	# shellcheck disable=SC2016 # expanded by the inner shell
	in_private_etc "$FL_ETC" env "${e[@]}" "DNSFAILOVER_CONF=$conf" bash -c '
		tool=$1 first=$2 count=$3 gap=$4 tag=$5
		for ((i = first; i < first + count; i++)); do
			t0=${EPOCHREALTIME/[.,]/}
			"$tool" --expect 192.0.2.70 "$tag-$i.wild.dnsf.test" 2>>"$6.err"
			rc=$?
			t1=${EPOCHREALTIME/[.,]/}
			echo "$(((t1 - t0) / 1000)) $rc"
			[ "$gap" = 0 ] || sleep "0.$(printf %03d "$gap")"
		done' fresh "$TOOLS/fresh_lookup" "$first" "$count" "$gap" "f$$-${out##*/}" "$out" >"$out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : -1 }'; }

for strategy in hedge sequence race; do
	C=$FL_DIR/$strategy
	mkdir -m 0700 "$C.state"
	fl_proxy p 127.53.0.2 blackhole
	fl_proxy s 127.53.0.3 pass
	fl_conf "$C.conf" "$strategy" "$C.log" "${FL_SRV[p]}" "${FL_SRV[s]}" -- "state_dir = \"$C.state\";"
	# fault_lib's knobs are for in-process tests; a fresh process sees the defaults but these.
	sed -i '/^timeout_ms\|^attempts\|^deadline_ms\|^health:\|^log:/d' "$C.conf"
	fresh_runs "$C.conf" "$C.runs" 1 "$N"
	fl_stats p
	fl_proxy_stop p s
	cmp_int "$strategy: every process answered" "$(awk '$2 != 0' "$C.runs" | wc -l)" -eq 0
	med=$(tail -n +$((LEARN + 1)) "$C.runs" | awk '{ print $1 }' | median)
	diag "$strategy: first $(head -n 1 "$C.runs" | cut -d' ' -f1) ms, median of processes $((LEARN + 1))-$N $med ms, dead primary got $(fl_stat p queries) queries"
	cmp_int "$strategy: median fresh process after learning is fast (ms)" "$med" -lt 30
	cmp_int "$strategy: the dead primary got at most 10 queries from $N processes" "$(fl_stat p queries)" -le 10
done

# ---- failback across processes
C=$FL_DIR/failback
mkdir -m 0700 "$C.state"
fl_proxy p 127.53.0.2 blackhole
fl_proxy s 127.53.0.3 pass
fl_conf "$C.conf" hedge "$C.log" "${FL_SRV[p]}" "${FL_SRV[s]}" -- "state_dir = \"$C.state\";" \
	"health: { probe_interval_ms = 300; };"
sed -i '/^timeout_ms\|^attempts\|^deadline_ms\|^health: { fail\|^log:/d' "$C.conf"
echo 'log: { level = "debug"; target = "'"$C.log"'"; };' >>"$C.conf"
fresh_runs "$C.conf" "$C.learn" 1 20
fl_stats p
before=$(fl_stat p answered)
fl_setmode p pass
: >"$C.log"
fresh_runs "$C.conf" "$C.back" 100 30 100
# The winner of each fresh process's A query, in order: P or S.
awk -v p="${FL_SRV[p]}" -v s="${FL_SRV[s]}" '/\(winner\)/ && / type 1 / {
	print ($0 ~ p ": " ? "P" : $0 ~ s ": " ? "S" : "-") }' "$C.log" >"$C.winners"
first_p=$(grep -n -m1 '^P' "$C.winners" | cut -d: -f1)
diag "failback: winners $(tr -d '\n' <"$C.winners")"
cmp_int "failback: every process answered" "$(awk '$2 != 0' "$C.back" "$C.learn" | wc -l)" -eq 0
cmp_int "failback: the primary answers again within the first 15 processes (1.5 s, 5 probe intervals)" "${first_p:-99}" -le 15
cmp_int "failback: and keeps answering (no S after the first P)" \
	"$(tail -n +"${first_p:-1}" "$C.winners" | grep -c '^S')" -eq 0
fl_stats p
cmp_int "failback: the restored primary answered" "$(fl_stat p answered)" -gt "$before"
fl_proxy_stop p s
finish
