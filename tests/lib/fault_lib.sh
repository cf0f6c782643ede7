# shellcheck shell=bash
# SC2034: FL_* variables are read by the scripts that source this file.
# shellcheck disable=SC2034
# tests/lib/fault_lib.sh -- shared by the failover tests 40_faults.sh, 41_health.sh and
# 42_alldown.sh. Source it after tests/lib/common.sh, then call fl_init.
#
# The picture every test builds:
#
#   shim (in fault_client) --> 127.53.0.2:PORT  faultdns MODE   (the primary)   --+
#                          --> 127.53.0.3:PORT  faultdns pass   (the secondary) --+--> NSD 127.53.0.1:53
#
# The servers are given to the shim in its config (`nameservers`, with ports), so every
# proxy gets a fresh port: a late reply from one cell never reaches the next, and each
# proxy's stats count one cell only. The private resolv.conf names 127.53.0.9, where
# nothing listens: a lookup the shim handed back to glibc would fail at once (ICMP
# unreachable), never quietly succeed through the healthy NSD.
#
#   fl_init                       work dir, private /etc, port range; needs ns_start first
#   fl_proxy NAME ADDR MODE [ARGS...]
#                                 faultdns on ADDR:<next port> in front of NSD, with a
#                                 stats file and a mode file; waits for "ready".
#                                 Sets FL_SRV[NAME]="ADDR:PORT" ("[ADDR]:PORT" for
#                                 IPv6) and FL_PID[NAME]
#   fl_proxy_at NAME ADDR PORT MODE [ARGS...]   the same on a fixed port (53 for glibc)
#   fl_badreply NAME ADDR KIND    tests/tools/fault_badreply.py instead of faultdns
#   fl_proxy_stop NAME...         SIGTERM (it writes its stats), reap, forget the PIDs
#   fl_stats NAME                 fresh stats file (SIGUSR2, waits until written)
#   fl_stat NAME KEY              a counter from the last stats file (0 if absent)
#   fl_setmode NAME MODE          mode file + SIGUSR1; waits until the switch is applied
#   fl_conf FILE STRATEGY LOG SERVER... [-- EXTRA_CONFIG_LINES...]
#                                 a shim config: these servers (none: resolv.conf's), this
#                                 strategy, the failure
#                                 knobs of FL_TIMEOUT/FL_ATTEMPTS/FL_DEADLINE/
#                                 FL_THRESHOLD/FL_PROBE, cache off, debug log to LOG
#   fl_shim OUT CONF CMD...       CMD under the shim, inside the private /etc ($FL_ETC),
#                                 DNSFAILOVER_CONF=CONF; stderr to OUT.err; sets FL_RC and
#                                 FL_WALL (ms, process start to exit)
#   fl_client OUT CONF ARGS...    fl_shim with fault_client ARGS
#   fl_glibc OUT RESOLV CMD...    CMD with glibc alone, RESOLV as /etc/resolv.conf
#   fl_calls FILE                 number of result lines
#   fl_get FILE CALL KEY          a field of one call's line (ms, rc, addrs, start, name)
#   fl_pct FILE PCT [FROM [TO]]   nearest-rank percentile of ms over calls FROM..TO
#   fl_maxms FILE [FROM [TO]]     the largest ms over calls FROM..TO
#   fl_le A B                     A <= B for decimals (awk)
#   within DESC VALUE LO HI       ok when LO <= VALUE < HI (decimals, ms)
#   cmp_int DESC A OP B           ok when test A OP B (integers), both shown
#   fl_expect_calls FILE DESC RULE...   every call's rc and addrs checked against the
#                                 rules "FAMILY:NAME_ERE=RC ADDRS" (any matching rule)
#   fl_first_ask LOG NAME TYPE [SERVER]  "SERVER WHY +MS" of the first query (debug log)
#   fl_winner LOG NAME TYPE       the server whose reply won
#   fl_count_log LOG ERE          matching lines of the log

# shellcheck source=tests/lib/faultdns_ctl.sh
. "$DNSF_ROOT/tests/lib/faultdns_ctl.sh"

