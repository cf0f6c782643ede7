/* balance — the first server of a "balance" lookup: spread over the servers
 * whose smoothed RTT is within a band of the best one.
 *
 * Everything else about a balance lookup is hedge's: servers outside the
 * band are never the first choice but stay hedge and failover targets in
 * health_plan's order, down servers get only probes, and the health memory
 * and the hedge budget work as in hedge. Only order[0] changes.
 *
 * Candidates. The servers of the best state present (up, else suspect, else
 * down: down servers are first only when every server is down, as
 * health_plan tries them all then), and of those the ones whose SRTT is
 * within the band of the best SRTT among them, or that have no RTT sample
 * yet (a server is sampled only by being asked; leaving unknown servers out
 * would keep a new or restarted server unsampled, and out, for ever).
 *
 * The band: best + max(BALANCE_BAND_FLOOR_MS, best * BALANCE_BAND_SHARE).
 *   - Relative, because the price of a first choice other than the best is
 *     the difference of their RTTs, paid by the lookups sent there: capped
 *     at half the best RTT, the spread costs at most +50 % on those and,
 *     with equal weights over k servers, at most +25 % on the mean for two.
 *     A fixed band (unbound's 400 ms) would put a 300 ms server next to a
 *     2 ms one, a 150-fold cost on half the lookups; a band of zero would
 *     never spread, since two equal servers' SRTTs are never equal.
 *   - Half, because a server outside the band is not asked first, so its
 *     SRTT stays where its last samples left it: with ordinary jitter
 *     (samples within +-50 % of the mean) at most 1.5 x its mean. Once the
 *     best's SRTT settles near the common mean, a band of half takes such a
 *     stale equal server back in; a narrower one could leave it out for
 *     good. Measured by test_balance's simulation (RFC 6298 SRTT, samples
 *     uniform in [0.5, 1.5] x the mean, 300 lookups, 20 seeds): once each
 *     had 8 samples the two SRTTs differed by up to 48 %, and the smaller
 *     share of first choices was 44.7 %.
 *   - The floor, because below a few milliseconds an RTT difference is the
 *     host's scheduling noise (a wake-up on a loaded machine takes that
 *     long), not the server's: two LAN servers at 0.2 and 0.5 ms are equal.
 * Weighting within the band: equal. Measured (test_balance, 20 seeds of 300
 * lookups): with servers of 20 and 28 ms, equal weights sent 70.5 % of first
 * choices to the faster (the slower is out of the band at times) for a mean
 * first RTT of 22.33 ms; inverse-RTT weights 75.6 % and 21.92 ms (-1.8 %),
 * at the price of more load on whichever server looks faster now: the
 * feedback that spreading load is there to avoid. The band already bounds
 * the cost.
 *
 * Randomness: a per-thread generator (balance_random), never rand(): rand()
 * shares one sequence with the host program, and our draws would change the
 * numbers its own rand() calls return (and srand() would fix ours). Each
 * process seeds from the clock, its pid and the thread, so the spread holds
 * across processes too; a fork child reseeds (balance_fork_child).
 *
 * Wiring: with strategy STRATEGY_BALANCE, health_plan (health.c,
 * balance_first) ranks as for hedge, then moves balance_pick's server to
 * order[0], the others keeping their ranked order as hedge targets; the
 * SRTTs and states come from its slots (or the shared hints) under its lock
 * (balance_pick is pure and takes no lock), and health_fork_child calls
 * balance_fork_child. The transport hedges a balance lookup as a hedge one
 * (strategy.c, hedging). */
#ifndef DNSF_BALANCE_H
#define DNSF_BALANCE_H

#include <stdint.h>

#define BALANCE_BAND_FLOOR_MS 2.0
#define BALANCE_BAND_SHARE 0.5

enum balance_state { BALANCE_UP = 0, BALANCE_SUSPECT, BALANCE_DOWN };

struct balance_server {
    double srtt_ms;                /* smoothed RTT; < 0: no sample yet */
    enum balance_state state;      /* health: up, suspect (failing), down */
};

/* The index of the server to ask first among S[0 .. N) (N >= 1), choosing
 * among the candidates with the uniform random word RND. Pure: same input,
 * same answer. */
int balance_pick(const struct balance_server *s, int n, uint32_t rnd);

/* A uniform random word from the calling thread's generator
 * (xorshift64*, seeded on first use). No lock, no system call after that. */
uint32_t balance_random(void);

/* In a fork child: reseed the calling thread's generator (the child would
 * otherwise draw the parent's next numbers). */
void balance_fork_child(void);

#endif
