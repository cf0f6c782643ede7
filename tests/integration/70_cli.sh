#!/usr/bin/env bash
# 70_cli: the `dnsfailover` diagnostic command (issue 5), as a script would use it.
#
#   --help           exit 0, usage with examples on stdout; usage errors exit 2, usage on
#                    stderr and nothing on stdout
#   check            exit 0 and the settings in effect: the reference config prints its
#                    defaults, a config that changes every key prints every change, and
#                    --config beats DNSFAILOVER_CONF, which beats the system file; a broken
#                    file exits 3 with "dnsfailover: FILE:LINE: KEY..." on stderr and no
#                    settings, even when the error is in an apps entry that does not match;
#                    so does what libconfig must never see or silently misreads (an
#                    @include, a wrapped integer, a signed port, a log.target of "stdout"
#                    or a relative path); a directory or a FIFO as the file exits 3 at once,
#                    saying what it is (a FIFO hung; a directory said "Success")
#   check --app      program names and path globs select the first matching apps entry
#                    ("app section apps[N]"), whose keys override the global ones
#   resolve          against NSD: A and AAAA, -4/-6, CNAME chains, the search list, PTR
#                    for IPv4 and IPv6 (exit 0); NXDOMAIN, NODATA, no PTR, every server
#                    dead (exit 1); the trace shows each "ask", each reply and the winner
#   resolve (path)   the default: what a preloaded program's getaddrinfo (or getnameinfo
#                    for an address) gets, through the same route (memo, glibc, our NSS
#                    module), and which step answered: "server 127.53.0.1:53 (A NOERROR)",
#                    /etc/hosts, the memo for a repeat (--repeat), the cache for a repeat
#                    when the hosts line keeps the memo off, a numeric address, and
#                    NXDOMAIN by name (exit 1); with the primary blackholed the secondary
#                    answers; --app picks the apps entry (enabled = false: libc alone)
#   --json           one valid JSON object (python3 -m json.tool) with the same facts,
#                    in the default and --dns-only modes, the trace as a list
#   resolve --dns-only  the engine alone, as before (the cases below); type and rcode
#                    by name ("www.dnsf.test A from ... NOERROR")
#   the done-when    primary blackholed (faultdns on 127.53.0.2, first in resolv.conf),
#                    NSD second: the trace shows the hedge to 127.53.0.1:53 and its
#                    winning reply, in well under a second; "race" asks both at +0 ms,
#                    "sequence" asks the secondary only after the primary's timeout
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd
require_tool faultdns
CLI=$DNSF_BUILD/dnsfailover
[ -x "$CLI" ] || bail "$CLI is not built (run: make)"

O=$DNSF_TMP/out E=$DNSF_TMP/err
NS=$DNSF_NS_ADDR:53        # how the CLI names the healthy server
BHS=127.53.0.2:53          # the blackholed primary

# cli ETC ARGS...: the command inside the private /etc ETC ("-": the host's /etc), with
# neither DNSFAILOVER_CONF nor DNSFAILOVER_LOG (common.sh unsets the first). Sets SR_RC, SR_MS.
cli() {
	local etc=$1
	shift
	if [ "$etc" = - ]; then
		sr_timed "$O" "$E" env -u DNSFAILOVER_LOG "$CLI" "$@"
	else
		sr_timed "$O" "$E" sr_plain "$etc" env -u DNSFAILOVER_LOG "$CLI" "$@"
	fi
}
out() { cat "$O"; }
err() { cat "$E"; }
# line KEY: the `check` output line for KEY (its first word), spaces squeezed.
line() { awk -v k="$1" '$1 == k { $1 = $1; print; exit }' "$O"; }
# show: the last run's output, as diagnostics.
show() { sed 's/^/#   out: /' "$O" | head -n 30; sed 's/^/#   err: /' "$E" | head -n 10; }
# expect_rc RC WHAT: the last run exited RC.
expect_rc() {
	if [ "$SR_RC" = "$1" ]; then ok "$2: exit $1"; else not_ok "$2: exit $SR_RC, want $1"; show; fi
}
# trace_ms SERVER NAME TYPE: the +T (ms) of the first "ask SERVER for NAME type TYPE".
trace_ms() {
	awk -v s="$1" -v n="$2" -v t="$3" '
		$3 == "ask" && $4 == s && $6 == n && $8 == t { v = $12; sub(/^\+/, "", v); print v + 0; exit }' "$O"
}
# trace_line REGEX: the number of the first stdout line matching the ERE (0 if none).
trace_line() { awk -v re="$1" '$0 ~ re { print NR; f = 1; exit } END { if (!f) print 0 }' "$O"; }
# total_ms: the ";; total X ms" figure, rounded down.
total_ms() { awk '$1 == ";;" && $2 == "total" { printf "%d\n", $3; f = 1 } END { if (!f) print 99999 }' "$O"; }
# within LO HI VALUE WHAT
within() {
	if [ -n "$3" ] && [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]; then
		ok "$4: $3 (within $1..$2)"
	else
		not_ok "$4: '${3}' is not within $1..$2"
		show
	fi
}

