#!/usr/bin/env bash
# 91_preload: `dnsfailover preload enable|disable|status` (issue 14, item 1).
#
# Every run happens in a mount namespace where a private copy of the whole /etc is bound
# over /etc (rename() onto a file that is itself a bind mount fails with EBUSY, so the
# copy must be the directory). The namespace refuses to run anything unless it sees the
# copy's marker file; the machine's own /etc/ld.so.preload is compared before and after.
#
#   enable    proves the library first: /bin/true under it must exit 0 with nothing on
#             stderr and its hooks must bind; it refuses, changing nothing, a text file, a
#             foreign library, one that writes on stderr at load, a relative path, a
#             missing file, a library writable by its group or not owned by root, and a
#             --check-name that does not resolve; otherwise it adds the library, keeping
#             every other line byte for byte (mode 0644, a new inode: written by rename),
#             and a second enable changes nothing; a new process in the namespace then maps
#             the library, and `check` names the mode
#   disable   removes our entry only, also from a line it shares with another entry and a
#             comment, and removes the file when nothing else was in it
#   status    exit 0 when enabled, 1 when not
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd
require_lib
CLI=$DNSF_BUILD/dnsfailover
[ -x "$CLI" ] || bail "$CLI is not built (run: make)"
[ -f "$TOOLS/libctor.so" ] || bail "$TOOLS/libctor.so is not built (run: make tools)"

real_before=$(stat -c '%i %s %Y' /etc/ld.so.preload 2>/dev/null; cat /etc/ld.so.preload 2>/dev/null)
etc=$DNSF_TMP/etc
etc_copy "$etc"
rm -f "$etc/ld.so.preload" "$etc/resolv.conf" "$etc/dnsfailover.conf"
echo "nameserver $DNSF_NS_ADDR" >"$etc/resolv.conf"
printf 'hosts: files dns\n' >"$etc/nsswitch.conf"
PF=$etc/ld.so.preload

