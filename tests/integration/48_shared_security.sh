#!/usr/bin/env bash
# 48_shared_security: the shared health state is a hint, never an answer, never a
# failure, and another user's bytes cost nothing (issue 13, "Security of the shared
# state"), seen from preloaded processes. The unit tests (test_shstate*, test_shfile)
# and fuzz_shstate cover each file rule; this checks them end to end:
#   untrusted   a health file that marks a healthy primary down, owned by another uid
#               under root's name: a root process ignores it and asks the primary first
#               (the same file owned by root is believed: the control, which shows the
#               mark would matter);
#   replaced    between two lookups of one process, its state file is replaced by a
#               forged image, a FIFO, a symlink and a truncated file in turn: every
#               lookup is answered, nothing reaches stderr, and the process puts a valid
#               file back (it follows the replacement);
#   off         state_dir = "": nothing is created, answers as usual;
#   unwritable  state_dir on a read-only mount: works as today, at most one log line
#               about it, nothing on stderr;
#   identical   the same lookups with and without sharing give the same answers.
# Each case fails without the wiring or without the trust rules: untrusted's control
# needs the hint to be read at all, replaced needs the file to be followed.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd
require_lib
ns_start
fl_init

ROOTFILE=health-v1.0
# conf FILE STATE_DIR P S: hedge, these servers, a debug log to FILE.log.
conf() {
	fl_conf "$1" hedge "$1.log" "$3" "$4" -- "state_dir = \"$2\";"
}
# first_asked LOG NAME: the server that got NAME's first A query (probes aside).
first_asked() {
	awk -v n="$2" '$3 == "ask" && $6 == n && $0 ~ / type 1 / && $0 !~ /\(probe/ { print $4; exit }' "$1"
}

fl_proxy p 127.53.0.2 blackhole
fl_proxy s 127.53.0.3 pass
P=${FL_SRV[p]} S=${FL_SRV[s]}

# ---- learn: a root process finds the primary dead; its file now marks it down.
L=$FL_DIR/learn
mkdir -m 0755 "$L.state"
conf "$L.conf" "$L.state" "$P" "$S"
fl_client "$L.out" "$L.conf" -n 6 'unspec:l{}.wild.dnsf.test'
[ -f "$L.state/$ROOTFILE" ] || bail "no $ROOTFILE after learning"
fl_setmode p pass

# ---- untrusted: the same bytes, owned by another uid; the control, owned by root.
for owner in 12345 0; do
	C=$FL_DIR/untrusted-$owner
	mkdir -m 0755 "$C.state"
	cp "$L.state/$ROOTFILE" "$C.state/$ROOTFILE"
	chown "$owner" "$C.state/$ROOTFILE"
	chmod 0644 "$C.state/$ROOTFILE"
	conf "$C.conf" "$C.state" "$P" "$S"
	fl_client "$C.out" "$C.conf" 'unspec:u1.wild.dnsf.test'
	fl_expect_calls "$C.out" "untrusted $owner: answered" '.*=0 192.0.2.70'
	assert_eq "" "$(cat "$C.out.err")" "untrusted $owner: nothing on stderr"
	first=$(first_asked "$C.conf.log" u1.wild.dnsf.test)
	if [ "$owner" = 0 ]; then
		assert_eq "$S" "$first" "control: root's own file's down mark is believed (secondary first)"
	else
		assert_eq "$P" "$first" "a file under root's name owned by uid $owner is not trusted (primary first)"
		assert_eq 0 "$(stat -c %u "$C.state/$ROOTFILE")" "root put its own file in place of the squatted one"
	fi
done

# ---- replaced between two lookups of one process.
C=$FL_DIR/replaced
mkdir -m 0755 "$C.state"
conf "$C.conf" "$C.state" "$P" "$S"
f=$C.state/$ROOTFILE
(
	sleep 0.5
	head -c 28672 /dev/urandom >"$C.x" && mv "$C.x" "$f"
	sleep 1.3
	rm -f "$f" && mkfifo -m 0644 "$f"
	sleep 1.3
	rm -f "$f" && ln -s /etc/passwd "$f"
	sleep 1.3
	rm -f "$f" && head -c 100 /dev/zero >"$f"
) &
dnsf_track_pid $!
fl_client "$C.out" "$C.conf" -d 6000 -i 50 'unspec:r{}.wild.dnsf.test'
cmp_int "replaced: many lookups ran" "$(fl_calls "$C.out")" -gt 50
fl_expect_calls "$C.out" "replaced: every lookup answered right" '.*=0 192.0.2.70'
assert_eq "" "$(cat "$C.out.err")" "replaced: nothing on stderr"
assert_eq "regular 28672 DNSFHLTH" "$(stat -c '%F %s' "$f" | sed 's/regular file/regular/') $(head -c 8 "$f")" \
	"replaced: the process followed the replacements and put a valid file back"

# ---- off: state_dir = "".
C=$FL_DIR/off
conf "$C.conf" "" "$P" "$S"
fl_client "$C.out" "$C.conf" -n 3 'unspec:o{}.wild.dnsf.test'
fl_expect_calls "$C.out" "off: answered" '.*=0 192.0.2.70'
[ ! -e /run/dnsfailover ] && ok "off: no state directory was made" ||
	not_ok "off: /run/dnsfailover exists: $(ls -la /run/dnsfailover)"
assert_eq "" "$(grep -i 'state_dir' "$C.conf.log")" "off: nothing logged about state_dir"

# ---- unwritable: a read-only mount.
C=$FL_DIR/ro
mkdir "$C.state"
mount -t tmpfs -o ro,mode=0755 dnsf-ro "$C.state" || bail "cannot mount a read-only tmpfs"
dnsf_on_exit "umount '$C.state'"
conf "$C.conf" "$C.state" "$P" "$S"
fl_client "$C.out" "$C.conf" -n 5 'unspec:w{}.wild.dnsf.test'
fl_expect_calls "$C.out" "unwritable: answered" '.*=0 192.0.2.70'
assert_eq "" "$(cat "$C.out.err")" "unwritable: nothing on stderr"
cmp_int "unwritable: at most one log line about state_dir" "$(grep -c 'state_dir' "$C.conf.log")" -le 1

# ---- identical answers with and without sharing (servers healthy).
names=(unspec:www.dnsf.test inet6:www.dnsf.test unspec:v6only.dnsf.test unspec:multi.dnsf.test
	unspec:nx.dnsf.test inet:i{}.wild.dnsf.test)
for mode in on off; do
	C=$FL_DIR/ident-$mode
	d=""
	[ "$mode" = on ] && { mkdir -m 0755 "$C.state"; d=$C.state; }
	conf "$C.conf" "$d" "$P" "$S"
	fl_client "$C.out" "$C.conf" -n 12 "${names[@]}"
	sed 's/.* name=/name=/' "$C.out" >"$C.answers"
done
assert_eq "$(cat "$FL_DIR/ident-off.answers")" "$(cat "$FL_DIR/ident-on.answers")" \
	"the same answers with and without sharing"
fl_proxy_stop p s
finish
