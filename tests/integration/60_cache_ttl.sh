#!/usr/bin/env bash
# 60_cache_ttl: cache lifetimes through the preloaded shim, counted at the nameserver.
#
# One cache_client process per configuration (the cache is per process) looks names of
# tests/integration/data/cache/cache.test.zone up at fixed times after a mark; after each
# lookup the faultdns proxy in front of NSD (the shim's only nameserver) says how many
# queries it received. A lookup answered from the cache (or the memo in front of it)
# sends none; a lookup after expiry sends one per expired question type.
#
#   control     cache.enabled = false: every lookup is a query (the counting works)
#   defaults    TTL 1 s and 2 s records expire on time, per (name, type) (an AF_UNSPEC
#               lookup after only A expired asks only A); a CNAME chain lives as long as
#               its shortest link (1 s, though the target has 3600 s); gethostbyname
#               shares the entries getaddrinfo filled; NXDOMAIN and NODATA live for the
#               zone's negative TTL, min(SOA TTL 3600, MINIMUM 3) = 3 s
#   max_ttl=1   a 3600 s record is asked again after 1 s
#   min_ttl=3   a 1 s record is kept 3 s
#   negative_max_ttl=1   the 3 s NXDOMAIN is asked again after 1 s
#
# Time points leave >= 400 ms on each side of an expiry.
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

T2=ttl2.cache.test T1=ttl1.cache.test CH=chain.cache.test LONG=ttl3600.cache.test
NX=nx1.cache.test V4=v4.cache.test
A1=192.0.2.101,2001:db8::101

# ---- control: no cache, every lookup asks
cl_conf "$CL_DIR/off.conf" "$CL_DIR/off.log" "cache: { enabled = false; };"
cl_start off "$CL_DIR/off.conf"
for i in 1 2 3; do
	cl_step off 1 0 192.0.2.103 "cache off: lookup $i of $LONG is a query" -- gai $LONG inet
done
cl_step off 1 HOST_NOT_FOUND - "cache off: gethostbyname($NX) is a query" -- ghbn $NX
cl_stop off

# ---- defaults
cl_conf "$CL_DIR/def.conf" "$CL_DIR/def.log" "cache: { enabled = true; };"
cl_start def "$CL_DIR/def.conf"
cl_cmd def mark
diag "t=0"
cl_step def 1 0 192.0.2.102 "$T2 (TTL 2): first lookup asks" -- gai $T2 inet
cl_step def 0 0 192.0.2.102 "$T2: second lookup does not" -- gai $T2 inet
cl_step def 0 0 192.0.2.102 "$T2: gethostbyname shares the entry getaddrinfo filled" -- ghbn $T2
cl_step def 2 0 "$A1" "$T1 (TTL 1), AF_UNSPEC: A and AAAA asked" -- gai $T1 unspec
cl_step def 1 0 192.0.2.103 "$CH (CNAME 1 s -> 3600 s): asked" -- gai $CH inet
cl_step def 1 0 192.0.2.103 "$LONG (TTL 3600): asked" -- gai $LONG inet
cl_step def 1 EAI_NONAME - "$NX (NXDOMAIN, negative TTL 3): asked" -- gai $NX inet
cl_step def 0 HOST_NOT_FOUND - "$NX: gethostbyname gets the cached NXDOMAIN" -- ghbn $NX
cl_step def 1 '*' - "$V4 AAAA (NODATA, negative TTL 3): asked" -- gai $V4 inet6
V4RC=$(cl_get rc)
cl_at def 800
diag "t=0.8 s: everything still fresh"
cl_step def 0 0 192.0.2.102 "$T2 at 0.8 s: cached" -- gai $T2 inet
cl_step def 0 0 192.0.2.102 "$T2 at 0.8 s: cached (gethostbyname)" -- ghbn $T2
cl_step def 0 0 "$A1" "$T1 at 0.8 s: cached" -- gai $T1 unspec
cl_step def 0 0 192.0.2.103 "$CH at 0.8 s: cached" -- gai $CH inet
cl_step def 0 EAI_NONAME - "$NX at 0.8 s: cached" -- gai $NX inet
cl_step def 0 "$V4RC" - "$V4 AAAA at 0.8 s: cached" -- gai $V4 inet6
cl_at def 1500
diag "t=1.5 s: the 1 s entries expired"
cl_step def 0 0 192.0.2.102 "$T2 at 1.5 s: still cached (gethostbyname)" -- ghbn $T2
cl_step def 1 0 192.0.2.101 "$T1 A at 1.5 s: expired, asked again (gethostbyname, no memo)" -- ghbn $T1
cl_step def 1 0 "$A1" "$T1 at 1.5 s, AF_UNSPEC: only AAAA asked again (A was just refreshed)" -- gai $T1 unspec
cl_step def 1 0 192.0.2.103 "$CH at 1.5 s: the chain's 1 s link expired it" -- gai $CH inet
cl_step def 0 0 192.0.2.102 "$T2 at 1.5 s: cached" -- gai $T2 inet
cl_step def 0 EAI_NONAME - "$NX at 1.5 s: cached" -- gai $NX inet
cl_at def 2500
diag "t=2.5 s: the 2 s entry expired"
cl_step def 1 0 192.0.2.102 "$T2 at 2.5 s: expired, asked again (gethostbyname)" -- ghbn $T2
cl_step def 0 0 192.0.2.102 "$T2 at 2.5 s: getaddrinfo uses the refreshed entry" -- gai $T2 inet
cl_step def 0 EAI_NONAME - "$NX at 2.5 s: cached" -- gai $NX inet
cl_step def 0 "$V4RC" - "$V4 AAAA at 2.5 s: cached" -- gai $V4 inet6
cl_at def 3500
diag "t=3.5 s: the 3 s negative entries expired"
cl_step def 1 HOST_NOT_FOUND - "$NX at 3.5 s: asked again (gethostbyname)" -- ghbn $NX
cl_step def 0 EAI_NONAME - "$NX at 3.5 s: getaddrinfo uses the refreshed entry" -- gai $NX inet
cl_step def 1 "$V4RC" - "$V4 AAAA at 3.5 s: asked again" -- gai $V4 inet6
cl_step def 0 0 192.0.2.103 "$LONG at 3.5 s: cached" -- gai $LONG inet
cl_stop def

