#!/usr/bin/env bash
# 74_config_lastgood: a broken config never turns failover off (issue 14, item 4).
#
# The primary (127.53.0.2) swallows every query; the secondary is NSD. resolv.conf says
# "options timeout:1 attempts:1", so a lookup that glibc answers alone takes about 1 s,
# and one the shim answers (hedge: the secondary asked ~10 ms later) well under 700 ms.
# The config sends the shim's log to a file of the test's, never to stderr. The state
# directory is the default /run/dnsfailover, in the test's own /run (common.sh).
#
#   1. A good config, read once by a fresh process, is kept as its last good copy: a
#      root-owned file in /run/dnsfailover, 0600 plus the config's read bits, whose
#      first line names the config file.
#   2. A typo (the issue's own: `cache: { enable = true; }`): three fresh processes one
#      after another, and three at once, still fail over fast from the last good copy,
#      print nothing on stderr, and the log has the error (file, line, key) exactly once.
#      Another change of the broken file is logged once more.
#   3. An apps section with enabled = false in the last good copy keeps its meaning.
#   4. `dnsfailover check` still names file, line and key, and exits 3.
#   5. A last good copy that is not trusted (another owner, writable by others, a
#      symlink) is ignored: the process behaves as glibc (about 1 s). Put right, it is
#      used again.
#   6. A broken file with no last good copy: glibc's behaviour (fail open), stderr empty.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent
require_tool faultdns
require_lib
[ -n "${DNSF_PRIVATE_RUN:-}" ] || skip "no private /run for this test (common.sh could not mount one)"

STATE=/run/dnsfailover
FAST_MS=700            # the shim with a dead primary: ~10 ms plus start-up and load
SLOW_MS=900            # glibc with timeout:1 waits out the primary: ~1000 ms

sr_ns_start
sr_fault 127.53.0.2 blackhole
ETC=$(sr_etc bh 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:1 attempts:1")
LOG=$DNSF_TMP/shim.log
O=$DNSF_TMP/out E=$DNSF_TMP/err
: >"$LOG"

# good_text [LINE...]: the config, with LINEs added at the end.
good_text() {
	printf '%s\n' "# 74_config_lastgood" 'nameservers = [ "127.53.0.2", "127.53.0.1" ];' \
		'strategy = "hedge";' "log: { level = \"warn\"; target = \"$LOG\"; };" "$@"
}
put() {
	cat >"$1.new"
	mv -f "$1.new" "$1"
}
# timed fast|slow LABEL CONF: a fresh process resolves www.dnsf.test through the shim: the
# right answer, nothing on stderr, and fast (it failed over) or slow (glibc's own wait).
timed() {
	local how=$1 label=$2 conf=$3 fast=0
	sr_timed "$O" "$E" sr_shim "$ETC" "$conf" getent ahosts www.dnsf.test
	assert_eq "0|" "$SR_RC|$(cat "$E")" "$label: the lookup succeeds, nothing on stderr"
	assert_contains "$(cat "$O")" "192.0.2.10" "$label: the answer is www.dnsf.test's"
	if [ "$SR_MS" -lt "$FAST_MS" ]; then fast=1; fi
	case $how/$fast in
	fast/1) ok "$label: $SR_MS ms (< $FAST_MS: it failed over)" ;;
	fast/0) not_ok "$label: $SR_MS ms (>= $FAST_MS: failover is off)" ;;
	slow/*) if [ "$SR_MS" -ge "$SLOW_MS" ]; then ok "$label: $SR_MS ms (>= $SLOW_MS: glibc's own wait)"
		else not_ok "$label: $SR_MS ms (< $SLOW_MS): not glibc's behaviour"; fi ;;
	esac
}
fast() { timed fast "$@"; }
slow() { timed slow "$@"; }
errors() { grep -c ': error: ' "$LOG" || true; }

# ---------------------------------------------------------------- 1. kept when read well
CONF=$DNSF_TMP/app.conf
good_text | put "$CONF"
fast "good config" "$CONF"
copy=$(grep -lxF "# dnsfailover: the last good copy of $CONF" "$STATE"/config-v1.* 2>/dev/null | head -n 1)
if [ -n "$copy" ]; then ok "the last good copy is kept: $copy"
else bail "no last good copy of $CONF in $STATE: $(ls -la "$STATE" 2>&1 | tr '\n' ' ')"; fi
chmod 0644 "$CONF"
assert_eq "0 644 1" "$(stat -c '%u %a %h' "$copy")" "the copy is root's, one link, mode 0644 (0600 plus the 0644 config's read bits)"
assert_eq "$(cat "$CONF")" "$(tail -n +2 "$copy")" "the copy holds the config's bytes after its first line"

# A config only its owner may read is not copied into a file others may read.
chmod 0600 "$CONF"
touch -d '-1 min' "$CONF"
fast "the config made 0600" "$CONF"
assert_eq "600" "$(stat -c '%a' "$copy")" "the copy of a 0600 config is 0600"
chmod 0644 "$CONF"

# ---------------------------------------------------------------- 2. a typo
good_text 'cache: { enable = true; };' | put "$CONF"
line=$(grep -n 'enable = true' "$CONF" | cut -d: -f1)
for i in 1 2 3; do fast "typo, fresh process $i" "$CONF"; done
assert_eq 1 "$(errors)" "typo: one error line in the log for three processes"
assert_contains "$(cat "$LOG")" "$CONF:$line:" "typo: the error names the file and line"
assert_contains "$(cat "$LOG")" "enable" "typo: the error names the key"
assert_contains "$(cat "$LOG")" "using its last good copy instead" "typo: the error says what the process does"
diag "typo: $(grep ': error: ' "$LOG")"
# Three at once: still that one line.
pids=()
for i in 1 2 3; do
	sr_shim "$ETC" "$CONF" getent ahosts www.dnsf.test >"$O.$i" 2>"$E.$i" &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs$?"; done
assert_eq "000|||" "$rcs|$(cat "$E.1")|$(cat "$E.2")|$(cat "$E.3")" "typo: three processes at once succeed, nothing on stderr"
assert_eq 1 "$(errors)" "typo: still one error line after three more processes at once"
# Another change of the broken file: one more line, once.
{ good_text 'cache: { enable = true; };'; echo '# changed'; } | put "$CONF"
fast "typo changed, fresh process 1" "$CONF"
fast "typo changed, fresh process 2" "$CONF"
assert_eq 2 "$(errors)" "typo changed: one more error line, for two processes"
assert_eq 1 "$(find "$STATE" -name "${copy##*/}.bad-*" | wc -l)" "only the latest breakage's marker is kept"

