#!/usr/bin/env bash
# 01_fixture_selftest: the test nameserver and its zones answer as tests/fixtures/README.md
# says, glibc can resolve through it inside a private resolv.conf, and ns_stop leaves no
# process behind. Runs first so that a broken fixture fails fast and clearly.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd "$DNSF_PYTHON" getent

ns_start
pid=$(ns_pid)
assert_eq "$(cat "${DNSF_NS_DIR[$DNSF_NS_ADDR]}/nsd.pid")" "$pid" "nsd's pidfile names the PID we started"

# q NAME TYPE [dnsq options]: the answer section only, "name ttl IN type rdata" per line.
q() {
	local name=$1 type=$2
	shift 2
	dnsq "$@" -- "$name" "$type" | sed -n 's/^an //p'
}
# head_of NAME TYPE [options]: the status line.
head_of() {
	local name=$1 type=$2
	shift 2
	dnsq "$@" -- "$name" "$type" | head -n 1
}

assert_eq "www.dnsf.test. 300 IN A 192.0.2.10" "$(q www.dnsf.test A)" "www A (TTL 300)"
assert_eq "www.dnsf.test. 600 IN AAAA 2001:db8::10" "$(q www.dnsf.test AAAA)" "www AAAA (TTL 600)"
assert_eq "v4only.dnsf.test. 60 IN A 192.0.2.11" "$(q v4only.dnsf.test A)" "v4only A"
assert_eq "" "$(q v4only.dnsf.test AAAA)" "v4only has no AAAA"
assert_eq "v6only.dnsf.test. 120 IN AAAA 2001:db8::11" "$(q v6only.dnsf.test AAAA)" "v6only AAAA"
assert_eq 6 "$(q multi.dnsf.test A | grep -c ' A ')" "multi has 6 A"
assert_eq 3 "$(q multi.dnsf.test AAAA | grep -c ' AAAA ')" "multi has 3 AAAA"
assert_eq "multi.dnsf.test. 120 IN A 192.0.2.21" "$(q multi.dnsf.test A | head -n 1)" \
	"multi's A records come in zone order (no rotation)"

chain=$(q alias1.dnsf.test A)
assert_eq "alias1.dnsf.test. 60 IN CNAME alias2.dnsf.test.
alias2.dnsf.test. 120 IN CNAME alias3.dnsf.test.
alias3.dnsf.test. 3600 IN CNAME multi.dnsf.test." "$(grep CNAME <<<"$chain")" "alias1 -> alias2 -> alias3 -> multi"
assert_eq 6 "$(grep -c ' A ' <<<"$chain")" "the CNAME chain answer carries multi's 6 A records"
assert_contains "$(q cname-out.dnsf.test A)" "target.other.test. 900 IN A 198.51.100.7" \
	"cname-out is followed into other.test"
assert_contains "$(head_of cname-dangling.dnsf.test A)" "rcode=NXDOMAIN" "cname-dangling: NXDOMAIN"
assert_contains "$(q cname-dangling.dnsf.test A)" "CNAME nowhere.dnsf.test." \
	"cname-dangling: the CNAME is in the NXDOMAIN answer"

nd=$(dnsq nodata.dnsf.test A)
assert_contains "$nd" "rcode=NOERROR" "nodata A: NOERROR"
assert_contains "$nd" " an=0 " "nodata A: empty answer (NODATA)"
assert_contains "$nd" "SOA ns1.dnsf.test. hostmaster.dnsf.test. 2024010101 3600 900 604800 300" \
	"nodata A: SOA in authority (negative TTL 300)"
assert_contains "$(q nodata.dnsf.test MX)" "MX 10 mx.dnsf.test." "nodata has MX"
assert_contains "$(q mx.dnsf.test A)" "192.0.2.40" "mx has an A record"

