# shellcheck shell=bash
# tests/lib/procs.sh -- the processes a test starts, and those it leaves behind.
# Sourced by tests/lib/common.sh (every test) and by tests/run.sh (which sweeps after
# each test); it needs nothing but bash and /proc.
#
# Every process started under a test carries the test's tag in its environment:
# DNSF_PROC_TAGS is a space-separated list, one tag per level (tests/run.sh adds one for
# each test it runs, common.sh one for the test itself). A process inherits the list
# however it was started: by the test's shell, a subshell, a helper library or a program
# the test ran. So whatever still carries a test's tag once that test is over was left
# behind by it, and is stopped by its PID. This holds where a PID list cannot: for servers
# started in a subshell, and after the test's shell was killed (SIGKILL, a signal it does
# not trap) before its own cleanup ran.
#
# /proc/PID/environ is the environment PID was started with: the test's own shell, which
# adds its tag after it started, never matches that tag.

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

# dnsf_pid_cmdline PID: its command line, at most 160 characters ("?" if it is gone).
dnsf_pid_cmdline() {
	local -a argv
	mapfile -d "" -t argv 2>/dev/null <"/proc/$1/cmdline" || { echo "?"; return 0; }
	local s="${argv[*]}"
	echo "${s:0:160}"
}

# dnsf_read_tags PID: DNSF_PID_TAGS = the DNSF_PROC_TAGS that PID was started with (empty
# if none). No fork: the sweep reads every process's environment.
DNSF_PID_TAGS=""
dnsf_read_tags() {
	local -a env
	local e
	DNSF_PID_TAGS=""
	mapfile -d "" -t env 2>/dev/null <"/proc/$1/environ" || return 0
	for e in "${env[@]}"; do
		if [[ $e == DNSF_PROC_TAGS=* ]]; then
			DNSF_PID_TAGS=${e#DNSF_PROC_TAGS=}
			return 0
		fi
	done
}

# dnsf_tag_processes TAG: every process started from now on by this shell carries TAG.
dnsf_tag_processes() {
	DNSF_PROC_TAGS="${DNSF_PROC_TAGS:+$DNSF_PROC_TAGS }$1"
	export DNSF_PROC_TAGS
}

# dnsf_tagged_pids TAG: the live processes (this shell excepted) that carry TAG.
dnsf_tagged_pids() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		if [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ]; then continue; fi
		dnsf_read_tags "$pid"
		[[ " $DNSF_PID_TAGS " == *" $1 "* ]] || continue
		if dnsf_pid_alive "$pid"; then echo "$pid"; fi
	done
}

# dnsf_stop_all PID...: SIGTERM to each at once, then for each up to 5 s to go before
# SIGKILL; reaps those that are children of this shell.
dnsf_stop_all() {
	local pid i
	for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "$@"; do
		for ((i = 0; i < 500; i++)); do
			dnsf_pid_alive "$pid" || break
			sleep 0.01
		done
		if dnsf_pid_alive "$pid"; then
			echo "# pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
}

# dnsf_stop_leftovers TAG WHO: stop every process still carrying TAG by its PID
# (dnsf_stop_all), saying for each "# WHO left pid N running: CMDLINE".
# Returns 1 when there was any, 0 when there was none.
dnsf_stop_leftovers() {
	local tag=$1 who=$2 pid cmd
	local -a pids=()
	for pid in $(dnsf_tagged_pids "$tag"); do
		cmd=$(dnsf_pid_cmdline "$pid")
		case $cmd in "" | "?") continue ;; esac # it was exiting
		echo "# $who left pid $pid running: $cmd; stopping it"
		pids+=("$pid")
	done
	((${#pids[@]})) || return 0
	dnsf_stop_all "${pids[@]}" 2>&1
	return 1
}
