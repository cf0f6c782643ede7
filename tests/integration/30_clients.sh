#!/usr/bin/env bash
# 30_clients: real programs resolve through the shim exactly as through glibc.
#
# Clients: getent (ahosts, ahostsv4, ahostsv6, hosts, and hosts ADDR), python3's socket
# module (tests/tools/pyclient.py: getaddrinfo, gethostbyname, gethostbyname_ex,
# gethostbyaddr, getnameinfo), perl's Socket and gethostby* (tests/tools/plclient.pl), and
# curl fetching from a local HTTP server by name (ns1.dnsf.test is 127.53.0.1 in the test
# zone; python3's http.server listens there on a high port, dnsf_http_start).
# And h_errno as those programs see it (issue 10): python's socket.herror args and perl's
# $? come from the thread's global h_errno, so for an NXDOMAIN name and address, a NODATA
# name, an existing name and one found through the search list, each the first lookup of
# a fresh process, they print the herror (or result) with the global h_errno, and $?.
# Each client runs three times against the same NSD, same /etc/hosts and nsswitch.conf:
#   glibc   glibc alone, resolv.conf -> NSD                    (the reference)
#   shim    the shim, resolv.conf -> NSD; its debug log must show its own queries
#   only    the shim, resolv.conf -> 127.53.0.250 where nothing listens, and the shim's
#           config naming NSD: only the shim can answer, so the answers are the shim's.
# The shim and only outputs must equal glibc's byte for byte (stdout), and a control shows
# that glibc alone gets nothing with the "only" resolv.conf.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent perl curl "$DNSF_PYTHON"
perl -MSocket -e 'exit(defined &Socket::getaddrinfo ? 0 : 1)' 2>/dev/null ||
	skip "perl's Socket has no getaddrinfo (Socket >= 1.95 needed)"
require_lib

sr_ns_start
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
DEAD=$(sr_etc dead 127.53.0.250)
LOGCONF=$(sr_conf log <<EOF
log: { level = "debug"; target = "stderr"; };
EOF
)
ONLYCONF=$(sr_conf only <<EOF
nameservers = ["$DNSF_NS_ADDR"];
timeout_ms = 500;
log: { level = "debug"; target = "stderr"; };
EOF
)
W=$DNSF_TMP/w
mkdir -p "$W"

NAMES=(www.dnsf.test v4only.dnsf.test v6only.dnsf.test multi.dnsf.test alias1.dnsf.test
	cname-out.dnsf.test MiXeD.dnsf.test nodata.dnsf.test cname-dangling.dnsf.test
	no-such-name.dnsf.test many.dnsf.test Under_Score.dnsf.test x.wild.dnsf.test
	hostsonly.dnsf.test shadowed.dnsf.test localhost)
ADDRS=(192.0.2.10 192.0.2.12 192.0.2.13 192.0.2.11 192.0.2.21 2001:db8::10 2001:db8::22
	192.0.2.99 127.0.0.1)

# three_ways_in GOOD_ETC DEAD_ETC NAME CMD...: run CMD as glibc / shim (in GOOD_ETC) / only
# (in DEAD_ETC); outputs in $W/NAME.{glibc,shim,only} (stdout, with "rc=N" appended) and
# $W/NAME.{shim,only}.err (stderr). three_ways NAME CMD...: the same in $GOOD and $DEAD.
three_ways_in() {
	local good=$1 dead=$2 name=$3
	shift 3
	sr_plain "$good" "$@" >"$W/$name.glibc" 2>"$W/$name.glibc.err"
	echo "rc=$?" >>"$W/$name.glibc"
	sr_shim "$good" "$LOGCONF" "$@" >"$W/$name.shim" 2>"$W/$name.shim.err"
	echo "rc=$?" >>"$W/$name.shim"
	sr_shim "$dead" "$ONLYCONF" "$@" >"$W/$name.only" 2>"$W/$name.only.err"
	echo "rc=$?" >>"$W/$name.only"
}
three_ways() { three_ways_in "$GOOD" "$DEAD" "$@"; }

