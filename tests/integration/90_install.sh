#!/usr/bin/env bash
# 90_install: make install / make uninstall (issue 14, items 2 and 9).
#
#   DESTDIR  `make install PREFIX=/opt/dnsf DESTDIR=D` writes exactly the expected list of
#            files under D (the contract's files, the NSS name beside the library, the man
#            pages, the completion, the example, /etc/dnsfailover.conf, the tmpfiles.d
#            entry that makes the state directory at boot) and nothing outside
#            D: strace records every path the whole make tree writes, and each must be in
#            D, the build directory or the test's temporary directory. The command's
#            compiled-in library path follows LIBDIR. An existing system config is never
#            overwritten. `make uninstall` then leaves no file behind, except a config the
#            admin changed.
#   works    the installed library loads and answers from its new place.
#   real     without DESTDIR (in a mount namespace with a private copy of /etc, and a
#            PREFIX outside ld.so's directories): install names the lib directory in
#            /etc/ld.so.conf.d and runs ldconfig, so glibc's NSS loader finds
#            libnss_dnsfailover.so.2 and `check` says NSS-only; with the preload enabled,
#            uninstall first removes our line from /etc/ld.so.preload, then every file,
#            the ld.so.conf.d entry and the cache entry.
# The make runs use a copy of the build directory: a new PREFIX recompiles the command,
# which must not change the build the other tests use.
# shellcheck source=tests/lib/common.sh
source "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd strace ldconfig
require_lib

build=$DNSF_TMP/build
mkdir -p "$build" "$DNSF_TMP/tmp"
cp -a "$DNSF_BUILD"/obj "$DNSF_BUILD"/libdnsf_core.a "$DNSF_BUILD"/libdnsfailover.so \
	"$DNSF_BUILD"/dnsfailover "$build"/ || bail "cannot copy $DNSF_BUILD"
[ -d "$DNSF_BUILD/gen" ] && cp -a "$DNSF_BUILD/gen" "$build/"
# The flags `make check-asan` builds with, so that the recompiled command matches.
mk=(make -s -C "$DNSF_ROOT" BUILD="$build")
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	mk+=(SANITIZER=address,undefined CFLAGS="-O1 -g")
fi

# ---- DESTDIR: the exact list, and nothing written outside
dest=$DNSF_TMP/dest
TMPDIR=$DNSF_TMP/tmp strace -f -y -qq -o "$DNSF_TMP/strace.log" \
	-e trace=%file,%desc,%process "${mk[@]}" install PREFIX=/opt/dnsf DESTDIR="$dest" SYSCONFDIR=/etc \
	>"$DNSF_TMP/install.log" 2>&1
assert_eq 0 "$?" "make install PREFIX=/opt/dnsf DESTDIR= succeeds ($(tail -1 "$DNSF_TMP/install.log"))"
want="/etc/dnsfailover.conf
/opt/dnsf/bin/dnsfailover
/opt/dnsf/lib/libdnsfailover.so
/opt/dnsf/lib/libnss_dnsfailover.so.2 -> libdnsfailover.so
/opt/dnsf/lib/tmpfiles.d/dnsfailover.conf
/opt/dnsf/share/bash-completion/completions/dnsfailover
/opt/dnsf/share/doc/dnsfailover/dnsfailover.conf.example
/opt/dnsf/share/man/man5/dnsfailover.conf.5
/opt/dnsf/share/man/man8/dnsfailover.8"
# list_files DIR: its files and symlinks (with their targets), relative, sorted.
list_files() { (cd "$1" && find . \( -type f -printf '/%P\n' \) -o \( -type l -printf '/%P -> %l\n' \) | sort); }
assert_eq "$want" "$(list_files "$dest")" "install wrote exactly the expected files under DESTDIR"
outside=$("$DNSF_PYTHON" "$DNSF_ROOT/tests/tools/strace_writes.py" "$DNSF_TMP/strace.log" |
	grep -v -e "^$dest/" -e "^$dest\$" -e "^$build/" -e "^$DNSF_TMP/" -e '^/dev/null$' -e '^/dev/tty$')
assert_eq "" "$outside" "make install DESTDIR= wrote nothing outside DESTDIR, the build and TMPDIR"
[ "$(grep -c . <<<"$("$DNSF_PYTHON" "$DNSF_ROOT/tests/tools/strace_writes.py" "$DNSF_TMP/strace.log")")" -gt 8 ] &&
	ok "strace saw the writes (the check above can fail)" || not_ok "strace saw no writes"
[ -x "$dest/opt/dnsf/bin/dnsfailover" ] && ok "the command is executable" || not_ok "the command is not executable"
cmp -s "$dest/etc/dnsfailover.conf" "$DNSF_ROOT/conf/dnsfailover.conf" &&
	ok "the example config is installed as /etc/dnsfailover.conf" ||
	not_ok "/etc/dnsfailover.conf differs from conf/dnsfailover.conf"
assert_contains "$("$dest/opt/dnsf/bin/dnsfailover" preload --help)" "defaults to /opt/dnsf/lib/libdnsfailover.so" \
	"the installed command's default library is LIBDIR's"
assert_eq "dnsfailover $(cat "$DNSF_ROOT/conf/VERSION")" "$("$dest/opt/dnsf/bin/dnsfailover" --version)" \
	"the installed command prints the version"
assert_eq "d /run/dnsfailover 1777 root root -" "$(grep -v '^#' "$dest/opt/dnsf/lib/tmpfiles.d/dnsfailover.conf")" \
	"the tmpfiles.d entry makes /run/dnsfailover root's, mode 1777"

