#!/usr/bin/env bash
# 64_hostsfile: /etc/hosts is read once and kept in memory; a change is seen at once.
#
# glibc's files module opens and parses /etc/hosts on every lookup, before DNS is asked.
# With "hosts: files dns", dnsfailover takes the files step too (nsswitch_merge_files)
# and asks its in-memory index of the file (shim/hostsfile.c): a name or address that is
# not in the file gets glibc's NOTFOUND without a read; one that may be there is answered
# by glibc's own files module, so results from the file are still glibc's.
#
# A name that may be in the file is answered by glibc's files module once, and that
# answer (glibc's own fields) is remembered until the file changes.
#
# A real client (perl) makes N rounds of gethostbyname, gethostbyaddr and getaddrinfo
# (a new service each round, so the getaddrinfo memo cannot answer), for DNS names and
# for names and addresses in the file, under strace, counting the opens of /etc/hosts:
# glibc alone opens it on every call (>= 6N); the shim once for its index plus once per
# distinct question about the file (1 + 3 in the whole run). The output must
# equal glibc's. Then the
# same client rewrites the (private, bind-mounted) /etc/hosts between two lookups: a
# gethostbyname 1.1 s later sees the new address, and the old answer after the line is
# gone again; glibc alone prints the same three answers. (The index sees an edit from the
# next lookup; a repeated call is answered by the memo in front of glibc, which looks at
# the /etc files at most once a second: an edit reaches it within 1 s.)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd perl strace
require_lib
strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"

sr_ns_start
ETC=$(sr_etc good "$DNSF_NS_ADDR")
CONF=$(sr_conf plain <<'CONF'
cache: { enabled = true; };
CONF
)
W=$DNSF_TMP/w
mkdir -p "$W"
N=20

# Rounds of the three calls for DNS names (www is 192.0.2.10 in DNS, not in the file),
# then for a name and an address in the file (hostsonly is 192.0.2.200 there).
# shellcheck disable=SC2016 # perl code
ROUNDS='use Socket qw(:addrinfo inet_aton inet_ntoa AF_INET AF_UNSPEC SOCK_STREAM);
sub three {
	my ($name, $addr, $i) = @_;
	my @h = gethostbyname($name);
	print "gh ", join(" ", $h[0], $h[1], map { inet_ntoa($_) } @h[4 .. $#h]), "\n";
	my $n = gethostbyaddr(inet_aton($addr), AF_INET);
	print "gha ", (defined $n ? $n : "undef"), "\n";
	my ($err, @r) = getaddrinfo($name, 1000 + $i,
		{ family => AF_UNSPEC, socktype => SOCK_STREAM, flags => AI_CANONNAME });
	print "gai ", ($err ? "$err" : join(" ", $r[0]{canonname},
		map { (getnameinfo($_->{addr}, NI_NUMERICHOST))[1] } @r)), "\n";
}
for my $i (1 .. $ARGV[0]) {
	three("www.dnsf.test", "192.0.2.13", $i);
	three("hostsonly", "192.0.2.200", $i);
}'

count_opens() { grep -cE 'open(at)?\(.*"/etc/hosts"' "$1"; }

sr_plain "$ETC" strace -f -qq -e trace=open,openat -o "$W/glibc.trace" \
	perl -e "$ROUNDS" "$N" >"$W/glibc.out" 2>"$W/glibc.err"
echo "rc=$?" >>"$W/glibc.out"
sr_shim "$ETC" "$CONF" strace -f -qq -e trace=open,openat -o "$W/shim.trace" \
	perl -e "$ROUNDS" "$N" >"$W/shim.out" 2>"$W/shim.err"
echo "rc=$?" >>"$W/shim.out"

g=$(count_opens "$W/glibc.trace")
s=$(count_opens "$W/shim.trace")
diag "opens of /etc/hosts for $N rounds of 6 calls: glibc $g, shim $s"
if grep -q "^gh www.dnsf.test  192.0.2.10$" "$W/glibc.out" &&
	grep -q "^gh hostsonly.dnsf.test hostsonly hosts-alias 192.0.2.200$" "$W/glibc.out" &&
	[ "$(grep -c '' "$W/glibc.out")" -eq $((6 * N + 1)) ]; then
	ok "glibc alone answered every round"
else
	not_ok "glibc alone answered every round"
	head -n 5 "$W/glibc.out" "$W/glibc.err" | sed 's/^/#   /'
fi
if cmp -s "$W/glibc.out" "$W/shim.out"; then
	ok "with the shim, the output equals glibc's ($((6 * N)) calls)"
else
	not_ok "with the shim, the output equals glibc's"
	diff "$W/glibc.out" "$W/shim.out" | head -n 20 | sed 's/^/#   /'
fi
if [ "$g" -ge $((6 * N)) ]; then
	ok "control: glibc alone opens /etc/hosts on every call ($g opens)"
else
	not_ok "control: glibc alone opens /etc/hosts on every call ($g opens, want >= $((6 * N)))"
fi
if [ "$s" -ge 1 ] && [ "$s" -le 4 ]; then
	ok "the shim read /etc/hosts once, plus once per question in it, for $((6 * N)) calls ($s opens)"
else
	not_ok "the shim read /etc/hosts once, plus once per question in it, for $((6 * N)) calls ($s opens, want 1 to 4)"
fi

# Freshness: the client itself edits the private /etc/hosts (rewritten in place, so the
# bind mount keeps showing it) between lookups, 1.1 s apart (the memo's rule).
# shellcheck disable=SC2016 # perl code
EDIT='use Socket qw(inet_ntoa);
sub show {
	my @h = gethostbyname("www.dnsf.test");
	print "$_[0] ", join(" ", map { inet_ntoa($_) } @h[4 .. $#h]), "\n";
}
sub put {
	open(my $f, "+<", "/etc/hosts") or die "open: $!";
	my @l = <$f>;
	seek($f, 0, 0);
	truncate($f, 0);
	print $f grep { !/www\.dnsf\.test/ } @l;
	print $f $_[0] if $_[0];
	close($f) or die "close: $!";
	select(undef, undef, undef, 1.1);
}
show("before");
put("192.0.2.77\twww.dnsf.test\n");
show("added");
put("");
show("removed");'
for v in glibc shim; do
	cp "$DNSF_FIXTURES/hosts" "$ETC/hosts"
	if [ $v = glibc ]; then
		sr_plain "$ETC" perl -e "$EDIT" >"$W/edit.$v" 2>&1
	else
		sr_shim "$ETC" "$CONF" perl -e "$EDIT" >"$W/edit.$v" 2>&1
	fi
done
cp "$DNSF_FIXTURES/hosts" "$ETC/hosts"
want=$'before 192.0.2.10\nadded 192.0.2.77\nremoved 192.0.2.10'
for v in glibc shim; do
	if [ "$(cat "$W/edit.$v")" = "$want" ]; then
		ok "$v: a line added to /etc/hosts answers a lookup 1.1 s later; removed, DNS answers again"
	else
		not_ok "$v: a line added to /etc/hosts answers a lookup 1.1 s later; removed, DNS answers again"
		sed 's/^/#   /' "$W/edit.$v"
	fi
done
finish