assert_contains "$(head_of many.dnsf.test A)" "flags=qr,aa,tc,rd" "many over UDP without EDNS: TC set"
assert_eq 40 "$(q many.dnsf.test A --tcp | grep -c ' A ')" "many over TCP: 40 A records"
assert_contains "$(head_of bigtxt.dnsf.test TXT)" ",tc," "bigtxt TXT over UDP: TC set"
big=$(head_of bigtxt.dnsf.test TXT --tcp)
size=${big##*size=}
if [ "$size" -gt 512 ]; then ok "bigtxt TXT over TCP is $size bytes (> 512)"; else not_ok "bigtxt size $size"; fi
assert_contains "$(q bigtxt.dnsf.test A)" "192.0.2.41" "bigtxt has an A record too"

assert_contains "$(q Under_Score.dnsf.test A)" "192.0.2.50" "Under_Score A"
assert_contains "$(q mixed.dnsf.test A)" "192.0.2.51" "MiXeD answers case-insensitively"
assert_contains "$(q _leading.dnsf.test A)" "192.0.2.52" "_leading A"
assert_contains "$(q -dash.dnsf.test A)" "192.0.2.53" "-dash A"
assert_contains "$(q shadowed.dnsf.test A)" "192.0.2.60" "shadowed A (DNS side)"
assert_contains "$(q anything.wild.dnsf.test A)" "192.0.2.70" "wildcard *.wild"
assert_contains "$(q host.sub.dnsf.test A)" "192.0.2.33" "host.sub A"
assert_contains "$(q deep.host.sub.dnsf.test A)" "192.0.2.34" "deep.host.sub A"
assert_contains "$(head_of host.dnsf.test A)" "rcode=NXDOMAIN" "host.dnsf.test does not exist"
assert_contains "$(head_of no-such-name.example A)" "rcode=NXDOMAIN" \
	"names outside the test zones: NXDOMAIN from the root zone (not REFUSED)"

assert_eq "www.dnsf.test." "$(dnsq --short 10.2.0.192.in-addr.arpa PTR)" "PTR 192.0.2.10"
assert_contains "$(head_of 11.2.0.192.in-addr.arpa PTR)" "rcode=NXDOMAIN" "no PTR for 192.0.2.11"
assert_contains "$(q 12.2.0.192.in-addr.arpa PTR)" "PTR cname-ptr.dnsf.test." "PTR via CNAME for 192.0.2.12"
assert_eq 2 "$(q 13.2.0.192.in-addr.arpa PTR | grep -c PTR)" "two PTRs for 192.0.2.13"
assert_eq "multi.dnsf.test." "$(dnsq --short 21.2.0.192.in-addr.arpa PTR)" "PTR 192.0.2.21"
assert_eq "bad!name.dnsf.test." "$(dnsq --short 99.2.0.192.in-addr.arpa PTR)" "PTR 192.0.2.99 (bad name)"
v6rev=0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa
assert_eq "www.dnsf.test." "$(dnsq --short "$v6rev" PTR)" "PTR 2001:db8::10"
assert_eq "v6only.dnsf.test." "$(dnsq --short "1${v6rev#0}" PTR)" "PTR 2001:db8::11"

# glibc resolves through the test server inside a private resolv.conf; the host's
# /etc/resolv.conf is not touched (it is compared before and after).
before=$(md5sum </etc/resolv.conf)
make_resolv "$DNSF_TMP/resolv.conf" "$DNSF_NS_ADDR" --search "sub.dnsf.test dnsf.test"
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" getent ahostsv4 www.dnsf.test)
assert_contains "$out" "192.0.2.10      STREAM www.dnsf.test" "getent ahostsv4 www.dnsf.test via the private resolv.conf"
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" getent hosts host)
assert_contains "$out" "192.0.2.33" "getent hosts host: found through the search list"
out=$(in_private_resolv "$DNSF_TMP/resolv.conf" cat /etc/resolv.conf)
assert_contains "$out" "nameserver $DNSF_NS_ADDR" "the namespace sees the private resolv.conf"
assert_eq "$before" "$(md5sum </etc/resolv.conf)" "the host's /etc/resolv.conf is unchanged"

make_etc "$DNSF_TMP/etc" "$DNSF_NS_ADDR" --search "sub.dnsf.test dnsf.test"
out=$(in_private_etc "$DNSF_TMP/etc" getent ahostsv4 shadowed.dnsf.test)
assert_contains "$out" "192.0.2.201" "in_private_etc: the fixture hosts file wins over DNS"
out=$(in_private_etc "$DNSF_TMP/etc" getent hosts v6only.dnsf.test)
assert_contains "$out" "2001:db8::11" "in_private_etc: DNS still answers"

# ns_stop stops NSD and every process it forked.
kids=$(dnsf_descendants "$pid")
ns_stop
alive=""
for p in $pid $kids; do
	if dnsf_pid_alive "$p"; then alive="$alive $p"; fi
done
assert_eq "" "$alive" "ns_stop: nsd (pid $pid) and its children (${kids//$'\n'/ }) are gone"
if dnsq -t 0.5 www.dnsf.test A >/dev/null 2>&1; then
	not_ok "nothing answers on $DNSF_NS_ADDR after ns_stop"
else
	ok "nothing answers on $DNSF_NS_ADDR after ns_stop"
fi

finish
