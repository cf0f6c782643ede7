#!/usr/bin/env bash
# 93_deb: the Debian package (issue 14, item 8), cheaply. Building the .deb takes
# time, so `make test` checks the recipe in conf/debian and runs its maintainer scripts;
# when `make deb` has left build/dnsfailover_<VERSION>_<arch>.deb, its contents, control
# fields and packaged scripts are checked too (else that part is only noted).
#
#   recipe   control: Depends names libconfig9 (dlopen'ed, invisible to shlibs) and
#            ${shlibs:Depends} (libc), Static-Built-Using is filled from c-ares's source
#            package; rules installs to the multiarch directory; no postinst touches
#            /etc/ld.so.preload
#   scripts  in a mount namespace with a private copy of /etc (never dpkg on this machine):
#            prerm remove and postrm remove/purge drop the package's entries (also on a
#            shared line, also under the /lib alias) and keep others, byte for byte, and
#            the file's mode; a file left empty is removed; prerm/postrm upgrade keep the
#            line; no file stays no file
#   package  dpkg-deb -c: the library in /usr/lib/<multiarch>/ with the NSS name beside
#            it, the command, both man pages, the completion, /etc/dnsfailover.conf;
#            dpkg-deb -I: Depends, Static-Built-Using, the conffile; its command's default
#            library is the packaged one; its scripts behave as above
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
deb=$DNSF_ROOT/conf/debian
ma=$(gcc -print-multiarch)
version=$(cat "$DNSF_ROOT/conf/VERSION")

# ---- the recipe
ctl=$(cat "$deb/control")
assert_contains "$ctl" 'Depends: ${shlibs:Depends}, ${misc:Depends}, libconfig9' \
	"control: Depends on libconfig9 and the shlibs (libc)"
assert_contains "$ctl" 'Static-Built-Using: ${dnsf:Static-Built-Using}' "control: Static-Built-Using"
assert_contains "$(cat "$deb/rules")" "dpkg-query -W -f='\$\${source:Package} (= \$\${source:Version})' libc-ares-dev" \
	"rules: Static-Built-Using names c-ares's source package and version"
assert_contains "$(cat "$deb/rules")" 'LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH)' "rules: the multiarch library directory"
assert_contains "$(cat "$deb/rules")" 'TMPFILESDIR=/usr/lib/tmpfiles.d' "rules: the tmpfiles.d entry in systemd's vendor directory"
assert_eq "3.0 (native)" "$(cat "$deb/source/format")" "source format: native (the version is VERSION's)"
for s in "$deb"/postinst "$deb"/preinst; do
	[ -e "$s" ] || continue
	grep -q 'ld\.so\.preload' "$s" && not_ok "$(basename "$s") touches ld.so.preload" ||
		ok "$(basename "$s") does not touch ld.so.preload"
done
for s in prerm postrm; do
	sh -n "$deb/$s" && ok "$s parses (sh -n)" || not_ok "$s does not parse"
	[ -x "$deb/$s" ] && ok "$s is executable" || not_ok "$s is not executable"
done

