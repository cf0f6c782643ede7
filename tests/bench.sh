#!/usr/bin/env bash
# tests/bench.sh (`make bench`) -- dnsfailover's figures, measured side by side
# in one run on loopback, printed as markdown ready for the README and written
# with the raw data to $DNSF_BUILD/bench/results.md.
#
#   bash tests/bench.sh [SECTION...]      (default: every section, in order;
#                                          make bench BENCH_SECTIONS="cache" passes them)
#
# Sections (each a function bench_SECTION below; add one by writing the function
# and listing it in SECTIONS):
#   overhead   a process that never resolves: /bin/true with and without the
#              preload, median wall time and peak RSS (tests/tools/bench_spawn.c)
#   failover   issue 3's table: resolvers x faults on the primary nameserver,
#              first-lookup latency, p50/p99, failures, queries per lookup and
#              per server (issue 15: balance's rows next to hedge's)
#              (tests/tools/benchlookup.c; fault proxy tests/tools/faultdns.c)
#   cache      issue 4's figures: cache-hit latency per getaddrinfo call (median,
#              AF_UNSPEC and AF_INET, 1 and 2 threads) against glibc uncached and nscd
#              (on PATH, or downloaded and unpacked without installing it by
#              tests/tools/fetch_nscd.sh; if neither works the table says why);
#              lookups/s for 8 threads on 100 hot names; memory for 10,000 cached
#              names; and (issue 10, item 4) a repeat of each of gethostbyname,
#              gethostbyname2, gethostbyname_r, gethostbyname2_r, gethostbyaddr,
#              gethostbyaddr_r and getnameinfo, against the same glibc and nscd
#              (tests/tools/cache_bench.c)
#   fresh      issue 13's figures: 50 short-lived processes one after the other, one
#              lookup each, behind a dead, a 300 ms slow and a healthy primary, for
#              glibc, glibc t1, musl static (Debian's musl-tools; skipped with one
#              line when missing) and the shim's strategies: per-process wall time,
#              the median after the first 10, queries to the primary, peak RSS; and
#              the preload's cost to a fresh process, alternating pairs
#              (tests/tools/bench_spawn.c, tests/tools/fresh_lookup.c)
#
# Knobs (environment):
#   BENCH_N=200               lookups per failover cell (distinct names)
#   BENCH_CELL_BUDGET_MS=25000  per failover cell: no new lookup starts after
#                             this, so a case that costs seconds per lookup
#                             (glibc behind a dead primary) runs fewer; the
#                             table's N column says how many ran
#   BENCH_FAMILY=unspec       getaddrinfo family: unspec (A+AAAA), inet, inet6
#   BENCH_IDLE_RUNS=200       runs of /bin/true per variant
#   BENCH_FAULTS="healthy ..."   BENCH_RESOLVERS="glibc ..."   subsets
#   BENCH_CACHE_ITERS=200000  timed calls per thread, cache-hit latency (and nscd)
#   BENCH_CACHE_GLIBC_ITERS=2000  the same for glibc uncached
#   BENCH_CACHE_SECONDS=3     per hot-set throughput run
#   BENCH_CACHE_NAMES=10000   names for the memory figure
#   BENCH_FRESH_N=50          processes per fresh cell
#   BENCH_FRESH_BUDGET_MS=20000  per fresh cell: no new process starts after this
#                             (glibc behind a dead primary pays 5 s a process)
#   BENCH_FRESH_PAIRS=100     pairs per preload-overhead figure
#   BENCH_FRESH_FAULTS="blackhole slow300 healthy"
#   BENCH_FRESH_RESOLVERS="glibc glibc-t1 musl hedge race sequence"   subsets
#
# Network: loopback only.  NSD serves tests/fixtures on 127.53.0.1; the primary
# is a faultdns proxy on 127.53.0.2 (or the unbound address 127.53.0.9 for
# "closed port"); the secondary is a pass-mode faultdns on 127.53.0.3 in front
# of NSD, there only to count queries.  Lookups run in `unshare -m` with a
# private resolv.conf, hosts and nsswitch.conf bind-mounted over /etc.  Every
# process started here is stopped by its PID.  Needs root.

set -u

# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# NSD as ns_start's, but with response rate limiting off (see that file).
# shellcheck source=tests/tools/bench_nsd.sh
. "$DNSF_ROOT/tests/tools/bench_nsd.sh"
dnsf_on_exit bench_ns_stop

SECTIONS=(overhead failover cache fresh)

BENCH_N=${BENCH_N:-200}
BENCH_CELL_BUDGET_MS=${BENCH_CELL_BUDGET_MS:-25000}
BENCH_FAMILY=${BENCH_FAMILY:-unspec}
BENCH_IDLE_RUNS=${BENCH_IDLE_RUNS:-200}
BENCH_CACHE_ITERS=${BENCH_CACHE_ITERS:-200000}
BENCH_CACHE_GLIBC_ITERS=${BENCH_CACHE_GLIBC_ITERS:-2000}
BENCH_CACHE_SECONDS=${BENCH_CACHE_SECONDS:-3}
BENCH_CACHE_NAMES=${BENCH_CACHE_NAMES:-10000}
BENCH_FRESH_N=${BENCH_FRESH_N:-50}
BENCH_FRESH_BUDGET_MS=${BENCH_FRESH_BUDGET_MS:-20000}
BENCH_FRESH_PAIRS=${BENCH_FRESH_PAIRS:-100}
FRESH_SKIP=10                  # "after learning": the processes after the first 10
read -ra FRESH_FAULTS <<<"${BENCH_FRESH_FAULTS:-blackhole slow300 healthy}"
read -ra FRESH_RESOLVERS <<<"${BENCH_FRESH_RESOLVERS:-glibc glibc-t1 musl hedge race sequence}"
HOSTENT_CALLS="gh gh2 ghr gh2r gha ghar gni"   # cache_bench --call, in the report's order
ALL_FAULTS=(healthy blackhole slow300 servfail closed drop30 alldown)
ALL_RESOLVERS=(glibc glibc-t1 race hedge balance sequence)
read -ra FAULTS <<<"${BENCH_FAULTS:-${ALL_FAULTS[*]}}"
read -ra RESOLVERS <<<"${BENCH_RESOLVERS:-${ALL_RESOLVERS[*]}}"

