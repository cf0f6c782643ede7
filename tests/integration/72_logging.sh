#!/usr/bin/env bash
# 72_logging: where the shim's log goes, what each level lets through, and the stats line.
#
#   target file      the debug trace lands in the file (appended, one line per message,
#                    "dnsfailover[PID]: LEVEL: ..."), nothing on stderr or stdout
#   target stderr    the trace is on stderr, the program's stdout stays clean
#   levels           debug: the trace; info (not debug): "disabled for ..."; warn (not
#                    info): "server ... marked down"; error: none of these
#   DNSFAILOVER_LOG  overrides log.level in both directions and nothing else (the target
#                    stays the file); a value that is not a level is ignored
#   cache in debug   gethostbyname, then gethostbyname_r of the same name (not a repeat of
#                    one call: repeats are answered by the memo in front of the cache)
#                    asks once, then "cache hit"; a stale answer served while every
#                    server fails says so
#   stats_on_exit    exactly one "stats:" line, the last one, written at exit whatever the
#                    level, with counters that match what happened; none without the key
#   target syslog    the default: messages reach /dev/log (a sink bound in a private mount
#                    namespace) as daemon.<level>, with the default level warn letting a
#                    warning through, DNSFAILOVER_LOG=debug the trace; a broken config's
#                    message goes to syslog (daemon.err) and nowhere else: a host's stderr
#                    is written only when log.target names "stderr"
#   refused targets  each falls back to syslog, leaving the program's output and every file
#                    alone: a symlink (a root process appended through one to a 0600 file),
#                    a FIFO (opening it blocked), "stdout" and a relative path (config
#                    errors: the program's output, each process's working directory), and
#                    any file in a setuid program (AT_SECURE), which an ordinary copy of the
#                    same program does write
# (DNSFAILOVER_LOG for setuid programs is 36_config_errors.sh's.)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd "$DNSF_PYTHON"
require_tool lookup
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR")
NS=$DNSF_NS_ADDR:53
O=$DNSF_TMP/out E=$DNSF_TMP/err
SHIMLOG=$DNSF_TMP/shim.log
ASK="debug: ask $NS for www.dnsf.test type 1 "
WIN="debug: $NS: www.dnsf.test type 1 rcode 0 in "

# conf NAME LEVEL TARGET [LINE...]: a config file; prints its path.
conf() {
	local name=$1 level=$2 target=$3
	shift 3
	printf '%s\n' "log: { level = \"$level\"; target = \"$target\"; };" "$@" | sr_conf "$name"
}
# run ETC CONF [VAR=VALUE...] -- CMD...: CMD under the shim (env VARs added), stdout to $O,
# stderr to $E; the shim's log file is emptied first. DNSFAILOVER_LOG is unset unless given.
run() {
	local etc=$1 c=$2
	shift 2
	local -a vars=()
	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	rm -f "$SHIMLOG"
	sr_timed "$O" "$E" sr_shim "$etc" "$c" env -u DNSFAILOVER_LOG "${vars[@]}" "$@"
}
gh2() { echo "$TOOLS/lookup" gh www.dnsf.test -- ghr www.dnsf.test; }
logf() { cat "$SHIMLOG" 2>/dev/null; }
nlines() { grep -c -- "$2" "$1" 2>/dev/null || true; }
show() { for f in "$O" "$E" "$SHIMLOG"; do [ -f "$f" ] && sed "s|^|#   ${f##*/}: |" "$f" | head -n 15; done; }
# resolved: the last run printed www.dnsf.test's address twice.
resolved() { assert_eq "0|2" "$SR_RC|$(nlines "$O" 'h_addr=192.0.2.10')" "$1: both lookups answered"; }

# ---------------------------------------------------------------- targets

C=$(conf file debug "$SHIMLOG")
read -ra CMD <<<"$(gh2)"
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "target file"
assert_contains "$(logf)" "$ASK" "target file: the query is logged in the file"
assert_contains "$(logf)" "$WIN" "target file: the winning reply is logged in the file"
if grep -qvE '^dnsfailover\[[0-9]+\]: (error|warn|info|debug): ' "$SHIMLOG"; then
	not_ok "target file: every line is 'dnsfailover[PID]: LEVEL: message'"
	grep -vE '^dnsfailover\[[0-9]+\]: (error|warn|info|debug): ' "$SHIMLOG" | head -n 5 | sed 's/^/#   /'
else
	ok "target file: every line is 'dnsfailover[PID]: LEVEL: message' ($(grep -c '' "$SHIMLOG") lines)"
