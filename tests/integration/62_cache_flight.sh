#!/usr/bin/env bash
# 62_cache_flight: single-flight, fork and the eviction bound, through the preloaded shim,
# counted at the faultdns proxy in front of NSD (the shim's only nameserver).
#
#   single-flight   16 threads of one process look up the same uncached name at once
#                   (a barrier releases them together) through a proxy that holds every
#                   reply 300 ms: one A and one AAAA query reach the proxy, and all 16
#                   threads get the answer. Control: with the cache off, 32 queries.
#   fork            a child forked after the parent cached a name resolves it without a
#                   query; a child forked while a parent thread's lookup of a name is in
#                   flight (proxy delay 1000 ms) does not wait for that flight (its leader
#                   does not exist in the child): it asks itself and answers in about the
#                   proxy's delay, well before the 4 s deadline
#   eviction        cache.max_entries = 100, 1000 distinct names (NSD's wildcard
#                   *.wild.dnsf.test): the first names were evicted (asked again), the last
#                   ones were not; the exit-time stats say entries <= 100; and the memory
#                   growth over 5000 names stays far below that of an unbounded cache
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/cache_lib.sh
. "$DNSF_ROOT/tests/lib/cache_lib.sh"

require_root
require_cmd nsd
require_lib
cl_init
cl_ns_start
cl_proxy_start pass
CL_TIMEOUT=2000
CL_DEADLINE=4000

# qtypes_since A0 AAAA0: "A+AAAA" query counts since the given counter values.
qtype_counts() {
	cl_stats
	echo "$(cl_stat qtype_A) $(cl_stat qtype_AAAA)"
}

# ---- single-flight
cl_setmode delay=300
for cfg in on off; do
	if [ $cfg = on ]; then
		cl_conf "$CL_DIR/sf-$cfg.conf" "$CL_DIR/sf-$cfg.log" "cache: { enabled = true; };"
		want_a=1 want_aaaa=1
	else
		cl_conf "$CL_DIR/sf-$cfg.conf" "$CL_DIR/sf-$cfg.log" "cache: { enabled = false; };"
		want_a=16 want_aaaa=16
	fi
	cl_start sf "$CL_DIR/sf-$cfg.conf"
	read -r a0 aaaa0 < <(qtype_counts)
	cl_cmd sf threads 16 dual.cache.test unspec
	reply=$CL_REPLY
	read -r a1 aaaa1 < <(qtype_counts)
	da=$((a1 - a0)) daaaa=$((aaaa1 - aaaa0))
	if [ "$(cl_get ok "$reply")" = 16 ] && [ "$(cl_get same "$reply")" = 1 ] &&
		cl_same_addrs "$(cl_get addrs "$reply")" 192.0.2.104,2001:db8::104; then
		ok "cache $cfg: 16 threads all got dual.cache.test right"
	else
		not_ok "cache $cfg: 16 threads all got dual.cache.test right: $reply"
	fi
	if [ "$da" = $want_a ] && [ "$daaaa" = $want_aaaa ]; then
		ok "cache $cfg: 16 simultaneous lookups sent $da A and $daaaa AAAA queries"
	else
		not_ok "cache $cfg: 16 simultaneous lookups sent $da A and $daaaa AAAA queries, want $want_a and $want_aaaa"
	fi
	max=$(cl_get max_ms "$reply")
	if cl_within "$max" 250 2500; then
		ok "cache $cfg: every thread done within $max ms (proxy delay 300 ms)"
	else
		not_ok "cache $cfg: slowest thread took $max ms, want 250..2500"
	fi
	cl_stop sf
done
cl_setmode pass

# ---- fork
cl_conf "$CL_DIR/fk.conf" "$CL_DIR/fk.log" "cache: { enabled = true; };"
cl_start fk "$CL_DIR/fk.conf"
cl_step fk 2 0 192.0.2.104,2001:db8::104 "fork: parent caches dual.cache.test" -- gai dual.cache.test unspec
cl_step fk 0 0 192.0.2.104,2001:db8::104 "fork: a child resolves it from the inherited cache" -- fork dual.cache.test unspec
cl_step fk 0 0 192.0.2.104 "fork: ... with other hints too (not from a memoised result)" -- fork dual.cache.test inet dgram
cl_setmode delay=1000
cl_step fk 2 '*' '*' "fork: parent lookup in flight, child looks up the same name: both ask" \
	-- forkinflight ttl3600.cache.test 200 inet
