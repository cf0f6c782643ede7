#!/usr/bin/env bash
# 36_config_errors: a bad config file fails open, loudly and once, and never in the program's
# own output.
#
# Each malformed file must give exactly one message, to syslog (/dev/log is a sink here),
#   dnsfailover[PID]: error: FILE:LINE: KEY: message; passing every lookup through to libc
# naming the file, the offending line and key, and nothing on the program's stderr: a broken
# file names no log.target, so none is used. The lookup must still succeed through libc.
# "Through libc" is checked two ways: every bad file is read with DNSFAILOVER_LOG=debug (so
# a half-applied file would log "ask" lines), and the primary nameserver is slowed by faultdns
# (delay=500): glibc waits for it (>= 480 ms) while the active shim hedges to the healthy
# secondary (well under 400 ms; a valid file is the control).
# Files libconfig must never be handed: a FIFO (it blocked every lookup for ever), a file
# over the size cap, an @include (libconfig would open it itself), an integer libconfig
# 1.5 silently wraps (4294968296 read as 1000, a valid timeout_ms).
# Then `enabled = false`, globally and in `apps` entries matched by program name and by path
# glob; a non-matching entry is not applied. Last, a setuid program ignores DNSFAILOVER_CONF
# (secure_getenv) and reads the system file.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent
require_tool lookup
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 delay=500
SLOW=$(sr_etc slow 127.53.0.2 "$DNSF_NS_ADDR")
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
O=$DNSF_TMP/out E=$DNSF_TMP/err
LOGLINE='log: { level = "debug"; target = "stderr"; };'
PASS_MS=480     # faultdns holds each primary reply 500 ms: glibc cannot be faster
ACTIVE_MS=400   # the shim asks the secondary after ~10 ms

EXPECTED=$(sr_plain "$GOOD" getent ahosts www.dnsf.test)
assert_contains "$EXPECTED" "2001:db8::10    STREAM" "baseline: glibc's answer for www.dnsf.test"

# run_getent CONF: getent ahosts www.dnsf.test under the shim with the slow primary.
run_getent() { sr_timed "$O" "$E" sr_shim "$SLOW" "$1" getent ahosts www.dnsf.test; }

# expect_passthrough WHAT: the last run answered right, through libc (slow, no queries logged).
expect_passthrough() {
	assert_eq "0|$EXPECTED" "$SR_RC|$(cat "$O")" "$1: the lookup still succeeds with glibc's answer"
	assert_eq 0 "$(sr_count "$E" 'debug: ask ')" "$1: the shim sent no query (no 'ask' lines)"
	if [ "$SR_MS" -ge "$PASS_MS" ]; then
		ok "$1: $SR_MS ms (>= $PASS_MS ms): glibc waited for the slow primary, so it was libc's lookup"
	else
		not_ok "$1: $SR_MS ms (< $PASS_MS ms): not a pass-through to libc"
	fi
}
# expect_active WHAT: the last run was answered by the shim.
expect_active() {
	assert_eq "0|$EXPECTED" "$SR_RC|$(cat "$O")" "$1: glibc's answer"
	assert_contains "$(cat "$E")" "debug: ask $DNSF_NS_ADDR:53 for www.dnsf.test" "$1: the shim asked the secondary"
	if [ "$SR_MS" -lt "$ACTIVE_MS" ]; then
		ok "$1: $SR_MS ms (< $ACTIVE_MS ms): the shim hedged past the slow primary"
	else
		not_ok "$1: $SR_MS ms (>= $ACTIVE_MS ms): the shim did not hedge"
	fi
}

# Control: a valid file with the same log settings.
conf=$(sr_conf valid <<EOF
$LOGLINE
timeout_ms = 1000;
EOF
)
run_getent "$conf"
expect_active "valid config (control)"

sr_syslog_start
# bad_case NAME LINE MSG_RE: the config NAME (already written) must give one message for
# LINE matching MSG_RE (an ERE for what follows "FILE:LINE: "), then pass through.
bad_case() {
	local name=$1 line=$2 re=$3 file=$DNSF_TMP/$1.conf msg
	# A time limit: reading a FIFO blocked every lookup for ever.
	sr_timed "$O" "$E" sr_shim_syslog "$SLOW" "$file" env DNSFAILOVER_LOG=debug \
		timeout -k 1 20 getent ahosts www.dnsf.test
	sr_syslog_wait
	msg=$(grep -F ': error: ' "$SR_SINK")
	assert_eq 1 "$(grep -cF ': error: ' "$SR_SINK")" "$name: exactly one error message, in syslog"
	if grep -qxE "<27>.* dnsfailover: [^ []+\[[0-9]+\]: error: ${file//./\\.}:$line: $re; passing every lookup through to libc" <<<"$msg"; then
		ok "$name: the message (daemon.err) names $file, line $line and the problem"
	else
		not_ok "$name: the message names $file, line $line and matches /$re/"
		echo "#   got: $msg"
	fi
	diag "$name: ${msg#*: error: }"
	assert_eq "" "$(cat "$E")" "$name: nothing on the program's stderr"
	assert_eq 0 "$(sr_count "$SR_SINK" 'debug: ask ')" "$name: the shim sent no query (no 'ask' lines in the debug log)"
	expect_passthrough "$name"
}