fi
assert_eq "" "$(cat "$E")" "target file: nothing on stderr"
assert_eq 0 "$(nlines "$O" dnsfailover)" "target file: nothing of the shim's on stdout"
pid1=$(sed -n 's/^dnsfailover\[\([0-9]*\)\].*/\1/p' "$SHIMLOG" | sort -u)
# A second process appends to the same file.
sr_timed "$O" "$E" sr_shim "$GOOD" "$C" env -u DNSFAILOVER_LOG "${CMD[@]}"
npids=$(sed -n 's/^dnsfailover\[\([0-9]*\)\].*/\1/p' "$SHIMLOG" | sort -u | wc -l)
assert_eq "1|2|2" "$(wc -w <<<"$pid1" | tr -d ' ')|$npids|$(nlines "$SHIMLOG" "$ASK")" \
	"target file: a second process appends (lines of 2 PIDs, 2 queries), never truncates"

C=$(conf stderr debug stderr)
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "target stderr"
assert_contains "$(cat "$E")" "$ASK" "target stderr: the query is logged on stderr"
assert_contains "$(cat "$E")" "$WIN" "target stderr: the winning reply is logged on stderr"
assert_eq 0 "$(nlines "$O" dnsfailover)" "target stderr: stdout stays clean"

# ---------------------------------------------------------------- levels and DNSFAILOVER_LOG

C=$(conf error error "$SHIMLOG")
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "level error"
assert_eq "0|" "$(nlines "$SHIMLOG" 'debug:')|$(cat "$E")" "level error: no debug line in the file, nothing on stderr"
run "$GOOD" "$C" DNSFAILOVER_LOG=debug -- "${CMD[@]}"
resolved "level error + DNSFAILOVER_LOG=debug"
assert_contains "$(logf)" "$ASK" "DNSFAILOVER_LOG=debug overrides level \"error\": the trace is in the file"
assert_eq "" "$(cat "$E")" "DNSFAILOVER_LOG=debug: only the level changes, the target stays the file (stderr empty)"
C=$(conf debug debug "$SHIMLOG")
run "$GOOD" "$C" DNSFAILOVER_LOG=error -- "${CMD[@]}"
assert_eq "0|0" "$SR_RC|$(nlines "$SHIMLOG" 'debug:')" "DNSFAILOVER_LOG=error overrides level \"debug\": no debug line"
run "$GOOD" "$C" DNSFAILOVER_LOG=verbose -- "${CMD[@]}"
assert_contains "$(logf)" "$ASK" "DNSFAILOVER_LOG=verbose (not a level) is ignored: the config's debug applies"

# info: "disabled for PROGRAM by FILE" (enabled = false), not at warn.
C=$(conf info info "$SHIMLOG" 'enabled = false;')
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "level info, enabled = false"
assert_contains "$(logf)" "info: disabled for lookup by $C" "level info: the info line is written"
assert_eq 0 "$(nlines "$SHIMLOG" 'debug:')" "level info: no debug line"
C=$(conf warn warn "$SHIMLOG" 'enabled = false;')
run "$GOOD" "$C" -- "${CMD[@]}"
assert_eq "0|0" "$SR_RC|$(nlines "$SHIMLOG" 'info:')" "level warn: no info line"

# warn: a server marked down (it loses the hedge race once, fail_threshold = 1), not at error.
C=$(conf warnbh warn "$SHIMLOG" 'health: { fail_threshold = 1; };')
run "$BH" "$C" -- "${CMD[@]}"
resolved "level warn, blackholed primary"
assert_contains "$(logf)" "warn: server 127.53.0.2:53 marked down after 1 consecutive failures" \
	"level warn: the warning is written"
assert_eq "0|0" "$(nlines "$SHIMLOG" 'info:')|$(nlines "$SHIMLOG" 'debug:')" "level warn: no info or debug line"
C=$(conf errbh error "$SHIMLOG" 'health: { fail_threshold = 1; };')
run "$BH" "$C" -- "${CMD[@]}"
assert_eq "0|" "$SR_RC|$(logf)" "level error: not even the warning (file empty or absent)"

# ---------------------------------------------------------------- the cache in the debug trace

C=$(conf cache debug "$SHIMLOG")
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "debug, gethostbyname and gethostbyname_r"
assert_eq 1 "$(nlines "$SHIMLOG" "$ASK")" "debug cache: one query for gethostbyname and gethostbyname_r"
hit=$(grep -n 'debug: www.dnsf.test type 1: cache hit' "$SHIMLOG" | head -n 1 | cut -d: -f1)
win=$(grep -n -F "$WIN" "$SHIMLOG" | head -n 1 | cut -d: -f1)
if [ -n "$hit" ] && [ -n "$win" ] && [ "$hit" -gt "$win" ]; then
	ok "debug cache: 'www.dnsf.test type 1: cache hit' for the second call, after the first call's reply"
