#!/usr/bin/env bash
# 47_route: nameservers per domain suffix (`domains`, issue 15), end to end.
#
# The picture: resolv.conf names R (faultdns pass on 127.53.0.4:53), the default list;
# a `domains` entry routes other.test, mx.dnsf.test and 2.0.192.in-addr.arpa to D1 and
# D2 (faultdns on 127.53.0.2 and .3, fresh ports), in front of the same NSD. Every
# proxy counts what it was asked, so "never asked elsewhere" is counted at the servers,
# not taken from the shim's word; glibc's own path (a hand-off) would reach R too.
#
#   routed      getaddrinfo of target.other.test is asked of D1 only (sequence), the
#               unrouted www.dnsf.test of R only.
#   search      a single label with "search other.test dnsf.test": each candidate is
#               routed on its own (www.other.test to D, www.dnsf.test to R); "target"
#               is answered by D through the search list.
#   reverse     gethostbyaddr and getnameinfo of 192.0.2.10: the PTR query goes to D.
#   mx          res_query(mx.dnsf.test, MX) (tests/tools/resq) goes to D, not R.
#   no leak     D1 and D2 blackholed: the routed lookups fail with EAI_AGAIN /
#               TRY_AGAIN within the deadline, and R is asked nothing (0 queries),
#               with the search list too.
#   apps        a domains list inside an apps entry applies to that program only
#               (fault_client routed, lookup not).
#   hand-off    res_query with RES_USEVC goes to glibc (R, over TCP): counted in the exit
#               stats as options=1 routed=1.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd
require_tool lookup
require_tool resq
require_lib
ns_start
fl_init
T_START=$(now_ms)

FL_TIMEOUT=300 FL_ATTEMPTS=1 FL_DEADLINE=1500 FL_THRESHOLD=3 FL_PROBE=1000
fl_proxy_at r 127.53.0.4 53 pass
FL_ETC=$FL_DIR/etc-route
make_etc "$FL_ETC" 127.53.0.4 --search "other.test dnsf.test"

# conf NAME D_STRATEGY [EXTRA...]: a config routing the three suffixes to D1, D2.
conf() {
	local c=$FL_DIR/$1.conf log=$FL_DIR/$1.log st=$2
	shift 2
	fl_conf "$c" hedge "$log" -- "stats_on_exit = true;" \
		"domains = ( { suffix = [ \"other.test\", \"mx.dnsf.test\", \"2.0.192.in-addr.arpa\" ];" \
		"              nameservers = [ \"${FL_SRV[d1]}\", \"${FL_SRV[d2]}\" ]; strategy = \"$st\"; } );" "$@"
	echo "$c"
}
# fresh: a baseline of every proxy's counters (faultdns counts from its start);
# counts NAME...: fresh stats for those; cnt NAME KEY: KEY since the baseline.
fresh() { local p; for p in r d1 d2; do fl_stats "$p" && cp "$FL_DIR/$p.stats" "$FL_DIR/$p.base"; done; }
counts() { local p; for p in "$@"; do fl_stats "$p"; done; }
cnt() {
	awk -v k="$2" 'FNR == NR { if ($1 == k) b = $2; next } $1 == k { v = $2 } END { print v - b }' 		"$FL_DIR/$1.base" "$FL_DIR/$1.stats"
}
# asked LOG SERVER NAME: the shim's queries for NAME to SERVER (debug log).
asked() { awk -v s="$2" -v n="$3" '$3 == "ask" && $4 == s && $6 == n { k++ } END { print k + 0 }' "$1"; }

fl_proxy d1 127.53.0.2 pass
fl_proxy d2 127.53.0.3 pass

# ------------------------------------------------------------------ routed / unrouted
C=$(conf routed sequence)
fresh
fl_client "$FL_DIR/routed.out" "$C" unspec:target.other.test unspec:www.dnsf.test gh:target.other.test
fl_expect_calls "$FL_DIR/routed.out" "routed: every lookup answered right" \
	'(unspec|gh):target\.other\.test=0 198.51.100.7' 'unspec:www\.dnsf\.test=0 192.0.2.10,2001:db8::10'
