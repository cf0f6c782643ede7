#!/usr/bin/env bash
# 73_log_operators: log lines an operator can find (issue 14, item 5).
#
#   syslog tag       every line reaches /dev/log (a sink bound in a private mount namespace)
#                    as "<PRI>Mmm dd hh:mm:ss dnsfailover: PROG[PID]: LEVEL: ...", the RFC 3164
#                    header glibc's syslog sends, whose tag journald takes as
#                    SYSLOG_IDENTIFIER (journalctl -t dnsfailover); the host program's own
#                    ident is untouched: a python program that called openlog("myprog")
#                    logs as "myprog" before and after dnsfailover's lines (the library
#                    used syslog(3), so its lines carried the program's tag and the journal
#                    filed them under it)
#   events at warn   a server marked down, a server up again (was info: an outage's end was
#                    invisible at the default level), every server failing a query, and a
#                    stale answer served (was info), all at the default level warn
#   rate limit       per kind and subject at most one line per 10 s: a flapping primary
#                    (down, up, down, up, down, up inside the window) writes one down and one
#                    up line at once, and after the window the latest of the suppressed ones
#                    with their count, so the log's last word says the server is up; ten
#                    lookups failing with stale answers write one line of each kind, then one
#                    with the count
#   rotation         a file target survives logrotate's rename (the process opens the path
#                    again within a second and the new file gets the lines; before, they kept
#                    going to the renamed file) and copytruncate (lines start at offset 0 of
#                    the truncated file, no hole)
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

sr_ns_start
sr_syslog_start
fl_init
fl_proxy P 127.53.0.5 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
NS=$DNSF_NS_ADDR:53
PS=${FL_SRV[P]}
O=$DNSF_TMP/out E=$DNSF_TMP/err
STEPS=("$DNSF_PYTHON" -I "$DNSF_ROOT/tests/tools/log_steps.py")
show() { for f in "$O" "$E" "$SR_SINK"; do [ -f "$f" ] && sed "s|^|#   ${f##*/}: |" "$f" | head -n 25; done; }
sunk() { grep -cE -- "$1" "$SR_SINK" || true; }
# The RFC 3164 header with our tag, and python3's name and a pid in the message.
HDR='^<28>[A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] dnsfailover: python3\[[0-9]+\]: warn: '
rx() { printf '%s' "$1" | sed 's/[.[]/\\&/g'; }
# wait_file FILE: until FILE exists (10 s at most).
wait_file() {
	local i
	for ((i = 0; i < 500; i++)); do [ -e "$1" ] && return 0; sleep 0.02; done
	return 1
}
# wait_sunk ERE: until the sink has a line matching ERE (15 s at most).
wait_sunk() {
	local i
	for ((i = 0; i < 300; i++)); do [ "$(sunk "$1")" -gt 0 ] && return 0; sleep 0.05; done
	return 1
}
# start_steps ETC CONF STEP...: log_steps.py under the shim in the background, the sink as
# /dev/log; STEPS_PID.
start_steps() {
	local etc=$1 c=$2
	shift 2
	sr_shim_syslog "$etc" "$c" "${STEPS[@]}" "$@" >"$O" 2>"$E" &
	STEPS_PID=$!
	dnsf_track_pid "$STEPS_PID"
}
end_steps() {
	wait "$STEPS_PID"
	dnsf_untrack_pid "$STEPS_PID"
}

# ---------------------------------------------------------------- the tag, the host's ident

C=$(sr_conf tag <<EOF2
nameservers = [ "$PS", "$NS" ];
health: { fail_threshold = 1; };
EOF2
)
sr_timed "$O" "$E" sr_shim_syslog "$GOOD" "$C" "${STEPS[@]}" openlog:myprog syslog:before \
	gai:t1.wild.dnsf.test syslog:after
sr_syslog_wait
assert_eq "0|gai t1.wild.dnsf.test 192.0.2.70" "$SR_RC|$(cat "$O")" "tag: the lookup answered"
assert_eq 1 "$(sunk "${HDR}server $(rx "$PS") marked down after 1 consecutive failures$")" \
	"tag: 'dnsfailover: python3[PID]: warn: server ... marked down', daemon.warning (<28>), RFC 3164 header"
assert_eq 0 "$(sunk 'myprog: .*dnsfailover|myprog\[')" "tag: no dnsfailover line carries the program's ident"
assert_eq "1|1" "$(sunk '^<12>[A-Z][a-z]{2} [ 123][0-9] [0-9:]{8} myprog: before$')|$(sunk '^<12>.* myprog: after$')" \
	"tag: the program's own lines keep its ident 'myprog', before and after ours (no openlog of ours)"
