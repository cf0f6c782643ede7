#!/usr/bin/env bash
# 63_cache_diff: results built from the cache are the uncached ones, field for field;
# and the getaddrinfo memo sees /etc/hosts change.
#
# Differential: one tests/tools/lookup process runs a table of calls (names x hints x
# getaddrinfo / gethostbyname* / gethostbyaddr* / getnameinfo) twice over, each call twice
# in a row. Inside one process every call after the first for a name is answered from the
# shim's cache, its memo, or (names in /etc/hosts) glibc's remembered files answer, so
# the table is also a cache test: the whole output must equal
# glibc's own (glibc alone, same private resolv.conf, hosts and nsswitch.conf), every
# occurrence of a call must print what its first (uncached) one did, and the shim's run
# must send exactly as many queries as a run that makes each call once (repeats are
# free), and fewer than glibc. Both resolve through the counting faultdns proxy (127.53.0.2:53) in front of
# NSD; the shim has no config file (defaults: cache on), so it reads the same resolv.conf.
#
# python3: a real client calls socket.getaddrinfo three times per name in one interpreter:
# the same results as glibc's, and exactly a third of glibc's queries.
#
# Memo invalidation: a cache_client in a mount namespace whose /etc/hosts is a bind-mounted
# temp file. After getaddrinfo, gethostbyname, gethostbyname_r, gethostbyaddr and
# getnameinfo memoised (1) an NXDOMAIN and (2) hosts-file answers, the file is rewritten
# in place (same inode, so the namespace sees it): more than 1 s later (the shim checks
# file metadata at most once a second) every one of them sees the new file.
#
# Memoised hostent and nameinfo results (issue 10, item 4): the table below gains every
# hostent form and getnameinfo, with h_errno sentinels before each call (lookup prints
# the global h_errno, _res.res_h_errno and the _r out-parameter; -x adds the buffer layout) and the _r
# forms with buffers on both sides of each ERANGE threshold (edge). And a run with each of
# those calls 50 times in a row must ask the answer cache no more often than a run with
# each once: the memo answered every repeat.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/cache_lib.sh
. "$DNSF_ROOT/tests/lib/cache_lib.sh"

require_root
require_cmd nsd diff
require_tool lookup
require_lib
cl_init
cl_ns_start
cl_proxy_start pass

OUT=$DNSF_BUILD/test-out/63_cache_diff
rm -rf "$OUT"
mkdir -p "$OUT"

