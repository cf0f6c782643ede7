# shellcheck shell=bash
# tests/lib/common.sh -- sourced by every integration test (tests/integration/NN_name.sh).
#
# Provides paths (DNSF_ROOT DNSF_BUILD DNSF_LIB TOOLS DNSF_FIXTURES DNSF_TMP), ways to run
# programs with and without the shim, the test nameserver (NSD on 127.53.0.1), private
# resolver files through mount namespaces, and TAP-like assertions.
#
# Rules every test follows (tests/README.md): loopback only; every process we start is
# recorded and stopped by its PID on exit; the real /etc files are never modified (they
# are only bind-mounted over inside `unshare -m`).
#
# A script that is meaningful under valgrind (it runs its programs through dnsf_run)
# says so with a line "# dnsf-valgrind: yes"; `tests/run.sh valgrind` runs only those.

# SC2016: the sh -c scripts below are single-quoted on purpose.
# SC2034: variables here are used by the scripts that source this file.
# SC2119/SC2120: ns_stop's argument is optional.
# shellcheck disable=SC2016,SC2034,SC2119,SC2120

set -u

DNSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DNSF_BUILD=${DNSF_BUILD:-$DNSF_ROOT/build}
case $DNSF_BUILD in /*) ;; *) DNSF_BUILD=$DNSF_ROOT/$DNSF_BUILD ;; esac
DNSF_LIB=$DNSF_BUILD/libdnsfailover.so
TOOLS=$DNSF_BUILD/tests
DNSF_FIXTURES=$DNSF_ROOT/tests/fixtures
# Debian's python3 (tests/deps.sh installs it): a pyenv shim in PATH costs ~200 ms a start.
if [ -z "${DNSF_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then DNSF_PYTHON=/usr/bin/python3; else DNSF_PYTHON=python3; fi
fi
DNSF_NS_ADDR=127.53.0.1          # the healthy test nameserver
export DNSF_ROOT DNSF_BUILD DNSF_LIB TOOLS DNSF_FIXTURES

# Host settings that change glibc's or the shim's behaviour must not leak into tests;
# a test that wants one sets it explicitly. (DNSFAILOVER_LOG is kept: it only adds logs.)
unset LOCALDOMAIN RES_OPTIONS HOSTALIASES DNSFAILOVER_CONF DNSFAILOVER_DISABLE

DNSF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dnsf-test.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
DNSF_FAILS=0
DNSF_PIDS=()             # background processes to stop on exit (by PID)
DNSF_EXIT_HOOKS=()       # commands (strings, eval'ed) to run on exit, last first
declare -A DNSF_NS_PID=() DNSF_NS_DIR=()

# ---------------------------------------------------------------- process control

# dnsf_pid_alive PID: true while PID exists and is not a zombie.
dnsf_pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

# dnsf_pid_ppid PID: its parent PID (empty if it is gone).
dnsf_pid_ppid() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	stat=${stat#* }
	echo "${stat%% *}"
}

# dnsf_stop_pid PID [--any]: SIGTERM, wait up to 5 s, then SIGKILL; reap it.
# Only a child of this shell is signalled (a PID we recorded may have exited and been
# reused by some other process); --any lifts that for processes our children forked.
dnsf_stop_pid() {
	local pid=$1 any=${2:-} i ppid
	if dnsf_pid_alive "$pid"; then
		ppid=$(dnsf_pid_ppid "$pid")
		if [ "$any" != --any ] && [ "$ppid" != "$$" ] && [ "$ppid" != "$BASHPID" ]; then
			echo "# not stopping pid $pid: not our child any more (parent $ppid)" >&2
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			dnsf_pid_alive "$pid" || break
			sleep 0.1
		done
		if dnsf_pid_alive "$pid"; then
			echo "# pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# dnsf_track_pid PID: stop PID when the test exits (for fault proxies and the like).
# It must be a child of the test's shell (see dnsf_spawn).
dnsf_track_pid() { DNSF_PIDS+=("$1"); }

# dnsf_untrack_pid PID: forget PID (after stopping it yourself).
dnsf_untrack_pid() {
	local i
	for i in "${!DNSF_PIDS[@]}"; do
		if [ "${DNSF_PIDS[i]}" = "$1" ]; then unset "DNSF_PIDS[i]"; fi
	done
}

# dnsf_on_exit 'COMMAND': run COMMAND when the test exits (before processes are stopped).
dnsf_on_exit() { DNSF_EXIT_HOOKS+=("$1"); }

dnsf_cleanup() {
	local rc=$? i
	trap - EXIT
	for ((i = ${#DNSF_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${DNSF_EXIT_HOOKS[i]}" || true
	done
	ns_stop >/dev/null 2>&1 || true
	local -a pids=("${DNSF_PIDS[@]}")
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		dnsf_stop_pid "${pids[i]}"
	done
	if [ "${DNSF_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $DNSF_TMP" >&2
	else
		rm -rf "$DNSF_TMP"
	fi
	exit "$rc"
}
trap dnsf_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- assertions

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	DNSF_FAILS=$((DNSF_FAILS + 1))
}
diag() { echo "# $*"; }
# skip REASON: the whole test is skipped (exit 77).
skip() {
	echo "skip - $*"
	exit 77
}
# bail REASON: the test cannot go on; it fails.
bail() {
	echo "Bail out! $*"
	exit 1
}

# assert_eq EXPECTED ACTUAL MSG
assert_eq() {
	if [ "$1" == "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		printf '%s\n' "expected:" "$1" | sed 's/^/#   /'
		printf '%s\n' "actual:" "$2" | sed 's/^/#   /'
	fi
}

# assert_contains HAYSTACK NEEDLE MSG   (fixed-string match)
assert_contains() {
	if [[ "$1" == *"$2"* ]]; then
		ok "$3"
	else
		not_ok "$3"
		printf '%s\n' "expected to contain: $2" "in:" "$1" | sed 's/^/#   /'
	fi
}

# assert_not_contains HAYSTACK NEEDLE MSG
assert_not_contains() {
	if [[ "$1" != *"$2"* ]]; then
		ok "$3"
	else
		not_ok "$3"
		printf '%s\n' "expected NOT to contain: $2" "in:" "$1" | sed 's/^/#   /'
	fi
}

# now_ms: wall clock in milliseconds (no fork).
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# finish: exit 1 if any assertion failed, else 0.
finish() {
	if ((DNSF_FAILS > 0)); then
		echo "# $DNSF_FAILS assertion(s) failed"
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------- one test at a time

# Every integration test uses the same fixed loopback addresses (127.53.0.x:53), so two
# tests (say from two checkouts or two sessions) must not run at once. The lock is an
# flock on DNSF_LOCK_FILE held until the test exits; a second test waits up to
# DNSF_LOCK_TIMEOUT seconds (default 900). DNSF_NO_LOCK=1 turns this off.
DNSF_LOCK_FILE=${DNSF_LOCK_FILE:-/tmp/dnsfailover-tests.lock}
DNSF_LOCK_FD=""
# dnsf_lock_holders: the outermost other processes that have the lock file open, with
# their command lines (for the waiting message).
dnsf_lock_holders() {
	local fd pid p pp
	local -A open=()
	for fd in /proc/[0-9]*/fd/*; do
		if [ "$(readlink "$fd" 2>/dev/null)" = "$DNSF_LOCK_FILE" ]; then
			pid=${fd#/proc/}
			open[${pid%%/*}]=1
		fi
	done
	for p in "${!open[@]}"; do
		if [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ]; then continue; fi
		pp=$(dnsf_pid_ppid "$p")
		if [ -n "$pp" ] && [ -n "${open[$pp]:-}" ]; then continue; fi
		printf '%s (%s) ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)"
	done
}
# A script run by a test that holds the lock shares it (DNSF_LOCK_HELD is exported).
if [ "${DNSF_NO_LOCK:-0}" != 1 ] && [ -z "${DNSF_LOCK_HELD:-}" ] && command -v flock >/dev/null; then
	exec {DNSF_LOCK_FD}>>"$DNSF_LOCK_FILE"
	if ! flock -n "$DNSF_LOCK_FD"; then
		echo "# another dnsfailover test holds $DNSF_LOCK_FILE: $(dnsf_lock_holders)- waiting" >&2
		if ! flock -w "${DNSF_LOCK_TIMEOUT:-900}" "$DNSF_LOCK_FD"; then
			bail "gave up waiting for $DNSF_LOCK_FILE, held by $(dnsf_lock_holders)"
		fi
	fi
	export DNSF_LOCK_HELD=$$
fi

# dnsf_spawn LOG CMD...: start CMD in the background (stdin /dev/null, stdout and stderr
# to LOG, without the lock's file descriptor), stop it on exit; its PID is in
# DNSF_SPAWNED_PID. Use this for fault proxies and other helpers.
DNSF_SPAWNED_PID=""
dnsf_spawn() {
	local log=$1
	shift
	if [ -n "$DNSF_LOCK_FD" ]; then
		"$@" </dev/null >"$log" 2>&1 {DNSF_LOCK_FD}>&- &
	else
		"$@" </dev/null >"$log" 2>&1 &
	fi
	DNSF_SPAWNED_PID=$!
	dnsf_track_pid "$DNSF_SPAWNED_PID"
}

# ---------------------------------------------------------------- requirements

# require_root: skip (77) unless we are root and may create mount namespaces.
require_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root (mount namespaces, port 53 on 127.53.0.x)"
	fi
	if ! unshare -m --propagation private true 2>/dev/null; then
		skip "unshare -m fails here (no mount namespaces in this container?)"
	fi
}

# require_cmd CMD...: skip (77) if a command is missing.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed (run tests/deps.sh)"
	done
}

# require_tool NAME: the path of a built test program ($TOOLS/NAME); fail if absent.
require_tool() {
	[ -x "$TOOLS/$1" ] || bail "$TOOLS/$1 is not built (run: make tools)"
}

# require_lib: the shim itself must be built.
require_lib() {
	[ -f "$DNSF_LIB" ] || bail "$DNSF_LIB is not built (run: make)"
}

# ---------------------------------------------------------------- running programs

# dnsf_preload: the LD_PRELOAD value for the shim (with the ASan runtime first, or the
# TSan runtime right after the shim, when asked). TSan's getaddrinfo interceptor ignores
# every memory access made inside it; with the runtime first, the whole of the shim's
# getaddrinfo hook would run inside it, unseen.
dnsf_preload() {
	local p=$DNSF_LIB
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
		p="$(gcc -print-file-name=libasan.so):$p"
	elif [[ ${DNSF_SANITIZER:-} == *thread* ]]; then
		p="$p:$(gcc -print-file-name=libtsan.so)"
	fi
	if [ -n "${LD_PRELOAD:-}" ]; then
		p="$p:$LD_PRELOAD"
	fi
	printf '%s' "$p"
}

# dnsf_shim_env: prints NAME=VALUE words for `env` (used by with_shim and by scripts
# that build their own command lines).
dnsf_shim_env() {
	printf '%s\n' "LD_PRELOAD=$(dnsf_preload)"
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
		printf '%s\n' "ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:verify_asan_link_order=0}"
	fi
}

# with_shim CMD...: run CMD with the shim preloaded.
with_shim() {
	local -a e
	mapfile -t e < <(dnsf_shim_env)
	env "${e[@]}" "$@"
}

# without_shim CMD...: run CMD plainly (glibc alone).
without_shim() { "$@"; }

DNSF_VALGRIND_CMD=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q)

# dnsf_run CMD...: like with_shim, but under valgrind when DNSF_VALGRIND=1
# (exit status 99 means valgrind found errors).
dnsf_run() {
	if [ "${DNSF_VALGRIND:-0}" = 1 ]; then
		with_shim "${DNSF_VALGRIND_CMD[@]}" "$@"
	else
		with_shim "$@"
	fi
}

# shim_is_loaded: true if a program started with with_shim really maps the library
# (ld.so silently ignores an LD_PRELOAD it cannot load).
shim_is_loaded() {
	[ -f "$DNSF_LIB" ] || return 1
	with_shim cat /proc/self/maps 2>/dev/null | grep -qF "$DNSF_LIB"
}

# ---------------------------------------------------------------- private /etc files

# dnsf_private_mounts SRC DST [SRC DST]... -- CMD...
# Runs CMD in a new mount namespace (private propagation) in which each SRC is
# bind-mounted over DST. The host's files are untouched. Also, inside the namespace:
# nscd's socket directory is hidden (nscd would answer from the host's resolv.conf),
# and an existing /etc/dnsfailover.conf is masked by an empty file unless
# DNSF_KEEP_SYSTEM_CONF=1, so the shim sees the defaults.
dnsf_private_mounts() {
	local -a pairs=()
	while (($#)) && [ "$1" != -- ]; do
		[ $# -ge 2 ] || bail "dnsf_private_mounts: odd SRC DST list"
		[ -e "$1" ] || bail "dnsf_private_mounts: $1 does not exist"
		[ -e "$2" ] || bail "dnsf_private_mounts: $2 does not exist (cannot bind over it)"
		pairs+=("$1" "$2")
		shift 2
	done
	[ "${1:-}" = -- ] || bail "dnsf_private_mounts: missing --"
	shift
	if [ -e /etc/dnsfailover.conf ] && [ "${DNSF_KEEP_SYSTEM_CONF:-0}" != 1 ]; then
		: >"$DNSF_TMP/empty-dnsfailover.conf"
		pairs+=("$DNSF_TMP/empty-dnsfailover.conf" /etc/dnsfailover.conf)
	fi
	local nscd=""
	local d
	for d in /run/nscd /var/run/nscd; do
		if [ -S "$d/socket" ]; then nscd=$d; fi
	done
	unshare -m --propagation private sh -c '
		nscd=$1; shift
		if [ -n "$nscd" ]; then
			mount -t tmpfs dnsf-no-nscd "$nscd" || { echo "in_private: cannot hide $nscd" >&2; exit 125; }
		fi
		while [ "$1" != -- ]; do
			mount --bind "$1" "$2" || { echo "in_private: cannot bind $1 over $2" >&2; exit 125; }
			shift 2
		done
		shift
		exec "$@"' dnsf-private "$nscd" "${pairs[@]}" -- "$@"
}

# in_private_resolv RESOLV_FILE CMD...: CMD sees RESOLV_FILE as /etc/resolv.conf.
in_private_resolv() {
	local r=$1
	shift
	dnsf_private_mounts "$r" /etc/resolv.conf -- "$@"
}

# in_private_files RESOLV_FILE HOSTS_FILE CMD...: also a private /etc/hosts.
in_private_files() {
	local r=$1 h=$2
	shift 2
	dnsf_private_mounts "$r" /etc/resolv.conf "$h" /etc/hosts -- "$@"
}

# in_private_etc DIR CMD...: every file DIR/NAME is bind-mounted over /etc/NAME
# (e.g. resolv.conf, hosts, nsswitch.conf, gai.conf, host.conf, dnsfailover.conf --
# the last only if /etc/dnsfailover.conf exists; otherwise use DNSFAILOVER_CONF).
in_private_etc() {
	local dir=$1 f
	shift
	local -a pairs=()
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		pairs+=("$f" "/etc/${f##*/}")
	done
	dnsf_private_mounts "${pairs[@]}" -- "$@"
}

