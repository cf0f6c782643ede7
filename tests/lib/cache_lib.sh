# shellcheck shell=bash
# tests/lib/cache_lib.sh -- shared by the cache tests tests/integration/6*_cache*.sh.
# Source it after tests/lib/common.sh.
#
# The picture:
#
#   cache_client (shim preloaded,   -->  faultdns 127.53.0.2:53  -->  NSD 127.53.0.5:53
#   private /etc, DNSFAILOVER_CONF)      (pass, counts queries;       fixture zones plus
#                                         mode switched at run time)  data/cache/cache.test.zone
#
# The proxy is the shim's only nameserver (config `nameservers`), and the private
# resolv.conf names 127.53.0.9 where nothing listens, so a lookup that reached glibc's own
# DNS module would fail instead of quietly answering. The proxy's `queries` counter is
# the proof of what the cache did: a lookup the cache answered sends nothing.
#
#   cl_ns_start                 NSD on $CL_NS (fixtures + cache.test), RRL off
#   cl_ns_start_at ADDR [ZONE=FILE...]  the same on ADDR, with extra zones
#   cl_proxy_start [MODE [ARGS...]]  faultdns on $CL_PROXY:53 in front of it
#   cl_setmode MODE             switch the proxy's mode (SIGUSR1), wait until applied
#   cl_queries                  the proxy's `queries` counter now (fresh stats)
#   cl_qmark / cl_qdelta        remember the counter / queries since the mark
#   cl_etc DIR                  private /etc: dead resolv.conf, fixture hosts + nsswitch
#   cl_conf FILE LOG [LINE...]  shim config: the proxy, sequence, timeout 300 ms,
#                               1 attempt, deadline 1000 ms (CL_TIMEOUT, CL_DEADLINE
#                               change these two), no search list, debug log to LOG
#                               (CL_LOGLEVEL changes the level; CL_NAMESERVERS, the
#                               list's quoted entries, other servers; "" resolv.conf's),
#                               stats_on_exit; LINEs appended (e.g. a cache block)
#   cl_start NAME CONF [ETC]    start tests/tools/cache_client under the shim in the
#                               private /etc ETC (default $CL_ETC)
#   cl_cmd NAME CMD...          send one command, its reply line in CL_REPLY (bails if the
#                               client does not answer within 60 s)
#   cl_get KEY [TEXT]           the value of KEY=... in TEXT (default CL_REPLY)
#   cl_at NAME MS               the client sleeps until MS ms after its mark (fails if late)
#   cl_step NAME Q RC ADDRS DESC -- CMD...   one command, checked: queries it caused, rc, addrs
#                               (ADDRS in any order: see cl_same_addrs)
#   cl_same_addrs A B           the comma lists A and B hold the same addresses, in any order
#   cl_stop NAME                quit the client and wait for it (its log is then complete)

# shellcheck source=tests/lib/faultdns_ctl.sh
. "$DNSF_ROOT/tests/lib/faultdns_ctl.sh"

CL_NS=127.53.0.5
CL_PROXY=127.53.0.2
CL_DEAD=127.53.0.9
CL_DIR=""
CL_ETC=""
CL_PROXY_PID=""
CL_QMARK=0
CL_REPLY=""
declare -A CL_IN=() CL_OUT=() CL_PID=()

cl_init() {
	require_tool cache_client
	require_tool faultdns
	CL_DIR=$DNSF_TMP/cl
	mkdir -p "$CL_DIR"
	CL_ETC=$CL_DIR/etc
	cl_etc "$CL_ETC"
	dnsf_on_exit cl_stop_all
}

cl_ns_start() { cl_ns_start_at "$CL_NS"; }

# cl_ns_start_at ADDR [ZONE=FILE...]: like ns_start (tests/lib/common.sh), plus
# tests/integration/data/cache and the extra zones.
cl_ns_start_at() {
	local addr=$1
	shift
	nsd_start "$addr" 53 "$(mktemp -d "$DNSF_TMP/nsd.XXXXXX")" ttl1.cache.test \
		cache.test="$DNSF_ROOT/tests/integration/data/cache/cache.test.zone" "$@" ||
		bail "nsd on $addr did not serve cache.test (see above)"
}