# ---------------------------------------------------------------- 3. enabled = false
# The last good copy says getent is not ours: a process of that name passes through.
CONF3=$DNSF_TMP/apps.conf
good_text 'apps = ( { match = [ "getent" ]; enabled = false; } );' | put "$CONF3"
slow "apps: enabled = false, good file" "$CONF3"
good_text 'apps = ( { match = [ "getent" ]; enabled = false; } );' 'strategy = ;' | put "$CONF3"
slow "apps: enabled = false, broken file, from the last good copy" "$CONF3"
assert_contains "$(grep "$CONF3:" "$LOG")" "using its last good copy instead" \
	"apps: the process started from the last good copy (its log target has the error)"

# ---------------------------------------------------------------- 4. check
"$DNSF_BUILD/dnsfailover" check --config "$CONF" >"$O" 2>"$E"
rc=$?
assert_eq 3 "$rc" "check: exit 3 on the broken file"
assert_contains "$(cat "$E")" "$CONF:$line:" "check: names file and line"
assert_contains "$(cat "$E")" "enable" "check: names the key"

# ---------------------------------------------------------------- 5. untrusted copies
chown nobody "$copy"
slow "copy owned by nobody" "$CONF"
chown root "$copy"
chmod 0666 "$copy"
slow "copy writable by others" "$CONF"
chmod 0644 "$copy"
mv "$copy" "$copy.real"
ln -s "$copy.real" "$copy"
slow "copy replaced by a symlink" "$CONF"
rm -f "$copy"
mv "$copy.real" "$copy"
fast "copy put right again" "$CONF"

# ---------------------------------------------------------------- 6. no last good copy
CONF6=$DNSF_TMP/never-good.conf
good_text 'cache: { enable = true; };' | put "$CONF6"
n0=$(errors)
slow "broken from the start, no last good copy" "$CONF6"
assert_eq "$n0" "$(errors)" "no last good copy: nothing in the config's log file (it was never read)"

finish