FL_DIR=""
FL_ETC=""
FL_NEXT_PORT=0
declare -A FL_SRV=() FL_PID=()

fl_init() {
	require_tool faultdns
	require_tool fault_client
	FL_DIR=$DNSF_TMP/fl
	mkdir -p "$FL_DIR"
	FL_ETC=$FL_DIR/etc
	make_etc "$FL_ETC" 127.53.0.9
	# 20000..31999: below the ephemeral range (32768-60999) and the 05 test's 10000-19999.
	FL_NEXT_PORT=$((20000 + ($$ % 60) * 200))
}

# fl_proxy_at NAME ADDR PORT MODE [ARGS...]: 1, saying why in "#" lines, if it does not
# come up (the port is taken, say).
fl_proxy_at() {
	local name=$1 addr=$2 port=$3 mode=$4 listen
	shift 4
	local f=$FL_DIR/$name
	case $addr in *:*) listen="[$addr]:$port" ;; *) listen="$addr:$port" ;; esac
	rm -f "$f".{out,err,stats,pid}
	printf '%s\n' "$mode" >"$f.mode"
	dnsf_server_start "faultdns $name" "$addr" "$port" line:ready "$f.out" \
		"$TOOLS/faultdns" --listen "$listen" --upstream "$DNSF_NS_ADDR:53" --mode "$mode" \
		--mode-file "$f.mode" --stats "$f.stats" --pidfile "$f.pid" "$@" || return 1
	FL_PID[$name]=$DNSF_SPAWNED_PID
	FL_SRV[$name]=$listen
}

# fl_proxy NAME ADDR MODE [ARGS...]: on the next free port (a few tries if one is taken).
fl_proxy() {
	local name=$1 addr=$2 mode=$3 try
	shift 3
	for try in 1 2 3; do
		FL_NEXT_PORT=$((FL_NEXT_PORT + 1))
		if fl_proxy_at "$name" "$addr" "$FL_NEXT_PORT" "$mode" "$@" >"$FL_DIR/$name.starterr"; then
			return 0
		fi
	done
	cat "$FL_DIR/$name.starterr"
	bail "faultdns $name ($addr, mode $mode) did not start (try $try)"
}

# fl_badreply NAME ADDR KIND: tests/tools/fault_badreply.py (unusable but attributable
# replies, UDP only) on ADDR:<next port>; stats (queries, replies) in NAME.stats once it
# is stopped with fl_proxy_stop (it has no SIGUSR2).
fl_badreply() {
	local name=$1 addr=$2 kind=$3 f=$FL_DIR/$1
	FL_NEXT_PORT=$((FL_NEXT_PORT + 1))
	rm -f "$f".{out,err,stats}
	dnsf_server_start "fault_badreply $name" "$addr" "$FL_NEXT_PORT" line:ready "$f.out" \
		"$DNSF_PYTHON" -I "$DNSF_ROOT/tests/tools/fault_badreply.py" --listen "$addr:$FL_NEXT_PORT" \
		--kind "$kind" --stats "$f.stats" ||
		bail "fault_badreply $name ($addr, $kind) did not start"
	FL_PID[$name]=$DNSF_SPAWNED_PID
	FL_SRV[$name]=$addr:$FL_NEXT_PORT
}