# Names of fixtures (tests/fixtures/README.md) and of cache.test, TTLs >= 60 s.
CASES=(
	"gai www.dnsf.test -"
	"gai www.dnsf.test - family=inet"
	"gai www.dnsf.test http family=inet6 socktype=stream"
	"gai www.dnsf.test - flags=AI_CANONNAME"
	"gai www.dnsf.test. - socktype=stream flags=AI_CANONNAME"
	"gai www.dnsf.test - hints=null"
	"gai www.dnsf.test 53 socktype=dgram"
	"gai www.dnsf.test - family=inet6 flags=AI_V4MAPPED,AI_ALL socktype=stream"
	"gai multi.dnsf.test - socktype=stream"
	"gai multi.dnsf.test http family=inet flags=AI_CANONNAME"
	"gai multi.dnsf.test - family=inet6 socktype=dgram"
	"gai alias1.dnsf.test - socktype=stream flags=AI_CANONNAME"
	"gai alias2.dnsf.test - family=inet socktype=stream flags=AI_CANONNAME"
	"gai alias1.dnsf.test - family=inet6 flags=AI_V4MAPPED,AI_ALL,AI_CANONNAME socktype=stream"
	"gai cname-out.dnsf.test - socktype=stream flags=AI_CANONNAME"
	"gai cname-dangling.dnsf.test -"
	"gai v4only.dnsf.test -"
	"gai v4only.dnsf.test - family=inet6"
	"gai v4only.dnsf.test - family=inet6 flags=AI_V4MAPPED socktype=stream"
	"gai v6only.dnsf.test - family=inet"
	"gai v6only.dnsf.test - socktype=stream"
	"gai nodata.dnsf.test -"
	"gai nosuch.dnsf.test -"
	"gai nosuch -"
	"gai host - socktype=stream"
	"gai deep.host - family=inet"
	"gai many.dnsf.test - family=inet socktype=stream"
	"gai shadowed.dnsf.test - family=inet"
	"gai hostsonly - socktype=stream"
	"gai dual.cache.test - socktype=stream"
	"gai dual.cache.test - family=inet6 flags=AI_V4MAPPED socktype=stream"
	"gai v4.cache.test - family=inet6 flags=AI_V4MAPPED,AI_ALL socktype=stream"
	"gai v4.cache.test - family=inet6"
	"gai 192.0.2.10 - socktype=stream"
	"gh www.dnsf.test"
	"gh alias1.dnsf.test"
	"gh nosuch.dnsf.test"
	"gh nodata.dnsf.test"
	"gh host"
	"gh2 www.dnsf.test inet6"
	"gh2 v4only.dnsf.test inet6"
	"ghr many.dnsf.test grow"
	"ghr www.dnsf.test 64"
	"gh2r multi.dnsf.test inet6 grow"
	"gha 192.0.2.10"
	"gha 192.0.2.12"
	"gha 2001:db8::10"
	"ghar 192.0.2.13 grow"
	"ghar 192.0.2.11"
	"gni 192.0.2.10 80 0"
	"gni 192.0.2.21 80 NI_NAMEREQD"
	"gni 192.0.2.11 80 0"
	"gni 2001:db8::21 53 NI_DGRAM"
	"gai hostsonly - flags=AI_CANONNAME"
	"gai twice.hosts - socktype=stream"
	"gh hostsonly"
	"gh2 localhost inet6"
	"ghr hostsonly grow"
	"ghr twice.hosts 300"
	"gh2r hostsonly inet6 grow"
	"gha 192.0.2.200"
	"gha ::1"
	"ghar 192.0.2.201 grow"
	"gni 127.0.0.1 22 NI_NAMEREQD"
	"gni 2001:db8::200 80 0"
	# Issue 10, item 4: every hostent form and getnameinfo, repeated, answered by the
	# memo in front of glibc; buffers on both sides of each ERANGE threshold (edge).
	"ghr www.dnsf.test edge"
	"ghr multi.dnsf.test edge"
	"ghr alias1.dnsf.test edge"
	"ghr nosuch.dnsf.test edge"
	"ghr nodata.dnsf.test 8192"
	"ghr v6only.dnsf.test 8192"
	"ghr hostsonly edge"
	"ghr twice.hosts edge"
	"ghr 192.0.2.77 edge"
	"gh2r www.dnsf.test inet6 edge"
	"gh2r multi.dnsf.test inet6 edge"
	"gh2r v4only.dnsf.test inet6 8192"
	"gh2r www.dnsf.test inet edge"
	"gh2r www.dnsf.test unix 8192"
	"gh2r hostsonly inet6 edge"
	"ghar 192.0.2.10 edge"
	"ghar 192.0.2.12 edge"
	"ghar 192.0.2.13 edge"
	"ghar 192.0.2.11 8192"
	"ghar 2001:db8::21 edge"
	"ghar 192.0.2.200 edge"
	"ghar :: 8192"
	"ghar 192.0.2.10 8192 family=unix"
	"gh multi.dnsf.test"
	"gh 192.0.2.77"
	"gh cname-dangling.dnsf.test"
	"gh2 multi.dnsf.test inet6"
	"gh2 nosuch.dnsf.test inet6"
	"gh2 www.dnsf.test unix"
	"gha 192.0.2.13"
	"gha 192.0.2.11"
	"gha 2001:db8::22"
	"gha ::"
	"gni 192.0.2.13 53 NI_DGRAM"
	"gni 192.0.2.12 443 NI_NOFQDN"
	"gni 192.0.2.11 80 NI_NAMEREQD"
	"gni 192.0.2.10 80 NI_NUMERICHOST|NI_NUMERICSERV"
	"gni 192.0.2.10 80 0 hostlen=5"
	"gni 192.0.2.10 80 0 hostlen=14"
	"gni 192.0.2.10 80 0 hostlen=15 servlen=3"
	"gni 192.0.2.10 80 0 hostlen=0"
	"gni 192.0.2.10 80 0 servlen=0"
	"gni 2001:db8::10 80 0 salen=16"
	"gni 192.0.2.200 22 NI_NAMEREQD hostlen=0 servlen=0"
)
# One name in several spellings, in one process: each later spelling is answered from
# the entry the first one filled (keys are case-insensitive), yet must print what an
# uncached lookup prints (NSD echoes the query's spelling in the answer's owner names,
# which become the canonical name and h_name).
# shellcheck disable=SC2034 # used through args_for's nameref
CASE_CASES=(
	"gai MiXeD.dnsf.test - flags=AI_CANONNAME socktype=stream"
	"gai mixed.dnsf.test - flags=AI_CANONNAME socktype=stream"
	"gai MIXED.DNSF.TEST - flags=AI_CANONNAME socktype=stream"
	"gai www.dnsf.test - family=inet flags=AI_CANONNAME"
	"gai WWW.DNSF.TEST - family=inet flags=AI_CANONNAME"
	"gh Www.Dnsf.Test"
)