sr_ns_start
sr_fault 127.53.0.2 blackhole
sr_fault 127.53.0.4 servfail
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
SEARCH=$(sr_etc search "$DNSF_NS_ADDR" --search "other.test dnsf.test")
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR")
SF=$(sr_etc servfail 127.53.0.4 "$DNSF_NS_ADDR")
BHONLY=$(sr_etc bhonly 127.53.0.2)

# ---------------------------------------------------------------- --help and usage errors

cli - --help
expect_rc 0 "--help"
assert_contains "$(out)" "examples:" "--help: has an examples section"
assert_contains "$(out)" "dnsfailover check --app curl" "--help: example of check --app"
assert_contains "$(out)" "dnsfailover resolve www.example.org" "--help: example of resolve"
assert_contains "$(out)" "Exit codes: 0 ok, 1 lookup failed, 2 usage, 3 bad configuration" \
	"--help: documents the exit codes"
assert_eq "" "$(err)" "--help: nothing on stderr"
cli - -h
assert_eq "0|yes" "$SR_RC|$(grep -q '^examples:' "$O" && echo yes)" "-h: the same help, exit 0"

# usage_case WHAT ARGS...: exit 2, the usage on stderr, nothing on stdout.
usage_case() {
	local what=$1
	shift
	cli "$GOOD" "$@"
	expect_rc 2 "usage error: $what"
	assert_contains "$(err)" "usage: dnsfailover check" "usage error: $what: usage on stderr"
	assert_eq "" "$(out)" "usage error: $what: nothing on stdout"
}
usage_case "no arguments"
usage_case "unknown command" frobnicate
usage_case "resolve without a NAME" resolve
usage_case "resolve with two NAMEs" resolve www.dnsf.test v4only.dnsf.test
usage_case "unknown option" check --verbose
usage_case "--config without its FILE" check --config
usage_case "--app without its NAME" resolve www.dnsf.test --app
usage_case "--repeat 0" resolve www.dnsf.test --repeat 0
usage_case "--repeat with --dns-only" resolve www.dnsf.test --repeat 2 --dns-only

# ---------------------------------------------------------------- check

REF=$DNSF_ROOT/conf/dnsfailover.conf
cli "$GOOD" check --config "$REF"
expect_rc 0 "check conf/dnsfailover.conf"
assert_eq "" "$(err)" "check conf/dnsfailover.conf: nothing on stderr"
assert_eq "source $REF" "$(line source)" "check ref: names the file it read"
assert_eq "app section (none matched)" "$(line app)" "check ref: no apps entry for 'dnsfailover'"
assert_eq "enabled true" "$(line enabled)" "check ref: enabled"
assert_eq "nameservers $NS (from /etc/resolv.conf)" "$(line nameservers)" \
	"check ref: nameservers from (the private) /etc/resolv.conf"
assert_eq "strategy hedge" "$(line strategy)" "check ref: strategy"
assert_eq "timeout_ms 1000|attempts 2|deadline_ms 5000|hedge_min_ms 10|hedge_max_ms 200" \
	"$(line timeout_ms)|$(line attempts)|$(line deadline_ms)|$(line hedge_min_ms)|$(line hedge_max_ms)" \
	"check ref: timings and hedge bounds"
assert_eq "health fail_threshold=3 probe_interval_ms=1000 max_down_ms=30000" "$(line health)" \
	"check ref: health"
assert_eq "cache enabled max_entries=10000 min_ttl=0 max_ttl=86400 negative_max_ttl=300 serve_stale=true max_stale=86400" \
	"$(line cache)" "check ref: cache"
assert_eq "ndots 1 (from /etc/resolv.conf)" "$(line ndots)" "check ref: ndots from resolv.conf"
assert_eq "log warn -> syslog" "$(line log)" "check ref: log"
assert_eq "stats_on_exit false" "$(line stats_on_exit)" "check ref: stats_on_exit"
assert_eq "state_dir /run/dnsfailover" "$(line state_dir)" "check ref: state_dir"

cli "$GOOD" check --config "$REF" --app nsd
assert_eq "0|app section apps[0]|enabled false" "$SR_RC|$(line app)|$(line enabled)" \
	"check ref --app nsd: the reference's own apps entry disables the shim for nsd"