counts r d1 d2
diag "routed: queries R $(cnt r queries), D1 $(cnt d1 queries), D2 $(cnt d2 queries)"
cmp_int "routed: D1 answered the routed lookups (A+AAAA, then A)" "$(cnt d1 queries)" -eq 3
cmp_int "routed: D2 (second in sequence) was not needed" "$(cnt d2 queries)" -eq 0
cmp_int "routed: R got only the unrouted name's A and AAAA" "$(cnt r queries)" -eq 2
cmp_int "routed: the shim never sent target.other.test to R (debug log)" \
	"$(asked "$FL_DIR/routed.log" 127.53.0.4:53 target.other.test)" -eq 0
cmp_int "routed: the shim never sent www.dnsf.test to D1 (debug log)" \
	"$(asked "$FL_DIR/routed.log" "${FL_SRV[d1]}" www.dnsf.test)" -eq 0

# ------------------------------------------------------------------ search list
C=$(conf search sequence)
fresh
fl_client "$FL_DIR/search.out" "$C" unspec:target unspec:www
fl_expect_calls "$FL_DIR/search.out" "search: single labels answered through the search list" \
	'unspec:target=0 198.51.100.7' 'unspec:www=0 192.0.2.10,2001:db8::10'
counts r d1
L=$FL_DIR/search.log
cmp_int "search: target.other.test (1st candidate) asked of D1" "$(asked "$L" "${FL_SRV[d1]}" target.other.test)" -ge 1
cmp_int "search: www.other.test (1st candidate) asked of D1" "$(asked "$L" "${FL_SRV[d1]}" www.other.test)" -ge 1
cmp_int "search: www.other.test never asked of R" "$(asked "$L" 127.53.0.4:53 www.other.test)" -eq 0
cmp_int "search: www.dnsf.test (2nd candidate) asked of R" "$(asked "$L" 127.53.0.4:53 www.dnsf.test)" -ge 1
cmp_int "search: www.dnsf.test never asked of D1" "$(asked "$L" "${FL_SRV[d1]}" www.dnsf.test)" -eq 0
cmp_int "search: R got only www.dnsf.test's A and AAAA (counted at R)" "$(cnt r queries)" -eq 2

# ------------------------------------------------------------------ reverse names
C=$(conf reverse sequence)
fresh
fl_shim "$FL_DIR/reverse.out" "$C" "$TOOLS/lookup" gha 192.0.2.10 -- gni 192.0.2.10 80 NI_NAMEREQD
assert_contains "$(cat "$FL_DIR/reverse.out")" "www.dnsf.test" "reverse: gethostbyaddr/getnameinfo answered"
counts r d1
cmp_int "reverse: the PTR queries went to D1 (qtype_PTR)" "$(cnt d1 qtype_PTR)" -ge 1
cmp_int "reverse: R was asked nothing" "$(cnt r queries)" -eq 0

# ------------------------------------------------------------------ MX through res_query
C=$(conf mx sequence)
fresh
fl_shim "$FL_DIR/mx.out" "$C" "$TOOLS/resq" query mx.dnsf.test MX
assert_contains "$(cat "$FL_DIR/mx.out")" "MX" "mx: res_query answered"
assert_contains "$(cat "$FL_DIR/mx.out")" "return=" "mx: res_query returned"
counts r d1
cmp_int "mx: the MX query went to D1 (qtype_MX)" "$(cnt d1 qtype_MX)" -eq 1
cmp_int "mx: R was asked nothing" "$(cnt r queries)" -eq 0
cmp_int "mx: the shim sent it itself (debug log)" "$(asked "$FL_DIR/mx.log" "${FL_SRV[d1]}" mx.dnsf.test)" -eq 1

# ------------------------------------------------------------------ hand-off, counted
C=$(conf handoff sequence)
fresh
fl_shim "$FL_DIR/handoff.out" "$C" "$TOOLS/resq" query mx.dnsf.test MX set=USEVC
counts r
cmp_int "hand-off: RES_USEVC goes to glibc, which asks R over TCP" "$(cnt r tcp)" -ge 1
S=$(grep 'stats:' "$FL_DIR/handoff.log" | tail -n 1)
diag "hand-off: ${S#*stats: }"
assert_contains "$S" "options=1 routed=1" "hand-off: counted in the exit stats (options=1 routed=1)"

