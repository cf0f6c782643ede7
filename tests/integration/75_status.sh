#!/usr/bin/env bash
# 75_status: `dnsfailover status`, `metrics` and `flush` (issue 14, item 3).
#
# The state directory is the default /run/dnsfailover in the test's own /run (common.sh).
#
# Part 1, the command: the health files are written by core_shwriter (tests/tools), which
# calls shstate as the library does: the primary 127.53.0.2 marked down, the secondary
# 127.53.0.1 answering in 0.42 ms, and a process publishing its counters under a name with
# a quote and a backslash (escaping). Checked:
#   - no state directory: status and metrics exit 1 and say why, servers listed unknown;
#     flush exits 1 with a clear message; with state_dir = "" too;
#   - status --json: the primary "down", the secondary "up" with its RTT, the process with
#     its counters; the text form says the same;
#   - metrics parse (tests/tools/prom_parse.py: a strict parser of the text format), with
#     server="ADDRESS" labels, _total counters, the process's name round-tripped;
#   - flush: root's reaches a root process and a user's (nobody) process; nobody's flush
#     reaches nobody's process only; a user's status sees its own file and root's, root's
#     status every user's.
# Part 2, the library (the case "library: a dead primary in status, and flush"): a long-
# running python3 under the shim resolving through a blackholed primary; status shows the
# primary down and the python process live; metrics parse; a flush makes it ask the server
# again for a name it had cached. It runs once the library shares health (a health file
# appears after its lookups); until then it is skipped with a message.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd runuser "$DNSF_PYTHON"
require_tool faultdns
require_tool core_shwriter
require_lib
[ -n "${DNSF_PRIVATE_RUN:-}" ] || skip "no private /run for this test (common.sh could not mount one)"

STATE=/run/dnsfailover
PARSE=$DNSF_ROOT/tests/tools/prom_parse.py
# Programs and files nobody must reach: a world-readable directory of the test's own.
PUB=$(mktemp -d /tmp/dnsf-status.XXXXXX)
chmod 0755 "$PUB"
dnsf_on_exit "rm -rf '$PUB'"
cp "$DNSF_BUILD/dnsfailover" "$TOOLS/core_shwriter" "$PUB/"
CLI=$PUB/dnsfailover
STOP=$PUB/stop
dnsf_on_exit "touch '$STOP'"
CONF=$PUB/status.conf
printf '%s\n' '# 75_status' 'nameservers = [ "127.53.0.2", "127.53.0.1", "[::1]:5353" ];' >"$CONF"
chmod 0644 "$CONF"
O=$DNSF_TMP/out E=$DNSF_TMP/err