# ---- max_ttl = 1
cl_conf "$CL_DIR/max.conf" "$CL_DIR/max.log" "cache: { max_ttl = 1; };"
cl_start max "$CL_DIR/max.conf"
cl_cmd max mark
cl_step max 1 0 192.0.2.103 "max_ttl=1: $LONG asked" -- gai $LONG inet
cl_at max 500
cl_step max 0 0 192.0.2.103 "max_ttl=1: $LONG cached at 0.5 s" -- gai $LONG inet
cl_at max 1500
cl_step max 1 0 192.0.2.103 "max_ttl=1: $LONG (TTL 3600) asked again at 1.5 s" -- gai $LONG inet
cl_step max 0 0 192.0.2.103 "max_ttl=1: and cached again" -- gai $LONG inet
cl_stop max

# ---- min_ttl = 3
cl_conf "$CL_DIR/min.conf" "$CL_DIR/min.log" "cache: { min_ttl = 3; };"
cl_start min "$CL_DIR/min.conf"
cl_cmd min mark
cl_step min 1 0 192.0.2.101 "min_ttl=3: $T1 asked" -- gai $T1 inet
cl_at min 1500
cl_step min 0 0 192.0.2.101 "min_ttl=3: $T1 (TTL 1) still cached at 1.5 s (gethostbyname)" -- ghbn $T1
cl_at min 2500
cl_step min 0 0 192.0.2.101 "min_ttl=3: $T1 still cached at 2.5 s" -- gai $T1 inet
cl_at min 3500
cl_step min 1 0 192.0.2.101 "min_ttl=3: $T1 asked again at 3.5 s" -- gai $T1 inet
cl_stop min

# ---- negative_max_ttl = 1
cl_conf "$CL_DIR/neg.conf" "$CL_DIR/neg.log" "cache: { negative_max_ttl = 1; };"
cl_start neg "$CL_DIR/neg.conf"
cl_cmd neg mark
cl_step neg 1 EAI_NONAME - "negative_max_ttl=1: $NX asked" -- gai $NX inet
cl_step neg 1 "$V4RC" - "negative_max_ttl=1: $V4 AAAA asked" -- gai $V4 inet6
cl_at neg 500
cl_step neg 0 EAI_NONAME - "negative_max_ttl=1: $NX cached at 0.5 s" -- gai $NX inet
cl_step neg 0 "$V4RC" - "negative_max_ttl=1: $V4 AAAA cached at 0.5 s" -- gai $V4 inet6
cl_at neg 1500
cl_step neg 1 EAI_NONAME - "negative_max_ttl=1: $NX (negative TTL 3) asked again at 1.5 s" -- gai $NX inet
cl_step neg 1 "$V4RC" - "negative_max_ttl=1: $V4 AAAA (negative TTL 3) asked again at 1.5 s" -- gai $V4 inet6
cl_stop neg

finish