# cl_proxy_start [MODE [ARGS...]]
cl_proxy_start() {
	local mode=${1:-pass} f=$CL_DIR/proxy
	shift || true
	[ -z "$CL_PROXY_PID" ] || bail "cl_proxy_start: the proxy is already running"
	rm -f "$f".{out,err,stats}
	printf '%s\n' "$mode" >"$f.mode"
	dnsf_server_start faultdns "$CL_PROXY" 53 line:ready "$f.out" \
		"$TOOLS/faultdns" --listen "$CL_PROXY:53" --upstream "$CL_NS:53" \
		--mode "$mode" --mode-file "$f.mode" --stats "$f.stats" "$@" ||
		bail "faultdns on $CL_PROXY:53 did not start"
	CL_PROXY_PID=$DNSF_SPAWNED_PID
}

cl_proxy_stop() {
	[ -n "$CL_PROXY_PID" ] || return 0
	dnsf_stop_pid "$CL_PROXY_PID"
	dnsf_untrack_pid "$CL_PROXY_PID"
	CL_PROXY_PID=""
}

# cl_stats: a fresh stats file (SIGUSR2; waits until written).
cl_stats() {
	kill -0 "$CL_PROXY_PID" 2>/dev/null || bail "the proxy (pid $CL_PROXY_PID) is gone"
	fdc_stats "$CL_PROXY_PID" "$CL_DIR/proxy.stats" || bail "the proxy wrote no stats file"
}

# cl_stat KEY: a counter from the last stats file.
cl_stat() { fdc_stat "$CL_DIR/proxy.stats" "$1"; }

cl_queries() {
	cl_stats
	cl_stat queries
}

cl_qmark() { CL_QMARK=$(cl_queries); }
cl_qdelta() { echo $(($(cl_queries) - CL_QMARK)); }

cl_setmode() {
	fdc_setmode "$CL_PROXY_PID" "$CL_DIR/proxy.mode" "$CL_DIR/proxy.stats" "$1" ||
		bail "the proxy did not switch to mode $1"
}

# cl_etc DIR: resolv.conf naming a dead address, the fixtures' hosts and nsswitch.conf.
cl_etc() {
	make_etc "$1" "$CL_DEAD"
}

# cl_conf FILE LOG [LINE...]
cl_conf() {
	local f=$1 log=$2 s ns=${CL_NAMESERVERS-\"$CL_PROXY:53\"}
	shift 2
	{
		echo "# written by tests/lib/cache_lib.sh"
		if [ -n "$ns" ]; then echo "nameservers = [ $ns ];"; fi
		echo "strategy = \"sequence\";"
		echo "timeout_ms = ${CL_TIMEOUT:-300};"
		echo "attempts = 1;"
		echo "deadline_ms = ${CL_DEADLINE:-1000};"
		echo "search = [];"
		echo "stats_on_exit = true;"
		echo "log: { level = \"${CL_LOGLEVEL:-debug}\"; target = \"$log\"; };"
		for s in "$@"; do echo "$s"; done
	} >"$f"
}

# cl_start NAME CONF [ETC]
cl_start() {
	local name=$1 conf=$2 etc=${3:-$CL_ETC} in out fdin fdout
	local -a e
	[ -z "${CL_PID[$name]:-}" ] || bail "cl_start: client $name is already running"
	in=$CL_DIR/$name.in
	out=$CL_DIR/$name.out
	rm -f "$in" "$out"
	mkfifo "$in" "$out" || bail "mkfifo failed"
	mapfile -t e < <(dnsf_shim_env)
	if [ -n "${DNSF_LOCK_FD:-}" ]; then
		in_private_etc "$etc" env "${e[@]}" "DNSFAILOVER_CONF=$conf" "$TOOLS/cache_client" \
			<"$in" >"$out" 2>"$CL_DIR/$name.err" {DNSF_LOCK_FD}>&- &
	else
		in_private_etc "$etc" env "${e[@]}" "DNSFAILOVER_CONF=$conf" "$TOOLS/cache_client" \
			<"$in" >"$out" 2>"$CL_DIR/$name.err" &
	fi
	CL_PID[$name]=$!
	exec {fdin}>"$in"
	exec {fdout}<"$out"
	CL_IN[$name]=$fdin
	CL_OUT[$name]=$fdout
}

# cl_cmd NAME CMD...
cl_cmd() {
	local name=$1
	shift
	local fdin=${CL_IN[$name]:-} fdout=${CL_OUT[$name]:-}
	[ -n "$fdin" ] || bail "cl_cmd: no client $name"
	CL_REPLY=""
	if ! printf '%s\n' "$*" 2>/dev/null 1>&"$fdin"; then
		sed 's/^/#   stderr: /' "$CL_DIR/$name.err" | head -n 20
		bail "client $name is gone (sending: $*)"
	fi
	if ! read -r -t 60 -u "$fdout" CL_REPLY; then
		sed 's/^/#   stderr: /' "$CL_DIR/$name.err" | head -n 20
		bail "client $name did not answer '$*' within 60 s"
	fi
}

# cl_get KEY [TEXT]: the first KEY=VALUE word's value.
cl_get() {
	local text=${2-$CL_REPLY} w
	for w in $text; do
		if [[ $w == "$1="* ]]; then
			printf '%s\n' "${w#*=}"
			return 0
		fi
	done
	return 1
}

cl_stop() {
	local name=$1 pid=${CL_PID[$1]:-}
	[ -n "$pid" ] || return 0
	local fdin=${CL_IN[$name]} fdout=${CL_OUT[$name]}
	# Read its "bye": with the reading end closed first, that line would kill it with
	# SIGPIPE before its exit-time stats are logged.
	if printf 'quit\n' 2>/dev/null 1>&"$fdin"; then
		read -r -t 30 -u "$fdout" _ || true
	fi
	exec {fdin}>&- {fdout}<&-
	# EOF on stdin ends it too; a client stuck in a lookup gets up to 30 s.
	dnsf_wait_until 30000 dnsf_pid_gone "$pid" || true
	wait "$pid" 2>/dev/null
	unset "CL_PID[$name]" "CL_IN[$name]" "CL_OUT[$name]"
}

cl_stop_all() {
	local n
	for n in "${!CL_PID[@]}"; do cl_stop "$n"; done
}

# cl_log_count LOG ERE: matching lines in a client's log.
cl_log_count() { grep -cE "$2" "$1" 2>/dev/null || true; }

# cl_within MS LO HI: LO <= MS <= HI (decimals).
cl_within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; }

