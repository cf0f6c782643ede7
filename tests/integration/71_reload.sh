#!/usr/bin/env bash
# 71_reload: a running process picks up a changed config file (issue 5, "Reload").
#
# The client (tests/tools/cli_lookup_loop.py, under the shim) resolves a new name under the
# fixture wildcard *.wild.dnsf.test every 200 ms, so no cache or memo hides which server it
# asks. Its stderr carries its own "lookup ..." lines and the shim's debug log (the config
# says target "stderr"), in order. The shim's servers are two pass-mode faultdns proxies in
# front of NSD, A and B, whose query counters are independent evidence of where queries go;
# glibc's private resolv.conf names NSD itself, so a lookup passed through to libc reaches
# neither proxy and still succeeds.
#
# The file is rewritten while the client runs (the shim looks at its mtime at most every
# 3 s, so each change must show within 5 s):
#   A -> B           rewritten in place, same inode and size (only the mtime differs):
#                    queries move to B and stop at A
#   B -> syntax err  replaced by rename: one error message naming FILE:LINE, where the last
#                    good file sent the log (stderr here); the process keeps its last good
#                    config (issue 14: a broken file never turns failover off), so every
#                    lookup still asks B and succeeds; the message is not repeated while
#                    the file stays the same
#   err -> A         fixed: back to the shim, queries at A
#   enabled = false  pass-through again ("reloaded: passing through"), no queries sent
#   enabled = true   back to the shim, queries at B
# and, in processes that start with a broken file or with enabled = false, fixing or
# enabling the file must bring the shim in too; a process that starts with a broken file
# has no log.target, so its message goes to syslog, not to its stderr.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd "$DNSF_PYTHON"
require_tool faultdns
require_lib
LOOP=$DNSF_ROOT/tests/tools/cli_lookup_loop.py
WILD_ADDR=192.0.2.70
RELOAD_MS=5000         # CONFIG_CHECK_MS is 3000, plus a lookup interval and slack

sr_ns_start
fl_init
fl_proxy A 127.53.0.2 pass
fl_proxy B 127.53.0.3 pass
SA=${FL_SRV[A]} SB=${FL_SRV[B]}
ETC=$(sr_etc good "$DNSF_NS_ADDR")
STOP=$DNSF_TMP/stop
dnsf_on_exit "touch '$STOP'"   # every client ends within 200 ms of this

# conf_text SERVER [LINE...]: a valid config asking SERVER only, debug log to stderr.
conf_text() {
	local s=$1
	shift
	printf '%s\n' "# 71_reload" "nameservers = [ \"$s\" ];" \
		'log: { level = "debug"; target = "stderr"; };' "$@"
}
# put_inplace FILE: stdin written over FILE (truncate and write: same inode), with one
# write(2), so the shim can hardly catch the file half-written.
put_inplace() {
	local text
	text=$(cat)
	printf '%s\n' "$text" >"$1"
}
# put_rename FILE: stdin written to FILE.new, renamed over FILE (a new inode).
put_rename() {
	cat >"$1.new"
	mv -f "$1.new" "$1"
}

# start_client LOG CONF: the loop under the shim, DNSFAILOVER_CONF=CONF, stdout and stderr
# appended to LOG (O_APPEND, so the test's own MARK lines land in order too).
start_client() {
	local log=$1 conf=$2
	local -a e
	mapfile -t e < <(dnsf_shim_env)
	: >"$log"
	if [ -n "$DNSF_LOCK_FD" ]; then
		in_private_etc "$ETC" env "${e[@]}" "DNSFAILOVER_CONF=$conf" \
			"$DNSF_PYTHON" -I "$LOOP" 0.2 "$STOP" 300 </dev/null >>"$log" 2>&1 {DNSF_LOCK_FD}>&- &
	else
		in_private_etc "$ETC" env "${e[@]}" "DNSFAILOVER_CONF=$conf" \
			"$DNSF_PYTHON" -I "$LOOP" 0.2 "$STOP" 300 </dev/null >>"$log" 2>&1 &
	fi
	dnsf_track_pid $!
}