sr_conf syntax >/dev/null <<EOF
$LOGLINE
timeout_ms = 300;
attempts = = 2;
EOF
bad_case syntax 3 'syntax error: .+'

sr_conf unknown_key >/dev/null <<EOF
$LOGLINE

colour = "blue";
EOF
bad_case unknown_key 3 'colour: unknown key'

sr_conf unknown_group_key >/dev/null <<EOF
$LOGLINE
health: {
  fail_treshold = 3;
};
EOF
bad_case unknown_group_key 3 'health\.fail_treshold: unknown key'

sr_conf wrong_type >/dev/null <<EOF
$LOGLINE
timeout_ms = "300";
EOF
bad_case wrong_type 2 'timeout_ms: expected an integer.*string.*'

sr_conf wrong_type_bool >/dev/null <<EOF
$LOGLINE
strategy = "hedge";
enabled = 1;
EOF
bad_case wrong_type_bool 3 'enabled: expected a boolean.*'

sr_conf out_of_range >/dev/null <<EOF
$LOGLINE
attempts = 11;
EOF
bad_case out_of_range 2 'attempts: .*11.*range.*'

sr_conf bad_address >/dev/null <<EOF
$LOGLINE
nameservers = [
  "127.53.0.1",
  "127.53.0.300",
  "127.53.0.3"
];
EOF
# Line 4 (the entry) or line 2 (where the list starts, with the value quoted) are right.
bad_case bad_address '(2|4)' 'nameservers: .*127\.53\.0\.300.*'

# The same, the bad entry last in a multi-line list. libconfig 1.5 gives such an entry the
# line of the closing bracket (parser look-ahead), so the message must not just repeat the
# entry's own line number: line 4 (the entry) or line 2 (where the list starts) are right,
# line 5 (the "]") is not.
sr_conf bad_address_last >/dev/null <<EOF
$LOGLINE
nameservers = [
  "127.53.0.1",
  "127.53.0.300"
];
EOF
bad_case bad_address_last '(2|4)' 'nameservers: .*127\.53\.0\.300.*'

sr_conf bad_port >/dev/null <<EOF
$LOGLINE
nameservers = ["127.53.0.1:65536"];
EOF
bad_case bad_port 2 'nameservers: .*127\.53\.0\.1:65536.*'

sr_conf bad_strategy >/dev/null <<EOF
$LOGLINE
strategy = "fastest";
EOF
bad_case bad_strategy 2 'strategy: .*hedge.*race.*sequence.*'

sr_conf nested_apps >/dev/null <<EOF
$LOGLINE
apps = (
  { match = ["getent"];
    apps = ( { match = ["lookup"]; } );
  }
);
EOF
bad_case nested_apps 4 'apps\[0\]: .*nested.*'

sr_conf missing_match >/dev/null <<EOF
$LOGLINE
apps = (
  { strategy = "race"; }
);
EOF
bad_case missing_match 3 'apps\[0\]: .*match.*'

sr_conf bad_app_key >/dev/null <<EOF
$LOGLINE
apps = (
  { match = ["nothing-matches-this"];
    strategy = "race";
    timeout = 5; }
);
EOF
bad_case bad_app_key 5 'timeout: unknown key'

# ---- files libconfig must never see
mkfifo "$DNSF_TMP/fifo.conf"
bad_case fifo 0 'not a regular file \(a FIFO\)'

{
	echo "$LOGLINE"
	head -c 70000 /dev/zero | tr '\0' '#'
	echo
} >"$DNSF_TMP/huge.conf"
bad_case huge 0 'larger than 65536 bytes'

sr_conf include >/dev/null <<EOF
$LOGLINE
@include "$DNSF_TMP/valid.conf"
EOF
bad_case include 2 '@include is not supported.*'

sr_conf wrapped >/dev/null <<EOF
$LOGLINE
attempts = 1;
timeout_ms = 4294968296;
EOF
bad_case wrapped 3 'timeout_ms: 4294968296 is out of range \[10, 60000\]'

# ---- enabled = false, globally and per application

