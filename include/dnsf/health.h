/* health — what this process remembers about each nameserver.
 *
 * Per server: consecutive failures, a smoothed RTT and its mean deviation
 * (RFC 6298's estimator), a down mark, the next probe time, and counters.
 * The table is process-wide and keyed by address; its lock is held only for
 * a few arithmetic steps, never across I/O.
 *
 * States, for ranking:
 *   up       no recent failure: ranked by preference, then RTT band;
 *   suspect  1 .. fail_threshold-1 consecutive failures: ranked after up
 *            servers (hedge and race), so a dead primary costs one hedge
 *            delay once, not on every lookup;
 *   down     fail_threshold or more: skipped, probed every
 *            probe_interval_ms alongside real lookups (a probe never delays
 *            an answer), up again when it answers, and never down for more
 *            than max_down_ms without a real try (RFC 2308 §7.2).
 * "sequence" ignores RTT and suspect ranking: it keeps the configured order
 * and skips only down servers.
 *
 * Late evidence. Every report carries the time its query was sent. A reply
 * counts whenever it arrives: however late, it shows the server alive. A
 * failure (timeout, lost race, error) counts only if its query was sent at
 * or after the query behind the server's latest success; one sent before it
 * is older than that success and is not counted (only the statistics see
 * it). Example (tests/integration/43_failback.sh): probes sent during an outage time out a
 * timeout_ms later, after a newer probe found the server back; counting them
 * demoted a recovered primary again and again. Times are whole
 * milliseconds; a failure sent in the same millisecond as the success
 * counts (an A and an AAAA query leave together, and one of them may be the
 * one that fails). */
#ifndef DNSF_HEALTH_H
#define DNSF_HEALTH_H

#include <stdint.h>
#include "dnsf/config.h"

#define HEALTH_MAX_SLOTS 32
/* RFC 8305 §3 resolution delay: wait at most this long for the other
 * address family once one family has answered. */
#define HEALTH_FAMILY_GRACE_MS 50
/* Hedge delay for a server with no RTT sample yet. RFC 8305's 50 ms: long
 * enough that a LAN resolver answers first, short enough to hide a dead one. */
#define HEALTH_UNKNOWN_HEDGE_MS 50

struct health_counters {
    uint64_t queries, answers, timeouts, errors, hedges, skips, probes;
};

/* The order in which one lookup should use its servers. */
struct health_plan {
    int n;
    int order[DNSF_MAX_SERVERS];      /* indexes into the lookup's server list */
    int slot[DNSF_MAX_SERVERS];       /* health slot per server index (-1: none) */
    int down[DNSF_MAX_SERVERS];       /* per server index: skip unless all are */
    int held[DNSF_MAX_SERVERS];       /* per server index: down in the shared state:
                                       * ask last (strategy.c), never skip */
    int hedge_ms[DNSF_MAX_SERVERS];   /* per server index: adaptive hedge delay */
    int probe;                        /* server index to probe now, or -1 */
};

struct shstate;
/* Compute the plan for SERVERS[0..N-1] at time NOW_MS under CFG (its
 * health.*, and its strategy, hedge_min_ms and hedge_max_ms, or ROUTE's
 * when the servers are a `domains` entry's: route.h). Balance ranks as
 * hedge, then moves balance_pick's server to order[0] (balance.h). Each
 * server's hedge delay is decided here, and only here: srtt + 4 rttvar
 * (RFC 6298 §2), HEALTH_UNKNOWN_HEDGE_MS without a sample, clamped to
 * [hedge_min_ms, hedge_max_ms].
 * SHARED (NULL: not shared) merges what other processes learned
 * (shstate.h, steps 3 and 4): where its evidence about a server is newer
 * than this process's, its class (suspect, down) ranks the server, and a
 * shared down mark only holds it back (HELD); its RTT seeds the hedge delay
 * while this process has no sample; and probes follow its schedule, one
 * process per interval. */
void health_plan(const struct dnsf_server *servers, int n, const struct dnsf_config *cfg,
                 const struct dnsf_domain *route, struct shstate *shared, uint64_t now_ms,
                 struct health_plan *out);