# mark LOG LABEL: append "MARK LABEL" to LOG; print its line number.
mark() {
	echo "MARK $2" >>"$1"
	grep -n -m 1 -xF "MARK $2" "$1" | cut -d: -f1
}
# wait_line LOG AFTER ERE [TIMEOUT_MS]: the number of the first line after line AFTER that
# matches ERE, once it exists (0 after TIMEOUT_MS, default RELOAD_MS).
wait_line() {
	local log=$1 after=$2 re=$3 t_end n
	t_end=$(($(now_ms) + ${4:-$RELOAD_MS}))
	while :; do
		n=$(awk -v a="$after" -v re="$re" 'NR > a && $0 ~ re { print NR; exit }' "$log")
		if [ -n "$n" ]; then
			echo "$n"
			return 0
		fi
		if [ "$(now_ms)" -ge "$t_end" ]; then
			echo 0
			return 1
		fi
		sleep 0.05
	done
}
# lookups LOG AFTER N: wait (up to N * 200 ms + 3 s) until N lookup lines follow line
# AFTER; set N_AT to the number of the Nth. If they never come (the client died or hung),
# that is a failure of its own, and N_AT is the log's last line.
N_AT=0
lookups() {
	local log=$1 after=$2 n=$3 t_end k
	t_end=$(($(now_ms) + n * 200 + 3000))
	while :; do
		k=$(awk -v a="$after" -v n="$n" 'NR > a && /^lookup / { if (++c == n) { print NR; exit } }' "$log")
		if [ -n "$k" ]; then
			N_AT=$k
			return 0
		fi
		if [ "$(now_ms)" -ge "$t_end" ]; then
			not_ok "the client made fewer than $n lookups after line $after of ${log##*/} in $((n * 200 + 3000)) ms"
			show "$log" "$after"
			N_AT=$(grep -c '' "$log")
			return 1
		fi
		sleep 0.05
	done
}
# count LOG FROM TO ERE: lines FROM < n <= TO matching ERE.
count() { awk -v a="$2" -v b="$3" -v re="$4" 'NR > a && NR <= b && $0 ~ re { c++ } END { print c + 0 }' "$1"; }
# bad_lookups LOG FROM TO: lookup lines in FROM < n <= TO that did not get WILD_ADDR.
bad_lookups() { awk -v a="$2" -v b="$3" -v w="$WILD_ADDR" 'NR > a && NR <= b && /^lookup / && $4 != w { c++ } END { print c + 0 }' "$1"; }
# queries NAME: proxy NAME's query counter now.
queries() {
	fl_stats "$1" || bail "faultdns $1 wrote no stats"
	fl_stat "$1" queries
}
# show LOG FROM: the log from line FROM on, as diagnostics.
show() { awk -v a="$2" 'NR > a' "$1" | head -n 12 | sed 's/^/#   log: /'; }

ask_a="debug: ask $SA for "
ask_b="debug: ask $SB for "
ask_any="debug: ask "

# ---------------------------------------------------------------- the main client

CONF=$DNSF_TMP/reload.conf
LOG=$DNSF_TMP/client.log
conf_text "$SA" | put_rename "$CONF"
start_client "$LOG" "$CONF"
lookups "$LOG" 0 3 || bail "the client did not start"
n=$N_AT
assert_eq "0|0" "$(count "$LOG" 0 "$n" "$ask_b")|$(bad_lookups "$LOG" 0 "$n")" \
	"config A: the first lookups succeed and B is never asked"
assert_eq 3 "$(count "$LOG" 0 "$n" "${ask_a}[0-9]+-[1-3]\\.wild\\.dnsf\\.test type 1 ")" \
	"config A: each of the first 3 lookups asked A"

# --- A -> B, in place. The two configs differ only in the server's digits, so the inode
# and the size stay the same: only the mtime tells the change.
sleep 0.3
before=$(stat -c '%i %s' "$CONF")
m=$(mark "$LOG" to-B)
t0=$(now_ms)
conf_text "$SB" | put_inplace "$CONF"
assert_eq "$before" "$(stat -c '%i %s' "$CONF")" "A -> B: the rewrite kept inode and size (only the mtime changed)"
first_b=$(wait_line "$LOG" "$m" "$ask_b")
dt=$(($(now_ms) - t0))
if [ "$first_b" -gt 0 ]; then
	ok "A -> B: queries reach B $dt ms after the file changed (<= $RELOAD_MS)"
