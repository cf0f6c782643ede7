/* stats — the exit statistics (the config's stats_on_exit). */
#ifndef DNSF_STATS_H
#define DNSF_STATS_H

/* Log one line with every server's counters (health.h) and the cache's
 * (cache.h), whatever log.level says: it was asked for explicitly. */
void stats_log(void);

#endif
