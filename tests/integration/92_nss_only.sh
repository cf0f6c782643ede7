#!/usr/bin/env bash
# 92_nss_only: NSS-only mode (issue 14, item 2). No preload at all: nsswitch.conf says
# "hosts: files dnsfailover", and glibc's NSS loader finds libnss_dnsfailover.so.2
# through the ld.so cache. With the primary blackholed, a real program (getent) must
# answer fast, through our module.
#
# Everything is private to a mount namespace: `make install DESTDIR=` puts the library
# in a temporary tree; a private ld.so.conf names that tree's lib directory, ldconfig
# (-X: no links touched; its aux cache goes to a tmpfs) writes a private cache, and that
# cache is bound over /etc/ld.so.cache together with the private resolv.conf, hosts and
# nsswitch.conf. The machine's own cache and /etc are never written.
#
#   1. getent ahosts with "files dnsfailover": the right answer, in well under the
#      2 s that glibc alone waits for the dead primary, and the module's debug log
#      (target stderr) shows that it asked the healthy server;
#   2. the control: glibc alone (hosts: files dns, same resolv.conf) takes >= 2 s, so
#      the timing can tell the two apart;
#   3. /etc/hosts still answers first (files comes before us on the line);
#   4. the fail-safe line "files dnsfailover [!UNAVAIL=return] dns" is used as it is:
#      fast through the module when it loads, glibc's DNS when it cannot be loaded;
#   5. `dnsfailover check` in that namespace says "NSS-only"; elsewhere "per-process
#      LD_PRELOAD" or "none", and it warns when the hosts line has neither dns nor
#      dnsfailover, or names dnsfailover where glibc cannot load the module.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent ldconfig
require_tool faultdns
require_lib

dest=$DNSF_TMP/dest
make -s -C "$DNSF_ROOT" BUILD="$DNSF_BUILD" install DESTDIR="$dest" >"$DNSF_TMP/install.log" 2>&1 ||
	{ sed 's/^/#   /' "$DNSF_TMP/install.log"; bail "make install DESTDIR=$dest failed"; }
libdir=$(dirname "$(find "$dest" -name libnss_dnsfailover.so.2 | head -1)")
[ -f "$libdir/libnss_dnsfailover.so.2" ] || bail "make install put no libnss_dnsfailover.so.2 under $dest"
ok "make install DESTDIR= installs libnss_dnsfailover.so.2 (${libdir#"$dest"})"