else
	not_ok "A -> B: no query reached B within $RELOAD_MS ms of the change"
	show "$LOG" "$m"
fi
assert_contains "$(awk -v a="$m" 'NR > a' "$LOG")" "info: configuration $CONF reloaded: enabled" \
	"A -> B: the reload is logged at info level"
qa=$(queries A) qb=$(queries B)
# The first lookup line after first_b is that query's own lookup; 4 more start after the
# counters were read.
lookups "$LOG" "$first_b" 6
n=$N_AT
assert_eq "0|0" "$(count "$LOG" "$first_b" "$n" "$ask_a")|$(bad_lookups "$LOG" "$m" "$n")" \
	"A -> B: after the first query to B, none to A; every lookup succeeded"
assert_eq 6 "$(count "$LOG" $((first_b - 1)) "$n" "$ask_b")" "A -> B: 6 lookups from then on, each asked B"
qa2=$(queries A) qb2=$(queries B)
assert_eq "$qa" "$qa2" "A -> B: proxy A's counter stays at $qa"
if [ $((qb2 - qb)) -ge 4 ]; then ok "A -> B: proxy B counted $((qb2 - qb)) more queries (>= 4)"
else not_ok "A -> B: proxy B counted only $((qb2 - qb)) more queries (want >= 4)"; fi

# --- B -> a syntax error (line 4), by rename.
m=$(mark "$LOG" to-broken)
t0=$(now_ms)
{ conf_text "$SA"; echo 'attempts = = 2;'; } | put_rename "$CONF"
err_re="^dnsfailover\[[0-9]+\]: error: $CONF:4: syntax error"
errl=$(wait_line "$LOG" "$m" "$err_re")
dt=$(($(now_ms) - t0))
if [ "$errl" -gt 0 ]; then
	ok "B -> broken: the error message names $CONF:4, $dt ms after the change"
else
	not_ok "B -> broken: no message '$err_re' within $RELOAD_MS ms"
	show "$LOG" "$m"
fi
diag "B -> broken: $(sed -n "${errl}p" "$LOG")"
assert_contains "$(sed -n "${errl}p" "$LOG")" "keeping the configuration read before it" \
	"B -> broken: the message says the process keeps its last good config"
qa=$(queries A) qb=$(queries B)
# Past one more file check (3 s), so a repeated message would show.
lookups "$LOG" "$errl" 17
n=$N_AT
assert_eq "17|0|0" "$(count "$LOG" "$errl" "$n" "$ask_b")|$(count "$LOG" "$errl" "$n" "$ask_a")|$(bad_lookups "$LOG" "$errl" "$n")" \
	"broken: 17 lookups after the message, each asked B (the last good config), never A, and every one succeeded"
qb2=$(queries B)
assert_eq "$qa" "$(queries A)" "broken: proxy A saw no query"
if [ $((qb2 - qb)) -ge 10 ]; then ok "broken: proxy B counted $((qb2 - qb)) more queries (>= 10)"
else not_ok "broken: proxy B counted only $((qb2 - qb)) more queries (want >= 10)"; fi
assert_eq 1 "$(count "$LOG" 0 "$n" ': error: ')" "broken: exactly one error message, not one per check"

# --- broken -> fixed (config A, in place).
m=$(mark "$LOG" to-fixed)
t0=$(now_ms)
conf_text "$SA" | put_inplace "$CONF"
first_a=$(wait_line "$LOG" "$m" "$ask_a")
dt=$(($(now_ms) - t0))
if [ "$first_a" -gt 0 ]; then
	ok "broken -> fixed: back to the shim, queries reach A $dt ms after the fix"
else
	not_ok "broken -> fixed: no query reached A within $RELOAD_MS ms of the fix"
	show "$LOG" "$m"
fi
lookups "$LOG" "$first_a" 3
n=$N_AT
assert_eq "3|0|0" "$(count "$LOG" $((first_a - 1)) "$n" "$ask_a")|$(count "$LOG" "$first_a" "$n" "$ask_b")|$(bad_lookups "$LOG" "$m" "$n")" \
	"fixed: the next 3 lookups asked A (no longer B) and succeeded"

