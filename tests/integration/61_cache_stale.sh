#!/usr/bin/env bash
# 61_cache_stale: serve-stale (RFC 8767) through the preloaded shim.
#
# Each scenario is one cache_client process (the cache is per process) whose only
# nameserver is the faultdns proxy in front of NSD; the proxy's mode is switched while the
# process runs, and its counters show which lookups were queries. Config: strategy
# sequence, timeout 300 ms, 1 attempt, deadline 1000 ms. Names from
# tests/integration/data/cache/cache.test.zone (ttl1: TTL 1 s, ttl2: TTL 2 s).
#
#   blackhole      an expired entry is served when the server times out, after trying it
#                  (within the deadline); then for the 30 s stale window without asking,
#                  even once the server is back; a name never cached fails (EAI_AGAIN);
#                  after the window one query refreshes the entry, and the refreshed entry
#                  lives by its own TTL (1 s), not by the old entry's window
#   servfail       a SERVFAIL is a failure too: stale served
#   serve_stale=false   EAI_AGAIN instead
#   max_stale=1    an entry expired 1.8 s ago fails, one expired 0.5 s ago is served
#   max_stale=0    never stale
#   NXDOMAIN       a server's NXDOMAIN is an answer: never replaced by a stale entry
#   2 servers      the first blackholed, the second healthy: the fresh answer, not stale
#
# The blackhole scenario's stale window is 30 s (CACHE_STALE_TTL_S, not configurable);
# the other scenarios run while that client waits, idle (it sends nothing then).
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

T1=ttl1.cache.test T2=ttl2.cache.test

# elapsed_ok DESC LO HI: the last reply's ms within [LO, HI].
elapsed_ok() {
	local ms
	ms=$(cl_get ms)
	if cl_within "$ms" "$2" "$3"; then
		ok "$1 (${ms} ms, bound $2..$3)"
	else
		not_ok "$1: took ${ms} ms, want $2..$3"
	fi
}

# log_has LOG ERE DESC / log_lacks LOG ERE DESC
log_has() {
	if grep -qE "$2" "$1"; then ok "$3"; else not_ok "$3 (no line matching '$2' in the shim's log)"; fi
}
log_lacks() {
	if grep -qE "$2" "$1"; then
		not_ok "$3"
		grep -E "$2" "$1" | head -n 3 | sed 's/^/#   /'
	else
		ok "$3"
	fi
}

# ---- blackhole, part 1
cl_conf "$CL_DIR/bh.conf" "$CL_DIR/bh.log" "cache: { enabled = true; };"
cl_start bh "$CL_DIR/bh.conf"
cl_cmd bh mark
cl_step bh 1 0 192.0.2.101 "blackhole: $T1 cached" -- gai $T1 inet
cl_at bh 1300
cl_setmode blackhole
cl_step bh 1 0 192.0.2.101 "blackhole: expired $T1 asked, server silent, stale answer served" -- gai $T1 inet
elapsed_ok "blackhole: the stale answer came after the timeout, within the deadline" 250 1300
log_has "$CL_DIR/bh.log" "ttl1\.cache\.test type 1: every server failed; serving a stale answer" \
	"blackhole: the shim logged the stale answer"
cl_step bh 0 0 192.0.2.101 "blackhole: next lookup uses the stale answer without asking" -- gai $T1 inet
cl_step bh 0 0 192.0.2.101 "blackhole: gethostbyname too (stale window)" -- ghbn $T1
cl_step bh 1 EAI_AGAIN - "blackhole: a name never cached fails" -- gai $T2 inet
elapsed_ok "blackhole: ... within the deadline" 250 1300
cl_setmode pass
cl_step bh 0 0 192.0.2.101 "server back: inside the 30 s stale window $T1 is not asked yet" -- gai $T1 inet

# ---- the other scenarios, while bh waits out its window

# servfail
cl_conf "$CL_DIR/sf.conf" "$CL_DIR/sf.log" "cache: { enabled = true; };"
cl_start sf "$CL_DIR/sf.conf"
cl_cmd sf mark
cl_step sf 1 0 192.0.2.101 "servfail: $T1 cached" -- gai $T1 inet
cl_at sf 1300
cl_setmode servfail
cl_step sf 1 0 192.0.2.101 "servfail: expired $T1, server says SERVFAIL, stale answer served" -- gai $T1 inet
elapsed_ok "servfail: at once (SERVFAIL needs no timeout)" 0 250
cl_setmode pass
cl_stop sf