# compare NAME WHAT MIN_ASKS: shim and only equal glibc; both logged >= MIN_ASKS queries.
compare() {
	local name=$1 what=$2 min=$3 v n
	for v in shim only; do
		if cmp -s "$W/$name.glibc" "$W/$name.$v"; then
			ok "$what [$v]: output identical to glibc's ($(grep -c '' "$W/$name.glibc") lines)"
		else
			not_ok "$what [$v]: output identical to glibc's"
			diff "$W/$name.glibc" "$W/$name.$v" | head -n 30 | sed 's/^/#   /'
		fi
		n=$(sr_count "$W/$name.$v.err" 'debug: ask ')
		if [ "$n" -ge "$min" ]; then
			ok "$what [$v]: the shim sent the queries ($n 'ask' lines)"
		else
			not_ok "$what [$v]: the shim sent the queries (only $n 'ask' lines, want >= $min)"
		fi
	done
}

# ---- getent: every mode for every name, and reverse lookups, in one script per run
# shellcheck disable=SC2016 # the generated script expands these itself
{
	echo 'for m in ahosts ahostsv4 ahostsv6 hosts; do'
	echo '	for n in "$@"; do echo "== getent $m $n"; getent "$m" "$n"; echo "rc=$?"; done'
	echo 'done'
	for a in "${ADDRS[@]}"; do
		echo "echo '== getent hosts $a'; getent hosts $a; echo \"rc=\$?\""
	done
} >"$W/getent.sh"
three_ways getent bash "$W/getent.sh" "${NAMES[@]}"
compare getent "getent (4 modes x ${#NAMES[@]} names, ${#ADDRS[@]} addresses)" 40
assert_contains "$(cat "$W/getent.glibc")" "== getent ahosts many.dnsf.test
192.0.2.100     STREAM many.dnsf.test" "getent reference: 'many' (TC over UDP, then TCP) resolved"
assert_contains "$(cat "$W/getent.glibc")" "== getent hosts 192.0.2.13
192.0.2.13      two-" "getent reference: the reverse lookups resolved"
# Sanity of the reference: it contains the failures it should.
assert_eq 4 "$(grep -A1 -- '== getent [a-z0-9]* no-such-name.dnsf.test' "$W/getent.glibc" | grep -c '^rc=2$')" \
	"getent reference: no-such-name fails (exit 2) in all 4 modes"

# ---- python3
three_ways python "$DNSF_PYTHON" -I "$DNSF_ROOT/tests/tools/pyclient.py" "${NAMES[@]}" -- "${ADDRS[@]}"
# (fewer queries than calls: the shim's answer cache serves the repeats within a process)
compare python "python3 socket (getaddrinfo, gethostbyname[_ex], gethostbyaddr, getnameinfo)" 20
assert_contains "$(cat "$W/python.glibc")" "gethostbyname_ex(alias1.dnsf.test): ('multi.dnsf.test', ['alias1.dnsf.test', 'alias2.dnsf.test', 'alias3.dnsf.test'], ['192.0.2.21'" \
	"python reference: gethostbyname_ex follows the CNAME chain"
assert_eq "rc=0" "$(tail -n 1 "$W/python.glibc")" "python reference: exit 0"

# ---- perl
three_ways perl perl "$DNSF_ROOT/tests/tools/plclient.pl" "${NAMES[@]}" -- "${ADDRS[@]}"
compare perl "perl Socket (getaddrinfo, getnameinfo, gethostbyname, gethostbyaddr)" 20
assert_contains "$(cat "$W/perl.glibc")" "getnameinfo(2001:db8::10, 22, NAMEREQD): host=www.dnsf.test serv=ssh" \
	"perl reference: getnameinfo over IPv6 PTR"
assert_eq "rc=0" "$(tail -n 1 "$W/perl.glibc")" "perl reference: exit 0"