else
	not_ok "debug cache: 'www.dnsf.test type 1: cache hit' for the second call, after the first call's reply"
	show
fi
C=$(conf nocache debug "$SHIMLOG" 'cache: { enabled = false; };')
run "$GOOD" "$C" -- "${CMD[@]}"
assert_eq "2|0" "$(nlines "$SHIMLOG" "$ASK")|$(nlines "$SHIMLOG" 'cache hit')" \
	"debug, cache disabled (control): two queries, no cache hit"

# Serve-stale: one process resolves through a pass proxy, the proxy turns into a black hole,
# the entry expires (cache.max_ttl = 1), and the second lookup gets the stale answer.
fl_init
fl_proxy P 127.53.0.5 pass
GO=$DNSF_TMP/go
C=$(conf stale debug "$SHIMLOG" "nameservers = [ \"${FL_SRV[P]}\" ];" 'timeout_ms = 200;' \
	'attempts = 1;' 'deadline_ms = 600;' 'stats_on_exit = true;' \
	'cache: { max_ttl = 1; serve_stale = true; };')
rm -f "$SHIMLOG" "$GO"
(
	sr_shim "$GOOD" "$C" env -u DNSFAILOVER_LOG "$DNSF_PYTHON" -I -c '
import os, socket, sys, time
def q():
    try:
        return socket.gethostbyname("www.dnsf.test")
    except OSError as e:
        return "error %s" % e
print("first", q(), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
print("second", q(), flush=True)' "$GO" >"$O" 2>"$E"
) &
spid=$!
dnsf_track_pid "$spid"
for ((i = 0; i < 100; i++)); do
	grep -q '^first' "$O" 2>/dev/null && break
	sleep 0.05
done
fl_setmode P blackhole
sleep 1.3
touch "$GO"
wait "$spid"
dnsf_untrack_pid "$spid"
assert_eq "first 192.0.2.10|second 192.0.2.10" "$(paste -sd'|' "$O")" \
	"serve-stale: both lookups answered, the second after the server went dark and the entry expired"
assert_contains "$(logf)" "warn: www.dnsf.test type 1: every server failed; serving a stale answer" \
	"serve-stale: the log says the answer was stale"
assert_contains "$(logf)" "${FL_SRV[P]}: www.dnsf.test type 1 timeout after" "serve-stale: after the server's timeout"
assert_contains "$(grep 'stats:' "$SHIMLOG")" " stale=1 " "serve-stale: the stats count it (stale=1)"

# ---------------------------------------------------------------- stats_on_exit

# stat_of LINE SERVER KEY: KEY's value in SERVER's part of the stats line ("cache" for the
# cache counters).
stat_of() {
	awk -v s="$2" -v k="$3" '{
		sub(/.*stats: /, ""); n = split($0, part, "; ")
		for (i = 1; i <= n; i++) {
			m = split(part[i], w, " ")
			if (w[1] != s) continue
			for (j = 2; j <= m; j++) if (index(w[j], k "=") == 1) { print substr(w[j], length(k) + 2); exit }
		}
	}' <<<"$1"
}

C=$(conf stats error "$SHIMLOG" 'stats_on_exit = true;')
run "$GOOD" "$C" -- "${CMD[@]}"
resolved "stats_on_exit"
assert_eq 1 "$(nlines "$SHIMLOG" 'stats:')" "stats_on_exit: exactly one stats line (level error: written anyway)"
S=$(grep 'stats:' "$SHIMLOG")
diag "$S"
assert_eq "1|1|0|0|1|1|1" \
	"$(stat_of "$S" "$NS" queries)|$(stat_of "$S" "$NS" answers)|$(stat_of "$S" "$NS" timeouts)|$(stat_of "$S" "$NS" errors)|$(stat_of "$S" cache hits)|$(stat_of "$S" cache misses)|$(stat_of "$S" cache entries)" \
	"stats: $NS queries=1 answers=1 timeouts=0 errors=0; cache hits=1 misses=1 entries=1"
assert_eq "" "$(cat "$E")" "stats_on_exit with target file: nothing on stderr"

C=$(conf statsdbg debug "$SHIMLOG" 'stats_on_exit = true;')
run "$GOOD" "$C" -- "${CMD[@]}"
assert_contains "$(tail -n 1 "$SHIMLOG")" "info: stats: $NS queries=1 " "stats_on_exit: the stats line is the last line (at exit)"

