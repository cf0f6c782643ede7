/* health — per-server memory: failures, RTT, down marks, probes, budget. */
#include "dnsf/health.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/balance.h"
#include "dnsf/log.h"
#include "dnsf/logevent.h"
#include "dnsf/route.h"
#include "dnsf/shstate.h"

struct slot {
    int used;
    struct sockaddr_storage addr;
    char text[64];
    int fails;                     /* consecutive, counted failures */
    int down;
    uint64_t ok_sent_ms;           /* send time of the latest answered query */
    uint64_t fail_ms;              /* when the latest counted failure was seen */
    uint64_t down_since_ms, next_probe_ms;
    int have_rtt;
    double srtt_us, rttvar_us;     /* RFC 6298 §2 estimator */
    struct health_counters c;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[HEALTH_MAX_SLOTS];

/* Hedge budget: gRPC retry throttling (max_tokens 10, token_ratio 0.1). */
#define BUDGET_MAX 10.0
#define BUDGET_RATIO 0.1
static double budget = BUDGET_MAX;


static int slot_for_nolock(const struct dnsf_server *s)
{
    int free_slot = -1;
    for (int i = 0; i < HEALTH_MAX_SLOTS; i++) {
        if (slots[i].used && config_same_addr((const struct sockaddr *)&slots[i].addr,
                                              (const struct sockaddr *)&s->addr))
            return i;
        if (!slots[i].used && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0) {
        struct slot *sl = &slots[free_slot];
        memset(sl, 0, sizeof *sl);
        sl->used = 1;
        memcpy(&sl->addr, &s->addr, sizeof sl->addr);
        snprintf(sl->text, sizeof sl->text, "%s", s->text);
    }
    return free_slot;             /* -1: table full; the server has no memory */
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A high percentile of the RTT: srtt + 4·rttvar, as RFC 6298 §2 does for
 * TCP's retransmission timer; HEALTH_UNKNOWN_HEDGE_MS without a sample. */
static int rtt_hedge_delay(int have_rtt, double srtt_us, double rttvar_us,
                           const struct dnsf_config *cfg, const struct dnsf_domain *route)
{
    int ms = HEALTH_UNKNOWN_HEDGE_MS;
    if (have_rtt)
        ms = (int)((srtt_us + 4.0 * rttvar_us) / 1000.0 + 0.999);
    return clamp(ms, route_hedge_min_ms(cfg, route), route_hedge_max_ms(cfg, route));
}

/* What the shared state says about each of SERVERS (shstate.h, step 3),
 * read before the lock: atomics on a mapping, no I/O. Unanswered queries
 * are judged first, with the hedge delay the hint's RTT gives. */
static void shared_hints(struct shstate *shared, const struct dnsf_server *servers, int n,
                         const struct dnsf_config *cfg, const struct dnsf_domain *route,
                         uint64_t now_ms, struct shhint *h, int *known)
{
    for (int i = 0; i < n; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&servers[i].addr;
        known[i] = shstate_lookup(shared, sa, cfg, now_ms, &h[i]);
        if (known[i] && h[i].unanswered > 0) {
            /* The wait that makes a lost race: the server's hedge delay;
             * the shortest the config allows (hedge_min_ms) once enough
             * lookups lost to other servers for a down mark by themselves. */
            int judge = h[i].unanswered >= (uint32_t)cfg->health.fail_threshold
                      ? route_hedge_min_ms(cfg, route)
                      : rtt_hedge_delay(h[i].have_rtt, h[i].srtt_us, h[i].rttvar_us, cfg, route);
            shstate_settle(shared, sa, (uint64_t)judge, cfg, now_ms);
            known[i] = shstate_lookup(shared, sa, cfg, now_ms, &h[i]);
        }
    }
}

/* Enough queries to the server went unanswered in lookups that other
 * servers answered, none answered since, for a down mark once judged
 * (shfile_settle): until then, hold it back as if marked. */
static int unanswered_down(const struct shhint *h, const struct dnsf_config *cfg)
{
    return h->unanswered >= (uint32_t)cfg->health.fail_threshold && h->unanswered_ms != 0
        && h->ok_ms < h->unanswered_ms;
}

/* Is the shared evidence about SL newer than this process's own? Then it
 * decides the server's class (shstate.h: the own evidence wins when newer). */
static int shared_newer(const struct slot *sl, const struct shhint *h, int pending)
{
    uint64_t theirs = h->ok_ms > h->fail_ms ? h->ok_ms : h->fail_ms;
    if (pending && h->unanswered_ms > theirs)
        theirs = h->unanswered_ms;
    uint64_t ours = sl == NULL ? 0 : sl->ok_sent_ms > sl->fail_ms ? sl->ok_sent_ms : sl->fail_ms;
    return theirs > ours;
}

/* Take the probe of server I (slot SL) if it is due: on the shared
 * schedule when there is one (one process per host and interval probes),
 * else on this process's own. */
static int probe_take_nolock(struct shstate *shared, const struct dnsf_server *s,
                             struct slot *sl, const struct dnsf_config *cfg, uint64_t now_ms)
{
    int claim = shstate_claim_probe(shared, (const struct sockaddr *)&s->addr, cfg, now_ms);
    if (claim == 0 || (claim < 0 && now_ms < sl->next_probe_ms))
        return 0;
    sl->next_probe_ms = now_ms + (uint64_t)cfg->health.probe_interval_ms;
    sl->c.probes++;
    return 1;
}

/* Balance (balance.h): the ranked ORDER's first choice becomes
 * balance_pick's among the servers by class CLS and SRTT (µs, < 0: no
 * sample); the others keep their ranked order as hedge targets. */
static void balance_first(struct health_plan *out, const int *cls, const double *srtt)
{
    struct balance_server b[DNSF_MAX_SERVERS];
    for (int i = 0; i < out->n; i++) {
        b[i].srtt_ms = srtt[i] < 0 ? -1.0 : srtt[i] / 1000.0;
        b[i].state = cls[i] == 0 ? BALANCE_UP : cls[i] == 1 ? BALANCE_SUSPECT : BALANCE_DOWN;
    }
    int pick = balance_pick(b, out->n, balance_random()), k = 0;
    while (out->order[k] != pick)
        k++;
    for (; k > 0; k--)
        out->order[k] = out->order[k - 1];
    out->order[0] = pick;
    if (out->probe == pick)
        out->probe = -1;           /* asked for real anyway */
}

void health_plan(const struct dnsf_server *servers, int n, const struct dnsf_config *cfg,
                 const struct dnsf_domain *route, struct shstate *shared, uint64_t now_ms,
                 struct health_plan *out)
{
    const struct dnsf_health_config *h = &cfg->health;
    enum dnsf_strategy strategy = route_strategy(cfg, route);
    int hedge_min_ms = route_hedge_min_ms(cfg, route);
    int cls[DNSF_MAX_SERVERS];
    double key[DNSF_MAX_SERVERS], srtt[DNSF_MAX_SERVERS];
    struct shhint hint[DNSF_MAX_SERVERS];
    int known[DNSF_MAX_SERVERS];
    double best = -1;
    int ndown = 0, nheld = 0;

    memset(out, 0, sizeof *out);
    out->n = n;
    out->probe = -1;
    log_event_tick();              /* events waiting for their window to end */
    shared_hints(shared, servers, n, cfg, route, now_ms, hint, known);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n; i++) {
        int si = slot_for_nolock(&servers[i]);
        struct slot *sl = si >= 0 ? &slots[si] : NULL;
        out->slot[i] = si;
        /* RFC 2308 §7.2: a dead-server mark lasts at most max_down_ms. */
        if (sl != NULL && sl->down && now_ms - sl->down_since_ms >= (uint64_t)h->max_down_ms) {
            sl->down = 0;
            sl->fails = h->fail_threshold - 1;   /* one more failure re-marks it */
            LOGI("server %s: down mark expired after %d ms, trying it again", sl->text,
                 h->max_down_ms);
        }
        cls[i] = sl == NULL ? 0 : sl->down ? 2 : sl->fails > 0 ? 1 : 0;
        out->down[i] = sl != NULL && sl->down;
        int pending = known[i] && unanswered_down(&hint[i], cfg);
        if (known[i] && shared_newer(sl, &hint[i], pending)) {
            /* Another process's evidence is newer. Its down mark only holds
             * the server back (ask it last), never skips it. */
            int sdown = hint[i].down || pending;
            cls[i] = sdown ? 2 : hint[i].suspect ? 1 : 0;
            out->down[i] = 0;
            out->held[i] = sdown;
        }
        ndown += out->down[i];
        nheld += out->held[i];
        /* The own RTT sample, else the shared one (shstate.h, step 3). */
        int own_rtt = sl != NULL && sl->have_rtt;
        srtt[i] = own_rtt ? sl->srtt_us : known[i] && hint[i].have_rtt ? (double)hint[i].srtt_us : -1.0;
        out->hedge_ms[i] = own_rtt ? rtt_hedge_delay(1, sl->srtt_us, sl->rttvar_us, cfg, route)
                         : rtt_hedge_delay(known[i] && hint[i].have_rtt, hint[i].srtt_us,
                                           hint[i].rttvar_us, cfg, route);
        if (cls[i] == 0 && srtt[i] >= 0 && (best < 0 || srtt[i] < best))
            best = srtt[i];
    }
    /* Ranking keys: class first; within "up", servers inside the RTT band of
     * the fastest keep their configured order, slower ones follow by RTT. */
    double band = best < 0 ? 0
                : best + (best > hedge_min_ms * 1000.0 ? best : hedge_min_ms * 1000.0);
    for (int i = 0; i < n; i++) {
        double sub = i;
        if (strategy != STRATEGY_SEQUENCE && cls[i] == 0 && srtt[i] >= 0 && best >= 0
            && srtt[i] > band)
            sub = 1000.0 + srtt[i] / 1000.0;
        key[i] = strategy == STRATEGY_SEQUENCE ? (out->down[i] || out->held[i] ? 2e9 : 0) + i
                                                : cls[i] * 1e9 + sub;
        out->order[i] = i;
    }
    for (int i = 1; i < n; i++)                /* stable insertion sort */
        for (int j = i; j > 0 && key[out->order[j - 1]] > key[out->order[j]]; j--) {
            int t = out->order[j];
            out->order[j] = out->order[j - 1];
            out->order[j - 1] = t;
        }
    if (ndown + nheld == n) {                  /* all down: try them anyway */
        memset(out->down, 0, sizeof out->down);
        memset(out->held, 0, sizeof out->held);
        ndown = nheld = 0;
    }
    /* Probe one server that we would prefer to the current first choice,
     * or that is down, when its probe time has come. */
    int front = out->order[0];
    for (int k = 1; k < n && ndown < n; k++) {
        int i = out->order[k];
        struct slot *sl = out->slot[i] >= 0 ? &slots[out->slot[i]] : NULL;
        int down = out->down[i] || out->held[i];
        int preferred = i < front && strategy != STRATEGY_SEQUENCE;
        if (sl == NULL || !(down || preferred) || (strategy == STRATEGY_RACE && !down))
            continue;
        if (probe_take_nolock(shared, &servers[i], sl, cfg, now_ms)) {
            out->probe = i;
            break;
        }
    }
    /* Probes were chosen against hedge's first choice, which balance keeps
     * as its ranking: only order[0] moves. */
    if (strategy == STRATEGY_BALANCE)
        balance_first(out, cls, srtt);
    pthread_mutex_unlock(&lock);
}

void health_report(int slot, enum health_outcome o, uint32_t rtt_us, int rtt_valid,
                   uint64_t sent_ms, const struct dnsf_config *cfg, uint64_t now_ms)
{
    const struct dnsf_health_config *h = &cfg->health;
    if (slot < 0 || slot >= HEALTH_MAX_SLOTS)
        return;
    /* A change of state, logged once the lock is released. */
    enum { NO_EVENT, WAS_DOWN, WAS_SUSPECT, NOW_DOWN } ev = NO_EVENT;
    char text[sizeof slots[0].text];
    int fails = 0;
    pthread_mutex_lock(&lock);
    struct slot *sl = &slots[slot];
    if (o == HEALTH_OK) {
        sl->c.answers++;
        if (sent_ms > sl->ok_sent_ms)
            sl->ok_sent_ms = sent_ms;
        if (sl->down || sl->fails > 0)
            ev = sl->down ? WAS_DOWN : WAS_SUSPECT;
        sl->fails = 0;
        sl->down = 0;
        if (rtt_valid > 0) {
            double r = rtt_us;
            /* A sample far below the estimate means the server recovered:
             * restart the estimator rather than wait for the average. */
            if (!sl->have_rtt || r < sl->srtt_us / 4) {
                sl->srtt_us = r;
                sl->rttvar_us = r / 2;
                sl->have_rtt = 1;
            } else {
                double d = sl->srtt_us > r ? sl->srtt_us - r : r - sl->srtt_us;
                sl->rttvar_us = 0.75 * sl->rttvar_us + 0.25 * d;
                sl->srtt_us = 0.875 * sl->srtt_us + 0.125 * r;
            }
        } else if (rtt_valid == 0) {
            /* A late reply seen after its lookup ended: the server works,
             * but its RTT is unknown, so forget the old estimate and let
             * the next lookup measure it again. */
            sl->have_rtt = 0;
        }
    } else if (sent_ms < sl->ok_sent_ms) {
        /* Late evidence (health.h): older than the latest success. */
        if (o == HEALTH_TIMEOUT || o == HEALTH_LOST_RACE)
            sl->c.timeouts++;
        else
            sl->c.errors++;
        LOGD("server %s: failure of a query sent %llu ms before its latest success, not "
             "counted", sl->text, (unsigned long long)(sl->ok_sent_ms - sent_ms));
    } else {
        if (o == HEALTH_TIMEOUT || o == HEALTH_LOST_RACE)
            sl->c.timeouts++;
        else
            sl->c.errors++;
        if (o == HEALTH_LOST_RACE && rtt_valid) {
            /* It took at least this long: a lower bound on its RTT. */
            double r = rtt_us;
            if (!sl->have_rtt || sl->srtt_us < r) {
                sl->srtt_us = r;
                sl->rttvar_us = r / 2;
                sl->have_rtt = 1;
            }
        }
        sl->fails++;
        sl->fail_ms = now_ms;
        if (!sl->down && sl->fails >= h->fail_threshold) {
            sl->down = 1;
            sl->down_since_ms = now_ms;
            sl->next_probe_ms = now_ms + (uint64_t)h->probe_interval_ms;
            ev = NOW_DOWN;
            fails = sl->fails;
        }
    }
    memcpy(text, sl->text, sizeof text);
    pthread_mutex_unlock(&lock);
    /* An outage's end matters as much as its start: both at warn. A
     * suspect server (failures below the threshold) answering again is
     * routine: info. */
    if (ev == NOW_DOWN)
        log_event(LOGEV_SERVER_DOWN, text, "server %s marked down after %d consecutive failures",
                  text, fails);
    else if (ev == WAS_DOWN)
        log_event(LOGEV_SERVER_UP, text, "server %s is up again: it answers (was down)", text);
    else if (ev == WAS_SUSPECT)
        LOGI("server %s answers again (was suspect)", text);
}

void health_count(int slot, int hedges, int skips, int queries)
{
    if (slot < 0 || slot >= HEALTH_MAX_SLOTS)
        return;
    pthread_mutex_lock(&lock);
    slots[slot].c.hedges += (uint64_t)hedges;
    slots[slot].c.skips += (uint64_t)skips;
    slots[slot].c.queries += (uint64_t)queries;
    pthread_mutex_unlock(&lock);
}

static int budget_take_nolock(void)
{
    if (budget <= BUDGET_MAX / 2)
        return 0;
    budget -= 1.0;
    return 1;
}

int health_budget_take(void)
{
    pthread_mutex_lock(&lock);
    int ok = budget_take_nolock();
    pthread_mutex_unlock(&lock);
    return ok;
}

enum health_hedge health_hedge_grant(const int *waited, int n, uint64_t since_ms)
{
    enum health_hedge g = HEALTH_HEDGE_DENIED;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n && g == HEALTH_HEDGE_DENIED; i++) {
        const struct slot *sl = waited[i] >= 0 && waited[i] < HEALTH_MAX_SLOTS
                              ? &slots[waited[i]] : NULL;
        /* Failing now, shown so since the lookup started: failover. */
        if (sl != NULL && sl->fails > 0 && sl->fail_ms >= since_ms)
            g = HEALTH_HEDGE_FAILOVER;
    }
    if (g == HEALTH_HEDGE_DENIED && budget_take_nolock())
        g = HEALTH_HEDGE_SPECULATIVE;
    pthread_mutex_unlock(&lock);
    return g;
}

void health_budget_earn(void)
{
    pthread_mutex_lock(&lock);
    budget += BUDGET_RATIO;
    if (budget > BUDGET_MAX)
        budget = BUDGET_MAX;
    pthread_mutex_unlock(&lock);
}

int health_snapshot(int slot, char *name, size_t namelen, struct health_counters *c,
                    int *down, int *fails, double *srtt_ms)
{
    if (slot < 0 || slot >= HEALTH_MAX_SLOTS)
        return -1;
    pthread_mutex_lock(&lock);
    const struct slot *sl = &slots[slot];
    int used = sl->used;
    if (used) {
        snprintf(name, namelen, "%s", sl->text);
        *c = sl->c;
        *down = sl->down;
        *fails = sl->fails;
        *srtt_ms = sl->have_rtt ? sl->srtt_us / 1000.0 : -1;
    }
    pthread_mutex_unlock(&lock);
    return used ? 0 : -1;
}

void health_totals(uint64_t *hedges, uint64_t *failovers, int64_t *budget_milli)
{
    *hedges = *failovers = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < HEALTH_MAX_SLOTS; i++) {
        *hedges += slots[i].c.hedges;
        *failovers += slots[i].c.skips;
    }
    *budget_milli = (int64_t)(budget * 1000.0);
    pthread_mutex_unlock(&lock);
}

void health_fork_child(void)
{
    /* The child keeps what the parent learned; only the lock is renewed,
     * and the balance draws reseeded (else they repeat the parent's). */
    pthread_mutex_init(&lock, NULL);
    balance_fork_child();
}

void health_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(slots, 0, sizeof slots);
    budget = BUDGET_MAX;
    pthread_mutex_unlock(&lock);
}