# The lookup argument list: the table TABLE (an array's name) PASSES times, each call
# TIMES times in a row.
args_for() {
	local -n table=$1
	local pass c k
	ARGS=()
	for ((pass = 0; pass < $2; pass++)); do
		for c in "${table[@]}"; do
			for ((k = 0; k < $3; k++)); do
				# shellcheck disable=SC2206 # the cases are plain words
				local -a w=($c)
				[ ${#ARGS[@]} -eq 0 ] || ARGS+=(--)
				ARGS+=("${w[@]}")
			done
		done
	done
}

mkdir -p "$OUT/etc"
make_etc "$OUT/etc" "$CL_PROXY" --search "sub.dnsf.test dnsf.test" --options "ndots:1"
mapfile -t SHIM_ENV < <(dnsf_shim_env)
declare -A Q=()

# run NAME TABLE PASSES TIMES [env...]: lookup in the private /etc; output in
# $OUT/NAME.out, exit status in RUN_RC, queries at the proxy in Q[NAME].
run() {
	local name=$1 table=$2 passes=$3 times=$4
	shift 4
	args_for "$table" "$passes" "$times"
	# glibc's first NI_NOFQDN getnameinfo that finds a name works out the local domain,
	# once per process, and that leaves h_errno behind (inet/getnameinfo.c,
	# nrl_domainname); a warm-up call takes that first, so every call of the table
	# prints the same each time, with glibc as with the shim.
	ARGS=(gni 127.0.0.1 0 NI_NOFQDN -- "${ARGS[@]}")
	cl_qmark
	in_private_etc "$OUT/etc" env LC_ALL=C.UTF-8 "$@" "$TOOLS/lookup" -x "${ARGS[@]}" \
		>"$OUT/$name.out" 2>"$OUT/$name.err"
	RUN_RC=$?
	Q[$name]=$(cl_qdelta)
	diag "$name: exit $RUN_RC, ${Q[$name]} queries, $(grep -c '' "$OUT/$name.out") lines"
}

run glibc CASES 2 2
assert_eq 0 "$RUN_RC" "glibc alone ran the table"
grep -q '192.0.2.10 port=' "$OUT/glibc.out" || bail "glibc never got www's address: the table did not reach NSD"
run shim-once CASES 1 1 "${SHIM_ENV[@]}"
run shim CASES 2 2 "${SHIM_ENV[@]}"
assert_eq 0 "$RUN_RC" "with the shim, lookup ran the table"

# A failed getaddrinfo leaves *res alone in glibc (lookup prints res=untouched); checked
# on its own, then set aside so the comparisons below see every other difference.
calls_res() { awk '/^gai /{c=$0} /^  res=/{print c " -> " $0}' "$1"; }
if diff -u --label glibc --label shim <(calls_res "$OUT/glibc.out") <(calls_res "$OUT/shim.out") >"$OUT/res.diff"; then
	ok "failed getaddrinfo calls leave *res as glibc does, cached or not"
else
	not_ok "failed getaddrinfo calls leave *res as glibc does (untouched), also when answered from the cache"
	grep '^[-+]g' "$OUT/res.diff" | head -n 12 | sed 's/^/#   /'
fi
# errno after a successful call may differ (POSIX allows it): a note, not a failure.
norm() { grep -v 'errno-after-success' "$1" | sed 's/^  res=\(NULL\|untouched\)$/  res=(failed)/'; }
# The h_errno lines (the global, _res.res_h_errno and an _r call's out-parameter, each
# set to a sentinel before every call) are part of the comparison: a repeat answered by
# the memo must leave what glibc's first call left.
if diff -u --label glibc --label shim <(norm "$OUT/glibc.out") <(norm "$OUT/shim.out") >"$OUT/diff.txt"; then
	ok "shim output (first call uncached, the rest from cache and memo) equals glibc's: ${#CASES[@]} calls x 2 passes x 2 in a row"
else
	not_ok "shim output (first call uncached, the rest from cache and memo) equals glibc's (${#CASES[@]} calls x 2 passes x 2 in a row)"
	head -n 80 "$OUT/diff.txt" | sed 's/^/#   /'
fi
if ! diff -q <(grep 'errno-after-success' "$OUT/glibc.out") <(grep 'errno-after-success' "$OUT/shim.out") >/dev/null; then
	diag "note: errno-after-success lines differ (allowed by POSIX)"
fi
# Within the shim's run: every call printed what its first, uncached, occurrence did.
if awk -v out="$OUT/repeats.txt" '
	/^[a-z0-9]+ / { if (call != "") seen[call] = seen[call]; call = $0; body[call, ++n[call]] = "" ; cur = n[call]; next }
	{ body[call, cur] = body[call, cur] $0 "\n" }
	END { bad = 0
	      for (k in n) for (i = 2; i <= n[k]; i++) if (body[k, i] != body[k, 1]) {
	          bad++; printf "%s\n--- first:\n%s--- occurrence %d:\n%s", k, body[k, 1], i, body[k, i] > out }
	      exit bad > 0 }' < <(norm "$OUT/shim.out"); then
	ok "shim: every call printed the same all 4 times (uncached, then cached and memoised)"
else
	not_ok "shim: every call printed the same all 4 times (uncached, then cached and memoised)"
	head -n 40 "$OUT/repeats.txt" | sed 's/^/#   /'
fi
if [ "${Q[shim]}" = "${Q[shim-once]}" ]; then
	ok "shim: the table twice with every call doubled sent the queries of one plain pass (${Q[shim]})"
else
	not_ok "shim: the table twice with every call doubled sent ${Q[shim]} queries, one plain pass ${Q[shim-once]}: repeats were not all cached"
fi
if [ "${Q[shim]}" -lt $((Q[glibc] / 4)) ]; then
	ok "shim: ${Q[shim]} queries where glibc sent ${Q[glibc]} for the same calls"
else
	not_ok "shim: ${Q[shim]} queries, glibc ${Q[glibc]}: want fewer than a quarter"
fi

run glibc-case CASE_CASES 1 1
run shim-case CASE_CASES 1 1 "${SHIM_ENV[@]}"
if diff -u --label glibc --label shim <(norm "$OUT/glibc-case.out") <(norm "$OUT/shim-case.out") >"$OUT/case.diff"; then
	ok "a name asked in another spelling, answered from the cache, prints what glibc prints"
else
	not_ok "a name asked in another spelling, answered from the cache, prints what glibc prints (canonical name / h_name)"
	grep '^[-+] ' "$OUT/case.diff" | head -n 12 | sed 's/^/#   /'
fi

# ---- the memo answers repeats of every call: the answer cache is not asked again
# One lookup process makes each call once (-r 1), another 50 times in a row (-r 50, which
# also checks that every repeat prints what the first did); both log the answer cache's
# counters at exit. Repeats answered by the memo never reach it, so both must count the
# same cache lookups (before the hostent and nameinfo memo, every repeat of those calls
# went through glibc and the NSS module to the cache again).
MEMO_CASES=(
	"gh www.dnsf.test"
	"gh2 multi.dnsf.test inet6"
	"gh2 nodata.dnsf.test inet6"
	"ghr alias1.dnsf.test"
	"ghr www.dnsf.test 64"
	"ghr nosuch.dnsf.test"
	"gh2r www.dnsf.test inet6"
	"gha 192.0.2.13"
	"ghar 192.0.2.12"
	"ghar 192.0.2.11"
	"gni 192.0.2.10 80 0"
	"gni 2001:db8::10 53 NI_DGRAM"
	"gni 192.0.2.11 80 NI_NAMEREQD"
	"gai www.dnsf.test - family=inet"
)
declare -A LOOKUPS=()
run_reps() {
	local reps=$1 log=$OUT/reps$1.log
	args_for MEMO_CASES 1 1
	printf '%s\n' "stats_on_exit = true;" "log: { level = \"info\"; target = \"$log\"; };" >"$OUT/reps.conf"
	: >"$log"
	in_private_etc "$OUT/etc" env LC_ALL=C.UTF-8 "${SHIM_ENV[@]}" "DNSFAILOVER_CONF=$OUT/reps.conf" \
		"$TOOLS/lookup" -x -r "$reps" "${ARGS[@]}" >"$OUT/reps$reps.out" 2>"$OUT/reps$reps.err"
	RUN_RC=$?
	LOOKUPS[$reps]=$(sed -n 's/.*cache hits=\([0-9]*\) misses=\([0-9]*\) stale=\([0-9]*\).*/\1 + \2 + \3/p' "$log" | tail -n 1)
	LOOKUPS[$reps]=$((${LOOKUPS[$reps]:-0}))
}
run_reps 1
run_reps 50
assert_eq 0 "$RUN_RC" "lookup -r 50: every repeat printed what the first call did"
if [ "${LOOKUPS[1]}" -gt 0 ] && [ "${LOOKUPS[50]}" = "${LOOKUPS[1]}" ]; then
	ok "${#MEMO_CASES[@]} calls (every hostent form, getnameinfo, getaddrinfo) 50 times each: the answer cache was asked as often as for one time each (${LOOKUPS[1]}): the memo answered every repeat"
else
	not_ok "${#MEMO_CASES[@]} calls 50 times each asked the answer cache ${LOOKUPS[50]} times, once each ${LOOKUPS[1]}: repeats were not answered by the memo"
fi

# ---- python3: a real client, repeating socket.getaddrinfo in one interpreter
PYNAMES=(www.dnsf.test multi.dnsf.test alias1.dnsf.test v6only.dnsf.test cname-out.dnsf.test
	dual.cache.test host nosuch.dnsf.test)
cat >"$OUT/gai.py" <<'EOF'
import socket, sys
for name in sys.argv[1:]:
    seen = []
    for _ in range(3):
        try:
            seen.append(repr(socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP,
                                                flags=socket.AI_CANONNAME)))
        except socket.gaierror as e:
            seen.append("gaierror %d" % e.errno)
    print(name, seen[0], "same" if seen.count(seen[0]) == 3 else "DIFFERENT: %r" % seen)
EOF
pyrun() {
	local name=$1
	shift
	cl_qmark
	in_private_etc "$OUT/etc" env "$@" "$DNSF_PYTHON" -I "$OUT/gai.py" "${PYNAMES[@]}" \
		>"$OUT/$name.out" 2>"$OUT/$name.err"
	Q[$name]=$(cl_qdelta)
}
pyrun py-glibc
pyrun py-shim "${SHIM_ENV[@]}"
if [ -s "$OUT/py-glibc.out" ] && diff -u --label glibc --label shim "$OUT/py-glibc.out" "$OUT/py-shim.out" >"$OUT/py.diff"; then
	ok "python3: socket.getaddrinfo three times per name, same results with the shim as without"
else
	not_ok "python3: socket.getaddrinfo three times per name, same results with the shim as without"
	head -n 20 "$OUT/py.diff" "$OUT/py-shim.err" | sed 's/^/#   /'
fi
if [ "${Q[py-glibc]}" = $((3 * Q[py-shim])) ] && [ "${Q[py-shim]}" -gt 0 ]; then
	ok "python3: the shim sent ${Q[py-shim]} queries, a third of glibc's ${Q[py-glibc]} (only the first lookup of each name asked)"
else
	not_ok "python3: the shim sent ${Q[py-shim]} queries for 3 rounds, glibc ${Q[py-glibc]}: want exactly a third"
fi

# ---- memo invalidation through /etc/hosts
ETC=$CL_DIR/etc-memo
cl_etc "$ETC"
HOSTS=$ETC/hosts
cl_conf "$CL_DIR/memo.conf" "$CL_DIR/memo.log" "cache: { enabled = true; };"
cl_start memo "$CL_DIR/memo.conf" "$ETC"
cl_step memo 1 EAI_NONAME - "memo: newhost.cache.test is not in hosts, NXDOMAIN" -- gai newhost.cache.test inet
cl_step memo 0 EAI_NONAME - "memo: repeated, answered without DNS" -- gai newhost.cache.test inet
cl_step memo 0 0 192.0.2.200 "memo: hostsonly from the hosts file" -- gai hostsonly inet
cl_step memo 0 0 192.0.2.200 "memo: repeated" -- gai hostsonly inet
# The hostent calls and getnameinfo: memoised the same way (item 4), seen changing the same way.
for c in ghbn ghbnr; do
	cl_step memo 0 HOST_NOT_FOUND - "memo: $c newhost.cache.test, NXDOMAIN" -- $c newhost.cache.test
	cl_step memo 0 0 192.0.2.200 "memo: $c hostsonly from the hosts file" -- $c hostsonly
	cl_step memo 0 0 192.0.2.200 "memo: $c hostsonly repeated" -- $c hostsonly
done
for c in ghba gni; do
	cl_step memo 0 0 '*' "memo: $c 192.0.2.200 from the hosts file" -- $c 192.0.2.200
	[ "$(cl_get name)" = hostsonly.dnsf.test ] || not_ok "memo: $c 192.0.2.200 is hostsonly.dnsf.test: $CL_REPLY"
	cl_cmd memo "$c" 192.0.2.210
	[ "$(cl_get rc)" != 0 ] || bail "192.0.2.210 has a name before the hosts file gave it one: $CL_REPLY"
done
ino0=$(stat -c %i "$HOSTS")
# In place (same inode): a rename would leave the namespace's bind mount on the old file.
{
	sed 's/^192\.0\.2\.200[[:space:]].*/192.0.2.210\thostsonly.dnsf.test hostsonly hosts-alias/' "$DNSF_FIXTURES/hosts"
	printf '192.0.2.77\tnewhost.cache.test\n'
} >"$HOSTS"
[ "$(stat -c %i "$HOSTS")" = "$ino0" ] || bail "the hosts file was replaced, not rewritten"
grep -q '^192.0.2.210' "$HOSTS" || bail "the hosts rewrite did not change hostsonly"
cl_cmd memo sleep 1200
cl_step memo 0 0 192.0.2.77 "memo: 1.2 s after /etc/hosts gained newhost.cache.test, getaddrinfo sees it" -- gai newhost.cache.test inet
cl_step memo 0 0 192.0.2.210 "memo: ... and hostsonly's new address" -- gai hostsonly inet
for c in ghbn ghbnr; do
	cl_step memo 0 0 192.0.2.77 "memo: $c sees newhost.cache.test in the hosts file" -- $c newhost.cache.test
	cl_step memo 0 0 192.0.2.210 "memo: $c sees hostsonly's new address" -- $c hostsonly
done
for c in ghba gni; do
	cl_cmd memo "$c" 192.0.2.210
	if [ "$(cl_get rc)" = 0 ] && [ "$(cl_get name)" = hostsonly.dnsf.test ]; then
		ok "memo: $c 192.0.2.210 gets the name the hosts file gave it"
	else
		not_ok "memo: $c 192.0.2.210 gets the name the hosts file gave it: $CL_REPLY"
	fi
	cl_cmd memo "$c" 192.0.2.200
	if [ "$(cl_get rc)" != 0 ]; then
		ok "memo: $c 192.0.2.200, gone from the hosts file, has no name any more"
	else
		not_ok "memo: $c 192.0.2.200, gone from the hosts file, has no name any more: $CL_REPLY"
	fi
done
cl_stop memo

finish
