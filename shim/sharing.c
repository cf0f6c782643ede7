/* sharing — the process's link to the shared health state (sharing.h). */
#include "dnsf/sharing.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/cache.h"
#include "dnsf/clock.h"
#include "dnsf/health.h"
#include "dnsf/log.h"
#include "dnsf/memogen.h"
#include "dnsf/shstate.h"

/* One opened state_dir. */
struct link {
    char dir[PATH_MAX];
    struct shstate *st;             /* NULL: nothing could be allocated */
};

/* The current link: written by the thread that holds OPENING, read by
 * every lookup. A replaced one is never freed (its handle may be in use). */
static _Atomic(struct link *) current;
/* A try-flag around opening: held across shstate_open's file I/O, so
 * nobody waits on it; a lookup that finds it taken goes without sharing. */
static _Atomic int opening;
/* The flush generation the last lookup saw; UINT64_MAX before the first
 * (the first value is a baseline, not a flush). Written by every lookup. */
static _Atomic uint64_t flush_seen = UINT64_MAX;
/* Lookups started by this process (for status); written by every lookup,
 * zeroed in a fork child. */
static _Atomic uint64_t lookups;
/* When counters may next be published: set by the first lookup end, then
 * moved a second ahead by the thread that publishes (compare-and-swap). */
static _Atomic uint64_t next_publish_ms;

/* Open DIR (I/O: under the OPENING try-flag only). */
static struct link *link_open(const char *dir, uint64_t now_ms)
{
    struct link *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    struct shstate_opts o;
    shstate_default_opts(&o);
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    l->st = shstate_open(dir, &o, now_ms);
    return l;
}

static struct shstate *handle_for(const char *dir, uint64_t now_ms)
{
    struct link *l = atomic_load_explicit(&current, memory_order_acquire);
    if (l != NULL && strcmp(l->dir, dir) == 0)
        return l->st;
    if (atomic_exchange(&opening, 1))
        return NULL;
    l = atomic_load(&current);
    if (l == NULL || strcmp(l->dir, dir) != 0) {
        struct link *n = link_open(dir, now_ms);
        if (n != NULL) {
            atomic_store_explicit(&current, n, memory_order_release);
            l = n;
        }
    }
    atomic_store(&opening, 0);
    return l != NULL && strcmp(l->dir, dir) == 0 ? l->st : NULL;
}

/* `dnsfailover flush` (shstate_flush): drop what this process cached. */
static void flush_check(struct shstate *st)
{
    if (!shstate_active(st))
        return;
    uint64_t gen = shstate_flush_gen(st);
    if (atomic_load_explicit(&flush_seen, memory_order_relaxed) == gen)
        return;
    uint64_t old = atomic_exchange(&flush_seen, gen);
    if (old == UINT64_MAX || old == gen)
        return;
    cache_flush();
    memogen_bump();
    LOGI("cached answers dropped: a flush was asked for (dnsfailover flush)");
}

struct shstate *sharing_lookup_start(const struct dnsf_config *cfg, uint64_t now_ms)
{
    atomic_fetch_add_explicit(&lookups, 1, memory_order_relaxed);
    if (cfg->state_dir[0] == 0)
        return NULL;
    struct shstate *st = handle_for(cfg->state_dir, now_ms);
    shstate_refresh(st, now_ms, 0);
    flush_check(st);
    return st;
}

/* Publish this process's counters into ST when due: NEXT is the time
 * next_publish_ms held, N the lookups so far. */
static void publish_due(struct shstate *st, uint64_t next, uint64_t n, uint64_t now_ms)
{
    if ((now_ms < next && n != SHSTATE_PUBLISH_AFTER_LOOKUPS)
        || !atomic_compare_exchange_strong(&next_publish_ms, &next, now_ms + 1000))
        return;
    struct cache_stats cs;
    struct shproc_counters c = { .lookups = n };
    cache_get_stats(&cs);
    c.cache_hits = cs.hits;
    c.stale = cs.stale;
    health_totals(&c.hedges, &c.failovers, &c.budget_milli);
    shstate_proc_publish(st, &c, now_ms);
}

void sharing_lookup_end(struct shstate *st, uint64_t now_ms)
{
    if (!shstate_writable(st))
        return;
    uint64_t next = atomic_load_explicit(&next_publish_ms, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&lookups, memory_order_relaxed);
    if (next == 0) {
        /* A short-lived process publishes nothing (shstate.h). */
        uint64_t first = now_ms + SHSTATE_PUBLISH_AFTER_MS;
        if (atomic_compare_exchange_strong(&next_publish_ms, &next, first))
            next = first;
    }
    publish_due(st, next, n, now_ms);
}

void sharing_tick(uint64_t now_ms)
{
    struct link *l = atomic_load(&current);
    if (l == NULL)
        return;                    /* no lookup opened the state yet */
    shstate_refresh(l->st, now_ms, 0);
    flush_check(l->st);
    uint64_t next = atomic_load_explicit(&next_publish_ms, memory_order_relaxed);
    if (next != 0 && shstate_writable(l->st))
        publish_due(l->st, next, atomic_load_explicit(&lookups, memory_order_relaxed), now_ms);
}

void sharing_fork_child(void)
{
    struct link *l = atomic_load(&current);
    atomic_store(&opening, 0);
    atomic_store(&lookups, 0);
    atomic_store(&next_publish_ms, 0);
    if (l != NULL)
        shstate_fork_child(l->st, clock_now_ms());
}

void sharing_shutdown(void)
{
    struct link *l = atomic_load(&current);
    if (l != NULL)
        shstate_proc_release(l->st);
}