# ------------------------------------------------------------------ apps entry
C=$FL_DIR/apps.conf
fl_conf "$C" hedge "$FL_DIR/apps.log" -- \
	"apps = ( { match = [ \"fault_client\" ];" \
	"           domains = ( { suffix = [ \"other.test\" ]; nameservers = [ \"${FL_SRV[d2]}\" ]; } ); } );"
fresh
fl_client "$FL_DIR/apps1.out" "$C" unspec:target.other.test
counts r d2
cmp_int "apps: fault_client (matched) asks D2 for target.other.test" "$(cnt d2 queries)" -eq 2
cmp_int "apps: fault_client (matched) does not ask R" "$(cnt r queries)" -eq 0
fl_shim "$FL_DIR/apps2.out" "$C" "$TOOLS/lookup" gai target.other.test -
assert_contains "$(cat "$FL_DIR/apps2.out")" "198.51.100.7" "apps: lookup (not matched) answered"
counts r d2
cmp_int "apps: lookup (not matched) asks R" "$(cnt r queries)" -ge 1
cmp_int "apps: lookup (not matched) never asks D2 (still 2)" "$(cnt d2 queries)" -eq 2

# ------------------------------------------------------------------ no leak: D dead
fl_setmode d1 blackhole
fl_setmode d2 blackhole
for st in sequence hedge balance race; do
	C=$(conf "dead-$st" "$st")
	fresh
	fl_client "$FL_DIR/dead-$st.out" "$C" unspec:target.other.test gh:x.other.test unspec:target inet:mx.dnsf.test
	fl_shim "$FL_DIR/dead-$st-ptr.out" "$C" "$TOOLS/lookup" gha 192.0.2.10
	fl_shim "$FL_DIR/dead-$st-mx.out" "$C" "$TOOLS/resq" query mx.dnsf.test MX
	counts r d1 d2
	diag "dead ($st): lookups took $(fl_ms_list "$FL_DIR/dead-$st.out" | tr '\n' ' ')ms; D1 $(cnt d1 queries), D2 $(cnt d2 queries), R $(cnt r queries) queries"
	# "target" with the search list: target.other.test (routed, dead), then
	# target.dnsf.test and target (unrouted, NXDOMAIN at R): glibc's final error.
	fl_expect_calls "$FL_DIR/dead-$st.out" "dead ($st): routed lookups fail as glibc's do" \
		'(unspec|inet):(target\.other\.test|mx\.dnsf\.test)=EAI_AGAIN -' 'gh:x\.other\.test=TRY_AGAIN -' \
		'unspec:target=EAI_AGAIN -' 'unspec:target=EAI_NONAME -'
	within "dead ($st): slowest lookup (deadline_ms $FL_DEADLINE)" "$(fl_maxms "$FL_DIR/dead-$st.out")" 0 $((FL_DEADLINE + 300))
	assert_contains "$(cat "$FL_DIR/dead-$st-mx.out")" "h_errno=TRY_AGAIN" "dead ($st): res_query MX fails with TRY_AGAIN"
	cmp_int "dead ($st): the domain's servers were asked" $(($(cnt d1 queries) + $(cnt d2 queries))) -gt 0
	L=$FL_DIR/dead-$st.log
	leaked=$(awk '$3 == "ask" && $4 == "127.53.0.4:53" && ($6 ~ /other\.test$/ || $6 == "mx.dnsf.test") { k++ } END { print k + 0 }' "$L")
	cmp_int "dead ($st): no routed name was sent to R (debug log)" "$leaked" -eq 0
	# Only target.dnsf.test and target (A+AAAA each) may reach R: 4 queries.
	cmp_int "dead ($st): R got only the unrouted candidates (counted at R)" "$(cnt r queries)" -le 4
	cmp_int "dead ($st): R got no PTR and no MX query" $(($(cnt r qtype_PTR) + $(cnt r qtype_MX))) -eq 0
done

fl_proxy_stop r d1 d2
finish
