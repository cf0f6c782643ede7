#!/usr/bin/env bash
# tests/tools/fetch_nscd.sh DIR -- an nscd binary for tests/bench.sh, WITHOUT installing
# the nscd package.
#
# Prints the path of an nscd program on stdout and exits 0; otherwise exits 1 with the
# reason as the last line on stderr (the bench then says nscd was not measured, and
# why, and carries on).
#
# Why not `apt-get install nscd`: the package starts a host-wide daemon (now, and at
# every boot) that answers every glibc lookup on the machine through the host's real
# resolv.conf.  The glibc side of the differential tests would then be nscd's answers,
# and queries would leave the machine.  The bench only needs the program, run in its
# own mount namespace with a private /etc and socket directory (cb_nscd in bench.sh).
#
# So: an nscd already on PATH is used as it is; otherwise `apt-get download
# nscd=VERSION` into DIR and `dpkg-deb -x` it (no maintainer scripts run, nothing
# registered with dpkg), keeping only DIR/root/usr/sbin/nscd.  VERSION is the
# installed libc6's exact version: nscd is built from glibc's source and talks to the
# client side of glibc (socket protocol, shared-memory database layout) of the same
# build.  A previous extraction of that version is reused without the network.
#
# As root apt-get warns "Download is performed unsandboxed as root ... _apt"
# (the _apt user cannot write to DIR); harmless, and kept in DIR/apt-get.log.
set -u

dir=${1:?usage: fetch_nscd.sh DIR}
fail() {
	echo "fetch_nscd: $*" >&2
	exit 1
}

if command -v nscd >/dev/null 2>&1; then
	command -v nscd
	exit 0
fi

ver=$(dpkg-query -W -f='${Version}' libc6 2>/dev/null) || ver=""
[ -n "$ver" ] || fail "cannot read the installed libc6 version (dpkg-query)"
bin=$dir/root/usr/sbin/nscd

# Reuse an earlier extraction of the same version.
if [ -x "$bin" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$ver" ]; then
	echo "$bin"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available"
rm -rf "$dir/dl" "$dir/root" "$dir/version"
mkdir -p "$dir/dl" || fail "cannot create $dir/dl"
# A bounded wait when offline: no retries, 20 s per connection.
if ! (cd "$dir/dl" && timeout 180 apt-get download -q -o Acquire::Retries=0 \
	-o Acquire::http::Timeout=20 "nscd=$ver") >"$dir/apt-get.log" 2>&1; then
	fail "apt-get download nscd=$ver failed: $(grep -m 1 '^E:' "$dir/apt-get.log" || tail -n 1 "$dir/apt-get.log")"
fi
deb=$(find "$dir/dl" -maxdepth 1 -name 'nscd_*.deb' | head -n 1)
[ -n "$deb" ] || fail "apt-get download left no nscd_*.deb in $dir/dl"
got=$(dpkg-deb -f "$deb" Version 2>/dev/null)
[ "$got" = "$ver" ] || fail "downloaded nscd is version '$got', libc6 is $ver"
# Only the program is kept: the package's other files include directories named
# init.d and tmpfiles.d, which the Makefile's `find build -name '*.d'` would include.
rm -rf "$dir/x"
dpkg-deb -x "$deb" "$dir/x" || fail "dpkg-deb -x $deb failed"
[ -x "$dir/x/usr/sbin/nscd" ] || fail "$deb holds no usr/sbin/nscd"
if ! mkdir -p "${bin%/*}" || ! mv "$dir/x/usr/sbin/nscd" "$bin"; then
	fail "cannot move nscd to $bin"
fi
rm -rf "$dir/x"
# Its shared libraries (libselinux1, libaudit1, libcap2) must be present here.
"$bin" --version >/dev/null 2>&1 || fail "$bin does not run: $("$bin" --version 2>&1 | head -n 1)"
echo "$ver" >"$dir/version"
echo "$bin"