# --- enabled = false by reload.
m=$(mark "$LOG" to-disabled)
conf_text "$SA" 'enabled = false;' | put_rename "$CONF"
off=$(wait_line "$LOG" "$m" "info: configuration $CONF reloaded: passing through")
if [ "$off" -gt 0 ]; then ok "enabled = false: the reload says 'passing through'"
else not_ok "enabled = false: no 'reloaded: passing through' within $RELOAD_MS ms"; show "$LOG" "$m"; fi
qa=$(queries A) qb=$(queries B)
lookups "$LOG" "$off" 5
n=$N_AT
assert_eq "0|0" "$(count "$LOG" "$off" "$n" "$ask_any")|$(bad_lookups "$LOG" "$m" "$n")" \
	"enabled = false: 5 lookups, no query from the shim (debug log still on), all succeeded"
assert_eq "$qa|$qb" "$(queries A)|$(queries B)" "enabled = false: neither proxy saw a query"
assert_eq 0 "$(count "$LOG" "$m" "$n" ': error: ')" "enabled = false: no error message"

# --- enabled = true again, with B.
m=$(mark "$LOG" to-enabled)
conf_text "$SB" 'enabled = true;' | put_rename "$CONF"
on=$(wait_line "$LOG" "$m" "$ask_b")
if [ "$on" -gt 0 ]; then ok "enabled = true: back to the shim, queries reach B"
else not_ok "enabled = true: no query reached B within $RELOAD_MS ms"; show "$LOG" "$m"; fi
lookups "$LOG" "$on" 2
n=$N_AT
assert_eq "0|0" "$(count "$LOG" "$on" "$n" "$ask_a")|$(bad_lookups "$LOG" "$m" "$n")" \
	"enabled = true: no query to A, all lookups succeeded"
assert_eq 0 "$(bad_lookups "$LOG" 0 "$(grep -c '' "$LOG")")" "main client: not one lookup failed"

# ---------------------------------------------------------------- processes that start disabled
# The same files, but present when the process starts: a broken file, and enabled = false.
# Fixing (enabling) the file later must bring the shim in, as it does for a process that
# saw a good file first.
CB=$DNSF_TMP/startbroken.conf LB=$DNSF_TMP/startbroken.log
CD=$DNSF_TMP/startdisabled.conf LD=$DNSF_TMP/startdisabled.log
{ conf_text "$SA"; echo 'strategy = ;'; } | put_rename "$CB"
conf_text "$SA" 'enabled = false;' | put_rename "$CD"
start_client "$LB" "$CB"
start_client "$LD" "$CD"
lookups "$LB" 0 3
nb=$N_AT
lookups "$LD" 0 3
nd=$N_AT
assert_eq "0|0|0" "$(count "$LB" 0 "$nb" "dnsfailover")|$(count "$LB" 0 "$nb" "$ask_any")|$(bad_lookups "$LB" 0 "$nb")" \
	"started broken: nothing of the shim's on stderr (no log.target yet), no query from the shim, lookups succeed"
assert_eq "0|0" "$(count "$LD" 0 "$nd" "$ask_any")|$(bad_lookups "$LD" 0 "$nd")" \
	"started with enabled = false: no query from the shim, lookups succeed"
mb=$(mark "$LB" fixed)
md=$(mark "$LD" enabled)
t0=$(now_ms)
conf_text "$SB" | put_rename "$CB"
conf_text "$SB" 'enabled = true;' | put_rename "$CD"
fb=$(wait_line "$LB" "$mb" "$ask_b")
fd=$(wait_line "$LD" "$md" "$ask_b" $((RELOAD_MS - ($(now_ms) - t0))))
if [ "$fb" -gt 0 ]; then ok "started broken, then fixed: the shim takes over (queries reach B)"
else
	not_ok "started broken, then fixed: still passing through $RELOAD_MS ms after the fix (no query reached B)"
	show "$LB" "$mb"
fi
if [ "$fd" -gt 0 ]; then ok "started with enabled = false, then enabled: the shim takes over (queries reach B)"
else
	not_ok "started with enabled = false, then enabled: still passing through $RELOAD_MS ms later (no query reached B)"
	show "$LD" "$md"
fi

finish
