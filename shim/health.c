/* health — per-server memory: failures, RTT, down marks, probes, budget. */
#include "dnsf/health.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/log.h"
#include "dnsf/logevent.h"

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
 * TCP's retransmission timer. */
static int hedge_delay_nolock(const struct slot *sl, const struct dnsf_config *cfg)
{
    int ms = HEALTH_UNKNOWN_HEDGE_MS;
    if (sl != NULL && sl->have_rtt)
        ms = (int)((sl->srtt_us + 4.0 * sl->rttvar_us) / 1000.0 + 0.999);
    return clamp(ms, cfg->hedge_min_ms, cfg->hedge_max_ms);
}

void health_plan(const struct dnsf_server *servers, int n, const struct dnsf_config *cfg,
                 uint64_t now_ms, struct health_plan *out)
{
    const struct dnsf_health_config *h = &cfg->health;
    enum dnsf_strategy strategy = cfg->strategy;
    int cls[DNSF_MAX_SERVERS];
    double key[DNSF_MAX_SERVERS];
    double best = -1;
    int ndown = 0;

    memset(out, 0, sizeof *out);
    out->n = n;
    out->probe = -1;
    log_event_tick();              /* events waiting for their window to end */
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
        out->down[i] = sl != NULL && sl->down;
        ndown += out->down[i];
        cls[i] = sl == NULL ? 0 : sl->down ? 2 : sl->fails > 0 ? 1 : 0;
        out->hedge_ms[i] = hedge_delay_nolock(sl, cfg);
        if (cls[i] == 0 && sl != NULL && sl->have_rtt && (best < 0 || sl->srtt_us < best))
            best = sl->srtt_us;
    }
    /* Ranking keys: class first; within "up", servers inside the RTT band of
     * the fastest keep their configured order, slower ones follow by RTT. */
    double band = best < 0 ? 0
                : best + (best > cfg->hedge_min_ms * 1000.0 ? best : cfg->hedge_min_ms * 1000.0);
    for (int i = 0; i < n; i++) {
        const struct slot *sl = out->slot[i] >= 0 ? &slots[out->slot[i]] : NULL;
        double sub = i;
        if (strategy != STRATEGY_SEQUENCE && cls[i] == 0 && sl != NULL && sl->have_rtt
            && best >= 0 && sl->srtt_us > band)
            sub = 1000.0 + sl->srtt_us / 1000.0;
        key[i] = strategy == STRATEGY_SEQUENCE ? (out->down[i] ? 2e9 : 0) + i
                                                : cls[i] * 1e9 + sub;
        out->order[i] = i;
    }
    for (int i = 1; i < n; i++)                /* stable insertion sort */
        for (int j = i; j > 0 && key[out->order[j - 1]] > key[out->order[j]]; j--) {
            int t = out->order[j];
            out->order[j] = out->order[j - 1];
            out->order[j - 1] = t;
        }
    if (ndown == n)                            /* all down: try them anyway */
        memset(out->down, 0, sizeof out->down);
    /* Probe one server that we would prefer to the current first choice,
     * or that is down, when its probe time has come. */
    int front = out->order[0];
    for (int k = 1; k < n && ndown < n; k++) {
        int i = out->order[k];
        struct slot *sl = out->slot[i] >= 0 ? &slots[out->slot[i]] : NULL;
        if (sl == NULL || now_ms < sl->next_probe_ms)
            continue;
        int preferred = i < front && strategy != STRATEGY_SEQUENCE;
        if (!(sl->down || preferred) || (strategy == STRATEGY_RACE && !sl->down))
            continue;
        sl->next_probe_ms = now_ms + (uint64_t)h->probe_interval_ms;
        sl->c.probes++;
        out->probe = i;
        break;
    }
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

void health_fork_child(void)
{
    /* The child keeps what the parent learned; only the lock is renewed. */
    pthread_mutex_init(&lock, NULL);
}

void health_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(slots, 0, sizeof slots);
    budget = BUDGET_MAX;
    pthread_mutex_unlock(&lock);
}
