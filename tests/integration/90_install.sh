#!/usr/bin/env bash
# make install PREFIX=... DESTDIR=... installs the contract's three files
# (../shared/CONFIG.md), and the installed library works from its new place.
source "$(dirname "$0")/../lib/common.sh"

dest=$DNSF_TMP/dest
make -s -C "$DNSF_ROOT" BUILD="$DNSF_BUILD" install PREFIX=/opt/dnsf DESTDIR="$dest" \
	SYSCONFDIR=/etc >"$DNSF_TMP/install.log" 2>&1
assert_eq 0 "$?" "make install succeeds ($(tail -1 "$DNSF_TMP/install.log"))"
for f in /opt/dnsf/lib/libdnsfailover.so /opt/dnsf/bin/dnsfailover \
	/opt/dnsf/share/doc/dnsfailover/dnsfailover.conf.example /etc/dnsfailover.conf; do
	if [ -s "$dest$f" ]; then ok "installed $f"; else not_ok "missing $f"; fi
done
[ -x "$dest/opt/dnsf/bin/dnsfailover" ] && ok "the command is executable" ||
	not_ok "the command is not executable"
cmp -s "$dest/etc/dnsfailover.conf" "$DNSF_ROOT/conf/dnsfailover.conf" &&
	ok "the example config is installed as /etc/dnsfailover.conf" ||
	not_ok "/etc/dnsfailover.conf differs from conf/dnsfailover.conf"

# An existing system config is never overwritten.
echo 'strategy = "race";' >"$dest/etc/dnsfailover.conf"
make -s -C "$DNSF_ROOT" BUILD="$DNSF_BUILD" install PREFIX=/opt/dnsf DESTDIR="$dest" \
	SYSCONFDIR=/etc >/dev/null 2>&1
assert_eq 'strategy = "race";' "$(cat "$dest/etc/dnsfailover.conf")" \
	"a second install keeps the existing /etc/dnsfailover.conf"

# The installed library loads and answers from its new path. resolv.conf
# names an address where nothing listens, so only the shim (configured with
# the real server) can answer.
ns_start || bail "cannot start NSD"
make_resolv "$DNSF_TMP/resolv.conf" 127.53.0.250
printf 'nameservers = [ "127.53.0.1" ];\n' >"$DNSF_TMP/c.conf"
# dnsf_shim_env preloads DNSF_LIB (and the ASan runtime first under check-asan).
mapfile -t shim_env < <(DNSF_LIB="$dest/opt/dnsf/lib/libdnsfailover.so" dnsf_shim_env)
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" env "${shim_env[@]}" \
	DNSFAILOVER_CONF="$DNSF_TMP/c.conf" getent ahostsv4 www.dnsf.test 2>&1)
assert_contains "$out" "192.0.2.10" "the installed library answers (only the shim can)"
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" getent ahostsv4 www.dnsf.test 2>&1)
assert_eq "" "$out" "without it the same lookup fails (the check can fail)"
ver=$("$dest/opt/dnsf/bin/dnsfailover" keys | head -1)
assert_contains "$ver" "enabled" "the installed command runs"
finish