# Every key away from its default: each must show up, so the output is the file's.
FULL=$(sr_conf full <<'EOF'
enabled = true;
nameservers = [ "127.53.0.7", "127.53.0.8:5353", "[::1]:54" ];
strategy = "sequence";
timeout_ms = 750;
attempts = 3;
deadline_ms = 4000;
hedge_min_ms = 20;
hedge_max_ms = 150;
health: { fail_threshold = 5; probe_interval_ms = 2500; max_down_ms = 60000; };
cache: { enabled = false; max_entries = 123; min_ttl = 5; max_ttl = 3600;
         negative_max_ttl = 60; serve_stale = false; max_stale = 600; };
ndots = 2;
search = [ "a.example", "b.example" ];
log: { level = "info"; target = "stderr"; };
stats_on_exit = true;
domains = ( { suffix = [ "Corp.Example.", "10.in-addr.arpa" ]; nameservers = [ "127.53.0.9" ];
              strategy = "balance"; timeout_ms = 300; } );
state_dir = "/var/tmp/dnsf-state";
EOF
)
cli "$GOOD" check --config "$FULL"
expect_rc 0 "check, every key changed"
got=$(awk '{ $1 = $1; print }' "$O" | grep -v -e '^app section' -e '^mode ')
want="source $FULL
enabled true
nameservers 127.53.0.7:53 127.53.0.8:5353 [::1]:54
strategy sequence
timeout_ms 750
attempts 3
deadline_ms 4000
hedge_min_ms 20
hedge_max_ms 150
health fail_threshold=5 probe_interval_ms=2500 max_down_ms=60000
cache disabled max_entries=123 min_ttl=5 max_ttl=3600 negative_max_ttl=60 serve_stale=false max_stale=600
ndots 2
search a.example b.example
domains corp.example, 10.in-addr.arpa -> 127.53.0.9:53; strategy=balance timeout_ms=300 attempts=3 hedge_min_ms=20 hedge_max_ms=150 (domains[0], line 16)
log info -> stderr
stats_on_exit true
state_dir /var/tmp/dnsf-state"
assert_eq "$want" "$got" "check, every key changed: every value printed as set"

# The routing table in effect (issue 15): an app's domains list merged over the
# top level's by suffix, shown by check --app; other programs see the top level's.
ROUTES=$(sr_conf routes <<'EOF'
domains = (
  { suffix = [ "acq.example", "20.10.in-addr.arpa" ]; nameservers = [ "127.53.0.21", "127.53.0.22" ];
    strategy = "sequence"; },
  { suffix = "corp.example"; nameservers = "127.53.0.23"; }
);
apps = ( { match = [ "legacy-crm" ]; timeout_ms = 400;
           domains = ( { suffix = "acq.example"; nameservers = "127.53.0.29"; } ); } );
EOF
)
cli "$GOOD" check --config "$ROUTES" --app legacy-crm
got=$(awk '{ $1 = $1; print }' "$O" | sed -n '/^domains /,/^log /p' | grep -v '^log ')
assert_eq "0|domains 20.10.in-addr.arpa -> 127.53.0.21:53 127.53.0.22:53; strategy=sequence timeout_ms=400 attempts=2 hedge_min_ms=10 hedge_max_ms=200 (domains[0], line 2)
corp.example -> 127.53.0.23:53; strategy=hedge timeout_ms=400 attempts=2 hedge_min_ms=10 hedge_max_ms=200 (domains[1], line 4)
acq.example -> 127.53.0.29:53; strategy=hedge timeout_ms=400 attempts=2 hedge_min_ms=10 hedge_max_ms=200 (apps[0].domains[0], line 7)" \
	"$SR_RC|$got" "check --app legacy-crm: its acq.example entry over the top level's, the rest kept"
cli "$GOOD" check --config "$ROUTES" --app curl
got=$(awk '{ $1 = $1; print }' "$O" | sed -n '/^domains /,/^log /p' | grep -v '^log ')
assert_eq "0|domains acq.example, 20.10.in-addr.arpa -> 127.53.0.21:53 127.53.0.22:53; strategy=sequence timeout_ms=1000 attempts=2 hedge_min_ms=10 hedge_max_ms=200 (domains[0], line 2)
corp.example -> 127.53.0.23:53; strategy=hedge timeout_ms=1000 attempts=2 hedge_min_ms=10 hedge_max_ms=200 (domains[1], line 4)" \
	"$SR_RC|$got" "check --app curl: the top level's table"

# Which file: --config, else $DNSFAILOVER_CONF, else /etc/dnsfailover.conf (or defaults).
RACE=$(sr_conf race <<<'strategy = "race";')
SEQ=$(sr_conf seq <<<'strategy = "sequence";')
sr_timed "$O" "$E" sr_plain "$GOOD" env -u DNSFAILOVER_LOG DNSFAILOVER_CONF="$RACE" "$CLI" check
assert_eq "0|source $RACE|strategy race" "$SR_RC|$(line source)|$(line strategy)" \
	"check: reads \$DNSFAILOVER_CONF without --config"
sr_timed "$O" "$E" sr_plain "$GOOD" env -u DNSFAILOVER_LOG DNSFAILOVER_CONF="$RACE" "$CLI" check --config "$SEQ"
assert_eq "0|source $SEQ|strategy sequence" "$SR_RC|$(line source)|$(line strategy)" \
	"check: --config beats \$DNSFAILOVER_CONF"
