/* strategy — which server one lookup asks next, and when: sequence, race,
 * hedge and balance (a hedge whose first choice health_plan spreads,
 * balance.h), the tries per server, the hedge window and its budget, and
 * the servers held back by a shared down mark (shstate.h). transport.c
 * sends the queries and reads the replies (lookup.h). */
#include "dnsf/lookup.h"

#include "dnsf/clock.h"
#include "dnsf/log.h"
#include "dnsf/route.h"

void strategy_start(struct lookup *lk)
{
    lk->window = 1;
    lk->held_due_ms = UINT64_MAX;
    for (int si = 0; si < lk->ask->nservers; si++)
        if (lk->hp.held[si])
            lk->held_due_ms = lk->start_ms + (uint64_t)lk->hp.hedge_ms[lk->hp.order[0]];
}

void strategy_server_failed(struct lookup *lk, struct qstate *q, int si, int retryable)
{
    /* A retry to the same server is speculative load: it needs budget. */
    if (retryable && q->tries[si] < route_attempts(lk->cfg, lk->ask->route)
        && health_budget_take()) {
        lk->tokens++;
        q->st[si] = SRV_IDLE;
    } else
        q->st[si] = SRV_FINAL;
}

/* May the strategy ask server SI now? Not when down (health_plan), nor,
 * until released, when held back by a shared down mark. */
static int usable(const struct lookup *lk, int si)
{
    return !lk->hp.down[si] && (!lk->hp.held[si] || lk->unheld);
}

/* Queries of qtype QI in flight (a probe runs beside the strategy, never
 * in its place, so it does not count) and usable servers not yet asked. */
static void count_servers(const struct lookup *lk, int qi, int *inflight, int *idle)
{
    const struct qstate *q = &lk->q[qi];
    *inflight = *idle = 0;
    for (int si = 0; si < lk->ask->nservers; si++) {
        *inflight += q->st[si] == SRV_INFLIGHT && !(qi == 0 && si == lk->probe_si);
        *idle += q->st[si] == SRV_IDLE && usable(lk, si);
    }
}

/* Ask the servers held back by a shared down mark too, EXTRA of them beside
 * what the strategy keeps in flight. */
static void release_held(struct lookup *lk, int extra, const char *why)
{
    if (lk->unheld)
        return;
    lk->unheld = 1;
    lk->unheld_extra = extra;
    LOGD("%s: asking the servers marked down by other processes too (%s)", lk->name, why);
}

/* Does the lookup hedge? Balance is a hedge whose first choice is spread
 * (balance.h): hedging, failover and the budget are hedge's. */
static int hedging(const struct lookup *lk)
{
    enum dnsf_strategy s = route_strategy(lk->cfg, lk->ask->route);
    return s == STRATEGY_HEDGE || s == STRATEGY_BALANCE;
}

/* Up to WANT servers are in flight at once (sequence 1, race all, hedge and
 * balance the lookup's window, which grows by one per hedge delay:
 * strategy_hedge). A free
 * slot goes to the least-tried usable server, in ranked order: like glibc's
 * rounds, every server gets its first try before any gets a second. */
void strategy_pump(struct lookup *lk, int qi)
{
    struct qstate *q = &lk->q[qi];
    enum dnsf_strategy strategy = route_strategy(lk->cfg, lk->ask->route);
    int n = lk->ask->nservers, inflight, idle;

    if (q->done)
        return;
    int want = strategy == STRATEGY_RACE ? n : hedging(lk) ? lk->window : 1;
    count_servers(lk, qi, &inflight, &idle);
    if (inflight + idle == 0 && lk->held_due_ms != UINT64_MAX && !lk->unheld) {
        /* Never a failure (shstate.h): every other server has failed. */
        release_held(lk, 0, "every other server failed");
        count_servers(lk, qi, &inflight, &idle);
    }
    want += lk->unheld_extra;
    int open = inflight + idle;
    if (open == 0) {
        q->done = 1;               /* every server failed: q->saw_* say how */
        return;
    }
    while (inflight < want && idle > 0) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            int si = lk->hp.order[k];
            if (q->st[si] != SRV_IDLE || !usable(lk, si))
                continue;
            if (best < 0 || q->tries[si] < q->tries[best])
                best = si;
        }
        const char *why = q->tries[best] > 0 ? "retry" : strategy == STRATEGY_RACE ? "race"
                        : inflight > 0 ? "hedge" : "first";
        if (lookup_launch(lk, qi, best, why) < 0)
            return;
        if (q->st[best] == SRV_INFLIGHT)
            inflight++;
        idle--;
        /* From the real launch time, rounded up: on a process's first
         * lookup, creating the channel can take milliseconds after NOW. */
        if (hedging(lk))
            q->hedge_due_ms = (clock_now_us() + 999) / 1000 + (uint64_t)lk->hp.hedge_ms[best];
        if (q->done)
            return;
    }
}