sr_ns_start
sr_fault 127.53.0.2 blackhole
# The dead primary first; glibc waits timeout:2 for it (attempts:1), then asks NSD.
ETC=$(sr_etc nss 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:2 attempts:1")
printf 'hosts: files dnsfailover\n' >"$ETC/nsswitch.conf"
GLIBC=$(sr_etc glibc 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:2 attempts:1")

# The private ld.so cache: the system's directories plus ours. ldconfig runs in its own
# mount namespace with a tmpfs over its aux-cache directory, which it writes even with -i.
printf 'include /etc/ld.so.conf.d/*.conf\n%s\n' "$libdir" >"$DNSF_TMP/ld.so.conf"
unshare -m --propagation private sh -c '
	mount -t tmpfs dnsf-ldconfig /var/cache/ldconfig || exit 125
	exec ldconfig -X -i -C "$1" -f "$2"' ldc "$ETC/ld.so.cache" "$DNSF_TMP/ld.so.conf" ||
	bail "ldconfig could not write the private cache"
cached=$(ldconfig -p -C "$ETC/ld.so.cache" 2>/dev/null | grep -F 'libnss_dnsfailover.so.2 ')
assert_contains "$cached" "=> $libdir/libnss_dnsfailover.so.2" "the private ld.so cache finds the NSS module"

conf=$(sr_conf nss <<'EOF'
log: { level = "debug"; target = "stderr"; };
EOF
)
# Under check-asan the module is ASan-built: its runtime must be loaded first, though
# the module itself is not preloaded.
mapfile -t env_asan < <(dnsf_asan_env)
O=$DNSF_TMP/out E=$DNSF_TMP/err

sr_timed "$O" "$E" sr_plain "$ETC" env "${env_asan[@]}" DNSFAILOVER_CONF="$conf" \
	getent ahosts www.dnsf.test
assert_eq 0 "$SR_RC" "NSS-only: getent ahosts www.dnsf.test succeeds"
assert_contains "$(cat "$O")" "192.0.2.10      STREAM" "NSS-only: the right address"
if [ "$SR_MS" -lt 1500 ]; then
	ok "NSS-only: answered in $SR_MS ms (< 1500 ms) with the primary blackholed"
else
	not_ok "NSS-only: took $SR_MS ms (>= 1500 ms): glibc's own DNS answered?"
fi
assert_contains "$(cat "$E")" "ask $DNSF_NS_ADDR:53 for www.dnsf.test" \
	"NSS-only: the module's own log shows it asked the healthy server"
assert_contains "$(cat "$E")" "hosts: files dnsfailover (as configured)" \
	"NSS-only: the module became active without rewriting the hosts line"
grep -q '^ERROR: ld.so' "$E" && not_ok "NSS-only: ld.so complained" || ok "NSS-only: no loader error"
diag "figure: NSS-only, primary blackholed: getent ahosts took ${SR_MS} ms"

# Control: glibc alone waits for the dead primary.
sr_timed "$O" "$E" sr_plain "$GLIBC" getent ahosts www.dnsf.test
assert_contains "$(cat "$O")" "192.0.2.10" "control: glibc alone gets the same address"
if [ "$SR_MS" -ge 1900 ]; then
	ok "control: glibc alone took $SR_MS ms (>= 1900 ms: it waited for the primary)"
else
	not_ok "control: glibc alone took only $SR_MS ms: the primary was not dead?"
fi

# /etc/hosts answers before us (the fixture maps files-only.dnsf.test).
hostsname=$(awk '!/^#/ && NF >= 2 && $2 ~ /dnsf/ { print $2; exit }' "$ETC/hosts")
if [ -n "$hostsname" ]; then
	want=$(sr_plain "$GLIBC" getent ahosts "$hostsname")
	got=$(sr_plain "$ETC" env "${env_asan[@]}" getent ahosts "$hostsname" 2>/dev/null)
	assert_eq "$want" "$got" "NSS-only: /etc/hosts name $hostsname answered as glibc does"
fi

# The fail-safe line: glibc's DNS only when our module cannot be loaded. With the module:
# fast, through us (the line kept as it is). Without it (the machine's own ld.so cache,
# which does not know the module): still an answer, from glibc, after the dead primary.
SAFE=$(sr_etc safe 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:2 attempts:1")
printf 'hosts: files dnsfailover [!UNAVAIL=return] dns\n' >"$SAFE/nsswitch.conf"
NOMOD=$(sr_etc nomod 127.53.0.2 "$DNSF_NS_ADDR" --options "timeout:2 attempts:1")
cp "$SAFE/nsswitch.conf" "$NOMOD/nsswitch.conf"
cp "$ETC/ld.so.cache" "$SAFE/ld.so.cache"
sr_timed "$O" "$E" sr_plain "$SAFE" env "${env_asan[@]}" DNSFAILOVER_CONF="$conf" \
	getent ahosts www.dnsf.test
assert_contains "rc=$SR_RC $(grep -m1 "^192.0.2.10 " "$O")" "rc=0 192.0.2.10" "fail-safe line, module present: the right address"
[ "$SR_MS" -lt 1500 ] && ok "fail-safe line, module present: $SR_MS ms (< 1500 ms)" ||
	not_ok "fail-safe line, module present: $SR_MS ms"
assert_contains "$(cat "$E")" "hosts: files dnsfailover [!UNAVAIL=return] dns (as configured)" \
	"fail-safe line: used as it is, dns kept"
sr_timed "$O" "$E" sr_plain "$NOMOD" env "${env_asan[@]}" getent ahosts www.dnsf.test
assert_contains "rc=$SR_RC $(grep -m1 "^192.0.2.10 " "$O")" "rc=0 192.0.2.10" "fail-safe line, module missing: glibc's DNS still answers"
diag "figure: fail-safe line without the module: ${SR_MS} ms (glibc waits for the dead primary)"

# The command names the mode in effect (it reads the same nsswitch.conf and cache).
sr_timed "$O" "$E" sr_plain "$ETC" env "${env_asan[@]}" "$DNSF_BUILD/dnsfailover" check
assert_eq 0 "$SR_RC" "check runs in the NSS-only namespace"
assert_contains "$(grep '^mode' "$O")" "NSS-only" "check says: NSS-only"
assert_eq "" "$(cat "$E")" "check warns about nothing in NSS-only mode"

# The other modes, and the warnings (a private nsswitch.conf each; no ld.so cache of ours).
NONE=$(sr_etc none "$DNSF_NS_ADDR")
printf 'hosts: files myhostname\n' >"$NONE/nsswitch.conf"
sr_timed "$O" "$E" sr_plain "$NONE" "$DNSF_BUILD/dnsfailover" check
assert_contains "$(grep '^mode' "$O")" "none" "check, hosts: files myhostname: mode none"
assert_contains "$(cat "$E")" 'has neither "dns" nor "dnsfailover": dnsfailover would do nothing' \
	"check warns that dnsfailover would do nothing there"
sr_timed "$O" "$E" sr_shim "$NONE" - "$DNSF_BUILD/dnsfailover" check
assert_contains "$(grep '^mode' "$O")" "per-process LD_PRELOAD ($DNSF_LIB)" "check under LD_PRELOAD: per-process"
assert_contains "$(cat "$E")" "dnsfailover would do nothing" "... and still warns about the hosts line"
DNSONLY=$(sr_etc dnsonly "$DNSF_NS_ADDR")
sr_timed "$O" "$E" sr_plain "$DNSONLY" "$DNSF_BUILD/dnsfailover" check
assert_contains "$(grep '^mode' "$O")" "none" "check, hosts: files dns and no preload: mode none"
assert_eq "" "$(cat "$E")" "... with no warning (a preload would take dns over)"
printf 'hosts: files dnsfailover\n' >"$DNSONLY/nsswitch.conf"
sr_timed "$O" "$E" sr_plain "$DNSONLY" "$DNSF_BUILD/dnsfailover" check
assert_contains "$(cat "$E")" "glibc cannot load libnss_dnsfailover.so.2" \
	"check warns when nsswitch.conf names dnsfailover but the module is not in ld.so's path"
finish