cli "$GOOD" check
# dnsf_private_mounts masks an existing /etc/dnsfailover.conf with an empty file.
case "$SR_RC|$(line source)|$(line strategy)" in
"0|source (built-in defaults)|strategy hedge" | "0|source /etc/dnsfailover.conf|strategy hedge")
	ok "check: no --config, no \$DNSFAILOVER_CONF: the system file or the built-in defaults" ;;
*) not_ok "check: no --config, no \$DNSFAILOVER_CONF: the system file or the built-in defaults"; show ;;
esac

# Broken files: exit 3, one "dnsfailover: FILE:LINE: ..." line, no settings.
# bad_case NAME LINE ERE ARGS...: $DNSF_TMP/NAME.conf (already written) checked with ARGS.
bad_case() {
	local name=$1 ln=$2 re=$3 file=$DNSF_TMP/$1.conf
	shift 3
	cli "$GOOD" check --config "$file" "$@"
	expect_rc 3 "check, $name"
	if [ "$(grep -c '' "$E")" = 1 ] && grep -qE "^dnsfailover: ${file//./\\.}:$ln: $re" "$E"; then
		ok "check, $name: one line on stderr naming $file:$ln and /$re/"
	else
		not_ok "check, $name: one line on stderr naming $file:$ln and /$re/"
		show
	fi
	assert_eq "" "$(out)" "check, $name: no settings printed"
}
sr_conf syntax >/dev/null <<'EOF'
strategy = "race";

timeout_ms = ;
EOF
bad_case syntax 3 'syntax error'
sr_conf range >/dev/null <<'EOF'
strategy = "race";
health: {
  fail_threshold = 0;
};
EOF
bad_case range 3 'health\.fail_threshold: .*range'
# An error in an entry for another program still rejects the whole file (never half-applied).
sr_conf badapp >/dev/null <<'EOF'
apps = (
  { match = [ "curl" ]; strategy = "race"; },
  { match = [ "wget" ];
    strategy = "fastest"; }
);
EOF
bad_case badapp 4 'strategy: ' --app curl
cli "$GOOD" resolve --dns-only www.dnsf.test --config "$DNSF_TMP/syntax.conf"
assert_eq "3|" "$SR_RC|$(out)" "resolve with a broken config: exit 3, no query, no trace"
sr_conf include >/dev/null <<EOF
strategy = "race";
@include "$REF"
EOF
bad_case include 2 '@include is not supported'
# One-line files: NAME|TEXT|ERE for the message at line 1.
while IFS='|' read -r name text re; do
	printf '%s\n' "$text" | sr_conf "$name" >/dev/null
	bad_case "$name" 1 "$re"
done <<'EOF'
hugeint|timeout_ms = 99999999999999999999;|timeout_ms: 99999999999999999999 is out of range \[10, 60000\]$
wrapint|timeout_ms = 4294968296;|timeout_ms: 4294968296 is out of range \[10, 60000\]$
plusport|nameservers = [ "127.0.0.1:+53" ];|nameservers: bad nameserver address "127\.0\.0\.1:\+53"
spaceport|nameservers = [ "127.0.0.1: 53" ];|nameservers: bad nameserver address "127\.0\.0\.1: 53"
logstdout|log: { target = "stdout"; };|log\.target: expected "syslog", "stderr" or an absolute file path, got "stdout"$
logrel|log: { target = "logs/dnsfailover.log"; };|log\.target: expected .* an absolute file path, got "logs/dnsfailover\.log"$
EOF

# Not a file at all. A time limit: a FIFO blocked the read for ever.
mkdir "$DNSF_TMP/dir.conf"
mkfifo "$DNSF_TMP/fifo.conf"
for kind in dir:directory fifo:FIFO; do
	f=$DNSF_TMP/${kind%%:*}.conf
	sr_timed "$O" "$E" sr_plain "$GOOD" env -u DNSFAILOVER_LOG timeout -k 1 20 "$CLI" check --config "$f"
	assert_eq "3|dnsfailover: $f:0: not a regular file (a ${kind#*:})|" "$SR_RC|$(err)|$(out)" \
		"check on a ${kind#*:}: exit 3, one line saying what it is"
done

# ---------------------------------------------------------------- check --app