/* Hedge: once a qtype's newest query has had its server's adaptive delay,
 * widen the window by one for every qtype still waiting, if health grants
 * it (failover, or a speculative hedge on a token); else ask again soon. */
void strategy_hedge(struct lookup *lk, uint64_t now)
{
    int waited[DNSF_MAX_SERVERS], nw = 0, wanted = 0;

    if (!hedging(lk) || now < lk->recheck_at_ms)
        return;
    for (int qi = 0; qi < lk->nq; qi++) {
        int inflight, idle;
        if (lk->q[qi].done || now < lk->q[qi].hedge_due_ms)
            continue;
        count_servers(lk, qi, &inflight, &idle);
        if (idle == 0 || inflight < lk->window) {
            lk->q[qi].hedge_due_ms = UINT64_MAX;     /* nothing to hedge to */
            continue;
        }
        wanted = 1;
        for (int si = 0; si < lk->ask->nservers; si++) {
            int dup = 0;
            if (lk->q[qi].st[si] != SRV_INFLIGHT || (qi == 0 && si == lk->probe_si))
                continue;
            for (int k = 0; k < nw; k++)
                dup |= waited[k] == lk->hp.slot[si];
            if (!dup)
                waited[nw++] = lk->hp.slot[si];
        }
    }
    if (!wanted)
        return;
    enum health_hedge g = health_hedge_grant(waited, nw, lk->start_ms);
    if (g == HEALTH_HEDGE_DENIED) {
        /* Another lookup's evidence may turn this into failover: ask again. */
        lk->recheck_ms = lk->recheck_ms == 0 ? HEALTH_HEDGE_RECHECK_MS
                       : lk->recheck_ms * 2 > HEALTH_UNKNOWN_HEDGE_MS ? HEALTH_UNKNOWN_HEDGE_MS
                       : lk->recheck_ms * 2;
        if (lk->recheck_ms == HEALTH_HEDGE_RECHECK_MS)
            LOGD("%s: hedge denied (budget spent); asking again every few ms", lk->name);
        lk->recheck_at_ms = now + (uint64_t)lk->recheck_ms;
        return;
    }
    LOGD("%s: hedge at +%llu ms (%s)", lk->name, (unsigned long long)(now - lk->start_ms),
         g == HEALTH_HEDGE_FAILOVER ? "failover: the server waited on is failing" : "speculative");
    lk->tokens += g == HEALTH_HEDGE_SPECULATIVE;
    lk->recheck_ms = 0;
    lk->recheck_at_ms = 0;
    lk->window++;
    health_count(lk->hp.slot[lk->hp.order[0]], 1, 0, 0);
    for (int qi = 0; qi < lk->nq; qi++)
        strategy_pump(lk, qi);               /* each launch sets its qtype's due time */
}

/* When strategy_hedge next has something to decide (UINT64_MAX: never). */
static uint64_t hedge_wake(const struct lookup *lk)
{
    uint64_t due = UINT64_MAX;
    if (!hedging(lk))
        return due;
    for (int qi = 0; qi < lk->nq; qi++)
        if (!lk->q[qi].done && lk->q[qi].hedge_due_ms < due)
            due = lk->q[qi].hedge_due_ms;
    return due == UINT64_MAX || due >= lk->recheck_at_ms ? due : lk->recheck_at_ms;
}

uint64_t strategy_wake(const struct lookup *lk)
{
    uint64_t wake = hedge_wake(lk);
    if (!lk->unheld && lk->held_due_ms < wake)
        wake = lk->held_due_ms;
    return wake;
}

/* Held servers wait for the first server's hedge delay, no longer. */
void strategy_release_held(struct lookup *lk, uint64_t now)
{
    if (lk->unheld || now < lk->held_due_ms || lookup_all_done(lk))
        return;
    int held = 0;
    for (int si = 0; si < lk->ask->nservers; si++)
        held += lk->hp.held[si];
    release_held(lk, held, "the others are silent past a hedge delay");
    for (int qi = 0; qi < lk->nq; qi++)
        strategy_pump(lk, qi);
}