order=$(awk '/ myprog: before$/ { b = NR } / dnsfailover: python3/ && !d { d = NR } / myprog: after$/ { a = NR }
	END { print (b < d && d < a) ? "ok" : "bad" }' "$SR_SINK")
assert_eq ok "$order" "tag: the sink saw before, ours, after, in that order"
[ "$order" = ok ] || show
# journald takes SYSLOG_IDENTIFIER from the tag: what follows the header up to ':' or '['.
ident=$(grep -m1 'marked down' "$SR_SINK" | sed -E 's/^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} //' |
	cut -d: -f1 | cut -d'[' -f1)
assert_eq dnsfailover "$ident" "tag: the identifier journald would file it under is 'dnsfailover'"
assert_eq "" "$(cat "$E")" "tag: nothing on stderr"

# ---------------------------------------------------------------- down, up, flapping

C=$(sr_conf flap <<EOF2
nameservers = [ "$PS", "$NS" ];
health: { fail_threshold = 1; probe_interval_ms = 100; };
cache: { enabled = false; };
EOF2
)
STOP=$DNSF_TMP/flap.stop
fl_setmode P blackhole
start_steps "$GOOD" "$C" "loop:wild.dnsf.test:$STOP"
DOWN="${HDR}server $(rx "$PS") marked down after 1 consecutive failures"
UP="${HDR}server $(rx "$PS") is up again: it answers \(was down\)"
wait_sunk "$DOWN" || not_ok "flap: no down line within 15 s"
t0=$(now_ms)
fl_setmode P pass
wait_sunk "$UP" || not_ok "flap: no up line within 15 s"
assert_eq "1|1" "$(sunk "$DOWN")|$(sunk "$UP")" "flap: the primary marked down and up again, both at warn (<28>)"
for i in 1 2; do
	fl_setmode P blackhole
	sleep 1
	fl_setmode P pass
	sleep 1
done
t1=$(now_ms)
if [ $((t1 - t0)) -lt 9000 ]; then
	assert_eq "1|1" "$(sunk "$DOWN")|$(sunk "$UP")" \
		"flap: two more flaps inside the 10 s window write nothing yet ($((t1 - t0)) ms)"
else
	diag "flap: the flaps took $((t1 - t0)) ms (loaded machine?); not judging the window"
fi
# The window ends 10 s after the first lines; the next lookup writes the latest.
wait_sunk "${DOWN} \(2 times in the last 10 s\)$" || true
wait_sunk "${UP} \(2 times in the last 10 s\)$" || true
touch "$STOP"
end_steps
assert_eq "1|1" "$(sunk "${DOWN} \(2 times in the last 10 s\)$")|$(sunk "${UP} \(2 times in the last 10 s\)$")" \
	"flap: after the window, one down and one up line with the count (2 times in the last 10 s)"
last=$(grep -E "$(rx "$PS") (marked down|is up again)" "$SR_SINK" | tail -n 1)
assert_contains "$last" "is up again" "flap: the log's last word on the primary is that it is up"
[ "$(sunk "$DOWN")" = 2 ] || show

# ---------------------------------------------------------------- every server failing, stale

: >"$SR_SINK"
C=$(sr_conf stale <<EOF2
nameservers = [ "$PS" ];
timeout_ms = 150; attempts = 1; deadline_ms = 400;
cache: { max_ttl = 1; serve_stale = true; };
EOF2
)
fl_setmode P pass
names=() again=()
for i in $(seq 1 10); do names+=("gai:s$i.wild.dnsf.test"); done
GO=$DNSF_TMP/stale.go HERE=$DNSF_TMP/stale.here
start_steps "$GOOD" "$C" "${names[@]}" "touch:$HERE" "wait:$GO" "${names[@]}" sleep:10.5 \
	gai:s11.wild.dnsf.test
wait_file "$HERE" || not_ok "stale: the first round did not finish"
fl_setmode P blackhole
sleep 1.2
touch "$GO"
end_steps
assert_eq "20|1" "$(grep -c ' 192\.0\.2\.70$' "$O")|$(grep -c '^gai s11\.wild\.dnsf\.test error' "$O")" \
	"stale: 10 names answered, then 10 stale answers served; a name never cached fails" || show
FAILED="${HDR}every server failed for s[0-9]+\.wild\.dnsf\.test type 1 \(timeout\): $(rx "$PS")"
STALE="${HDR}s[0-9]+\.wild\.dnsf\.test type 1: every server failed; serving a stale answer \(RFC 8767\)"
assert_eq "1|1" "$(sunk "${FAILED}$")|$(sunk "${STALE}$")" \
	"stale: ten failing lookups inside 10 s: one 'every server failed' and one 'serving a stale answer' line, at warn"
assert_eq "1|1" "$(sunk "${FAILED} \(9 times in the last 10 s\)$")|$(sunk "${STALE} \(9 times in the last 10 s\)$")" \
	"stale: after the window, the next lookup writes the latest of each with the count (9 times)"

# ---------------------------------------------------------------- rotation of a file target

LOGF=$DNSF_TMP/rot.log
C=$(sr_conf rot <<EOF2
log: { level = "debug"; target = "$LOGF"; };
EOF2
)
STOP=$DNSF_TMP/rot.stop
rm -f "$LOGF"*
start_steps "$GOOD" "$C" "loop:wild.dnsf.test:$STOP"
wait_file "$LOGF" || not_ok "rotation: no log file"
sleep 0.5
mv "$LOGF" "$LOGF.1"                       # logrotate's default: rename, then create
: >"$LOGF"
chmod 640 "$LOGF"
sleep 1.5
n1=$(grep -c 'debug: ask' "$LOGF.1")
sleep 1
n1b=$(grep -c 'debug: ask' "$LOGF.1")
nnew=$(grep -c 'debug: ask' "$LOGF")
if [ "$nnew" -ge 5 ] && [ "$n1" = "$n1b" ]; then
	ok "rotation (rename + create): the new file gets the lines ($nnew asks), the renamed one no more ($n1)"
else
	not_ok "rotation (rename + create): new file $nnew asks (want >= 5); renamed file $n1 then $n1b (want unchanged)"
fi
mv "$LOGF" "$LOGF.2"                       # nocreate: the process creates the file itself
sleep 1.5
assert_eq yes "$([ -f "$LOGF" ] && [ "$(grep -c 'debug: ask' "$LOGF")" -ge 3 ] && echo yes || echo no)" \
	"rotation (rename, no create): the process creates the file again and writes there"
cp "$LOGF" "$LOGF.3"                       # copytruncate
: >"$LOGF"
sleep 1
first=$(head -c 11 "$LOGF" | tr -d '\0')
assert_eq "dnsfailover" "$first" "rotation (copytruncate): lines start at offset 0 of the truncated file (O_APPEND, no hole)"
touch "$STOP"
end_steps
finish