reply=$CL_REPLY
child=${reply%% thread *}
thread=${reply#* thread }
if [ "$(cl_get rc "$child")" = 0 ] && [ "$(cl_get addrs "$child")" = 192.0.2.103 ] &&
	cl_within "$(cl_get ms "$child")" 800 2500; then
	ok "fork: the child answered in $(cl_get ms "$child") ms (its own query; the parent's flight is not waited for)"
else
	not_ok "fork: the child answers by itself in about the proxy's 1000 ms delay (deadline 4000): $child"
fi
if [ "$(cl_get rc "$thread")" = 0 ] && [ "$(cl_get addrs "$thread")" = 192.0.2.103 ]; then
	ok "fork: the parent's thread got its answer too"
else
	not_ok "fork: the parent's thread got its answer too: $thread"
fi
cl_setmode pass
cl_stop fk

# ---- eviction bound
cl_conf "$CL_DIR/ev.conf" "$CL_DIR/ev.log" "cache: { max_entries = 100; };"
cl_start ev "$CL_DIR/ev.conf"
cl_qmark
cl_cmd ev many ev wild.dnsf.test 1 1000 inet
q=$(cl_qdelta)
if [ "$(cl_get ok)" = 1000 ] && [ "$q" = 1000 ]; then
	ok "eviction: 1000 distinct names resolved, 1000 queries"
else
	not_ok "eviction: 1000 distinct names resolved with 1000 queries: $q queries, $CL_REPLY"
fi
# Other hints (SOCK_DGRAM) than the first pass, so the memo cannot answer: the answer
# cache alone decides.
cl_qmark
cl_cmd ev many ev wild.dnsf.test 1 10 inet dgram
q=$(cl_qdelta)
if [ "$q" = 10 ]; then
	ok "eviction: the 10 oldest names were evicted (asked again)"
else
	not_ok "eviction: the 10 oldest names were evicted: $q queries for them, want 10"
fi
cl_qmark
cl_cmd ev many ev wild.dnsf.test 996 1000 inet dgram
q=$(cl_qdelta)
if [ "$q" = 0 ]; then
	ok "eviction: the 5 newest names are still cached"
else
	not_ok "eviction: the 5 newest names are still cached: $q queries for them, want 0"
fi
cl_stop ev
stats=$(grep 'stats:' "$CL_DIR/ev.log" | tail -n 1)
entries=$(sed -n 's/.* entries=\([0-9]*\).*/\1/p' <<<"$stats")
evictions=$(sed -n 's/.* evictions=\([0-9]*\).*/\1/p' <<<"$stats")
diag "exit stats: ${stats#*stats: }"
if [ -n "$entries" ] && [ "$entries" -le 100 ]; then
	ok "eviction: $entries entries at exit, max_entries = 100"
else
	not_ok "eviction: at most max_entries = 100 entries at exit, got ${entries:-no stats line} (evictions ${evictions:-?})"
fi
if [ -n "$evictions" ] && [ "$evictions" -ge 800 ]; then
	ok "eviction: $evictions evictions"
else
	not_ok "eviction: at least 800 evictions, got ${evictions:-?}"
fi

# Memory: the same 5000 names with max_entries 100 and 100000.
declare -A grow=()
for max in 100 100000; do
	CL_LOGLEVEL=warn cl_conf "$CL_DIR/mem$max.conf" "$CL_DIR/mem$max.log" \
		"cache: { max_entries = $max; };"
	cl_start mem "$CL_DIR/mem$max.conf"
	cl_cmd mem many m$max wild.dnsf.test 1 200 unspec
	cl_cmd mem rss
	r0=$(cl_get rss_kb)
	cl_cmd mem many m$max wild.dnsf.test 201 5200 unspec
	[ "$(cl_get ok)" = 5000 ] || not_ok "memory: max_entries=$max: 5000 names resolved: $CL_REPLY"
	cl_cmd mem rss
	r1=$(cl_get rss_kb)
	grow[$max]=$((r1 - r0))
	diag "max_entries=$max: RSS $r0 KiB -> $r1 KiB over 5000 more names (+${grow[$max]} KiB)"
	cl_stop mem
done
if [ -n "${DNSF_SANITIZER:-}" ]; then
	# ASan keeps freed memory in quarantine: RSS says nothing about the bound there.
	diag "memory: not judged under DNSF_SANITIZER=$DNSF_SANITIZER (freed memory is quarantined)"
elif [ "${grow[100]}" -lt 1024 ] && [ $((grow[100] * 4)) -lt "${grow[100000]}" ]; then
	ok "memory: bounded cache grew ${grow[100]} KiB, unbounded ${grow[100000]} KiB, over 5000 names"
else
	not_ok "memory: bounded cache (100) grew ${grow[100]} KiB over 5000 names; want < 1 MiB and < 1/4 of the unbounded cache's ${grow[100000]} KiB"
fi

finish