APPS=$(sr_conf apps <<'EOF'
strategy = "hedge";
timeout_ms = 900;
apps = (
  { match = [ "named" ]; enabled = false; },
  { match = [ "curl", "wget" ]; strategy = "race"; timeout_ms = 700; },
  { match = [ "/usr/sbin/postfix*" ]; strategy = "sequence"; },
  { match = [ "/usr/bin/*" ]; strategy = "sequence"; attempts = 5; }
);
EOF
)
# app_case APP WANT WHAT: `check --app APP` prints WANT as "app|enabled|strategy|timeout_ms|attempts".
app_case() {
	cli "$GOOD" check --config "$APPS" --app "$1"
	assert_eq "0|$2" "$SR_RC|$(line app)|$(line enabled)|$(line strategy)|$(line timeout_ms)|$(line attempts)" \
		"check --app $1: $3"
}
app_case curl "app section apps[1]|enabled true|strategy race|timeout_ms 700|attempts 2" \
	"matched by name, its keys override the global ones"
app_case wget "app section apps[1]|enabled true|strategy race|timeout_ms 700|attempts 2" \
	"the second name of the same entry"
app_case /usr/sbin/postfix-x "app section apps[2]|enabled true|strategy sequence|timeout_ms 900|attempts 2" \
	"matched by path glob; unset keys keep the global values"
app_case postfix-x "app section (none matched)|enabled true|strategy hedge|timeout_ms 900|attempts 2" \
	"a bare name is not matched against a path glob"
app_case /usr/local/bin/curl "app section apps[1]|enabled true|strategy race|timeout_ms 700|attempts 2" \
	"a path's program name matches a name entry"
app_case /usr/bin/curl "app section apps[1]|enabled true|strategy race|timeout_ms 700|attempts 2" \
	"the first matching entry wins (apps[1] by name before apps[3] by path)"
app_case /usr/bin/env "app section apps[3]|enabled true|strategy sequence|timeout_ms 900|attempts 5" \
	"a later entry matches when no earlier one does"
app_case named "app section apps[0]|enabled false|strategy hedge|timeout_ms 900|attempts 2" \
	"enabled = false"
app_case ls "app section (none matched)|enabled true|strategy hedge|timeout_ms 900|attempts 2" \
	"no entry: the global settings"
cli "$GOOD" check --config "$APPS"
assert_eq "0|app section (none matched)" "$SR_RC|$(line app)" "check without --app: no entry matches 'dnsfailover'"

# ---------------------------------------------------------------- resolve against NSD

cli "$GOOD" resolve --dns-only www.dnsf.test
expect_rc 0 "resolve www.dnsf.test"
assert_eq ";; www.dnsf.test via /etc/resolv.conf's nameservers, strategy hedge" "$(head -n 1 "$O")" \
	"resolve www: the first line says what is asked, of whom, how"
assert_contains "$(out)" "$(printf 'www.dnsf.test\t300\tA\t192.0.2.10')" "resolve www: the A record"
assert_contains "$(out)" "$(printf 'www.dnsf.test\t600\tAAAA\t2001:db8::10')" "resolve www: the AAAA record"
assert_contains "$(out)" "debug: ask $NS for www.dnsf.test type 1 (first, try 1, +" "resolve www: trace: A asked of NSD"
assert_contains "$(out)" "debug: ask $NS for www.dnsf.test type 28 (first, try 1, +" "resolve www: trace: AAAA asked of NSD"
assert_eq 2 "$(grep -cE "debug: $NS: www\.dnsf\.test type (1|28) rcode 0 in [0-9.]+ ms \(winner\)$" "$O")" \
	"resolve www: trace: NSD's two replies, rcode and latency, winners"
assert_contains "$(out)" ";; www.dnsf.test A from $NS in " "resolve www: who answered A"
within 0 1000 "$(total_ms)" "resolve www: ';; total' latency (ms)"
assert_eq "" "$(err)" "resolve www: nothing on stderr"

cli "$GOOD" resolve --dns-only www.dnsf.test -4
assert_eq "0|1|0|0" "$SR_RC|$(grep -c $'\tA\t192.0.2.10' "$O")|$(grep -c AAAA "$O")|$(grep -c 'type 28' "$O")" \
	"resolve -4: the A record only, no AAAA asked"
cli "$GOOD" resolve --dns-only www.dnsf.test -6
assert_eq "0|0|1|0" "$SR_RC|$(grep -c $'\tA\t' "$O")|$(grep -c $'\tAAAA\t2001:db8::10' "$O")|$(grep -c 'type 1 ' "$O")" \
	"resolve -6: the AAAA record only, no A asked"

cli "$GOOD" resolve --dns-only alias1.dnsf.test -4
expect_rc 0 "resolve alias1 (CNAME chain)"
assert_contains "$(out)" "$(printf 'alias1.dnsf.test\t60\tCNAME\talias2.dnsf.test')" "resolve alias1: the first CNAME"
assert_eq 6 "$(grep -c "$(printf '^multi.dnsf.test\t120\tA\t192.0.2.2[1-6]$')" "$O")" \
	"resolve alias1: the chain ends at multi's 6 A records"