# cl_step CLIENT WANT_Q WANT_RC WANT_ADDRS DESC -- CMD...
# Run one client command and check the queries it caused at the proxy, the rc and the
# addresses ("*" for any of the three; with WANT_Q "*" no proxy is needed).
# The order of getaddrinfo's addresses is glibc's RFC 6724 sort, which depends on the
# routes of the network namespace the test runs in (with no route to 192.0.2.0/24 nor
# 2001:db8::/32, IPv6 sorts first; with an IPv4 route only, IPv4 does), not on the shim.
cl_same_addrs() {
	[ "$(tr , '\n' <<<"$1" | sort)" = "$(tr , '\n' <<<"$2" | sort)" ]
}

cl_step() {
	local c=$1 wq=$2 wrc=$3 wad=$4 desc=$5 q="*" rc ad
	shift 5
	[ "${1:-}" = -- ] && shift
	[ "$wq" = "*" ] || cl_qmark
	cl_cmd "$c" "$@"
	[ "$wq" = "*" ] || q=$(cl_qdelta)
	rc=$(cl_get rc) || rc="?"
	ad=$(cl_get addrs) || ad="?"
	if [ "$q" = "$wq" ] && { [ "$wrc" = "*" ] || [ "$rc" = "$wrc" ]; } &&
		{ [ "$wad" = "*" ] || cl_same_addrs "$ad" "$wad"; }; then
		if [ "$wq" = "*" ]; then ok "$desc"; else ok "$desc ($q queries)"; fi
	else
		not_ok "$desc"
		diag "  '$*': want $wq queries, rc=$wrc, addrs=$wad"
		diag "  got $q queries: $CL_REPLY"
	fi
}

# cl_at CLIENT MS: the client sleeps until MS ms after its mark. If it got there more than
# 200 ms late (a loaded machine), the time-based checks after it cannot be trusted: fail.
cl_at() {
	local late
	cl_cmd "$1" at "$2"
	late=$(cl_get late_ms) || late=0
	if [ "${late:-0}" -gt 200 ]; then
		not_ok "timing: client $1 reached t=$2 ms $late ms late; the checks that follow are unreliable"
	fi
}