# An existing system config is never overwritten.
echo 'strategy = "race";' >"$dest/etc/dnsfailover.conf"
"${mk[@]}" install PREFIX=/opt/dnsf DESTDIR="$dest" SYSCONFDIR=/etc >/dev/null 2>&1
assert_eq 'strategy = "race";' "$(cat "$dest/etc/dnsfailover.conf")" \
	"a second install keeps the existing /etc/dnsfailover.conf"

# ---- the installed library loads and answers from its new place. resolv.conf names an
# address where nothing listens, so only the shim (configured with NSD) can answer.
ns_start || bail "cannot start NSD"
make_resolv "$DNSF_TMP/resolv.conf" 127.53.0.250
printf 'nameservers = [ "127.53.0.1" ];\n' >"$DNSF_TMP/c.conf"
mapfile -t shim_env < <(DNSF_LIB="$dest/opt/dnsf/lib/libdnsfailover.so" dnsf_shim_env)
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" env "${shim_env[@]}" \
	DNSFAILOVER_CONF="$DNSF_TMP/c.conf" getent ahosts www.dnsf.test 2>&1)
assert_contains "$out" "192.0.2.10" "the installed library answers (only the shim can)"
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" getent ahosts www.dnsf.test 2>&1)
assert_eq "" "$out" "without it the same lookup fails (the check can fail)"

# ---- uninstall: everything goes but a changed config; then an unchanged one goes too.
"${mk[@]}" uninstall PREFIX=/opt/dnsf DESTDIR="$dest" SYSCONFDIR=/etc >"$DNSF_TMP/un.log" 2>&1
assert_eq 0 "$?" "make uninstall DESTDIR= succeeds"
assert_eq "/etc/dnsfailover.conf" "$(list_files "$dest")" "uninstall removed every file but the changed config"
assert_contains "$(cat "$DNSF_TMP/un.log")" "keeping" "uninstall says why it keeps the config"
rm -f "$dest/etc/dnsfailover.conf"
"${mk[@]}" install PREFIX=/opt/dnsf DESTDIR="$dest" SYSCONFDIR=/etc >/dev/null 2>&1
"${mk[@]}" uninstall PREFIX=/opt/dnsf DESTDIR="$dest" SYSCONFDIR=/etc >/dev/null 2>&1
assert_eq "" "$(list_files "$dest")" "install then uninstall leaves no file (the config was unchanged)"

# ---- a real install (no DESTDIR), in a namespace with a private /etc.
etc=$DNSF_TMP/etc
etc_copy "$etc"
rm -f "$etc/ld.so.preload" "$etc/dnsfailover.conf" "$etc/ld.so.conf.d/dnsfailover.conf"
printf 'hosts: files dnsfailover\n' >"$etc/nsswitch.conf"
prefix=$DNSF_TMP/prefix
chmod 0755 "$DNSF_TMP"
mapfile -t env_asan < <(dnsf_asan_env)
# in_etc CMD...: CMD with the private /etc; in_etc_asan: with the ASan runtime in every
# process of the namespace too (once ld.so.preload names the ASan-built library).
in_etc() { in_etc_copy "$etc" "$@"; }
in_etc_asan() { (((${#env_asan[@]} == 0)) || export "${env_asan[@]}"; in_etc_copy "$etc" "$@"); }
in_etc "${mk[@]}" install PREFIX="$prefix" >"$DNSF_TMP/real.log" 2>&1
assert_eq 0 "$?" "make install PREFIX=$prefix (no DESTDIR) succeeds"
assert_eq "$prefix/lib" "$(cat "$etc/ld.so.conf.d/dnsfailover.conf" 2>/dev/null)" \
	"install named the lib directory in /etc/ld.so.conf.d"
cached=$(ldconfig -p -C "$etc/ld.so.cache" 2>/dev/null | grep -F 'libnss_dnsfailover.so.2 ')
assert_contains "$cached" "=> $prefix/lib/libnss_dnsfailover.so.2" "ldconfig put the NSS module in the (private) cache"
check=$(in_etc env "${env_asan[@]}" "$prefix/bin/dnsfailover" check 2>&1)
assert_contains "$check" "mode          NSS-only" "check says NSS-only after a real install"

in_etc env "${env_asan[@]}" "$prefix/bin/dnsfailover" preload enable >"$DNSF_TMP/enable.log" 2>&1
assert_eq 0 "$?" "preload enable with the installed default library"
assert_eq "$prefix/lib/libdnsfailover.so" "$(cat "$etc/ld.so.preload" 2>/dev/null)" \
	"ld.so.preload names the installed library"
in_etc_asan "${mk[@]}" uninstall PREFIX="$prefix" >"$DNSF_TMP/real-un.log" 2>&1
assert_eq 0 "$?" "make uninstall (no DESTDIR) succeeds"
[ -e "$etc/ld.so.preload" ] && not_ok "uninstall left /etc/ld.so.preload: $(cat "$etc/ld.so.preload")" ||
	ok "uninstall removed our line from /etc/ld.so.preload (the file held nothing else)"
assert_eq "" "$(list_files "$prefix")" "uninstall removed every file under PREFIX"
[ -e "$etc/ld.so.conf.d/dnsfailover.conf" ] && not_ok "uninstall left /etc/ld.so.conf.d/dnsfailover.conf" ||
	ok "uninstall removed /etc/ld.so.conf.d/dnsfailover.conf"
[ -e "$etc/dnsfailover.conf" ] && not_ok "uninstall left the unchanged /etc/dnsfailover.conf" ||
	ok "uninstall removed the unchanged /etc/dnsfailover.conf"
cached=$(ldconfig -p -C "$etc/ld.so.cache" 2>/dev/null | grep -F 'libnss_dnsfailover.so.2 ')
assert_eq "" "$cached" "the cache no longer lists the NSS module"
finish