# make_resolv FILE NS [NS...] [--search "a b"] [--domain D] [--options "o1 o2"]
# Writes a resolv.conf. Nameservers must be loopback addresses (the network rule).
make_resolv() {
	local f=$1 ns search="" domain="" options=""
	shift
	local -a servers=()
	while (($#)); do
		case $1 in
		--search) search=$2; shift 2 ;;
		--domain) domain=$2; shift 2 ;;
		--options) options=$2; shift 2 ;;
		*) servers+=("$1"); shift ;;
		esac
	done
	for ns in "${servers[@]}"; do
		case $ns in
		127.*|::1) ;;
		*) bail "make_resolv: $ns is not a loopback address (tests use loopback only)" ;;
		esac
	done
	{
		echo "# written by tests/lib/common.sh make_resolv"
		if [ -n "$domain" ]; then echo "domain $domain"; fi
		if [ -n "$search" ]; then echo "search $search"; fi
		for ns in "${servers[@]}"; do echo "nameserver $ns"; done
		if [ -n "$options" ]; then echo "options $options"; fi
	} >"$f"
}

# make_etc DIR NS [NS...] [make_resolv options]: a directory for in_private_etc with
# resolv.conf (from the arguments), and the fixtures' hosts and nsswitch.conf
# ("hosts: files dns", so the host's mdns/resolve/myhostname modules stay out).
make_etc() {
	local dir=$1
	shift
	mkdir -p "$dir"
	make_resolv "$dir/resolv.conf" "$@"
	cp "$DNSF_FIXTURES/hosts" "$dir/hosts"
	cp "$DNSF_FIXTURES/nsswitch.conf" "$dir/nsswitch.conf"
}

