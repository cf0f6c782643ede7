/* stats — the exit statistics (the config's stats_on_exit). */
#ifndef DNSF_STATS_H
#define DNSF_STATS_H

#include <stdint.h>

/* Log one line with every server's counters (health.h) and the cache's
 * (cache.h), whatever log.level says: it was asked for explicitly. */
void stats_log(void);

/* Calls the engine handed to glibc (fail open), whose resolver asks
 * resolv.conf's servers, or the program's own: there a `domains` entry
 * cannot hold, which is the limit of per-domain routing in a preload
 * (route.h). Counted by kind, and how many of them were for a name under a
 * routed suffix (as far as the engine had looked: the name as given and
 * each search-list candidate). */
enum stats_handoff {
    HANDOFF_INTERNAL = 0,          /* out of memory, c-ares failed */
    HANDOFF_NO_FDS,                /* no descriptor left for our sockets */
    HANDOFF_OWN_SERVERS,           /* res_* with the program's own servers */
    HANDOFF_OPTIONS,               /* res_* with RES_USEVC, RES_USE_EDNS0, ... */
    HANDOFF_KINDS
};
/* Count one hand-off of kind K; ROUTED: its name was under a suffix. */
void stats_handoff(enum stats_handoff k, int routed);
/* The totals so far: BY_KIND[HANDOFF_KINDS], and *ROUTED. */
void stats_handoffs(uint64_t *by_kind, uint64_t *routed);

#endif
