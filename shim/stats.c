/* stats — one line at exit with every server's counters and the cache's
 * (stats.h). */
#include "dnsf/stats.h"

#include <stdio.h>

#include "dnsf/cache.h"
#include "dnsf/health.h"
#include "dnsf/log.h"

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
    cache_get_stats(&cs);
    /* Asked for explicitly, so written whatever log.level says. */
    log_msg(LOG_LVL_INFO, "stats: %s; cache hits=%llu misses=%llu stale=%llu entries=%llu evictions=%llu",
         o ? line : "no server asked", (unsigned long long)cs.hits,
         (unsigned long long)cs.misses, (unsigned long long)cs.stale,
         (unsigned long long)cs.entries, (unsigned long long)cs.evictions);
}