# ---- the maintainer scripts, against a private /etc
etc=$DNSF_TMP/etc
etc_copy "$etc"
rm -f "$etc/ld.so.preload"
PF=$etc/ld.so.preload
real_before=$(cat /etc/ld.so.preload 2>/dev/null; stat -c %Y /etc/ld.so.preload 2>/dev/null)
other=$(ldconfig -p | awk '$1 == "libz.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$other" ] || bail "no libz.so.1 to stand for another preload"
ours=/usr/lib/$ma/libdnsfailover.so

# run_script DIR NAME ARG: DIR/NAME ARG inside the namespace; sets RC.
run_script() {
	in_etc_copy "$etc" "$1/$2" "$3" >"$DNSF_TMP/script.out" 2>"$DNSF_TMP/script.err"
	RC=$?
}
# scenario DIR NAME ARG BEFORE AFTER WHAT: the file holds BEFORE (mode 0644), the script
# runs, the file must hold AFTER ("-": no file). BEFORE "-": no file to start with.
scenario() {
	local dir=$1 name=$2 arg=$3 before=$4 after=$5 what=$6 got
	rm -f "$PF"
	if [ "$before" != - ]; then printf '%s' "$before" >"$PF" && chmod 0644 "$PF"; fi
	run_script "$dir" "$name" "$arg"
	[ "$RC" = 0 ] || { not_ok "$what: $name $arg exited $RC"; sed 's/^/#   /' "$DNSF_TMP/script.err"; return; }
	if [ -e "$PF" ]; then got=$(cat "$PF"; echo x); got=${got%x}; else got=-; fi
	assert_eq "$after" "$got" "$what"
	if [ "$after" != - ] && [ -e "$PF" ]; then
		assert_eq 644 "$(stat -c %a "$PF")" "... and the file keeps mode 0644"
	fi
}
check_scripts() { # check_scripts DIR LABEL
	local d=$1 l=$2
	scenario "$d" prerm remove "$other
$ours
" "$other
" "$l: prerm remove drops our line, keeps the other"
	scenario "$d" prerm remove "$other:/lib/$ma/libnss_dnsfailover.so.2 /usr/local/lib/libdnsfailover.so
" "$other /usr/local/lib/libdnsfailover.so
" "$l: prerm remove drops our entry (the /lib alias, NSS name) from a shared line, keeps another install's"
	scenario "$d" prerm remove "$ours
" - "$l: prerm remove removes a file that held only our line"
	scenario "$d" prerm remove - - "$l: prerm remove without a file creates none"
	scenario "$d" prerm upgrade "$other
$ours
" "$other
$ours
" "$l: prerm upgrade keeps the line"
	scenario "$d" postrm upgrade "$ours
" "$ours
" "$l: postrm upgrade keeps the line"
	scenario "$d" postrm purge "$ours
$other
" "$other
" "$l: postrm purge drops our line"
	scenario "$d" postrm remove "$other
" "$other
" "$l: postrm remove leaves a file without our line as it was"
	ls -a "$etc" | grep -q '^\.ld\.so\.preload\.' && not_ok "$l: a temporary file was left in /etc" ||
		ok "$l: no temporary file left in /etc"
}
check_scripts "$deb" conf/debian

# ---- the built package, when there is one
pkg=$DNSF_BUILD/dnsfailover_${version}_$(dpkg --print-architecture).deb
if [ -f "$pkg" ] && [ "$pkg" -nt "$DNSF_ROOT/conf/VERSION" ]; then
	list=$(dpkg-deb -c "$pkg" | awk '{ print $6 $7 $8 }')
	for f in "./usr/lib/$ma/libdnsfailover.so" "./usr/lib/$ma/libnss_dnsfailover.so.2->libdnsfailover.so" \
		./usr/bin/dnsfailover ./usr/share/man/man8/dnsfailover.8.gz \
		./usr/share/man/man5/dnsfailover.conf.5.gz ./etc/dnsfailover.conf \
		./usr/share/bash-completion/completions/dnsfailover ./usr/lib/tmpfiles.d/dnsfailover.conf; do
		grep -qxF "$f" <<<"$list" && ok "package holds $f" || not_ok "package lacks $f"
	done
	info=$(dpkg-deb -I "$pkg")
	assert_contains "$info" "Depends: libc6 (>= " "package Depends on libc6"
	assert_contains "$(grep '^ Depends:' <<<"$info")" "libconfig9" "package Depends on libconfig9"
	assert_contains "$info" "Static-Built-Using: c-ares (= $(dpkg-query -W -f='${source:Version}' libc-ares-dev))" \
		"package Static-Built-Using names c-ares and its version"
	assert_contains "$info" " Version: $version" "package version is VERSION's"
	x=$DNSF_TMP/pkg
	dpkg-deb -x "$pkg" "$x" && dpkg-deb -e "$pkg" "$x/DEBIAN" || bail "cannot unpack $pkg"
	assert_eq "/etc/dnsfailover.conf" "$(cat "$x/DEBIAN/conffiles")" "/etc/dnsfailover.conf is a conffile"
	[ -e "$x/DEBIAN/postinst" ] && grep -q 'ld\.so\.preload' "$x/DEBIAN/postinst" &&
		not_ok "the packaged postinst touches ld.so.preload" || ok "no packaged postinst touches ld.so.preload"
	grep -q 'systemd-tmpfiles.*--create dnsfailover.conf' "$x/DEBIAN/postinst" 2>/dev/null &&
		ok "postinst makes /run/dnsfailover from the tmpfiles.d entry (dh_installtmpfiles)" ||
		not_ok "postinst does not run systemd-tmpfiles --create"
	assert_contains "$("$x/usr/bin/dnsfailover" preload --help)" "defaults to /usr/lib/$ma/libdnsfailover.so" \
		"the packaged command's default library is the packaged one"
	assert_eq "dnsfailover $version" "$("$x/usr/bin/dnsfailover" --version)" "the packaged command's version"
	check_scripts "$x/DEBIAN" package
else
	diag "no $pkg newer than VERSION: run make deb to check the package's contents too"
fi

real_after=$(cat /etc/ld.so.preload 2>/dev/null; stat -c %Y /etc/ld.so.preload 2>/dev/null)
assert_eq "$real_before" "$real_after" "the machine's own /etc/ld.so.preload is untouched"
finish
