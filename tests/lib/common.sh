# shellcheck shell=bash
# tests/lib/common.sh -- sourced by every integration test (tests/integration/NN_name.sh).
#
# Provides paths (DNSF_ROOT DNSF_BUILD DNSF_LIB TOOLS DNSF_FIXTURES DNSF_TMP), ways to run
# programs with and without the shim, the test nameserver (NSD on 127.53.0.1), private
# resolver files through mount namespaces, and TAP-like assertions.
#
# Rules every test follows (tests/README.md): loopback only; every process we start is
# recorded and stopped by its PID on exit, and whatever still carries the test's tag then
# is stopped too (tests/lib/procs.sh); the real /etc files are never modified (they are
# only bind-mounted over inside `unshare -m`).
#
# A script that is meaningful under valgrind (it runs its programs through dnsf_run)
# says so with a line "# dnsf-valgrind: yes"; `tests/run.sh valgrind` runs only those.

# SC2016: the sh -c scripts below are single-quoted on purpose.
# SC2034: variables here are used by the scripts that source this file.
# SC2119/SC2120: ns_stop's argument is optional.
# shellcheck disable=SC2016,SC2034,SC2119,SC2120

set -u

# Each test gets a /run of its own: a tmpfs over /run in a mount namespace of the test's
# (the script re-runs itself there, once; scripts it starts inherit it). The library
# shares server health under state_dir, /run/dnsfailover by default, and root's processes
# create that directory: so tests share no health with each other and never write this
# machine's /run. The tmpfs also hides nscd's socket, which the shim must never reach.
if [ -z "${DNSF_PRIVATE_RUN:-}" ] && [ "$(id -u)" = 0 ] &&
	unshare -m --propagation private true 2>/dev/null; then
	export DNSF_PRIVATE_RUN=$$
	exec unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 dnsf-run /run && exec "$@"' dnsf-run bash "$0" "$@"
fi

DNSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/procs.sh
. "$DNSF_ROOT/tests/lib/procs.sh"
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
# Every process this test starts, however it is started, carries this tag
# (tests/lib/procs.sh).
DNSF_TAG=${0##*/}:$$
dnsf_tag_processes "$DNSF_TAG"
# The test's own stdout, for the lines that must reach it from inside a redirection or a
# subshell (bail, the exit cleanup). Programs the test starts through dnsf_spawn do not
# inherit it.
exec {DNSF_TAP_FD}>&1
DNSF_FAILS=0
DNSF_PIDS=()             # background processes to stop on exit (by PID)
DNSF_EXIT_HOOKS=()       # commands (strings, eval'ed) to run on exit, last first
declare -A DNSF_NS_PID=() DNSF_NS_DIR=()

# ---------------------------------------------------------------- process control

# dnsf_pid_alive and dnsf_pid_ppid: tests/lib/procs.sh.

# dnsf_stop_pid PID [--any]: SIGTERM, wait up to 5 s, then SIGKILL; reap it.
# Only a child of this shell is signalled (a PID we recorded may have exited and been
# reused by some other process); --any lifts that for processes our children forked.
dnsf_stop_pid() {
	local pid=$1 any=${2:-} ppid
	if dnsf_pid_alive "$pid"; then
		ppid=$(dnsf_pid_ppid "$pid")
		if [ "$any" != --any ] && [ "$ppid" != "$$" ] && [ "$ppid" != "$BASHPID" ]; then
			echo "# not stopping pid $pid: not our child any more (parent $ppid)" >&2
			return 0
		fi
	fi
	dnsf_stop_all "$pid"
	return 0
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

# The exit cleanup runs wherever the test exits, perhaps inside a redirection (a bail in
# `f >file`): its own messages go to the test's stdout. Nothing may cut it short: an exit
# hook that writes to a client which has died gets EPIPE, not a SIGPIPE that would kill
# the shell before the servers are stopped.
dnsf_cleanup() {
	local rc=$? i
	trap - EXIT
	trap '' PIPE INT TERM HUP USR1
	for ((i = ${#DNSF_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${DNSF_EXIT_HOOKS[i]}" || true
	done
	ns_stop >/dev/null 2>&1 || true
	local -a pids=("${DNSF_PIDS[@]}")
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		dnsf_stop_pid "${pids[i]}" 2>&"$DNSF_TAP_FD"
	done
	# What no list knew of: servers started in a subshell, their children.
	dnsf_stop_leftovers "$DNSF_TAG" "the test" >&"$DNSF_TAP_FD" || true
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
# SIGPIPE comes from writing to a FIFO whose reader died (a client the test talks to):
# say so, and end through the cleanup.
trap 'echo "Bail out! SIGPIPE: the test wrote to a pipe nobody reads (did a program it talks to die?)" >&"$DNSF_TAP_FD"; exit 141' PIPE
# A bail in a subshell ends the test too (see bail).
trap 'exit 1' USR1

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
# bail REASON: the test cannot go on; it fails. The line goes to the test's stdout even
# from inside a redirection or a command substitution; in a subshell, bail also ends the
# test's own shell (SIGUSR1), whose cleanup then stops what the test started.
bail() {
	echo "Bail out! $*" >&"$DNSF_TAP_FD"
	if [ "$BASHPID" != "$$" ]; then kill -USR1 "$$" 2>/dev/null; fi
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
	(
		if [ -n "$DNSF_LOCK_FD" ]; then exec {DNSF_LOCK_FD}>&-; fi
		exec {DNSF_TAP_FD}>&- </dev/null >"$log" 2>&1
		if declare -F "$1" >/dev/null; then "$@"; else exec "$@"; fi
	) &
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
# A DST that does not exist (a minimal Debian has no /etc/hosts, and a dangling
# /etc/resolv.conf symlink is common) is created first, inside the namespace only: its
# directory gets an overlay whose upper layer is a tmpfs of that namespace, so the
# host's directory is never written and nothing is left to remove. (A private copy of
# /etc bound over /etc would do too, but would cost a copy of /etc per call.)
dnsf_private_mounts() {
	local -a pairs=()
	while (($#)) && [ "$1" != -- ]; do
		[ $# -ge 2 ] || bail "dnsf_private_mounts: odd SRC DST list"
		[ -e "$1" ] || bail "dnsf_private_mounts: $1 does not exist"
		[ -d "${2%/*}/" ] || bail "dnsf_private_mounts: ${2%/*} is not a directory (cannot put $2 there)"
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
	[ -d "$DNSF_TMP/.overlay" ] || mkdir "$DNSF_TMP/.overlay"
	unshare -m --propagation private sh -c '
		nscd=$1 ovl=$2 n=0 done=" "
		shift 2
		if [ -n "$nscd" ]; then
			mount -t tmpfs dnsf-no-nscd "$nscd" || { echo "in_private: cannot hide $nscd" >&2; exit 125; }
		fi
		# Every overlay before the first bind: an overlay would hide a bind below it.
		for f in "$@"; do
			n=$((n + 1))
			[ "$f" = -- ] && break
			[ $((n % 2)) = 0 ] && [ ! -e "$f" ] || continue
			d=${f%/*}
			d=${d:-/}
			case $done in *" $d "*) ;; *)
				[ "$done" != " " ] || mount -t tmpfs dnsf-overlay "$ovl" ||
					{ echo "in_private: cannot mount a tmpfs on $ovl" >&2; exit 125; }
				mkdir "$ovl/u$n" "$ovl/w$n" &&
					mount -t overlay dnsf-overlay -o "lowerdir=$d,upperdir=$ovl/u$n,workdir=$ovl/w$n" "$d" ||
					{ echo "in_private: $f does not exist and an overlay on $d failed" >&2; exit 125; }
				done="$done$d "
				;;
			esac
			rm -f "$f" && : >"$f" || { echo "in_private: cannot create $f in the overlay" >&2; exit 125; }
		done
		while [ "$1" != -- ]; do
			mount --bind "$1" "$2" || { echo "in_private: cannot bind $1 over $2" >&2; exit 125; }
			shift 2
		done
		shift
		exec "$@"' dnsf-private "$nscd" "$DNSF_TMP/.overlay" "${pairs[@]}" -- "$@"
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

# etc_copy DIR: a private copy of the whole /etc in DIR, for in_etc_copy. Tools that
# replace an /etc file atomically (rename) need the directory: rename() onto a file that is
# itself a bind mount fails with EBUSY. The copy is marked so in_etc_copy can tell.
etc_copy() {
	cp -a /etc "$1" || bail "cannot copy /etc to $1"
	touch "$1/.dnsf-private-etc"
}

# in_etc_copy DIR CMD...: CMD in a mount namespace where DIR (made by etc_copy) is /etc,
# and a tmpfs is ldconfig's aux-cache directory (ldconfig writes it even with -i). Exits
# 125 without running CMD when the copy is not in place: never the machine's /etc.
in_etc_copy() {
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc || exit 125
		[ -e /etc/.dnsf-private-etc ] || { echo "private /etc not in place" >&2; exit 125; }
		mount -t tmpfs dnsf-ldconfig /var/cache/ldconfig || exit 125
		shift
		exec "$@"' in_etc_copy "$@"
}

# dnsf_asan_env: NAME=VALUE words for `env` that load the ASan runtime first under
# check-asan (nothing otherwise), for programs that get the ASan-built library without
# LD_PRELOAD naming it (through /etc/ld.so.preload, or as an NSS module).
dnsf_asan_env() {
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
		printf '%s\n' "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" \
			"ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:verify_asan_link_order=0}"
	fi
}

# make_resolv FILE NS [NS...] [--search "a b"] [--domain D] [--options "o1 o2"]
# Writes a resolv.conf. Nameservers must be loopback addresses (the network rule), or
# 0.0.0.0 or ::, which reach this host too (Linux connects them to the loopback address).
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
		127.* | ::1 | 0.0.0.0 | ::) ;;
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
	if [ -n "${DNSF_NS_PID[$addr]:-}" ]; then
		bail "ns_start: a nameserver is already running on $addr"
	fi
	nsd_start "$addr" "$port" "$(mktemp -d "$DNSF_TMP/nsd.XXXXXX")" www.dnsf.test ||
		bail "nsd on $addr port $port did not start (see above)"
}

# nsd_start ADDR PORT DIR QNAME [ZONE=ZONEFILE...]: NSD serving the fixture zones (and
# the extra ones) on ADDR:PORT, its files in DIR, ready once it answers QNAME. Registered
# as ns_start's are (ns_pid, ns_stop, the exit cleanup). Returns 1, saying why in "#"
# lines, when it does not come up. Shared by ns_start, tests/tools/cache_lib.sh and
# tests/tools/bench_nsd.sh.
nsd_start() {
	local addr=$1 port=$2 dir=$3 qname=$4
	shift 4
	command -v nsd >/dev/null || bail "nsd is not installed (run tests/deps.sh)"
	case $addr in
	127.* | ::1) ;;
	*) bail "nsd_start: $addr is not a loopback address" ;;
	esac
	nsd_write_conf "$dir/nsd.conf" "$dir" "$addr" "$port" "$@"
	if ! nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.out" 2>&1; then
		sed 's/^/#   /' "$dir/checkconf.out"
		echo "# nsd-checkconf rejected $dir/nsd.conf"
		return 1
	fi
	if ! dnsf_server_start "nsd" "$addr" "$port" "dns:$qname" "$dir/nsd.out" \
		nsd -d -c "$dir/nsd.conf"; then
		sed 's/^/#   nsd.log: /' "$dir/nsd.log" 2>/dev/null
		return 1
	fi
	DNSF_NS_PID[$addr]=$DNSF_SPAWNED_PID
	DNSF_NS_DIR[$addr]=$dir
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

# dnsf_stop_tree PID: stop PID (a child of this shell) and every process it forked.
dnsf_stop_tree() {
	local pid=$1 kids k
	# NSD forks: the PID we started becomes "nsd: xfrd", its child "nsd: main" forks
	# "nsd: server 1". Note them all so none can outlive the parent.
	kids=$(dnsf_descendants "$pid")
	dnsf_stop_pid "$pid"
	for k in $kids; do
		if dnsf_pid_alive "$k"; then dnsf_stop_pid "$k" --any; fi
	done
	dnsf_untrack_pid "$pid"
}

# ns_stop [ADDR]: stop the NSD on ADDR (all of them without ADDR), children included.
ns_stop() {
	local addr pid
	local -a addrs
	if [ $# -gt 0 ]; then addrs=("$1"); else addrs=("${!DNSF_NS_PID[@]}"); fi
	for addr in "${addrs[@]}"; do
		pid=${DNSF_NS_PID[$addr]:-}
		[ -n "$pid" ] || continue
		dnsf_stop_tree "$pid"
		unset "DNSF_NS_PID[$addr]"
	done
}

# ---------------------------------------------------------------- servers

# dnsf_port_holders ADDR PORT: a "#" line for each socket bound to ADDR:PORT (or to PORT
# on every address), UDP or listening TCP, with the processes that hold it and the tests
# that started them (their tags, tests/lib/procs.sh). Nothing when the port is free.
# Needs ss (iproute2, tests/deps.sh).
dnsf_port_holders() {
	local addr=$1 port=$2 want proto local_addr users pid _
	case $addr in *:*) want="[$addr]:$port" ;; *) want="$addr:$port" ;; esac
	command -v ss >/dev/null || return 0
	while read -r proto _ _ _ local_addr _ users; do
		case $local_addr in
		"$want" | "*:$port" | "0.0.0.0:$port" | "[::]:$port") ;;
		*) continue ;;
		esac
		if [[ $users != *pid=* ]]; then
			echo "#   $proto $local_addr: held by a process this namespace cannot see"
			continue
		fi
		local -A seen=()
		while [[ $users =~ pid=([0-9]+)(.*) ]]; do
			pid=${BASH_REMATCH[1]} users=${BASH_REMATCH[2]}
			[ -z "${seen[$pid]:-}" ] || continue
			seen[$pid]=1
			dnsf_read_tags "$pid"
			echo "#   $proto $local_addr: held by pid $pid ($(dnsf_pid_cmdline "$pid"))${DNSF_PID_TAGS:+, started under $DNSF_PID_TAGS}"
		done
	done < <(ss -Hlnptu "sport = :$port" 2>/dev/null)
}

DNSF_SERVER_WAIT=${DNSF_SERVER_WAIT:-10}
# dnsf_server_start NAME ADDR PORT READY LOG CMD...: start the server CMD, which is to
# listen on ADDR:PORT, and wait up to DNSF_SERVER_WAIT seconds until it is ready; READY
# is one of
#     line:TEXT   LOG has a line TEXT (faultdns and fault_badreply print "ready")
#     dns:QNAME   ADDR:PORT answers an A query for QNAME with NOERROR (NSD)
# A port that is taken already is not tried: its holders are reported. CMD runs through
# dnsf_spawn (output to LOG, stopped on exit), its PID in DNSF_SPAWNED_PID. When it does
# not come up: "#" lines saying why (LOG, the port's holders), CMD and its children
# stopped, status 1; the caller bails, or tries another port.
dnsf_server_start() {
	local name=$1 addr=$2 port=$3 ready=$4 log=$5 holders pid t_end
	shift 5
	holders=$(dnsf_port_holders "$addr" "$port")
	if [ -n "$holders" ]; then
		echo "# $name: $addr port $port is taken:"
		printf '%s\n' "$holders"
		return 1
	fi
	dnsf_spawn "$log" "$@"
	pid=$DNSF_SPAWNED_PID
	t_end=$(($(now_ms) + DNSF_SERVER_WAIT * 1000))
	while dnsf_pid_alive "$pid" && (($(now_ms) < t_end)); do
		case $ready in
		line:*) grep -qxF -- "${ready#line:}" "$log" 2>/dev/null && return 0 ;;
		dns:*)
			dnsq -s "$addr" -p "$port" --wait 1 "${ready#dns:}" A >"$log.ready" 2>&1 &&
				grep -q '^rcode=NOERROR' "$log.ready" && dnsf_pid_alive "$pid" && return 0
			;;
		*) bail "dnsf_server_start: READY must be line:TEXT or dns:QNAME, not $ready" ;;
		esac
		sleep 0.02
	done
	if dnsf_pid_alive "$pid"; then
		echo "# $name (pid $pid) was not ready on $addr port $port after $DNSF_SERVER_WAIT s"
	else
		echo "# $name (pid $pid) exited before it was ready on $addr port $port"
	fi
	tail -n 20 "$log" "$log.ready" 2>/dev/null | sed 's/^/#   /'
	dnsf_stop_tree "$pid"
	dnsf_port_holders "$addr" "$port"
	return 1
}

# dnsf_http_start ADDR PORT DIR LOG: a static web server for DIR on ADDR:PORT (python3's
# http.server), started with dnsf_server_start. Unlike `python3 -m http.server` it does
# not look up its own address before it listens (HTTPServer.server_bind calls
# socket.getfqdn): that would ask this machine's nameservers, which the tests never do,
# and where they cannot be reached it takes 10 s (two 5 s timeouts) before the port opens.
dnsf_http_start() {
	dnsf_server_start "web server" "$1" "$2" line:ready "$4" "$DNSF_PYTHON" -I -c '
import functools, http.server, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
server = Server((sys.argv[1], int(sys.argv[2])), handler)
print("ready", flush=True)
server.serve_forever()' "$1" "$2" "$3"
}