PRIMARY=127.53.0.2
SECONDARY=127.53.0.3
CLOSED=127.53.0.9              # nothing listens here: ICMP port unreachable

OUTDIR=$DNSF_BUILD/bench
RESULTS=$OUTDIR/results.md
RAW=$OUTDIR/raw
W=$DNSF_TMP/bench

die() {
	echo "bench: $*" >&2
	exit 1
}

# out TEXT...: to the terminal and to results.md
out() { printf '%s\n' "$@" | tee -a "$RESULTS"; }

machine_info() {
	local commit dirty=""
	commit=$(git -C "$DNSF_ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
	if [ -n "$(git -C "$DNSF_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		dirty=" (working tree has uncommitted changes)"
	fi
	out "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	out "- machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(ldd --version 2>/dev/null | head -n 1)"
	out "- dnsfailover: commit $commit$dirty, $(basename "$DNSF_LIB") $(stat -c %s "$DNSF_LIB") bytes"
}

# ---------------------------------------------------------------- overhead

# spawn_tool: tests/tools/bench_spawn.c built static, once per run, in SPAWN.
# Static, so the helper's own memory (the child's until exec) stays below the
# measured program's peak RSS (see that file).  SPAWN_NOTE says when only the
# dynamic build of `make tools` was left.
SPAWN="" SPAWN_NOTE=""
spawn_tool() {
	[ -z "$SPAWN" ] || return 0
	SPAWN=$OUTDIR/bench_spawn
	if ! cc -O2 -static -Wall -Wextra -Werror -D_GNU_SOURCE -o "$SPAWN" \
		"$DNSF_ROOT/tests/tools/bench_spawn.c" 2>"$W/spawn-cc.err"; then
		[ -x "$TOOLS/bench_spawn" ] || die "cannot build bench_spawn: $(cat "$W/spawn-cc.err")"
		SPAWN=$TOOLS/bench_spawn
		SPAWN_NOTE=" (static build failed: the RSS floor is the helper's own)"
	fi
}

bench_overhead() {
	local kv
	out "" "## Overhead when idle" ""
	spawn_tool
	kv=$("$SPAWN" --runs "$BENCH_IDLE_RUNS" --warmup 10 --preload "$DNSF_LIB" -- /bin/true) ||
		die "bench_spawn failed"
	printf '%s\n' "$kv" >"$RAW/overhead.kv"
	"$DNSF_PYTHON" -I "$DNSF_ROOT/tests/bench_report.py" overhead "$RAW/overhead.kv" |
		tee -a "$RESULTS"
	out "" "How: \`/bin/true\` run $BENCH_IDLE_RUNS times plain and $BENCH_IDLE_RUNS times with" \
		"\`LD_PRELOAD=$(basename "$DNSF_LIB")\`, alternating, after 10 warm-up runs of each;" \
		"wall time from fork to wait4, peak RSS from wait4's ru_maxrss, medians" \
		"(tests/tools/bench_spawn.c, built static$SPAWN_NOTE)."
}

# ---------------------------------------------------------------- failover

# fd_start NAME ADDR MODE: a faultdns proxy in front of NSD; its stats go to
# $CELL.NAME.stats when it stops.  Sets FD_PIDS[NAME].
declare -A FD_PIDS=()
fd_start() {
	local name=$1 addr=$2 mode=$3 i
	"$TOOLS/faultdns" --listen "$addr:53" --upstream "$DNSF_NS_ADDR:53" --mode "$mode" \
		--stats "$CELL.$name.stats" >"$CELL.$name.out" 2>"$CELL.$name.err" </dev/null &
	FD_PIDS[$name]=$!
	for ((i = 0; i < 50; i++)); do
		grep -q ready "$CELL.$name.out" 2>/dev/null && return 0
		dnsf_pid_alive "${FD_PIDS[$name]}" || break
		sleep 0.1
	done
	cat "$CELL.$name.err" >&2
	die "faultdns $name ($addr, $mode) did not start"
}
# fd_stop_all: stop the proxies (they write their stats on SIGTERM).
fd_stop_all() {
	local n
	for n in "${!FD_PIDS[@]}"; do
		dnsf_stop_pid "${FD_PIDS[$n]}"
		unset "FD_PIDS[$n]"
	done
}
dnsf_on_exit fd_stop_all

# fault_modes FAULT: the faultdns modes that make FAULT.  Sets PMODE (the
# primary's; empty: no proxy), SMODE (the secondary's) and PADDR (the primary
# address resolv.conf names).
fault_modes() {
	PMODE="" SMODE=pass PADDR=$PRIMARY
	case $1 in
	healthy) PMODE=pass ;;
	blackhole) PMODE=blackhole ;;
	slow300) PMODE=delay=300 ;;
	servfail) PMODE=servfail ;;
	closed) PADDR=$CLOSED ;;
	drop30) PMODE=drop=30 ;;
	alldown) PMODE=blackhole SMODE=blackhole ;;
	*) die "unknown fault $1" ;;
	esac
}