# A library that preloads cleanly and is not ours (for "other entries").
other=$(ldconfig -p | awk '$1 == "libz.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$other" ] && [ -f "$other" ] || bail "no libz.so.1 to stand for another preload"

lib=$DNSF_TMP/lib/libdnsfailover.so
install -D -m 0644 "$DNSF_LIB" "$lib"
install -D -m 0664 "$DNSF_LIB" "$DNSF_TMP/gw/libdnsfailover.so"
install -D -m 0644 -o nobody "$DNSF_LIB" "$DNSF_TMP/nobody/libdnsfailover.so"
install -D -m 0644 "$DNSF_ROOT/conf/dnsfailover.conf" "$DNSF_TMP/text/libdnsfailover.so"
chmod 0755 "$DNSF_TMP"

# Under check-asan every process must load the ASan runtime before the (ASan-built)
# library that ld.so.preload names: LD_PRELOAD comes first.
mapfile -t env_asan < <(dnsf_asan_env)
# in_etc CMD...: CMD with the private /etc (and the ASan runtime in every process of the
# namespace, the namespace's own sh and mount included).
in_etc() { (((${#env_asan[@]} == 0)) || export "${env_asan[@]}"; in_etc_copy "$etc" "$@"); }
O=$DNSF_TMP/out E=$DNSF_TMP/err
# pl ARGS...: `dnsfailover preload ARGS` in the namespace; sets RC.
pl() {
	in_etc "$CLI" preload "$@" >"$O" 2>"$E"
	RC=$?
}
show() { sed 's/^/#   out: /' "$O" | head -20; sed 's/^/#   err: /' "$E" | head -20; }
expect() { # expect RC WHAT
	if [ "$RC" = "$1" ]; then ok "$2 (exit $RC)"; else not_ok "$2: exit $RC, want $1"; show; fi
}
same_file() { # same_file CONTENT WHAT: the preload file holds exactly CONTENT
	if [ "$(cat "$PF" 2>/dev/null; echo x)" = "$1"x ]; then ok "$2"; else
		not_ok "$2"; sed 's/^/#   file: /' "$PF" 2>/dev/null || echo "#   (no file)"; fi
}

ns_start || bail "cannot start NSD"

# ---- refusals: nothing changes
# (glibc 2.36 blanks only the comments near the top of the file: see cli_preload.c.)
orig=$(printf '# site preloads\n%s\n' "$other")
printf '%s\n' "$orig" >"$PF"
chmod 0644 "$PF"
for bad in "$DNSF_TMP/text/libdnsfailover.so|a text file" \
	"$TOOLS/libctor.so|a library that writes on stderr at load" \
	"$other|a library whose hooks do not bind (libz)" \
	"lib/libdnsfailover.so|a relative path" \
	"$DNSF_TMP/missing/libdnsfailover.so|a missing file" \
	"$DNSF_TMP/gw/libdnsfailover.so|a group-writable library" \
	"$DNSF_TMP/nobody/libdnsfailover.so|a library not owned by root"; do
	pl enable --lib "${bad%%|*}"
	[ "$RC" != 0 ] && ok "enable refuses ${bad#*|} (exit $RC)" || { not_ok "enable accepted ${bad#*|}"; show; }
	same_file "$orig
" "... and leaves ld.so.preload as it was"
done
pl enable --lib "$TOOLS/libctor.so"
assert_contains "$(cat "$E")" "wrote on stderr" "the refusal of libctor.so says why"
pl enable --lib "$lib" --check-name nxdomain.dnsf.test
[ "$RC" != 0 ] && ok "enable refuses when --check-name does not resolve (exit $RC)" ||
	not_ok "enable accepted an unresolvable --check-name"
same_file "$orig
" "... and leaves ld.so.preload as it was"
ls -a "$etc" | grep -q '^\.ld\.so\.preload\.' && not_ok "a temporary file was left in /etc" ||
	ok "no temporary file left in /etc"

# ---- enable
ino_before=$(stat -c %i "$PF")
pl enable --lib "$lib" --check-name www.dnsf.test
expect 0 "enable with a good library and --check-name www.dnsf.test"
assert_contains "$(grep "www.dnsf.test:" "$O")" "192.0.2.10" "enable resolved the check name through the library"
same_file "$orig
$lib
" "enable kept the other lines byte for byte and added ours"
assert_eq "644 0" "$(stat -c '%a %u' "$PF")" "the file is mode 0644, root's"
[ "$(stat -c %i "$PF")" != "$ino_before" ] && ok "the file was replaced (rename), not rewritten in place" ||
	not_ok "same inode: written in place"
maps=$(in_etc cat /proc/self/maps)
assert_contains "$maps" "$lib" "a new process in the namespace maps the library"
pl enable --lib "$lib"
expect 0 "enable again"
assert_contains "$(cat "$O")" "already" "enable again says it is already there"
same_file "$orig
$lib
" "enable again changes nothing"
pl status --lib "$lib"
expect 0 "status --lib while enabled"
pl status
expect 0 "status while enabled"
check=$(in_etc "$CLI" check 2>&1)
assert_contains "$check" "mode          preload via /etc/ld.so.preload ($lib)" "check names the mode"

# ---- disable
pl disable
expect 0 "disable"
same_file "$orig
" "disable removed our line only"
pl status
expect 1 "status after disable"
pl disable
expect 0 "disable again"
same_file "$orig
" "disable again changes nothing"

# Our entry sharing a line with another one and a comment; and a second copy elsewhere.
printf '%s:%s # both\n# end\n' "$other" "$lib" >"$PF"
pl disable --lib "$lib"
expect 0 "disable --lib, entry shares a line"
same_file "$other # both
# end
" "disable removed only our entry from the shared line, kept the comment"

# A last line without its newline, entries separated by ':' and blanks.
printf '%s' "$other" >"$PF"
pl enable --lib "$lib"
expect 0 "enable after a last line without a newline"
same_file "$other
$lib
" "enable ended the last line before adding ours"
printf '  %s:%s\t%s\n' "$lib" "$other" "$lib" >"$PF"
pl status
expect 0 "status finds our entry among ':' and blank separated ones"
pl disable
expect 0 "disable, entries separated by ':' and blanks"
same_file "$other
" "disable removed both of our entries and kept the other"
printf '%s\n' "$DNSF_TMP/gone/libdnsfailover.so" >"$PF"
pl status
expect 0 "status with an entry whose file is gone"
assert_contains "$(cat "$O")" "warning: $DNSF_TMP/gone/libdnsfailover.so" "status warns that the listed file is gone"
pl disable --lib "$DNSF_TMP/gone/libdnsfailover.so"
expect 0 "disable --lib of a file that is gone"

# A new file; then nothing but ours: disable removes the file.
rm -f "$PF"
pl enable --lib "$lib"
expect 0 "enable without a file"
same_file "$lib
" "the new file holds our line"
assert_eq "644" "$(stat -c '%a' "$PF")" "the new file is mode 0644"
pl disable
expect 0 "disable of the only line"
[ -e "$PF" ] && not_ok "the file is still there" || ok "the file holding only our line is removed"
pl status
expect 1 "status without a file"
pl frobnicate
expect 2 "an unknown verb is a usage error"

real_after=$(stat -c '%i %s %Y' /etc/ld.so.preload 2>/dev/null; cat /etc/ld.so.preload 2>/dev/null)
assert_eq "$real_before" "$real_after" "the machine's own /etc/ld.so.preload is untouched"
finish