C=$(conf statsbh error "$SHIMLOG" 'stats_on_exit = true;' 'timeout_ms = 300;')
run "$BH" "$C" -- "$TOOLS/lookup" gh www.dnsf.test -- gh v4only.dnsf.test -- gh multi.dnsf.test -- ghr www.dnsf.test
S=$(grep 'stats:' "$SHIMLOG")
diag "$S"
assert_eq 1 "$(nlines "$SHIMLOG" 'stats:')" "stats, blackholed primary: exactly one stats line"
assert_eq "0|0|3|3|1|3" \
	"$(stat_of "$S" 127.53.0.2:53 answers)|$(stat_of "$S" 127.53.0.2:53 errors)|$(stat_of "$S" "$NS" queries)|$(stat_of "$S" "$NS" answers)|$(stat_of "$S" cache hits)|$(stat_of "$S" cache misses)" \
	"stats, blackholed primary: it answered nothing; NSD answered 3 of 3; cache 1 hit, 3 misses"
q=$(stat_of "$S" 127.53.0.2:53 queries)
if [ -n "$q" ] && [ "$q" -ge 1 ]; then ok "stats, blackholed primary: it was asked ($q queries)"
else not_ok "stats, blackholed primary: queries='$q', want >= 1"; fi

C=$(conf nostats debug "$SHIMLOG")
run "$GOOD" "$C" -- "${CMD[@]}"
assert_eq "0|0" "$SR_RC|$(nlines "$SHIMLOG" 'stats:')" "no stats_on_exit (default false): no stats line"

# ---------------------------------------------------------------- target syslog (the default)
sr_syslog_start
# run_syslog ETC CONF CMD...: CMD under the shim with the sink as /dev/log.
run_syslog() {
	sr_timed "$O" "$E" sr_shim_syslog "$@"
	sr_syslog_wait
}
sunk() { grep -cE -- "$1" "$SR_SINK" || true; }

C=$(sr_conf syslog_debug <<<'stats_on_exit = true;')
run_syslog "$GOOD" "$C" env DNSFAILOVER_LOG=debug "${CMD[@]}"
resolved "syslog"
assert_eq 1 "$(sunk "^<31>.* dnsfailover: lookup\[[0-9]+\]: debug: ask $NS for www\.dnsf\.test type 1 ")" \
	"syslog: the query reaches /dev/log as daemon.debug (<31>), tag 'dnsfailover', program 'lookup'"
assert_eq 1 "$(sunk "^<30>.* dnsfailover: lookup\[[0-9]+\]: info: stats: $NS queries=1 ")" \
	"syslog: the stats line as daemon.info (<30>)"
assert_eq "" "$(cat "$E")" "syslog: nothing on stderr"

# Not shared (state_dir ""): the earlier runs here met the same blackholed primary, and
# a process that starts knowing it down never asks it, so would have nothing to warn of.
C=$(sr_conf syslog_warn <<<'health: { fail_threshold = 1; }; state_dir = "";')
run_syslog "$BH" "$C" "${CMD[@]}"
resolved "syslog, default level"
assert_eq 1 "$(sunk "^<28>.* dnsfailover: lookup\[[0-9]+\]: warn: server 127\.53\.0\.2:53 marked down after 1 consecutive failures")" \
	"syslog, default level warn: the warning as daemon.warning (<28>)"
assert_eq 0 "$(sunk 'debug:|info:')" "syslog, default level warn: no info or debug message"