# cell_start OPTS: a cell's private /etc in $CELL.etc (resolv.conf: PADDR, then the
# secondary, with resolv.conf options OPTS) and its proxies (fault_modes first).
cell_start() {
	rm -rf "$CELL.etc"
	if [ -n "$1" ]; then
		make_etc "$CELL.etc" "$PADDR" "$SECONDARY" --options "$1"
	else
		make_etc "$CELL.etc" "$PADDR" "$SECONDARY"
	fi
	if [ -n "$PMODE" ]; then fd_start primary "$PRIMARY" "$PMODE"; fi
	fd_start secondary "$SECONDARY" "$SMODE"
}

# cell_finish KV FAULT RESOLVER OPTS RC T0 T1 [KEY=VALUE...]: stops the proxies and
# writes the cell's record to KV: its description, the KEY=VALUE lines, the tool's
# output ($CELL.kv) and the proxies' stats as primary_* and secondary_* keys.  A
# failure's stderr ($CELL.err) is shown; one progress line goes to stderr.
cell_finish() {
	local kv=$1 fault=$2 res=$3 opts=$4 rc=$5 t0=$6 t1=$7
	shift 7
	fd_stop_all
	{
		echo "fault=$fault"
		echo "resolver=$res"
		echo "primary=$PADDR${PMODE:+ ($PMODE)}"
		echo "secondary=$SECONDARY ($SMODE)"
		echo "resolv_options=${opts:-default}"
		if (($#)); then printf '%s\n' "$@"; fi
		echo "exit=$rc"
		echo "cell_ms=$((t1 - t0))"
		echo "stderr_lines=$(wc -l <"$CELL.err")"
		cat "$CELL.kv"
		if [ -f "$CELL.primary.stats" ]; then sed 's/^/primary_/; s/ /=/' "$CELL.primary.stats"; fi
		if [ -f "$CELL.secondary.stats" ]; then sed 's/^/secondary_/; s/ /=/' "$CELL.secondary.stats"; fi
	} >"$kv"
	rm -f "$CELL.primary.stats" "$CELL.secondary.stats"
	if [ "$rc" != 0 ]; then
		echo "bench: ${kv##*/}: exit $rc" >&2
		sed 's/^/bench:   /' "$CELL.err" | head -n 5 >&2
	fi
	printf '  %-10s %-9s %6d ms\n' "$fault" "$res" "$((t1 - t0))" >&2
}

# run_cell FAULT RESOLVER: one process of benchlookup; writes $RAW/FAULT.RESOLVER.kv
run_cell() {
	local fault=$1 res=$2 opts="" rc t0 t1
	local -a envs=()
	CELL=$W/cells/$fault.$res
	mkdir -p "$W/cells"
	fault_modes "$fault"
	case $res in
	glibc) ;;
	glibc-t1) opts="timeout:1 attempts:1" ;;
	race | hedge | balance | sequence)
		# Its own state_dir: a cell's first lookup starts with no memory, also
		# not what earlier cells' processes shared (shstate.h).
		rm -rf "$CELL.state"
		mkdir -m 0755 "$CELL.state" || die "cannot make $CELL.state"
		printf 'strategy = "%s";\nstate_dir = "%s";\n' "$res" "$CELL.state" >"$W/$res.conf"
		mapfile -t envs < <(dnsf_shim_env)
		envs+=("DNSFAILOVER_CONF=$W/$res.conf")
		;;
	*) die "unknown resolver $res" ;;
	esac
	cell_start "$opts"
	t0=$(now_ms)
	# The hard limit only guards against a hang: the budget ends a cell, but a
	# lookup under way is always finished (glibc: up to 20 s with all down).
	in_private_etc "$CELL.etc" timeout -k 5 $((BENCH_CELL_BUDGET_MS / 1000 + 150)) \
		env "${envs[@]}" "$TOOLS/benchlookup" --family "$BENCH_FAMILY" --count "$BENCH_N" \
		--budget-ms "$BENCH_CELL_BUDGET_MS" --distinct "c$$-$fault-$res" --suffix wild.dnsf.test \
		>"$CELL.kv" 2>"$CELL.err"
	rc=$?
	t1=$(now_ms)
	cell_finish "$RAW/$fault.$res.kv" "$fault" "$res" "$opts" "$rc" "$t0" "$t1"
}

bench_failover() {
	local f r
	out "" "## Failover: first lookup, p50, p99, failures, queries sent" ""
	# Nothing may answer on the "closed" address, or the case means nothing.
	if dnsq -s "$CLOSED" -t 0.3 www.dnsf.test A >/dev/null 2>&1; then
		die "something answers DNS on $CLOSED:53; the closed-port case needs it unbound"
	fi
	echo "bench: failover cells (up to ${BENCH_CELL_BUDGET_MS} ms of lookups each):" >&2
	for f in "${FAULTS[@]}"; do
		for r in "${RESOLVERS[@]}"; do
			run_cell "$f" "$r"
		done
	done
	local -a files=()
	for f in "${FAULTS[@]}"; do
		for r in "${RESOLVERS[@]}"; do files+=("$RAW/$f.$r.kv"); done
	done
	"$DNSF_PYTHON" -I "$DNSF_ROOT/tests/bench_report.py" failover "${files[@]}" | tee -a "$RESULTS"
	out "" "How: for each cell, fresh fault proxies and one new process" \
		"(tests/tools/benchlookup.c) making up to $BENCH_N getaddrinfo calls (family $BENCH_FAMILY," \
		"SOCK_STREAM) for distinct names (\`cNNN-FAULT-RESOLVER-0001.wild.dnsf.test\` ..., answered by" \
		"NSD's wildcard: A 192.0.2.70, no AAAA), one after the other.  **first** is the process's" \
		"first lookup (no health memory yet); p50/p99 are nearest-rank over all its lookups." \
		"A cell stops starting lookups after $((BENCH_CELL_BUDGET_MS / 1000)) s, so the slow glibc cases have small N" \
		"(their p99 is then their max).  Resolvers: glibc = glibc 2.36 alone, resolv.conf" \
		"\`nameserver $PRIMARY\`, \`nameserver $SECONDARY\` with default options (timeout 5 s, attempts 2);" \
		"glibc t1 = the same plus \`options timeout:1 attempts:1\`; race/hedge/balance/sequence = the same" \
		"resolv.conf with the shim preloaded and a config file holding only \`strategy\` and a new" \
		"empty \`state_dir\` per cell (other keys default).  Faults on the primary: faultdns modes pass, blackhole, delay=300, servfail," \
		"drop=30 (seeded, so every resolver sees the same drops); closed = resolv.conf names" \
		"$CLOSED, where nothing listens (ICMP port unreachable); all down = primary and secondary" \
		"blackholed.  Queries: received by the primary proxy + the pass-mode proxy in front of the" \
		"secondary, divided by the lookups made (2 = one A and one AAAA per lookup; a closed port" \
		"cannot count, so that cell shows the secondary only)." \
		"Failures: lookups that returned anything but an answer (with all servers down every lookup fails;" \
		"what matters there is how long it takes to say so)."
}

