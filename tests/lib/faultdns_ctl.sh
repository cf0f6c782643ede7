# shellcheck shell=bash
# tests/lib/faultdns_ctl.sh -- talking to a running tests/tools/faultdns (its signals and
# files), for cache_lib.sh, fault_lib.sh and any test that runs one. Source it after
# tests/lib/common.sh.
#
#   fdc_stats PID FILE           SIGUSR2: faultdns writes fresh stats to FILE (it was
#                                started with --stats FILE); wait up to 5 s until written
#   fdc_stat FILE KEY            a counter from FILE (0 if absent)
#   fdc_setmode PID MODEFILE STATSFILE MODE
#                                write MODE to MODEFILE, SIGUSR1, and wait up to 5 s until
#                                its mode_switches counter says it switched

fdc_stats() {
	local pid=$1 f=$2
	rm -f "$f"
	kill -USR2 "$pid" 2>/dev/null || return 1
	dnsf_wait_until 5000 test -s "$f"
}

fdc_stat() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1" 2>/dev/null; }

# True once faultdns PID has counted more than BEFORE mode switches.
fdc_switched() {
	local pid=$1 f=$2 before=$3
	fdc_stats "$pid" "$f" && [ "$(fdc_stat "$f" mode_switches)" -gt "$before" ]
}

fdc_setmode() {
	local pid=$1 modefile=$2 f=$3 mode=$4 before
	fdc_stats "$pid" "$f" || return 1
	before=$(fdc_stat "$f" mode_switches)
	printf '%s\n' "$mode" >"$modefile"
	kill -USR1 "$pid" 2>/dev/null || return 1
	dnsf_wait_until 5000 fdc_switched "$pid" "$f" "$before"
}