C=$(sr_conf syslog_broken <<<'timeout_ms = "fast";')
run_syslog "$GOOD" "$C" "${CMD[@]}"
resolved "syslog, broken config"
assert_eq 1 "$(sunk "^<27>.* dnsfailover: lookup\[[0-9]+\]: error: ${C//./\\.}:1: timeout_ms: ")" \
	"syslog, broken config: the message as daemon.err (<27>) names FILE:1 and the key"
assert_eq "" "$(cat "$E")" "syslog, broken config: nothing on the program's stderr (no log.target names it)"

# ---------------------------------------------------------------- targets refused

# A symlink planted in a world-writable directory, pointing at a 0600 file.
WW=$DNSF_TMP/ww VICTIM=$DNSF_TMP/victim
mkdir -p "$WW"
chmod 1777 "$WW"
printf 'secret\n' >"$VICTIM"
chmod 600 "$VICTIM"
ln -s "$VICTIM" "$WW/shim.log"
C=$(conf link debug "$WW/shim.log")
run_syslog "$GOOD" "$C" "${CMD[@]}"
resolved "symlinked target"
assert_eq "secret" "$(cat "$VICTIM")" "symlinked target: the file it points at is untouched (O_NOFOLLOW)"
assert_eq 1 "$(sunk "dnsfailover: lookup\[[0-9]+\]: info: log\.target $WW/shim\.log: a symbolic link \(not followed\); logging to syslog")" \
	"symlinked target: says so in syslog"
assert_eq "1|" "$(sunk "debug: ask $NS for www\.dnsf\.test type 1 ")|$(cat "$E")" \
	"symlinked target: the trace goes to syslog instead, nothing to stderr"

# A FIFO: opening it for writing waited for a reader, in every process.
mkfifo "$DNSF_TMP/fifo.log"
C=$(conf fifo debug "$DNSF_TMP/fifo.log")
run_syslog "$GOOD" "$C" timeout -k 1 20 "${CMD[@]}"
resolved "FIFO target"
assert_eq 1 "$(sunk "info: log\.target ${DNSF_TMP//./\\.}/fifo\.log: No such device or address; logging to syslog")" \
	"FIFO target: not opened (O_NONBLOCK, ENXIO); syslog instead"

# "stdout" wrote the trace into the program's own output.
C=$(conf stdout debug stdout)
run_syslog "$GOOD" "$C" "${CMD[@]}"
resolved "target stdout"
assert_eq "0|" "$(nlines "$O" dnsfailover)|$(cat "$E")" "target \"stdout\": nothing of the shim's in the program's output"
assert_eq 1 "$(sunk "error: ${C//./\\.}:1: log\.target: expected \"syslog\", \"stderr\" or an absolute file path, got \"stdout\"")" \
	"target \"stdout\": a config error, said in syslog"

# A relative path was created in each process's working directory.
mkdir -p "$DNSF_TMP/cwd"
C=$(conf relative debug relative.log)
pushd "$DNSF_TMP/cwd" >/dev/null || bail "cd $DNSF_TMP/cwd"
run_syslog "$GOOD" "$C" "${CMD[@]}"
popd >/dev/null || bail "cd -"
resolved "relative target"
assert_eq "no" "$([ -e "$DNSF_TMP/cwd/relative.log" ] && echo yes || echo no)" \
	"relative target: no file in the program's working directory"
assert_eq 1 "$(sunk "error: ${C//./\\.}:1: log\.target: expected .*absolute file path, got \"relative\.log\"")" \
	"relative target: a config error, said in syslog"

# A setuid program never writes a file target (AT_SECURE); an ordinary copy does. The shim
# comes from /etc/ld.so.preload (an overlay), the config is the system one.
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	diag "setuid part skipped under ASan (the sanitizer runtime cannot go into ld.so.preload)"
	finish
fi
sr_setuid_prepare
chmod 711 "$DNSF_TMP"          # the setuid program (euid nobody) may reach the log below
LOGD=$DNSF_TMP/logs SUIDLOG=$DNSF_TMP/logs/suid.log
mkdir -p "$LOGD"
chmod 1777 "$LOGD"
: >"$SUIDLOG"
chmod 666 "$SUIDLOG"
SYS=$(conf suidsys debug "$SUIDLOG")
sr_overlay_etc "$GOOD" "$SYS" "$SR_SU/lookup-plain" gh www.dnsf.test >"$O" 2>"$E"
rc=$?
if [ "$rc" = 125 ]; then
	diag "setuid part skipped: cannot build an overlay on /etc here: $(cat "$E")"
	finish
fi
assert_eq "0|1" "$rc|$(nlines "$SUIDLOG" "$ASK")" "setuid control: the ordinary copy writes the trace to the file"
: >"$SUIDLOG"
: >"$SR_SINK"
SR_OVERLAY_SYSLOG=1 sr_overlay_etc "$GOOD" "$SYS" "$SR_SU/lookup-suid" gh www.dnsf.test >"$O" 2>"$E"
rc=$?
sr_syslog_wait
assert_eq "0|1|0|" "$rc|$(nlines "$O" 'h_addr=192.0.2.10')|$(grep -c '' "$SUIDLOG")|$(cat "$E")" \
	"setuid: resolves, writes nothing to the file target, nothing to stderr"
assert_eq "1|1" "$(sunk "info: log\.target $SUIDLOG: file targets are not used in setuid")|$(sunk "debug: ask $NS for www\.dnsf\.test type 1 ")" \
	"setuid: the shim ran (its trace is in syslog) and says why the file was not used"

finish