# ---------------------------------------------------------------- cache

# cb_run KV CMD...: run CMD in the private /etc of the cache section, stdout to KV;
# a failure leaves a KV with exit=N so the report shows it.
cb_run() {
	local kv=$1 rc
	shift
	in_private_etc "$CB_ETC" timeout -k 5 600 "$@" >"$kv.tmp" 2>"$kv.err"
	rc=$?
	{
		echo "exit=$rc"
		cat "$kv.tmp"
	} >"$kv"
	rm -f "$kv.tmp"
	if [ "$rc" != 0 ]; then
		echo "bench: cache: ${kv##*/}: exit $rc" >&2
		sed 's/^/bench:   /' "$kv.err" | head -n 5 >&2
	fi
}

# cb_nscd KV CACHE_BENCH_ARGS...: the same measurement with glibc alone through an nscd
# of our own ($NSCD, caching hosts), inside one mount namespace with the private /etc
# and a private nscd socket directory (a tmpfs). Writes KV with exit=... like cb_run.
#
# Proof that nscd answered (a column that silently measured plain glibc would be a
# lie): the client runs in a nested namespace whose resolv.conf names $CLOSED, where
# nothing listens (and the private /etc/hosts lacks the bench's names), so any call
# glibc made without nscd would fail and be counted in failures=.  nscd itself keeps the
# cache section's resolv.conf (the loopback NSD).  After the run, `nscd -g` adds the
# daemon's hosts counters (nscd_hosts_*): its hit counters only count requests over
# the socket; a client reading the shared database (shared hosts yes) is not counted,
# so they stay small, but not zero: each name's first lookup reaches the daemon.
cb_nscd() {
	local kv=$1 dir=$W/nscd client
	shift
	mkdir -p "$dir/run"
	rm -f "$dir/stats"
	cat >"$dir/nscd.conf" <<-EOF
		debug-level 0
		paranoia no
		enable-cache hosts yes
		positive-time-to-live hosts 3600
		negative-time-to-live hosts 20
		suggested-size hosts 211
		check-files hosts yes
		persistent hosts no
		shared hosts yes
		max-db-size hosts 33554432
		enable-cache passwd no
		enable-cache group no
		enable-cache services no
		enable-cache netgroup no
	EOF
	make_resolv "$dir/client-resolv.conf" "$CLOSED" --options "timeout:1 attempts:1"
	# The client's namespace, nested in nscd's: only resolv.conf differs.
	# shellcheck disable=SC2016 # expanded by that shell
	client='mount --bind "$1" /etc/resolv.conf || exit 125; shift; exec "$@"'
	# shellcheck disable=SC2016 # expanded by the inner shell
	dnsf_private_mounts "$CB_ETC/resolv.conf" /etc/resolv.conf "$CB_ETC/hosts" /etc/hosts \
		"$CB_ETC/nsswitch.conf" /etc/nsswitch.conf -- sh -c '
		dir=$1 nscd=$2 client=$3; shift 3
		sock=/var/run/nscd
		[ -d /run/nscd ] && sock=/run/nscd
		if [ ! -d "$sock" ]; then
			mkdir "$sock" || { echo "exit=125"; exit 0; }
			: >"$dir/created"       # the caller removes it again
		fi
		mount -t tmpfs bench-nscd "$sock" || { echo "exit=125"; exit 0; }
		echo "$sock" >"$dir/sockdir"
		"$nscd" -F -f "$dir/nscd.conf" >"$dir/nscd.out" 2>&1 &
		pid=$!
		i=0
		while [ ! -S "$sock/socket" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		if [ ! -S "$sock/socket" ]; then kill $pid 2>/dev/null; echo "exit=124"; exit 0; fi
		unshare -m --propagation private sh -c "$client" cb-nscd-client "$dir/client-resolv.conf" \
			timeout -k 5 600 "$@" >"$dir/out" 2>"$dir/err"
		echo "exit=$?"
		cat "$dir/out"
		"$nscd" -g -f "$dir/nscd.conf" >"$dir/stats" 2>&1
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null' cb-nscd "$dir" "$NSCD" "$client" "$@" >"$kv" 2>"$kv.err"
	# The daemon's hosts counters, summed over positive and negative entries.
	if [ -s "$dir/stats" ]; then
		awk '/^[a-z]+ cache:$/ { h = ($1 == "hosts") }
			h && /cache hits on (positive|negative) entries/ { hits += $1 }
			h && /cache misses on (positive|negative) entries/ { misses += $1 }
			h && /current number of cached values/ { cached = $1 }
			END { print "nscd_hosts_hits=" hits + 0; print "nscd_hosts_misses=" misses + 0
				print "nscd_hosts_cached=" cached + 0 }' "$dir/stats" >>"$kv"
	fi
	echo "nscd_client_resolv=$CLOSED (closed port)" >>"$kv"
	# A socket directory made for this (nscd not running on the host): gone again.
	if [ -f "$dir/created" ] && [ -s "$dir/sockdir" ]; then
		rmdir "$(cat "$dir/sockdir")" 2>/dev/null
		rm -f "$dir/created"
	fi
	if ! grep -qx 'exit=0' "$kv"; then
		echo "bench: cache: ${kv##*/}: $(grep -m1 '^exit=' "$kv")" >&2
		sed 's/^/bench:   /' "$kv.err" "$dir/err" "$dir/nscd.out" 2>/dev/null | head -n 5 >&2
	fi
}

bench_cache() {
	local conf=$W/cache.conf memconf=$W/cache-mem.conf fam t i nscd_how
	local -a shim hot=()
	out "" "## Cache" ""
	rm -f "$RAW"/cache.*.kv "$RAW"/cache.*.kv.err   # no figure from an earlier run
	CB_ETC=$W/cache-etc
	make_etc "$CB_ETC" "$DNSF_NS_ADDR"
	mapfile -t shim < <(dnsf_shim_env)
	printf '%s\n' "cache: { enabled = true; };" >"$conf"
	# Room for 10,000 names x (A + AAAA) in the cache and the memo.
	printf '%s\n' "cache: { enabled = true; max_entries = $((BENCH_CACHE_NAMES * 3)); };" \
		"stats_on_exit = true;" "log: { level = \"warn\"; target = \"$W/cache-mem.log\"; };" >"$memconf"
	for ((i = 1; i <= 100; i++)); do hot+=("$(printf 'hot-%03d.wild.dnsf.test' "$i")"); done
	# nscd: on PATH, or downloaded and unpacked (never installed) by fetch_nscd.sh.
	# Without it the bench says why and goes on.
	NSCD="" NSCD_STATUS=""
	if ! NSCD=$(bash "$DNSF_ROOT/tests/tools/fetch_nscd.sh" "$DNSF_BUILD/nscd" 2>"$W/fetch_nscd.err"); then
		NSCD=""
		NSCD_STATUS="not measured: $(tail -n 1 "$W/fetch_nscd.err" | sed 's/^fetch_nscd: //')"
	elif dnsq -s "$CLOSED" -t 0.3 www.dnsf.test A >/dev/null 2>&1; then
		# cb_nscd's proof needs a resolver address where nothing answers.
		NSCD=""
		NSCD_STATUS="not measured: something answers DNS on $CLOSED:53"
	else
		NSCD_STATUS="$("$NSCD" --version 2>/dev/null | head -n 1)"
		NSCD_STATUS=${NSCD_STATUS:-nscd}
	fi
	if [ -n "$NSCD" ]; then
		echo "bench: cache: nscd is $NSCD ($NSCD_STATUS)" >&2
	else
		echo "bench: cache: nscd $NSCD_STATUS" >&2
	fi
	echo "bench: cache: latency (AF_UNSPEC, AF_INET x 1, 2 threads) ..." >&2
	for fam in unspec inet; do
		for t in 1 2; do
			cb_run "$RAW/cache.shim.$fam.t$t.kv" env "${shim[@]}" "DNSFAILOVER_CONF=$conf" \
				"$TOOLS/cache_bench" --family "$fam" --threads "$t" --iters "$BENCH_CACHE_ITERS" \
				--warmup 1000 www.dnsf.test
			cb_run "$RAW/cache.glibc.$fam.t$t.kv" "$TOOLS/cache_bench" --family "$fam" --threads "$t" \
				--iters "$BENCH_CACHE_GLIBC_ITERS" --warmup 20 www.dnsf.test
			if [ -n "$NSCD" ]; then
				cb_nscd "$RAW/cache.nscd.$fam.t$t.kv" "$TOOLS/cache_bench" --family "$fam" \
					--threads "$t" --iters "$BENCH_CACHE_ITERS" --warmup 1000 www.dnsf.test
			fi
		done
	done
	echo "bench: cache: repeats of the hostent calls and getnameinfo ..." >&2
	local call arg hfam
	for call in $HOSTENT_CALLS; do
		arg=www.dnsf.test hfam=inet
		case $call in gha | ghar | gni) arg=192.0.2.10 ;; gh2 | gh2r) hfam=inet6 ;; esac
		cb_run "$RAW/cache.shim.$call.kv" env "${shim[@]}" "DNSFAILOVER_CONF=$conf" \
			"$TOOLS/cache_bench" --call "$call" --family "$hfam" --iters "$BENCH_CACHE_ITERS" \
			--warmup 1000 "$arg"
		cb_run "$RAW/cache.glibc.$call.kv" "$TOOLS/cache_bench" --call "$call" --family "$hfam" \
			--iters "$BENCH_CACHE_GLIBC_ITERS" --warmup 20 "$arg"
		if [ -n "$NSCD" ]; then
			cb_nscd "$RAW/cache.nscd.$call.kv" "$TOOLS/cache_bench" --call "$call" --family "$hfam" \
				--iters "$BENCH_CACHE_ITERS" --warmup 1000 "$arg"
		fi
	done
	echo "bench: cache: 8 threads on 100 hot names, ${BENCH_CACHE_SECONDS} s each ..." >&2
	cb_run "$RAW/cache.shim.hot8.kv" env "${shim[@]}" "DNSFAILOVER_CONF=$conf" "$TOOLS/cache_bench" \
		--threads 8 --warmup 200 --duration-ms $((BENCH_CACHE_SECONDS * 1000)) "${hot[@]}"
	cb_run "$RAW/cache.glibc.hot8.kv" "$TOOLS/cache_bench" --threads 8 --warmup 0 \
		--duration-ms $((BENCH_CACHE_SECONDS * 1000)) "${hot[@]}"
	if [ -n "$NSCD" ]; then
		cb_nscd "$RAW/cache.nscd.hot8.kv" "$TOOLS/cache_bench" --threads 8 --warmup 200 \
			--duration-ms $((BENCH_CACHE_SECONDS * 1000)) "${hot[@]}"
	fi
	echo "bench: cache: memory for $BENCH_CACHE_NAMES names ..." >&2
	: >"$W/cache-mem.log"
	cb_run "$RAW/cache.shim.mem.kv" env "${shim[@]}" "DNSFAILOVER_CONF=$memconf" "$TOOLS/cache_bench" \
		--rss --count "$BENCH_CACHE_NAMES" --prefix "mem$$" --suffix wild.dnsf.test
	sed -n 's/.*cache hits=\([0-9]*\) misses=\([0-9]*\) stale=[0-9]* entries=\([0-9]*\) evictions=\([0-9]*\).*/cache_hits=\1\ncache_misses=\2\ncache_entries=\3\ncache_evictions=\4/p' \
		"$W/cache-mem.log" | tail -n 4 >>"$RAW/cache.shim.mem.kv"
	cb_run "$RAW/cache.glibc.mem.kv" "$TOOLS/cache_bench" --rss --count "$BENCH_CACHE_NAMES" \
		--prefix "memg$$" --suffix wild.dnsf.test
	"$DNSF_PYTHON" -I "$DNSF_ROOT/tests/bench_report.py" cache "$RAW" "$NSCD_STATUS" |
		tee -a "$RESULTS"
	out "" "How: \`tests/tools/cache_bench.c\` in a private /etc (resolv.conf: the loopback NSD" \
		"$DNSF_NS_ADDR, the fixtures' hosts, \`hosts: files dns\`). Latency: one process per cell;" \
		"each thread makes 1000 untimed warm-up calls (they fill the cache), then" \
		"$BENCH_CACHE_ITERS timed calls ($BENCH_CACHE_GLIBC_ITERS for glibc, which has no cache) of" \
		"getaddrinfo(\"www.dnsf.test\", NULL, {family, SOCK_STREAM}) followed by freeaddrinfo of" \
		"the list it returned; the median of those per-call times, CLOCK_MONOTONIC read around" \
		"each pair (the clock pair's own cost, shown as clock, is included). dnsfailover:" \
		"the shim preloaded with \`cache: { enabled = true; }\` and every other key at its default" \
		"(a repeat is answered by its getaddrinfo memo, in front of the answer cache). Hot set:" \
		"8 threads for $BENCH_CACHE_SECONDS s over \`hot-001.wild.dnsf.test\` .. \`hot-100\` (NSD's" \
		"wildcard), no per-call timing. Memory: VmRSS of one process after resolving 1 name," \
		"then after $BENCH_CACHE_NAMES more distinct wildcard names (AF_UNSPEC: an A and a NODATA" \
		"AAAA entry each, plus a memo entry), with \`max_entries = $((BENCH_CACHE_NAMES * 3))\` so" \
		"nothing is evicted; glibc alone the same way for comparison." \
		"Hostent calls and getnameinfo: one process per cell, 1 thread, the same warm-up and counts," \
		"each call timed alone: gethostbyname*(\"www.dnsf.test\") (AF_INET, gethostbyname2 AF_INET6)," \
		"gethostbyaddr*(192.0.2.10) (PTR www.dnsf.test), getnameinfo(192.0.2.10 port 80, flags 0," \
		"NI_MAXHOST and NI_MAXSERV buffers); the _r forms with an 8 KiB buffer."
	if [ -n "$NSCD" ]; then
		case $NSCD in
		"$DNSF_BUILD"/*) nscd_how="unpacked from \`apt-get download nscd=$(cat "$DNSF_BUILD/nscd/version")\` with \`dpkg-deb -x\` (not installed; tests/tools/fetch_nscd.sh)" ;;
		*) nscd_how="$NSCD" ;;
		esac
		out "" "nscd: $NSCD_STATUS, $nscd_how, a private daemon started per cell" \
			"(\`nscd -F\`, hosts cache only, \`shared hosts yes\`, persistent no) in a mount namespace" \
			"with the same private /etc and a tmpfs over /run/nscd; its clients are glibc alone" \
			"(same calls and counts as dnsfailover's cells, same warm-up). Proof it answered: the" \
			"client ran in a nested namespace whose resolv.conf names $CLOSED, where nothing" \
			"listens, so a call not answered by nscd would have failed; a cell with failures, or" \
			"that nscd's counters (\`nscd -g\`: requests over its socket, not the client's reads of" \
			"the shared database) show was never asked, gets no figure."
	fi
}

# ---------------------------------------------------------------- fresh

# in_fresh_ns ETC CMD...: CMD in a mount namespace with ETC's files over /etc
# (in_private_etc) and an empty tmpfs over /run, so no state reaches a cell from
# the host or from another cell (the library is to keep health shared across
# processes under state_dir, default /run/dnsfailover: issue 13).
in_fresh_ns() {
	local etc=$1
	shift
	# shellcheck disable=SC2016 # expanded by that shell
	in_private_etc "$etc" sh -c '
		mount -t tmpfs -o mode=0755 dnsf-bench-run /run || exit 125
		# A resolv.conf reached through a symlink into /run is hidden now.
		cmp -s "$1" /etc/resolv.conf || { echo "in_fresh_ns: /etc/resolv.conf is not ours under the /run tmpfs" >&2; exit 125; }
		shift
		exec "$@"' in-fresh-ns "$etc/resolv.conf" "$@"
}

# fresh_conf FILE STRATEGY STATE_DIR: the shim's config for a fresh cell: only the
# strategy, plus state_dir = STATE_DIR (made empty here) when this build knows the
# key (`dnsfailover keys`; the parser rejects keys it does not know).
fresh_conf() {
	printf 'strategy = "%s";\n' "$2" >"$1"
	if [ "$FRESH_STATE_KEY" = 1 ]; then
		rm -rf "$3"
		mkdir -m 0755 "$3" || die "cannot make $3"
		printf 'state_dir = "%s";\n' "$3" >>"$1"
	fi
}

# fresh_cell FAULT RESOLVER: up to BENCH_FRESH_N fresh processes one after the other,
# each one getaddrinfo of a new name, all in one namespace with empty state;
# writes $RAW/fresh.FAULT.RESOLVER.kv
fresh_cell() {
	local fault=$1 res=$2 opts="" lookup=$TOOLS/fresh_lookup rc t0 t1
	local -a pre=() envs=()
	CELL=$W/fresh/$fault.$res
	fault_modes "$fault"
	case $res in
	glibc) ;;
	glibc-t1) opts="timeout:1 attempts:1" ;;
	musl) lookup=$FRESH_MUSL ;;
	race | hedge | sequence)
		fresh_conf "$CELL.conf" "$res" "$CELL.state"
		pre=(--preload "$(dnsf_preload)")
		envs=("DNSFAILOVER_CONF=$CELL.conf")
		;;
	*) die "unknown resolver $res" ;;
	esac
	cell_start "$opts"
	t0=$(now_ms)
	# The hard limit only guards against a hang: the budget ends a cell, but a
	# process under way is always finished.
	in_fresh_ns "$CELL.etc" timeout -k 5 $((BENCH_FRESH_BUDGET_MS / 1000 + 60)) \
		env "${envs[@]}" "$SPAWN" --sequence "$BENCH_FRESH_N" --budget-ms "$BENCH_FRESH_BUDGET_MS" \
		--skip "$FRESH_SKIP" --prefix "f$$-$fault-$res" --suffix wild.dnsf.test "${pre[@]}" \
		-- "$lookup" --expect 192.0.2.70 >"$CELL.kv" 2>"$CELL.err"
	rc=$?
	t1=$(now_ms)
	cell_finish "$RAW/fresh.$fault.$res.kv" "$fault" "$res" "$opts" "$rc" "$t0" "$t1" \
		"budget_ms=$BENCH_FRESH_BUDGET_MS"
}

# fresh_pairs: BENCH_FRESH_PAIRS alternating runs without and with the preload of
# /bin/true, a numeric getent ahosts and one DNS lookup, healthy servers;
# writes $RAW/fresh.pairs.WHAT.kv
fresh_pairs() {
	local what rc getent
	local -a cmd
	getent=$(command -v getent) || die "getent is not on PATH"
	CELL=$W/fresh/pairs
	fault_modes healthy
	fresh_conf "$CELL.conf" hedge "$CELL.state"
	cell_start ""
	for what in true numeric dns; do
		case $what in
		true) cmd=(/bin/true) ;;
		numeric) cmd=("$getent" ahosts 127.0.0.1) ;;
		dns) cmd=("$getent" ahosts www.dnsf.test) ;;
		esac
		in_fresh_ns "$CELL.etc" timeout -k 5 300 env "DNSFAILOVER_CONF=$CELL.conf" \
			"$SPAWN" --runs "$BENCH_FRESH_PAIRS" --warmup 10 --preload "$(dnsf_preload)" \
			-- "${cmd[@]}" >"$CELL.$what.kv" 2>"$CELL.$what.err"
		rc=$?
		{
			echo "pair=$what"
			echo "command=${cmd[*]}"
			echo "exit=$rc"
			cat "$CELL.$what.kv"
		} >"$RAW/fresh.pairs.$what.kv"
		if [ "$rc" != 0 ]; then
			echo "bench: fresh: pairs $what: exit $rc" >&2
			sed 's/^/bench:   /' "$CELL.$what.err" | head -n 5 >&2
		fi
		printf '  pairs      %-9s\n' "$what" >&2
	done
	fd_stop_all
}

bench_fresh() {
	local f r musl_status conf_how
	local -a files=()
	out "" "## Fresh processes" ""
	rm -f "$RAW"/fresh.*.kv   # no figure from an earlier run
	mkdir -p "$W/fresh"
	spawn_tool
	FRESH_STATE_KEY=0
	if "$DNSF_BUILD/dnsfailover" keys 2>/dev/null | cut -f1 | grep -qx state_dir; then
		FRESH_STATE_KEY=1
		conf_how="\`strategy\` and \`state_dir\` (a new empty directory per cell; other keys default)"
	else
		conf_how="only \`strategy\` (other keys default; this build has no \`state_dir\` key: every process learns alone)"
	fi
	# musl: the same client, linked static against Debian's musl-tools; skipped
	# with one line where that is missing.
	FRESH_MUSL=$OUTDIR/fresh_lookup.musl
	if ! command -v musl-gcc >/dev/null; then
		musl_status="not measured: musl-gcc is missing (Debian: apt-get install musl-tools)"
	elif ! musl-gcc -static -O2 -Wall -Wextra -Werror -o "$FRESH_MUSL" \
		"$DNSF_ROOT/tests/tools/fresh_lookup.c" 2>"$W/musl-cc.err"; then
		musl_status="not measured: musl-gcc failed: $(head -n 1 "$W/musl-cc.err")"
	else
		musl_status="musl $(dpkg-query -W -f='${Version}' musl 2>/dev/null || echo '?')"
	fi
	case $musl_status in not*) echo "bench: fresh: musl $musl_status" >&2 ;; esac
	echo "bench: fresh: $BENCH_FRESH_N processes per cell (no new one after $((BENCH_FRESH_BUDGET_MS / 1000)) s):" >&2
	for f in "${FRESH_FAULTS[@]}"; do
		for r in "${FRESH_RESOLVERS[@]}"; do
			if [ "$r" = musl ] && [[ $musl_status == not* ]]; then continue; fi
			fresh_cell "$f" "$r"
			files+=("$RAW/fresh.$f.$r.kv")
		done
	done
	echo "bench: fresh: $BENCH_FRESH_PAIRS pairs without and with the preload:" >&2
	fresh_pairs
	"$DNSF_PYTHON" -I "$DNSF_ROOT/tests/bench_report.py" fresh "$musl_status" "${files[@]}" \
		"$RAW"/fresh.pairs.{true,numeric,dns}.kv | tee -a "$RESULTS"
	out "" "How: for each cell, fresh fault proxies and one mount namespace with a private" \
		"/etc (resolv.conf \`nameserver $PRIMARY\`, \`nameserver $SECONDARY\`, the fixtures' hosts," \
		"\`hosts: files dns\`) and an empty tmpfs over /run, so every cell starts from empty" \
		"state; in it, up to $BENCH_FRESH_N processes one after the other" \
		"(tests/tools/bench_spawn.c --sequence, built static$SPAWN_NOTE), each one" \
		"tests/tools/fresh_lookup.c: one getaddrinfo of a new name" \
		"(\`fNNN-FAULT-RESOLVER-0001.wild.dnsf.test\` ..., NSD's wildcard, A 192.0.2.70, no AAAA)" \
		"with \`getent ahosts\`'s hints (AF_UNSPEC, AI_V4MAPPED | AI_ADDRCONFIG | AI_CANONNAME)," \
		"which must return 192.0.2.70.  Per process: wall time from fork to wait4, peak RSS from" \
		"wait4's ru_maxrss; medians and p90 nearest-rank.  **after learning** is the median of" \
		"processes $((FRESH_SKIP + 1))..N (the last $((BENCH_FRESH_N - FRESH_SKIP)) when all ran): what a process pays once" \
		"earlier ones could have taught it.  No process starts after $((BENCH_FRESH_BUDGET_MS / 1000)) s in a cell, so" \
		"a cell whose processes take a second or more runs fewer (marked *).  Resolvers: glibc 2.36 alone with" \
		"default options (timeout 5 s, attempts 2); glibc t1 with \`options timeout:1 attempts:1\`;" \
		"musl static = the same client linked with \`musl-gcc -static\` ($musl_status);" \
		"hedge/race/sequence = glibc's client with the shim preloaded and a config file holding" \
		"$conf_how.  The primary is a faultdns proxy" \
		"in front of NSD: blackhole (dead), delay=300 (slow) or pass (healthy); the secondary" \
		"is a pass proxy.  Queries: received by the primary's proxy in the whole cell (faultdns" \
		"stats), and per process." \
		"" \
		"Preload pairs: in one such namespace with healthy servers, $BENCH_FRESH_PAIRS pairs of runs" \
		"(tests/tools/bench_spawn.c), each a run without and a run with" \
		"\`LD_PRELOAD=$(basename "$DNSF_LIB")\` (config: \`strategy = \"hedge\"\`), after 10 warm-up pairs;" \
		"wall time from fork to wait4.  The paired difference is the preloaded run minus the plain" \
		"run just before it; the targets (issue 13) are judged on its median."
}

# ---------------------------------------------------------------- main

if [ "$(id -u)" != 0 ]; then
	die "must run as root (mount namespaces for a private resolv.conf; port 53 on 127.53.0.x)"
fi
unshare -m --propagation private true 2>/dev/null || die "unshare -m fails here; cannot run"
[ -f "$DNSF_LIB" ] || die "$DNSF_LIB is missing (run: make bench)"
for t in benchlookup faultdns cache_bench fresh_lookup; do
	[ -x "$TOOLS/$t" ] || die "$TOOLS/$t is missing (run: make bench)"
done
command -v nsd >/dev/null || die "nsd is not installed (run tests/deps.sh)"
shim_is_loaded || die "the shim does not load under LD_PRELOAD: $DNSF_LIB"

if [ $# -gt 0 ]; then SECTIONS=("$@"); fi
for s in "${SECTIONS[@]}"; do
	declare -F "bench_$s" >/dev/null || die "unknown section '$s' (known: overhead failover cache fresh)"
done

mkdir -p "$OUTDIR" "$RAW" "$W"
: >"$RESULTS"
started=$(now_ms)
out "# dnsfailover benchmark" ""
machine_info
for s in "${SECTIONS[@]}"; do
	case $s in failover | cache | fresh)
		bench_ns_start "$DNSF_NS_ADDR" "$W/nsd-$s" || die "cannot start NSD on $DNSF_NS_ADDR" ;;
	esac
	"bench_$s"
	case $s in failover | cache | fresh) bench_ns_stop ;; esac
done
out "" "Reproduce: \`make bench\` (root, Debian 12); this run took $((($(now_ms) - started) / 1000)) s." \
	"Raw per-cell data: $RAW/*.kv."
{
	echo
	echo "## Raw data"
	for f in "$RAW"/*.kv; do
		[ -f "$f" ] || continue
		echo
		echo "### ${f##*/}"
		echo '```'
		cat "$f"
		echo '```'
	done
} >>"$RESULTS"
echo "bench: written to $RESULTS" >&2