# json EXPR: evaluate the Python expression EXPR over the JSON object j read from $O.
json() { "$DNSF_PYTHON" -I -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$O" "$1"; }
# writer LOG ARGS...: core_shwriter on STATE (as root), waits for "ready"; pid in W_PID.
writer() {
	local log=$1 i
	shift
	dnsf_spawn "$log" "$PUB/core_shwriter" "$STATE" "$STOP" "$@"
	W_PID=$DNSF_SPAWNED_PID
	for ((i = 0; i < 100; i++)); do
		grep -qx ready "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	bail "core_shwriter did not start: $(cat "$log")"
}
# flushes LOG: the generations the writer printed, space-separated.
flushes() { awk '$1 == "flush" { printf "%s%s", s, $2; s = " " }' "$1"; }
# wait_flushes LOG N: wait up to 3 s until LOG has N flush lines.
wait_flushes() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(grep -c '^flush ' "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- no state yet
"$CLI" status --config "$CONF" >"$O" 2>"$E"
assert_eq 1 "$?" "no state dir: status exits 1"
assert_contains "$(cat "$O")" "Shared: no: state directory $STATE: does not exist" "no state dir: status says why"
assert_contains "$(cat "$O")" "Server 127.53.0.2" "no state dir: the servers are still listed"
"$CLI" status --json --config "$CONF" >"$O" 2>"$E"
assert_eq "1|False|['127.53.0.2', '127.53.0.1', '[::1]:5353']|['up', 'up', 'up']" \
	"$?|$(json 'j["shared"]')|$(json '[s["address"] for s in j["servers"]]')|$(json '[s["state"] for s in j["servers"]]')" \
	"no state dir: status --json exits 1, shared false, the servers as configured, unknown (up)"
"$CLI" metrics --config "$CONF" >"$O" 2>"$E"
assert_eq 1 "$?" "no state dir: metrics exits 1"
assert_contains "$("$DNSF_PYTHON" -I "$PARSE" <"$O")" "dnsfailover_state_shared	{}	0" "no state dir: metrics parse, state_shared 0"
"$CLI" flush --config "$CONF" >"$O" 2>"$E"
assert_eq "1|" "$?|$(cat "$O")" "no state dir: flush exits 1, nothing on stdout"
assert_contains "$(cat "$E")" "state directory $STATE: does not exist; no process shares state there" "no state dir: flush says why"
printf '%s\n' 'nameservers = [ "127.53.0.1" ];' 'state_dir = "";' >"$PUB/off.conf"
"$CLI" flush --config "$PUB/off.conf" >"$O" 2>"$E"
assert_eq 1 "$?" "state_dir = \"\": flush exits 1"
assert_contains "$(cat "$E")" "sharing is off" "state_dir = \"\": flush says sharing is off"
"$CLI" status --config "$PUB/off.conf" >"$O" 2>"$E"
assert_eq 1 "$?" "state_dir = \"\": status exits 1"
assert_contains "$(cat "$O")" "sharing off" "state_dir = \"\": status says sharing is off"

# ---------------------------------------------------------------- state written as the library does
WR=$DNSF_TMP/writer-root.log
writer "$WR" down 127.53.0.2 up 127.53.0.1 420 comm 'we"ird\name' proc
"$CLI" status --json --config "$CONF" >"$O" 2>"$E"
assert_eq "0|True" "$?|$(json 'j["shared"]')" "status --json exits 0, shared true"
assert_eq "['down', 'up', 'up']" "$(json '[s["state"] for s in j["servers"]]')" \
	"status --json: 127.53.0.2 down, 127.53.0.1 up, [::1]:5353 up (no evidence)"
assert_eq "3|0.42|[True, True, False]" \
	"$(json 'j["servers"][0]["consecutive_failures"]')|$(json 'j["servers"][1]["srtt_ms"]')|$(json '[s["known"] for s in j["servers"]]')" \
	"status --json: the primary's 3 failures, the secondary's RTT, which are known"
assert_eq "[($W_PID, 'we\"ird\\\\name', 20, 7, 3, 1, 5, 9.5)]" \
	"$(json '[(p["pid"], p["comm"], p["lookups"], p["cache_hits"], p["failovers"], p["stale_answers"], p["hedges"], p["hedge_budget"]) for p in j["processes"]]')" \
	"status --json: the live process with its counters"
assert_contains "$(json 'j["version"]')" "dnsfailover " "status --json: the version"
"$CLI" status --config "$CONF" >"$O" 2>"$E"
assert_eq 0 "$?" "status exits 0"
txt=$(cat "$O")
diag "status:"
sed 's/^/#   /' "$O"
assert_contains "$txt" "$(printf 'Server 127.53.0.2\n         State: down')" "status: the primary is down"
assert_contains "$txt" "$(printf 'Server 127.53.0.1\n         State: up')" "status: the secondary is up"
assert_contains "$txt" "Smoothed RTT: 0.4 ms" "status: the secondary's smoothed RTT"
assert_contains "$txt" "Processes: 1 live" "status: one live process"

"$CLI" metrics --config "$CONF" >"$O" 2>"$E"
assert_eq 0 "$?" "metrics exits 0"
if "$DNSF_PYTHON" -I "$PARSE" <"$O" >"$DNSF_TMP/samples" 2>"$E"; then ok "metrics: the text format parses"
else not_ok "metrics: does not parse: $(cat "$E")"; fi
samples=$(cat "$DNSF_TMP/samples")
assert_contains "$samples" 'dnsfailover_server_up	{"server": "127.53.0.2"}	0' "metrics: server_up 0 for the primary"
assert_contains "$samples" 'dnsfailover_server_up	{"server": "127.53.0.1"}	1' "metrics: server_up 1 for the secondary"
assert_contains "$samples" 'dnsfailover_server_timeouts_total	{"server": "127.53.0.2"}	3' "metrics: the primary's timeouts"
assert_contains "$samples" "dnsfailover_process_lookups_total	{\"comm\": \"we\\\"ird\\\\name\", \"pid\": \"$W_PID\", \"uid\": \"0\"}	20" \
	"metrics: the process's lookups, its name escaped and read back intact"
assert_eq "" "$(cut -f1 "$DNSF_TMP/samples" | grep -v '^dnsfailover_' | sort -u)" "metrics: every name starts with dnsfailover_"
assert_eq "" "$(awk '$1 == "#" && $2 == "TYPE" && $4 == "counter" && $3 !~ /_total$/' "$O")" "metrics: every counter ends in _total"

# ---------------------------------------------------------------- flush, per uid
# A process of nobody's, sharing state in its own file.
WN=$PUB/writer-nobody.log
: >"$WN"
chown nobody "$WN"
dnsf_spawn "$DNSF_TMP/writer-nobody.err" runuser -u nobody -- sh -c 'exec "$0" "$@" >>"'"$WN"'"' \
	"$PUB/core_shwriter" "$STATE" "$STOP" comm nobodyproc proc
for ((i = 0; i < 100; i++)); do grep -qx ready "$WN" && break; sleep 0.05; done
grep -qx ready "$WN" || bail "nobody's core_shwriter did not start: $(cat "$WN" "$DNSF_TMP/writer-nobody.err")"
wait_flushes "$WR" 1
wait_flushes "$WN" 1
r0=$(flushes "$WR") n0=$(flushes "$WN")
runuser -u nobody -- "$CLI" flush --config "$CONF" >"$O" 2>"$E"
assert_eq 0 "$?" "nobody's flush exits 0"
assert_contains "$(cat "$O")" "this user's processes drop their cached answers" "nobody's flush says whom it reaches"
wait_flushes "$WN" 2 && ok "nobody's flush reached nobody's process ($(flushes "$WN"))" ||
	not_ok "nobody's flush did not reach nobody's process within 3 s ($(flushes "$WN"))"
sleep 0.3
assert_eq "$r0" "$(flushes "$WR")" "nobody's flush did not reach root's process"
"$CLI" flush --config "$CONF" >"$O" 2>"$E"
assert_eq 0 "$?" "root's flush exits 0"
assert_contains "$(cat "$O")" "every process of this host that shares state drops" "root's flush says it reaches every process"
wait_flushes "$WR" 2 && ok "root's flush reached root's process ($(flushes "$WR"))" ||
	not_ok "root's flush did not reach root's process within 3 s"
wait_flushes "$WN" 3 && ok "root's flush reached nobody's process too ($(flushes "$WN"))" ||
	not_ok "root's flush did not reach nobody's process within 3 s ($(flushes "$WN"))"
diag "flush generations seen: root's process $(flushes "$WR"), nobody's $(flushes "$WN") (first: baseline)"

# Who sees which processes.
runuser -u nobody -- "$CLI" status --json --config "$CONF" >"$O" 2>"$E"
assert_eq "0|['nobodyproc', 'we\"ird\\\\name']" "$?|$(json 'sorted(p["comm"] for p in j["processes"])')" \
	"nobody's status: its own process and root's (root's file is readable)"
assert_eq "[0, 65534]" "$(json 'sorted(f["uid"] for f in j["files"])')" "nobody's status: root's file and its own"
"$CLI" status --json --config "$CONF" >"$O" 2>"$E"
assert_eq "['nobodyproc', 'we\"ird\\\\name']" "$(json 'sorted(p["comm"] for p in j["processes"])')" \
	"root's status: every user's processes"
touch "$STOP"
sleep 0.2
for p in "$W_PID"; do dnsf_stop_pid "$p"; dnsf_untrack_pid "$p"; done
rm -f "$STOP" "$STATE"/health-v1.*    # part 2 starts without part 1's state

# ---------------------------------------------------------------- library: a dead primary in status, and flush
sr_ns_start
sr_fault 127.53.0.2 blackhole
ETC=$(sr_etc bh 127.53.0.2 "$DNSF_NS_ADDR")
LCONF=$DNSF_TMP/lib.conf
printf '%s\n' '# 75_status, library' 'nameservers = [ "127.53.0.2", "127.53.0.1" ];' 'health: { fail_threshold = 1; };' \
	'log: { level = "debug"; target = "stderr"; };' >"$LCONF"
PYLOG=$DNSF_TMP/py.log
# The same name every 200 ms: after the first, the cache (or memo) answers, no server is
# asked, until a flush drops them.
sr_shim "$ETC" "$LCONF" "$DNSF_PYTHON" -I -c '
import os, socket, sys, time
sys.stderr.write("pid %d\n" % os.getpid()); sys.stderr.flush()
end = time.monotonic() + 60
while time.monotonic() < end and not os.path.exists(sys.argv[1]):
    socket.getaddrinfo("www.dnsf.test", None, socket.AF_INET, socket.SOCK_STREAM)
    sys.stderr.write("lookup\n"); sys.stderr.flush()
    time.sleep(0.2)
' "$STOP" </dev/null >"$PYLOG" 2>&1 &
PY=$!
dnsf_track_pid $PY
sleep 3
if ! ls "$STATE"/health-v1.0 >/dev/null 2>&1; then
	ok "# SKIP library: a dead primary in status, and flush: the library does not share health yet (no $STATE/health-v1.0 after its lookups; issue 13's wiring enables this case)"
else
	pypid=$(awk '$1 == "pid" { print $2; exit }' "$PYLOG")
	# A process publishes its counters once it has lived 2 s, then about once a second
	# (the memo's once-a-second check does it for a process the memo answers): wait up
	# to 5 s more for it to show, rather than guess a sleep.
	listed() {
		"$CLI" status --json --config "$LCONF" >"$O" 2>"$E"
		json '[p["pid"] for p in j["processes"]]' | grep -qw "$pypid"
	}
	dnsf_wait_until 5000 listed
	"$CLI" status --json --config "$LCONF" >"$O" 2>"$E"
	assert_eq "0|down|up" "$?|$(json 'j["servers"][0]["state"]')|$(json 'j["servers"][1]["state"]')" \
		"library: status --json shows the blackholed primary down, the secondary up"
	assert_contains "$(json '[p["pid"] for p in j["processes"]]')" "$pypid" "library: the python3 process ($pypid) is live in status"
	"$CLI" metrics --config "$LCONF" >"$O" 2>"$E"
	if "$DNSF_PYTHON" -I "$PARSE" <"$O" >/dev/null 2>"$E"; then ok "library: metrics parse"
	else not_ok "library: metrics do not parse: $(cat "$E")"; fi
	before=$(grep -c 'debug: ask ' "$PYLOG")
	sleep 1
	assert_eq "$before" "$(grep -c 'debug: ask ' "$PYLOG")" "library: the name is cached (no server asked for 1 s)"
	"$CLI" flush --config "$LCONF" >"$O" 2>"$E"
	assert_eq 0 "$?" "library: flush exits 0"
	for ((i = 0; i < 60; i++)); do
		[ "$(grep -c 'debug: ask ' "$PYLOG")" -gt "$before" ] && break
		sleep 0.05
	done
	if [ "$(grep -c 'debug: ask ' "$PYLOG")" -gt "$before" ]; then ok "library: after the flush the process asked a server again (its cache was dropped)"
	else not_ok "library: no server asked within 3 s of the flush (the cached answer stayed)"; fi
fi
touch "$STOP"
for ((i = 0; i < 40; i++)); do dnsf_pid_alive "$PY" || break; sleep 0.05; done
dnsf_stop_pid "$PY"
dnsf_untrack_pid "$PY"

finish