cli "$SEARCH" resolve --dns-only www -4
expect_rc 0 "resolve www with 'search other.test dnsf.test'"
assert_contains "$(out)" "ask $NS for www.other.test type 1" "resolve www (search): tried www.other.test first"
assert_contains "$(out)" "$(printf 'www.dnsf.test\t300\tA\t192.0.2.10')" "resolve www (search): answered by www.dnsf.test"

cli "$GOOD" resolve --dns-only nosuchname.dnsf.test
expect_rc 1 "resolve nosuchname (NXDOMAIN)"
assert_contains "$(out)" "nosuchname.dnsf.test: Unknown host" "resolve NXDOMAIN: says so"
assert_contains "$(out)" "debug: $NS: nosuchname.dnsf.test type 1 rcode 3 in" "resolve NXDOMAIN: trace shows rcode 3"
cli "$GOOD" resolve --dns-only nodata.dnsf.test
expect_rc 1 "resolve nodata (NODATA)"
assert_contains "$(out)" "nodata.dnsf.test: No address associated with name" "resolve NODATA: says so"

cli "$GOOD" resolve --dns-only 192.0.2.10
expect_rc 0 "resolve 192.0.2.10"
assert_contains "$(out)" "$(printf '10.2.0.192.in-addr.arpa\t300\tPTR\twww.dnsf.test')" "resolve 192.0.2.10: the PTR"
assert_contains "$(out)" "ask $NS for 10.2.0.192.in-addr.arpa type 12" "resolve 192.0.2.10: trace of the PTR query"
cli "$GOOD" resolve --dns-only 2001:db8::10
expect_rc 0 "resolve 2001:db8::10"
assert_contains "$(out)" "$(printf '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa\t300\tPTR\twww.dnsf.test')" \
	"resolve 2001:db8::10: the ip6.arpa PTR"
cli "$GOOD" resolve --dns-only 192.0.2.11
expect_rc 1 "resolve 192.0.2.11 (no PTR)"

# The config's nameservers, not resolv.conf's (which names only the black hole here).
NSCONF=$(sr_conf nsconf <<<"nameservers = [ \"$DNSF_NS_ADDR\" ];")
cli "$BHONLY" resolve --dns-only www.dnsf.test -4 --config "$NSCONF"
expect_rc 0 "resolve with nameservers in the config"
assert_contains "$(head -n 1 "$O")" "via the configured nameservers" "resolve --config: the header says whose servers"
assert_eq 0 "$(grep -c "ask $BHS" "$O")" "resolve --config: resolv.conf's server was not asked"

# Every server dead: exit 1 within the deadline.
DEADCONF=$(sr_conf dead <<<'deadline_ms = 400; timeout_ms = 150;')
cli "$BHONLY" resolve --dns-only www.dnsf.test -4 --config "$DEADCONF"
expect_rc 1 "resolve with every server blackholed"
assert_contains "$(out)" "timeout after" "resolve, all dead: the trace shows the timeouts"
within 0 1200 "$SR_MS" "resolve, all dead (deadline_ms 400): wall time (ms)"

# A server that fails fast: its rcode is in the trace, and the next one answers.
cli "$SF" resolve --dns-only www.dnsf.test -4
expect_rc 0 "resolve with a SERVFAIL primary"
assert_contains "$(out)" "debug: 127.53.0.4:53: www.dnsf.test type 1 rcode 2" "resolve, SERVFAIL: the primary's rcode 2 in the trace"
assert_contains "$(out)" "debug: $NS: www.dnsf.test type 1 rcode 0 in" "resolve, SERVFAIL: the secondary won"

# ---------------------------------------------------------------- the done-when: a blackholed primary

cli "$BH" resolve --dns-only www.dnsf.test
expect_rc 0 "blackholed primary: resolve www.dnsf.test"
diag "trace with the primary blackholed:"
sed 's/^/#   /' "$O"
assert_contains "$(grep -m 1 'debug: ask ' "$O")" "debug: ask $BHS for www.dnsf.test type 1 (first, try 1, +" \
	"blackholed primary: the first query goes to the primary"
within 0 10 "$(trace_ms "$BHS" www.dnsf.test 1)" "blackholed primary: the primary was asked at +T ms"
assert_contains "$(out)" "debug: ask $NS for www.dnsf.test type 1 (hedge, try 1, +" \
	"blackholed primary: the hedge to the secondary (A)"
assert_contains "$(out)" "debug: ask $NS for www.dnsf.test type 28 (hedge, try 1, +" \
	"blackholed primary: the hedge to the secondary (AAAA)"
# No RTT known yet: the hedge delay is 50 ms, within hedge_min_ms..hedge_max_ms (10..200).
within 10 200 "$(trace_ms "$NS" www.dnsf.test 1)" "blackholed primary: the hedge was sent at +T ms"
assert_eq 2 "$(grep -cE "debug: $NS: www\.dnsf\.test type (1|28) rcode 0 in [0-9.]+ ms \(winner\)$" "$O")" \
	"blackholed primary: the secondary's replies won (A and AAAA)"