# fl_proxy_stop NAME...: all of them at once (dnsf_stop_all: SIGTERM to each, then reap
# each; SIGKILL for one that is still there after 5 s).
fl_proxy_stop() {
	local n pid
	local -a pids=()
	for n in "$@"; do
		pid=${FL_PID[$n]:-}
		[ -n "$pid" ] || continue
		pids+=("$pid")
		unset "FL_PID[$n]"
	done
	((${#pids[@]})) || return 0
	dnsf_stop_all "${pids[@]}"
	for pid in "${pids[@]}"; do dnsf_untrack_pid "$pid"; done
}

fl_stats() { fdc_stats "${FL_PID[$1]}" "$FL_DIR/$1.stats"; }

fl_stat() { fdc_stat "$FL_DIR/$1.stats" "$2"; }

fl_setmode() {
	local name=$1 mode=$2
	fl_stats "$name" || bail "faultdns $name: no stats"
	fdc_setmode "${FL_PID[$name]}" "$FL_DIR/$name.mode" "$FL_DIR/$name.stats" "$mode" ||
		bail "faultdns $name did not switch to mode $mode"
}

# Failure knobs used by fl_conf (tests set them before calling it).
FL_TIMEOUT=300
FL_ATTEMPTS=1
FL_DEADLINE=1500
FL_THRESHOLD=3
FL_PROBE=1000

# fl_conf FILE STRATEGY LOG SERVER... [-- EXTRA...]
fl_conf() {
	local f=$1 strategy=$2 log=$3 s list="" sep=""
	shift 3
	while (($#)) && [ "$1" != -- ]; do
		list="$list$sep\"$1\""
		sep=", "
		shift
	done
	[ "${1:-}" = -- ] && shift
	{
		echo "# written by tests/lib/fault_lib.sh"
		if [ -n "$list" ]; then echo "nameservers = [ $list ];"; fi
		echo "strategy = \"$strategy\";"
		echo "timeout_ms = $FL_TIMEOUT;"
		echo "attempts = $FL_ATTEMPTS;"
		echo "deadline_ms = $FL_DEADLINE;"
		echo "health: { fail_threshold = $FL_THRESHOLD; probe_interval_ms = $FL_PROBE; };"
		echo "cache: { enabled = false; };"
		echo "log: { level = \"debug\"; target = \"$log\"; };"
		for s in "$@"; do echo "$s"; done
	} >"$f"
}

FL_RC=0
FL_WALL=0
# fl_shim OUT CONF CMD...: CMD under the shim inside $FL_ETC with DNSFAILOVER_CONF=CONF;
# stdout to OUT, stderr to OUT.err; sets FL_RC and FL_WALL.
fl_shim() {
	local out=$1 conf=$2 t0 t1
	shift 2
	local -a e
	mapfile -t e < <(dnsf_shim_env)
	t0=$(now_ms)
	in_private_etc "$FL_ETC" env "${e[@]}" "DNSFAILOVER_CONF=$conf" "$@" >"$out" 2>"$out.err"
	FL_RC=$?
	t1=$(now_ms)
	FL_WALL=$((t1 - t0))
}

# fl_client OUT CONF ARGS...
fl_client() {
	local out=$1 conf=$2
	shift 2
	fl_shim "$out" "$conf" "$TOOLS/fault_client" "$@"
}

# fl_glibc OUT RESOLV CMD...: glibc alone (stderr to OUT.err).
fl_glibc() {
	local out=$1 resolv=$2
	shift 2
	local dir=$FL_DIR/glibc-etc
	mkdir -p "$dir"
	cp "$resolv" "$dir/resolv.conf"
	cp "$DNSF_FIXTURES/hosts" "$dir/hosts"
	cp "$DNSF_FIXTURES/nsswitch.conf" "$dir/nsswitch.conf"
	in_private_etc "$dir" "$@" >"$out" 2>"$out.err"
}

fl_calls() { grep -c '^call=' "$1" 2>/dev/null || true; }

fl_get() {
	awk -v c="$2" -v k="$3" '
		$1 == "call=" c { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}

# The ms values of calls FROM..TO (default all), one a line.
fl_ms_list() {
	awk -v from="${2:-1}" -v to="${3:-999999999}" '
		/^call=/ { n = substr($1, 6) + 0
			if (n >= from && n <= to) for (i = 2; i <= NF; i++) if (index($i, "ms=") == 1) print substr($i, 4) }' "$1"
}

fl_pct() {
	fl_ms_list "$1" "${3:-1}" "${4:-999999999}" | sort -g | awk -v p="$2" '
		{ v[NR] = $1 }
		END { if (NR == 0) { print "nan"; exit }
		      r = int((p / 100) * NR); if (r < (p / 100) * NR) r++; if (r < 1) r = 1
		      printf "%.1f\n", v[r] }'
}

fl_maxms() {
	fl_ms_list "$1" "${2:-1}" "${3:-999999999}" | sort -g | tail -n 1 | awk '{ printf "%.1f\n", $1 + 0 }'
}

fl_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0 && a != "nan" && a != "") }'; }

# fl_expect_calls FILE DESC RULE...: every call's "FAMILY:NAME" is matched against each
# RULE "ERE=RC ADDRS" (ERE anchored; ADDRS as fault_client prints them, "-" for none); a
# call passes when some rule whose ERE matches it has the same RC and ADDRS, so two rules
# for one name mean "either". Prints one ok/not ok for the whole file, with the offending
# lines.
fl_expect_calls() {
	local file=$1 desc=$2 bad n
	shift 2
	n=$(fl_calls "$file")
	bad=$(awk -v rules="$(printf '%s\n' "$@")" '
		BEGIN { nr = split(rules, r, "\n") }
		/^call=/ {
			fam = ""; name = ""; rc = ""; addrs = ""
			for (i = 1; i <= NF; i++) {
				if (index($i, "fam=") == 1) fam = substr($i, 5)
				else if (index($i, "name=") == 1) name = substr($i, 6)
				else if (index($i, "rc=") == 1) rc = substr($i, 4)
				else if (index($i, "addrs=") == 1) addrs = substr($i, 7)
			}
			key = fam ":" name; matched = 0; good = 0; want = ""
			for (k = 1; k <= nr; k++) {
				eq = index(r[k], "=")
				if (eq == 0) continue
				ere = substr(r[k], 1, eq - 1); rest = substr(r[k], eq + 1)
				sp = index(rest, " "); wrc = substr(rest, 1, sp - 1); wad = substr(rest, sp + 1)
				if (key !~ ("^" ere "$")) continue
				matched = 1
				want = want (want == "" ? "" : " or ") "rc=" wrc " addrs=" wad
				if (rc == wrc && addrs == wad) good = 1
			}
			if (!matched) print "#   " $0 "   (no rule for " key ")"
			else if (!good) print "#   " $0 "   (want " want ")"
		}' "$file")
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		ok "$desc ($n calls)"
	else
		not_ok "$desc ($n calls)"
		if [ -n "$bad" ]; then printf '%s\n' "$bad" | cut -c1-400 | head -n 20; fi
		if [ "$n" -eq 0 ]; then sed 's/^/#   stderr: /' "$file.err" | head -n 10; fi
	fi
}

# fl_first_ask LOG NAME TYPE [SERVER]: "SERVER WHY PLUS_MS" of the shim's first query for
# NAME/TYPE (to SERVER, if given), from its debug log.
fl_first_ask() {
	awk -v n="$2" -v t="$3" -v s="${4:-}" '
		$3 == "ask" && $6 == n && $8 == t && (s == "" || $4 == s) {
			why = $9; gsub(/[(,]/, "", why); plus = $12; sub(/^\+/, "", plus)
			print $4, why, plus; exit }' "$1"
}

# fl_winner LOG NAME TYPE: the server whose reply won NAME/TYPE ("-" if none did).
fl_winner() {
	awk -v n="$2" -v t="$3" '
		$4 == n && $6 == t && / \(winner\)$/ { s = $3; sub(/:$/, "", s); print s; found = 1; exit }
		END { if (!found) print "-" }' "$1"
}

# fl_count_log LOG ERE: lines of LOG matching ERE.
fl_count_log() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

# within DESC VALUE LO HI: LO <= VALUE < HI (decimals).
within() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "nan" && v != "" && v + 0 >= lo && v + 0 < hi) }'; then
		ok "$1: $2 ms (bound [$3, $4))"
	else
		not_ok "$1: ${2:-?} ms, outside [$3, $4)"
	fi
}

# cmp_int DESC A OP B: integer comparison with both numbers in the message.
cmp_int() {
	if test "$2" "$3" "$4"; then ok "$1 ($2 $3 $4)"; else not_ok "$1 ($2 $3 $4 is false)"; fi
}