# serve_stale = false
cl_conf "$CL_DIR/off.conf" "$CL_DIR/off.log" "cache: { serve_stale = false; };"
cl_start off "$CL_DIR/off.conf"
cl_cmd off mark
cl_step off 1 0 192.0.2.101 "serve_stale=false: $T1 cached" -- gai $T1 inet
cl_at off 1300
cl_setmode blackhole
cl_step off 1 EAI_AGAIN - "serve_stale=false: expired $T1 with the server silent fails" -- gai $T1 inet
elapsed_ok "serve_stale=false: within the deadline" 250 1300
cl_setmode pass
cl_stop off
log_lacks "$CL_DIR/off.log" "serving a stale answer" "serve_stale=false: nothing stale served"

# max_stale = 1: ttl1 and ttl2 cached at 0; the server goes silent at 2.2 s; at 2.5 s
# (after the timeout) ttl2 is 0.5 s past expiry (served), at 2.8 s ttl1 1.8 s (too old).
cl_conf "$CL_DIR/ms1.conf" "$CL_DIR/ms1.log" "cache: { max_stale = 1; };"
cl_start ms1 "$CL_DIR/ms1.conf"
cl_cmd ms1 mark
cl_step ms1 1 0 192.0.2.101 "max_stale=1: $T1 cached" -- gai $T1 inet
cl_step ms1 1 0 192.0.2.102 "max_stale=1: $T2 cached" -- gai $T2 inet
cl_at ms1 2200
cl_setmode blackhole
# Each lookup waits out the 300 ms timeout before it looks for a stale entry.
cl_step ms1 1 0 192.0.2.102 "max_stale=1: $T2, expired 0.5 s ago, is served stale" -- gai $T2 inet
cl_step ms1 1 EAI_AGAIN - "max_stale=1: $T1, expired 1.8 s ago, is not served" -- gai $T1 inet
cl_setmode pass
cl_stop ms1

# max_stale = 0
cl_conf "$CL_DIR/ms0.conf" "$CL_DIR/ms0.log" "cache: { max_stale = 0; };"
cl_start ms0 "$CL_DIR/ms0.conf"
cl_cmd ms0 mark
cl_step ms0 1 0 192.0.2.101 "max_stale=0: $T1 cached" -- gai $T1 inet
cl_at ms0 1300
cl_setmode blackhole
cl_step ms0 1 EAI_AGAIN - "max_stale=0: expired $T1 is never served" -- gai $T1 inet
cl_setmode pass
cl_stop ms0

# NXDOMAIN from the server is an answer, not a failure
cl_conf "$CL_DIR/nx.conf" "$CL_DIR/nx.log" "cache: { enabled = true; };"
cl_start nx "$CL_DIR/nx.conf"
cl_cmd nx mark
cl_step nx 1 0 192.0.2.101 "nxdomain: $T1 cached" -- gai $T1 inet
cl_at nx 1300
cl_setmode nxdomain
cl_step nx 1 EAI_NONAME - "nxdomain: the server's NXDOMAIN wins over the stale entry" -- gai $T1 inet
cl_step nx 1 EAI_NONAME - "nxdomain: (without an SOA it is not cached) asked again, NXDOMAIN again" -- gai $T1 inet
cl_setmode pass
cl_step nx 1 0 192.0.2.101 "nxdomain: server back to the real data: answered" -- gai $T1 inet
cl_stop nx
log_lacks "$CL_DIR/nx.log" "serving a stale answer" "nxdomain: nothing stale served"

# two servers: one silent, one healthy -> fresh answer
cat >"$CL_DIR/two.conf" <<EOF
nameservers = [ "$CL_PROXY:53", "$CL_NS:53" ];
strategy = "sequence";
timeout_ms = 300;
attempts = 1;
deadline_ms = 1000;
search = [];
log: { level = "debug"; target = "$CL_DIR/two.log"; };
EOF
cl_start two "$CL_DIR/two.conf"
cl_cmd two mark
cl_step two 1 0 192.0.2.101 "two servers: $T1 cached (first server asked)" -- gai $T1 inet
cl_at two 1300
cl_setmode blackhole
cl_step two 1 0 192.0.2.101 "two servers: first silent, second answers" -- gai $T1 inet
cl_setmode pass
cl_stop two
log_lacks "$CL_DIR/two.log" "serving a stale answer" "two servers: only one failed, nothing stale served"
log_has "$CL_DIR/two.log" "$CL_NS:53: ttl1\.cache\.test type 1 rcode 0 .*winner" \
	"two servers: the answer came from the second server"

# ---- blackhole, part 2: after the stale window (opened at ~1.6 s, 30 s long)
cl_at bh 32800
cl_step bh 1 0 192.0.2.101 "after the stale window: $T1 asked again, refreshed" -- gai $T1 inet
cl_step bh 0 0 192.0.2.101 "refreshed entry is used" -- ghbn $T1
cl_cmd bh sleep 1500
cl_step bh 1 0 192.0.2.101 "refreshed entry expires by its own TTL (1 s), not a stale window" -- ghbn $T1
cl_stop bh

finish