assert_eq 0 "$(grep -c "$BHS: www.dnsf.test .*(winner)" "$O")" "blackholed primary: nothing won from the primary"
assert_contains "$(out)" ";; www.dnsf.test A from $NS in" "blackholed primary: the answer is the secondary's"
assert_contains "$(out)" "$(printf 'www.dnsf.test\t300\tA\t192.0.2.10')" "blackholed primary: the A record"
assert_contains "$(out)" "$(printf 'www.dnsf.test\t600\tAAAA\t2001:db8::10')" "blackholed primary: the AAAA record"
within 0 400 "$(total_ms)" "blackholed primary: ';; total' latency (ms), well under a second"
within 0 1000 "$SR_MS" "blackholed primary: wall time of the whole command (ms)"
diag "figure: dnsfailover resolve www.dnsf.test, primary blackholed: total $(total_ms) ms, wall $SR_MS ms"

# race: both servers at +0 ms (a few ms of slack on a busy machine; a hedge comes
# after hedge_min_ms = 10 at the earliest, and says "hedge").
cli "$BH" resolve --dns-only www.dnsf.test --config "$RACE"
expect_rc 0 "race: resolve"
assert_contains "$(head -n 1 "$O")" "strategy race" "race: the header names the strategy"
for t in 1 28; do
	assert_eq "1|1" "$(grep -c "ask $BHS for www.dnsf.test type $t (race, try 1, +" "$O")|$(grep -c "ask $NS for www.dnsf.test type $t (race, try 1, +" "$O")" \
		"race: type $t asked of both servers, once each, as a race"
	within 0 10 "$(trace_ms "$BHS" www.dnsf.test "$t")" "race: type $t asked of the primary at +T ms"
	within 0 10 "$(trace_ms "$NS" www.dnsf.test "$t")" "race: type $t asked of the secondary at +T ms"
done
assert_eq 0 "$(grep -c '(hedge' "$O")" "race: no hedge"
within 0 200 "$(total_ms)" "race: total latency (ms)"

# sequence: the secondary only after the primary timed out (timeout_ms 300).
SEQT=$(sr_conf seqt <<<'strategy = "sequence"; timeout_ms = 300;')
cli "$BH" resolve --dns-only www.dnsf.test -4 --config "$SEQT"
expect_rc 0 "sequence: resolve"
diag "trace with strategy sequence:"
sed 's/^/#   /' "$O"
to=$(trace_line "$BHS: www.dnsf.test type 1 timeout after")
asked=$(trace_line "ask $NS for www.dnsf.test type 1 ")
if [ "$to" -gt 0 ] && [ "$asked" -gt "$to" ]; then
	ok "sequence: the secondary was asked (line $asked) after the primary's timeout (line $to)"
else
	not_ok "sequence: the secondary was asked (line $asked) after the primary's timeout (line $to)"
fi
within 290 1000 "$(trace_ms "$NS" www.dnsf.test 1)" "sequence: the secondary was asked at +T ms (timeout_ms 300)"
assert_eq 0 "$(grep -cE '\((hedge|race)' "$O")" "sequence: no hedge, no race"
assert_contains "$(out)" "debug: $NS: www.dnsf.test type 1 rcode 0 in" "sequence: the secondary answered"

# ---------------------------------------------------------------- resolve: a program's path

# jq_py EXPR: EXPR (python, over the JSON object J) evaluated on the last run's stdout.
jq_py() { "$DNSF_PYTHON" -I -c 'import json, sys; J = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$O" "$1" 2>&1; }

cli "$GOOD" resolve www.dnsf.test
expect_rc 0 "resolve (path) www.dnsf.test"
assert_eq ";; www.dnsf.test: getaddrinfo AF_UNSPEC, as a preloaded program's call" "$(head -n 1 "$O")" \
	"resolve (path): the first line says which call is made"
assert_eq "1|1" "$(grep -c $'^www.dnsf.test\tA\t192.0.2.10$' "$O")|$(grep -c $'^www.dnsf.test\tAAAA\t2001:db8::10$' "$O")" \
	"resolve (path): getaddrinfo's addresses, by type name"
assert_contains "$(out)" ";; answered by: server $NS (A NOERROR), server $NS (AAAA NOERROR) (" \
	"resolve (path): which server answered each query, type and rcode by name"
assert_contains "$(out)" "debug: ask $NS for www.dnsf.test type 1 (first, try 1, +" "resolve (path): with the engine's trace"
assert_eq "" "$(err)" "resolve (path): nothing on stderr"

cli "$GOOD" resolve www.dnsf.test -4 --repeat 3
assert_eq "0|2|1" "$SR_RC|$(grep -c '^;; repeat: answered by: the memo' "$O")|$(grep -c 'debug: ask ' "$O")" \
	"resolve (path) --repeat 3: asked once, the repeats answered by the memo"
NOMEMO=$(sr_etc nomemo "$DNSF_NS_ADDR")
echo 'hosts: files myhostname dns' >"$NOMEMO/nsswitch.conf"
cli "$NOMEMO" resolve www.dnsf.test -4 --repeat 2
assert_contains "$(out)" ";; repeat: answered by: the cache (A NOERROR)" \
	"resolve (path), a hosts line that keeps the memo off: the repeat is answered by the cache"
cli "$GOOD" resolve hostsonly.dnsf.test -4
assert_eq "0|1|1" "$SR_RC|$(grep -c $'^hostsonly.dnsf.test\tA\t192.0.2.200$' "$O")|$(grep -c '^;; answered by: /etc/hosts (' "$O")" \
	"resolve (path) hostsonly.dnsf.test: answered by /etc/hosts"
cli "$GOOD" resolve 192.0.2.10
assert_eq "0|1|1" "$SR_RC|$(grep -c $'^192.0.2.10\tPTR\twww.dnsf.test$' "$O")|$(grep -c "^;; answered by: server $NS (PTR NOERROR)" "$O")" \
	"resolve (path) 192.0.2.10: getnameinfo's name, answered by NSD's PTR"
cli "$GOOD" resolve nosuchname.dnsf.test -4
assert_eq "1|1|1" "$SR_RC|$(grep -c '^nosuchname.dnsf.test: Name or service not known (EAI_NONAME)$' "$O")|$(grep -c "^;; answered by: server $NS (A NXDOMAIN)" "$O")" \
	"resolve (path) NXDOMAIN: exit 1, glibc's error and EAI name, the server's NXDOMAIN"
cli "$BH" resolve www.dnsf.test -4
assert_eq "0|1" "$SR_RC|$(grep -c "^;; answered by: server $NS (A NOERROR)" "$O")" \
	"resolve (path), primary blackholed: the secondary answered"
cli "$GOOD" resolve www.dnsf.test -4 --config "$APPS" --app named
assert_eq "0|1|0" "$SR_RC|$(grep -c '^;; answered by: libc alone' "$O")|$(grep -c 'debug: ask' "$O")" \
	"resolve (path) --app named (enabled = false): libc alone answers, nothing of ours asked"

# --json: valid, and the same facts.
cli "$GOOD" resolve www.dnsf.test --json --repeat 2
if "$DNSF_PYTHON" -m json.tool "$O" >/dev/null 2>"$E"; then ok "resolve --json: valid JSON (python3 -m json.tool)"
else not_ok "resolve --json: not valid JSON: $(cat "$E")"; show; fi
assert_eq "ok|server|$NS|A|NOERROR|AAAA|memo|192.0.2.10" \
	"$(jq_py "'|'.join([J['status'], J['answered_by'][0]['step'], J['answered_by'][0]['server'], J['answered_by'][0]['type'], J['answered_by'][0]['rcode'], J['answered_by'][1]['type'], J['repeats'][0]['answered_by'][0]['step'], J['addresses'][0]['address']])")" \
	"resolve --json: status, answered_by (step, server, type, rcode), the repeat's memo, the addresses"
assert_contains "$(jq_py "J['trace'][0]")" "debug: " "resolve --json: the trace is a list of the engine's lines"
cli "$GOOD" resolve nosuchname.dnsf.test --json -4
assert_eq "1|error|NXDOMAIN" "$SR_RC|$(jq_py "J['status'] + '|' + J['answered_by'][0]['rcode']")" \
	"resolve --json NXDOMAIN: exit 1, status error, rcode NXDOMAIN"
cli "$GOOD" resolve www.dnsf.test --dns-only --json -4
if "$DNSF_PYTHON" -m json.tool "$O" >/dev/null 2>"$E"; then ok "resolve --dns-only --json: valid JSON"
else not_ok "resolve --dns-only --json: not valid JSON: $(cat "$E")"; show; fi
assert_eq "dns-only|A|server|$NS|NOERROR|192.0.2.10|300" \
	"$(jq_py "'|'.join([J['mode'], J['replies'][0]['type'], J['replies'][0]['source'], J['replies'][0]['server'], J['replies'][0]['rcode'], J['replies'][0]['answers'][0]['data'], str(J['replies'][0]['answers'][0]['ttl'])])")" \
	"resolve --dns-only --json: the reply's type, source, server, rcode and records"
cli "$GOOD" resolve --dns-only nosuchname.dnsf.test -4
assert_contains "$(out)" "nosuchname.dnsf.test: Unknown host" "resolve --dns-only NXDOMAIN: as before"

# --app picks the entry for resolve too.
cli "$BH" resolve --dns-only www.dnsf.test -4 --config "$APPS" --app curl
assert_eq "0|1" "$SR_RC|$(grep -c "ask $NS for www.dnsf.test type 1 (race" "$O")" \
	"resolve --app curl: the curl entry's race strategy is used"

finish