# ---- h_errno through python's herror and perl's $?: one fresh process per call (the
# first lookup of a process), in a private /etc whose resolv.conf has a search list, so
# that "host" is found as host.sub.dnsf.test.
GOODS=$(sr_etc good-search "$DNSF_NS_ADDR" --search "sub.dnsf.test dnsf.test")
DEADS=$(sr_etc dead-search 127.53.0.250 --search "sub.dnsf.test dnsf.test")
# shellcheck disable=SC2016 # the generated script expands these itself
{
	echo 'py=$1 pl=$2'
	for c in gethostbyaddr:127.0.0.99 gethostbyaddr:192.0.2.11 gethostbyaddr:192.0.2.10 \
		gethostbyname_ex:no-such-name.dnsf.test gethostbyname_ex:nodata.dnsf.test \
		gethostbyname_ex:www.dnsf.test gethostbyname_ex:host gethostbyname:nodata.dnsf.test; do
		echo "\"\$py\" -I $DNSF_ROOT/tests/tools/pyclient.py --herror ${c%%:*} ${c#*:}"
	done
	for c in gethostbyname:no-such-name.dnsf.test gethostbyname:nodata.dnsf.test \
		gethostbyname:www.dnsf.test gethostbyname:host gethostbyaddr:127.0.0.99 \
		gethostbyaddr:192.0.2.11 gethostbyaddr:192.0.2.10; do
		echo "\"\$pl\" $DNSF_ROOT/tests/tools/plclient.pl --herror ${c%%:*} ${c#*:}"
	done
} >"$W/herror.sh"
three_ways_in "$GOODS" "$DEADS" herror bash "$W/herror.sh" "$DNSF_PYTHON" perl
compare herror "python herror and perl \$? (h_errno), 15 first lookups" 10
H=$(cat "$W/herror.glibc")
assert_contains "$H" "gethostbyaddr(127.0.0.99): herror(1, 'Unknown host') h_errno=1" \
	"herror reference: python's gethostbyaddr of an NXDOMAIN address: herror(1, 'Unknown host')"
assert_contains "$H" "gethostbyname(no-such-name.dnsf.test): undef \$?=1" \
	"herror reference: perl's gethostbyname of an NXDOMAIN name: \$? 1"
assert_contains "$H" "gethostbyname(nodata.dnsf.test): undef \$?=4" \
	"herror reference: perl's gethostbyname of a NODATA name: \$? 4 (NO_DATA)"
assert_contains "$H" "gethostbyname_ex(host): ('host.sub.dnsf.test', [], ['192.0.2.33']) h_errno=1" \
	"herror reference: a success found through the search list leaves HOST_NOT_FOUND"

# ---- control: with the "only" resolv.conf, glibc alone answers nothing.
sr_plain "$DEAD" getent ahosts www.dnsf.test >/dev/null 2>&1
assert_eq 2 "$?" "control: glibc alone with the dead resolv.conf: getent fails"
sr_plain "$DEAD" "$DNSF_PYTHON" -I -c 'import socket; socket.getaddrinfo("www.dnsf.test", 80)' >/dev/null 2>&1
assert_eq 1 "$?" "control: glibc alone with the dead resolv.conf: python's getaddrinfo fails"

# ---- curl against a local HTTP server, by name
# (curl hangs under an LD_PRELOADed ASan runtime even without the shim, so not under ASan)
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	diag "curl part skipped under ASan (curl hangs with the ASan runtime preloaded, shim or not)"
	finish
fi
PORT=18053
mkdir -p "$W/www"
echo "hello from dnsfailover test 30" >"$W/www/hello.txt"
dnsf_http_start "$DNSF_NS_ADDR" "$PORT" "$W/www" "$W/http.log" ||
	bail "the HTTP server on $DNSF_NS_ADDR:$PORT did not come up (see above)"
URL="http://ns1.dnsf.test:$PORT/hello.txt"
three_ways curl timeout -k 2 30 curl -sS -v --noproxy '*' --max-time 10 "$URL"
assert_eq "hello from dnsfailover test 30
rc=0" "$(cat "$W/curl.glibc")" "curl reference (glibc): fetched $URL"
compare curl "curl $URL" 1
for v in shim only; do
	assert_contains "$(cat "$W/curl.$v.err")" "Trying $DNSF_NS_ADDR:$PORT" "curl [$v]: connected to the address the shim resolved"
	assert_contains "$(cat "$W/curl.$v.err")" "ask $DNSF_NS_ADDR:53 for ns1.dnsf.test" "curl [$v]: the shim looked up ns1.dnsf.test"
done
sr_plain "$DEAD" timeout -k 2 30 curl -sS --noproxy '*' --max-time 10 "$URL" >/dev/null 2>&1
assert_eq 6 "$?" "control: glibc alone with the dead resolv.conf: curl cannot resolve (exit 6)"

finish