enum health_outcome { HEALTH_OK, HEALTH_TIMEOUT, HEALTH_ERROR, HEALTH_UNREACHABLE,
                      HEALTH_LOST_RACE, HEALTH_LOCAL /* our failure, not reported */ };
/* Report one finished query, sent at SENT_MS and seen at NOW_MS (both
 * clock_now_ms). RTT_VALID: 1, RTT_US is a sample; 0, the RTT is unknown (a
 * reply processed after its lookup ended) and the estimate is forgotten; -1,
 * keep the estimate as it is. For HEALTH_LOST_RACE, RTT_US is a lower bound
 * (how long the query had been waiting). CFG: the config the query was
 * sent under (its health.*). */
void health_report(int slot, enum health_outcome o, uint32_t rtt_us, int rtt_valid,
                   uint64_t sent_ms, const struct dnsf_config *cfg, uint64_t now_ms);
void health_count(int slot, int hedges, int skips, int queries);

/* The hedge budget (gRPC-style retry throttling): a speculative hedge or a
 * same-server retry may start only while the bucket is above half full
 * (10 tokens); each costs a token, each lookup that took none earns back a
 * tenth.
 *
 * What draws on it, and why. The budget protects the servers behind the
 * first one from a storm of speculative queries: when every lookup waits a
 * little too long for a server that is merely slow, hedging would double
 * the load on a secondary that may itself be struggling, so at most about
 * one lookup in ten may hedge once the first five tokens are spent. It is
 * not there to make lookups wait out a server already shown to be failing:
 *   - One lookup makes one decision. Its A and AAAA queries hedge together
 *     (the window is the lookup's), for one token, not two.
 *   - A hedge away from a server that other evidence has shown failing since
 *     the lookup started (a counted timeout, lost race or error reported by
 *     another lookup, a probe or this lookup's other query, and no answer
 *     since) is failover, not speculation: it needs no token. New lookups
 *     already rank such a server behind (suspect) or skip it (down); this
 *     covers the lookups that were waiting on it when the evidence came.
 *     Example (tests/integration/44_budget.sh): 8 threads start together against a dead primary
 *     no lookup has met yet. Five hedge on tokens after the unknown-server
 *     delay (50 ms), the secondary answers them, and their lost races show
 *     the primary failing; the three without a token hedge as failover on
 *     their next look, instead of waiting the whole timeout_ms.
 *   - A denied hedge looks again after HEALTH_HEDGE_RECHECK_MS, doubling up
 *     to HEALTH_UNKNOWN_HEDGE_MS, for as long as it waits: one lock and a
 *     comparison each time.
 * A merely slow server never fails (it answers, and wins or loses races
 * while its answers keep resetting its failures), so hedges away from it stay
 * speculative and throttled. */
#define HEALTH_HEDGE_RECHECK_MS 5
enum health_hedge { HEALTH_HEDGE_DENIED = 0, HEALTH_HEDGE_FAILOVER, HEALTH_HEDGE_SPECULATIVE };
/* May a lookup that started at SINCE_MS, waiting on the servers with health
 * slots WAITED[0..N-1], hedge now? SPECULATIVE took a token. */
enum health_hedge health_hedge_grant(const int *waited, int n, uint64_t since_ms);
/* A same-server retry: 1 if a token was taken. */
int health_budget_take(void);
void health_budget_earn(void);

/* Copy a slot's counters and state (for stats and the CLI). Return -1 if
 * SLOT is unused. */
int health_snapshot(int slot, char *name, size_t namelen, struct health_counters *c,
                    int *down, int *fails, double *srtt_ms);
/* This process's totals, for status: hedges started, lookups that passed
 * over a server known down (FAILOVERS: the skips), and the hedge budget in
 * thousandths of a token. */
void health_totals(uint64_t *hedges, uint64_t *failovers, int64_t *budget_milli);
void health_fork_child(void);
void health_reset(void);   /* tests */

#endif