# ---------------------------------------------------------------- the test nameserver

# dnsq ARGS...: tests/lib/dnsq.py (one query to an explicit server; see its header).
# Put -- before a NAME that starts with "-".
dnsq() { "$DNSF_PYTHON" -I "$DNSF_ROOT/tests/lib/dnsq.py" "$@"; }

# nsd_write_conf FILE DIR ADDR PORT [ZONE=ZONEFILE...]: an NSD config serving the
# fixture zones (plus the extra ones) on ADDR:PORT, with its state files in DIR.
# Shared by ns_start, tests/tools/bench_nsd.sh and tests/tools/cache_lib.sh.
nsd_write_conf() {
	local file=$1 dir=$2 addr=$3 port=$4 ip4=yes ip6=no z extra
	shift 4
	case $addr in ::1) ip4=no ip6=yes ;; esac
	{
		echo "server:"
		echo "	ip-address: $addr@$port"
		echo "	port: $port"
		echo "	do-ip4: $ip4"
		echo "	do-ip6: $ip6"
		echo '	username: ""'
		echo '	chroot: ""'
		echo '	database: ""'
		echo "	zonelistfile: \"$dir/zone.list\""
		echo "	xfrdfile: \"$dir/xfrd.state\""
		echo "	xfrdir: \"$dir\""
		echo "	pidfile: \"$dir/nsd.pid\""
		echo "	logfile: \"$dir/nsd.log\""
		echo "	zonesdir: \"$DNSF_FIXTURES\""
		echo "	verbosity: 0"
		echo "	hide-version: yes"
		echo "	server-count: 1"
		echo "	tcp-count: 256"
		echo "	tcp-timeout: 10"
		echo "	round-robin: no"
		echo "	reuseport: no"
		echo "	refuse-any: no"
		echo "	zonefiles-write: 0"
		# Debian's NSD rate-limits responses (RRL, 200/s per /24 and class);
		# tests send far more from 127/8, and dropped replies would look like
		# server faults.
		echo "	rrl-ratelimit: 0"
		echo "	rrl-whitelist-ratelimit: 0"
		echo "remote-control:"
		echo "	control-enable: no"
		printf 'zone:\n\tname: "."\n\tzonefile: "%s"\n' "$DNSF_FIXTURES/root.zone"
		for z in dnsf.test other.test 2.0.192.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$DNSF_FIXTURES/$z.zone"
		done
		for extra in "$@"; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "${extra%%=*}" "${extra#*=}"
		done
	} >"$file"
}