conf=$(sr_conf disabled <<EOF
$LOGLINE
enabled = false;
EOF
)
run_getent "$conf"
expect_passthrough "enabled = false"
assert_contains "$(cat "$E")" "disabled for getent" "enabled = false: says so at info level"
assert_eq 0 "$(sr_count "$E" '^dnsfailover: ')" "enabled = false: no error message"

# app_case NAME MATCH: an apps entry { match = MATCH; enabled = false; } must disable
# getent, and leave lookup (another program) active.
app_case() {
	local name=$1 match=$2 conf
	conf=$(sr_conf "$name" <<EOF
$LOGLINE
apps = (
  { match = $match; enabled = false; },
  { match = ["lookup"]; strategy = "race"; }
);
EOF
)
	run_getent "$conf"
	expect_passthrough "apps $match, enabled = false: getent"
	sr_timed "$O" "$E" sr_shim "$SLOW" "$conf" "$TOOLS/lookup" gai www.dnsf.test - socktype=stream
	assert_contains "$(cat "$O")" "] AF_INET SOCK_STREAM IPPROTO_TCP 192.0.2.10" "apps $match: lookup still resolves (in any order)"
	assert_contains "$(cat "$E")" "strategy race" "apps $match: lookup got its own entry (strategy race), not the getent one"
	assert_contains "$(cat "$E")" "debug: ask $DNSF_NS_ADDR:53 for www.dnsf.test" "apps $match: lookup is handled by the shim"
}
app_case app_name '["getent"]'
app_case app_glob '["/usr/bin/getent*"]'
app_case app_glob2 '["nomatch", "/usr/*/gete?t"]'

conf=$(sr_conf app_nomatch <<EOF
$LOGLINE
apps = (
  { match = ["getent2", "/usr/sbin/getent*", "/usr/bin/getent/*", "getent*"]; enabled = false; }
);
EOF
)
run_getent "$conf"
expect_active "apps entry that does not match getent: not applied"
assert_contains "$(cat "$E")" "strategy hedge" "apps no match: getent runs with the global settings"

# ---- setuid: DNSFAILOVER_CONF is read with secure_getenv, so ignored under AT_SECURE.
# ld.so ignores LD_PRELOAD paths with a slash in a setuid program, so the shim comes from
# /etc/ld.so.preload here: an overlay on /etc inside a private mount namespace adds it (and
# the system config file) without touching the real /etc.
# The setuid program runs as nobody, and ld.so opens the preloaded library with that
# identity: a library under /root (0700) or under this test's own 0700 temporary directory
# could not be loaded ("cannot open shared object file"). So the library is preloaded from
# a copy in the overlay's upper layer, a tmpfs this test mounts, world-readable and not
# noexec, reached as /etc/dnsf-test/libdnsfailover.so: the test does not depend on where
# the checkout lives, and the copy goes away with the namespace.
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	diag "setuid part skipped under ASan (the sanitizer runtime cannot go into ld.so.preload)"
	finish
fi
sr_setuid_prepare
sr_conf system >/dev/null <<EOF
$LOGLINE
strategy = "sequence";
EOF
ENVCONF=$(sr_conf env <<EOF
$LOGLINE
strategy = "race";
EOF
)
# in_overlay_etc CMD...: CMD sees /etc with the shim in ld.so.preload, the system config
# above and the files of $GOOD.
in_overlay_etc() { sr_overlay_etc "$GOOD" "$DNSF_TMP/system.conf" "$@"; }
in_overlay_etc "$SR_SU/id-suid" >"$O" 2>"$E"
rc=$?
if [ "$rc" = 125 ]; then
	diag "setuid part skipped: cannot build an overlay on /etc here: $(cat "$E")"
	finish
fi
assert_contains "$(cat "$O")" "euid=65534" "setuid: a setuid-nobody program run by root gets euid 65534 (so AT_SECURE is set)"

in_overlay_etc env DNSFAILOVER_CONF="$ENVCONF" "$SR_SU/lookup-plain" gai www.dnsf.test - socktype=stream >"$O" 2>"$E"
assert_contains "$(cat "$O")" "192.0.2.10" "setuid control: the plain copy resolves"
assert_contains "$(cat "$E")" "config $ENVCONF; strategy race" "setuid control: the plain copy reads DNSFAILOVER_CONF"

in_overlay_etc env DNSFAILOVER_CONF="$ENVCONF" "$SR_SU/lookup-suid" gai www.dnsf.test - socktype=stream >"$O" 2>"$E"
assert_contains "$(cat "$O")" "192.0.2.10" "setuid: the setuid copy resolves"
assert_contains "$(cat "$E")" "config /etc/dnsfailover.conf; strategy sequence" \
	"setuid: the shim is active and read /etc/dnsfailover.conf"
assert_not_contains "$(cat "$E")" "$ENVCONF" "setuid: DNSFAILOVER_CONF was ignored"

finish
