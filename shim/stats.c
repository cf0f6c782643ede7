/* stats — one line at exit with every server's counters and the cache's
 * (stats.h). */
#include "dnsf/stats.h"

#include <stdatomic.h>
#include <stdio.h>

#include "dnsf/cache.h"
#include "dnsf/health.h"
#include "dnsf/log.h"

/* Hand-offs per kind, and of routed names: bumped by whichever thread hands
 * a call to glibc (relaxed: counters), read by stats_log at exit. */
static _Atomic uint64_t handoffs[HANDOFF_KINDS], handoffs_routed;

void stats_handoff(enum stats_handoff k, int routed)
{
    if ((unsigned)k < HANDOFF_KINDS)
        atomic_fetch_add_explicit(&handoffs[k], 1, memory_order_relaxed);
    if (routed)
        atomic_fetch_add_explicit(&handoffs_routed, 1, memory_order_relaxed);
}

void stats_handoffs(uint64_t *by_kind, uint64_t *routed)
{
    for (int k = 0; k < HANDOFF_KINDS; k++)
        by_kind[k] = atomic_load_explicit(&handoffs[k], memory_order_relaxed);
    *routed = atomic_load_explicit(&handoffs_routed, memory_order_relaxed);
}

void stats_log(void)
{
    char line[900];
    size_t o = 0;
    for (int i = 0; i < HEALTH_MAX_SLOTS && o < sizeof line - 200; i++) {
        char name[64];
        struct health_counters c;
        int down, fails;
        double srtt;
        if (health_snapshot(i, name, sizeof name, &c, &down, &fails, &srtt) < 0)
            continue;
        o += (size_t)snprintf(line + o, sizeof line - o,
                              "%s%s queries=%llu answers=%llu timeouts=%llu errors=%llu "
                              "hedges=%llu skips=%llu probes=%llu srtt_ms=%.1f%s",
                              o ? "; " : "", name, (unsigned long long)c.queries,
                              (unsigned long long)c.answers, (unsigned long long)c.timeouts,
                              (unsigned long long)c.errors, (unsigned long long)c.hedges,
                              (unsigned long long)c.skips, (unsigned long long)c.probes, srtt,
                              down ? " down" : "");
    }
    struct cache_stats cs;
    uint64_t h[HANDOFF_KINDS], hr;
    cache_get_stats(&cs);
    stats_handoffs(h, &hr);
    /* Asked for explicitly, so written whatever log.level says. */
    log_msg(LOG_LVL_INFO, "stats: %s; cache hits=%llu misses=%llu stale=%llu entries=%llu evictions=%llu; "
         "handoffs internal=%llu no_fds=%llu own_servers=%llu options=%llu routed=%llu",
         o ? line : "no server asked", (unsigned long long)cs.hits,
         (unsigned long long)cs.misses, (unsigned long long)cs.stale,
         (unsigned long long)cs.entries, (unsigned long long)cs.evictions,
         (unsigned long long)h[HANDOFF_INTERNAL], (unsigned long long)h[HANDOFF_NO_FDS],
         (unsigned long long)h[HANDOFF_OWN_SERVERS], (unsigned long long)h[HANDOFF_OPTIONS],
         (unsigned long long)hr);
}