# ns_start [ADDR [PORT]]: start NSD serving tests/fixtures on ADDR (default 127.53.0.1)
# port PORT (default 53), wait until it answers, record its PID. Fails the test if
# NSD does not come up. Its directory (config, log) is ${DNSF_NS_DIR[ADDR]}.
ns_start() {
	local addr=${1:-$DNSF_NS_ADDR} port=${2:-53}
	local dir pid
	command -v nsd >/dev/null || bail "nsd is not installed (run tests/deps.sh)"
	case $addr in
	127.* | ::1) ;;
	*) bail "ns_start: $addr is not a loopback address" ;;
	esac
	if [ -n "${DNSF_NS_PID[$addr]:-}" ]; then
		bail "ns_start: a nameserver is already running on $addr"
	fi
	if dnsq -s "$addr" -p "$port" -t 0.3 www.dnsf.test A >/dev/null 2>&1; then
		ss -Hlunp "sport = :$port" 2>/dev/null | sed 's/^/#   /'
		bail "something already answers DNS on $addr port $port (a leftover nsd? see above)"
	fi
	dir=$(mktemp -d "$DNSF_TMP/nsd.XXXXXX")
	nsd_write_conf "$dir/nsd.conf" "$dir" "$addr" "$port"
	if ! nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.out" 2>&1; then
		sed 's/^/#   /' "$dir/checkconf.out"
		bail "nsd-checkconf rejected $dir/nsd.conf"
	fi
	dnsf_spawn "$dir/nsd.out" nsd -d -c "$dir/nsd.conf"
	pid=$DNSF_SPAWNED_PID
	DNSF_NS_PID[$addr]=$pid
	DNSF_NS_DIR[$addr]=$dir
	if ! dnsq -s "$addr" -p "$port" --wait 10 www.dnsf.test A >"$dir/ready.out" 2>&1 ||
		! grep -q '^rcode=NOERROR' "$dir/ready.out" || ! dnsf_pid_alive "$pid"; then
		sed 's/^/#   /' "$dir/ready.out" "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null
		bail "nsd on $addr port $port did not answer within 10 s"
	fi
	return 0
}

# ns_pid [ADDR]: the PID of the NSD started on ADDR.
ns_pid() { echo "${DNSF_NS_PID[${1:-$DNSF_NS_ADDR}]:-}"; }

# dnsf_descendants PID: the PIDs of PID's children, grandchildren, ...
dnsf_descendants() {
	local k
	for k in $(pgrep -P "$1" 2>/dev/null); do
		echo "$k"
		dnsf_descendants "$k"
	done
}

# ns_stop [ADDR]: stop the NSD on ADDR (all of them without ADDR), children included.
ns_stop() {
	local addr pid kids k
	local -a addrs
	if [ $# -gt 0 ]; then addrs=("$1"); else addrs=("${!DNSF_NS_PID[@]}"); fi
	for addr in "${addrs[@]}"; do
		pid=${DNSF_NS_PID[$addr]:-}
		[ -n "$pid" ] || continue
		# NSD forks: the PID we started becomes "nsd: xfrd", its child "nsd: main"
		# forks "nsd: server 1". Note them all so none can outlive the parent.
		kids=$(dnsf_descendants "$pid")
		dnsf_stop_pid "$pid"
		for k in $kids; do
			if dnsf_pid_alive "$k"; then dnsf_stop_pid "$k" --any; fi
		done
		dnsf_untrack_pid "$pid"
		unset "DNSF_NS_PID[$addr]"
	done
}
