/* cache — sharded hash of DNS replies with LRU eviction, and single-flight. */
#include "dnsf/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsf/dnsmsg.h"
#include "dnsf/htab.h"
#include "dnsf/strutil.h"

struct centry {
    struct htab_node node;         /* first: the table's chain and hash */
    struct centry *lprev, *lnext;  /* LRU list, most recent first */
    uint64_t set;                  /* the server set it came from (serverset.h) */
    uint16_t qtype;
    uint8_t via_tcp;               /* the reply's transport (struct dnsf_reply) */
    int len;
    uint64_t expire_ms;            /* fresh until */
    uint64_t stale_limit_ms;       /* may be served stale until */
    uint64_t stale_window_ms;      /* serving stale without asking until */
    uint8_t *pkt;
    int nlen;
    uint8_t name[];                /* the question name: wire form, lower case */
};

struct cache_flight {
    struct cache_flight *next;
    uint32_t hash;
    uint16_t mode;
    int done, waiters;
    pthread_cond_t cond;
    int nlen;
    uint8_t name[DNSMSG_MAXCDNAME]; /* wire form, lower case */
};

#define NBUCKETS 1024              /* per shard; chains stay short up to ~10^5 */

struct shard {
    pthread_mutex_t lock;
    struct htab_node *buckets[NBUCKETS];
    struct centry *lru_head, *lru_tail;
    int count;
    struct cache_flight *flights;
    uint64_t hits, misses, stale, inserts, evictions, bytes;
};

/* Each shard is written under its own lock, by cache_get (LRU, stale
 * marks), cache_put, the flights and the drops; locks renewed at fork.
 * Initialised statically, not by a loop at first use: each shard spans
 * two pages of .bss, and a loop would fault in all of them in every
 * process that looks up one name (about 32 page faults). Only the shards
 * a process uses are touched. */
static struct shard shards[CACHE_SHARDS] = {
    [0 ... CACHE_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};

/* FNV-1a over the normalised question: the lower-cased name (its hash is
 * the name's own, computed once per lookup), then the type. */
static uint32_t hash_of(const struct dnsmsg_name *name, uint16_t qtype)
{
    const uint8_t type[2] = { (uint8_t)(qtype & 0xff), (uint8_t)(qtype >> 8) };
    return dnsf_fnv1a(name->hash, type, 2);
}

/* An entry's hash: the question's, then its server set. */
static uint32_t entry_hash(uint64_t set, const struct dnsmsg_name *name, uint16_t qtype)
{
    return dnsf_fnv1a(hash_of(name, qtype), &set, sizeof set);
}

static void lru_unlink(struct shard *s, struct centry *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        s->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        s->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void lru_push_front(struct shard *s, struct centry *e)
{
    e->lprev = NULL;
    e->lnext = s->lru_head;
    if (s->lru_head)
        s->lru_head->lprev = e;
    s->lru_head = e;
    if (s->lru_tail == NULL)
        s->lru_tail = e;
}

/* A question as the table compares it: server set, lower-cased wire name, type. */
struct ckey {
    uint64_t set;
    const uint8_t *name;
    int nlen;
    uint16_t qtype;
};

static int key_matches(const struct htab_node *n, const void *arg)
{
    const struct centry *e = htab_entry(n, const struct centry, node);
    const struct ckey *k = arg;
    return e->set == k->set && e->qtype == k->qtype && e->nlen == k->nlen
        && memcmp(e->name, k->name, (size_t)k->nlen) == 0;
}

/* The link to the entry for (SET, the lower-cased wire NAME of NLEN octets,
 * QTYPE) whose hash is H, or the empty link at its chain's end. */
static struct htab_node **find_nolock(struct shard *s, uint32_t h, uint64_t set,
                                      const uint8_t *name, int nlen, uint16_t qtype)
{
    const struct ckey k = { set, name, nlen, qtype };
    return htab_find(htab_bucket(s->buckets, NBUCKETS, CACHE_SHARDS, h), h, key_matches, &k);
}

/* The link to E (it is in the table). */
static struct htab_node **slot_nolock(struct shard *s, const struct centry *e)
{
    return find_nolock(s, e->node.hash, e->set, e->name, e->nlen, e->qtype);
}

static void remove_nolock(struct shard *s, struct htab_node **pp)
{
    struct centry *e = htab_entry(htab_unlink(pp), struct centry, node);
    lru_unlink(s, e);
    s->count--;
    s->bytes -= (uint64_t)e->len;
    free(e);
}

long cache_lifetime(const uint8_t *pkt, int len, uint16_t qtype, const struct dnsf_cache_config *p)
{
    struct dnsmsg m, rest;
    struct dnsmsg_rr rr;
    if (dnsmsg_init(&m, pkt, (size_t)len) < 0 || dnsmsg_tc(&m))
        return -1;
    int rcode = dnsmsg_rcode(&m);
    if (rcode != DNS_R_NOERROR && rcode != DNS_R_NXDOMAIN)
        return -1;
    /* One pass over the answers: their smallest TTL (the chain's), and
     * whether the asked type is there. */
    long chain = -1;
    int have_type = 0;
    rest = m;
    for (int i = 0; i < m.ancount; i++) {
        if (dnsmsg_next_rr(&rest, &rr) < 0)
            return -1;
        /* RFC 2181 §8: a TTL with the top bit set is treated as zero. */
        long t = rr.ttl > 0x7fffffffu ? 0 : (long)rr.ttl;
        if (chain < 0 || t < chain)
            chain = t;
        have_type |= rr.type == qtype;
    }
    if (rcode == DNS_R_NOERROR && m.ancount > 0 && (have_type || qtype == DNS_T_CNAME)) {
        if (chain < p->min_ttl)
            chain = p->min_ttl;
        if (chain > p->max_ttl)
            chain = p->max_ttl;
        return chain > 0 ? chain : -1;
    }
    /* NXDOMAIN, NODATA, or a CNAME chain that ends without the type
     * (RFC 2308 §2.1, §2.2): min(SOA TTL, MINIMUM) (§5), no longer than
     * the chain, capped; without an SOA, not cached. */
    long neg = dnsmsg_negative_ttl(&m);
    if (neg < 0)
        return -1;
    if (chain >= 0 && chain < neg)
        neg = chain;
    if (neg > p->negative_max_ttl)
        neg = p->negative_max_ttl;
    return neg > 0 ? neg : -1;
}

enum cache_hit cache_get(const struct dnsf_cache_config *p, uint64_t set,
                         const struct dnsmsg_name *name, uint16_t qtype, uint64_t now_ms,
                         int allow_stale, uint8_t **pkt, int *len, int *via_tcp,
                         uint64_t *expire_ms)
{
    enum cache_hit hit = CACHE_MISS;
    if (!p->enabled || p->max_entries == 0)
        return CACHE_MISS;
    uint32_t h = entry_hash(set, name, qtype);
    struct shard *s = &shards[h % CACHE_SHARDS];
    pthread_mutex_lock(&s->lock);
    struct htab_node **pp = find_nolock(s, h, set, name->lower, name->len, qtype);
    struct centry *e = *pp != NULL ? htab_entry(*pp, struct centry, node) : NULL;
    if (e != NULL) {
        if (now_ms < e->expire_ms || now_ms < e->stale_window_ms)
            hit = CACHE_FRESH;
        else if (allow_stale && p->serve_stale && now_ms < e->stale_limit_ms) {
            hit = CACHE_STALE;
            e->stale_window_ms = now_ms + CACHE_STALE_TTL_S * 1000ull;
        } else if (!p->serve_stale || now_ms >= e->stale_limit_ms) {
            remove_nolock(s, pp);              /* too old to ever serve */
            e = NULL;
        }
    }
    if (hit != CACHE_MISS) {
        uint8_t *copy = malloc((size_t)e->len);
        if (copy == NULL)
            hit = CACHE_MISS;
        else {
            memcpy(copy, e->pkt, (size_t)e->len);
            /* Answer in the asker's spelling: keys ignore case, but glibc's
             * canonical names echo the question (owners point at it). */
            dnsmsg_set_qname_spelling(copy, e->len, name->wire);
            *pkt = copy;
            *len = e->len;
            if (via_tcp != NULL)
                *via_tcp = e->via_tcp;
            if (expire_ms != NULL)
                *expire_ms = now_ms < e->expire_ms ? e->expire_ms : e->stale_window_ms;
            lru_unlink(s, e);
            lru_push_front(s, e);
        }
    }
    if (hit == CACHE_FRESH)
        s->hits++;
    else if (hit == CACHE_STALE)
        s->stale++;
    else
        s->misses++;
    pthread_mutex_unlock(&s->lock);
    return hit;
}

uint64_t cache_put(const struct dnsf_cache_config *p, uint64_t set,
                   const struct dnsmsg_name *name, uint16_t qtype, const uint8_t *pkt, int len,
                   int via_tcp, uint64_t now_ms)
{
    if (!p->enabled || p->max_entries <= 0 || len <= 0)
        return 0;
    long life = cache_lifetime(pkt, len, qtype, p);
    if (life < 0)
        return 0;
    size_t nlen = (size_t)name->len;
    struct centry *e = malloc(sizeof *e + nlen + (size_t)len);
    if (e == NULL)
        return 0;
    memset(e, 0, sizeof *e);
    memcpy(e->name, name->lower, nlen);
    e->nlen = name->len;
    e->pkt = e->name + nlen;
    memcpy(e->pkt, pkt, (size_t)len);
    e->len = len;
    e->via_tcp = via_tcp != 0;
    e->qtype = qtype;
    e->set = set;
    e->node.hash = entry_hash(set, name, qtype);
    e->expire_ms = now_ms + (uint64_t)life * 1000;
    e->stale_limit_ms = e->expire_ms + (uint64_t)p->max_stale * 1000;
    uint64_t expire = e->expire_ms;   /* E may be evicted at once (a cap of 0) */
    /* The shards' shares add up to exactly max_entries. */
    unsigned sh = e->node.hash % CACHE_SHARDS;
    int cap = p->max_entries / CACHE_SHARDS + ((int)sh < p->max_entries % CACHE_SHARDS);

    struct shard *s = &shards[sh];
    pthread_mutex_lock(&s->lock);
    struct htab_node **pp = find_nolock(s, e->node.hash, set, e->name, e->nlen, qtype);
    if (*pp != NULL)
        remove_nolock(s, pp);              /* a refresh replaces the old entry */
    pp = find_nolock(s, e->node.hash, set, e->name, e->nlen, qtype);
    htab_push(pp, &e->node);
    lru_push_front(s, e);
    s->count++;
    s->bytes += (uint64_t)len;
    s->inserts++;
    while (s->count > cap && s->lru_tail != NULL) {   /* cap 0: not kept at all */
        remove_nolock(s, slot_nolock(s, s->lru_tail));
        s->evictions++;
    }
    pthread_mutex_unlock(&s->lock);
    return expire;
}

int cache_flight_begin(const struct dnsmsg_name *name, uint16_t mode, uint64_t deadline_ms,
                       struct cache_flight **leader)
{
    *leader = NULL;
    uint32_t h = hash_of(name, mode);
    struct shard *s = &shards[h % CACHE_SHARDS];
    pthread_mutex_lock(&s->lock);
    struct cache_flight *f;
    for (f = s->flights; f != NULL; f = f->next)
        if (f->hash == h && f->mode == mode && f->nlen == name->len
            && memcmp(f->name, name->lower, (size_t)name->len) == 0)
            break;
    if (f == NULL) {
        f = calloc(1, sizeof *f);
        if (f == NULL) {
            pthread_mutex_unlock(&s->lock);
            return -1;                     /* no coalescing, just query */
        }
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&f->cond, &ca);
        pthread_condattr_destroy(&ca);
        f->hash = h;
        f->mode = mode;
        memcpy(f->name, name->lower, (size_t)name->len);
        f->nlen = name->len;
        f->next = s->flights;
        s->flights = f;
        pthread_mutex_unlock(&s->lock);
        *leader = f;
        return 1;
    }
    /* Wait for the leader, within our own deadline. */
    struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L };
    int rc = 0;
    f->waiters++;
    while (!f->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->cond, &s->lock, &ts);
    int done = f->done;
    if (--f->waiters == 0 && f->done) {
        pthread_cond_destroy(&f->cond);
        free(f);
    }
    pthread_mutex_unlock(&s->lock);
    return done ? 0 : -1;
}

void cache_flight_end(struct cache_flight *f)
{
    if (f == NULL)
        return;
    struct shard *s = &shards[f->hash % CACHE_SHARDS];
    pthread_mutex_lock(&s->lock);
    for (struct cache_flight **pp = &s->flights; *pp != NULL; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    f->done = 1;
    int waiters = f->waiters;
    pthread_cond_broadcast(&f->cond);
    if (waiters == 0) {
        pthread_cond_destroy(&f->cond);
        free(f);
    }
    pthread_mutex_unlock(&s->lock);
}

void cache_get_stats(struct cache_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < CACHE_SHARDS; i++) {
        struct shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        st->hits += s->hits;
        st->misses += s->misses;
        st->stale += s->stale;
        st->inserts += s->inserts;
        st->evictions += s->evictions;
        st->entries += (uint64_t)s->count;
        st->bytes += s->bytes;
        pthread_mutex_unlock(&s->lock);
    }
}

/* Drop every entry, or (ALL = 0) those of server set SET. */
static void drop(int all, uint64_t set)
{
    for (int i = 0; i < CACHE_SHARDS; i++) {
        struct shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        for (struct centry *e = s->lru_head, *next; e != NULL; e = next) {
            next = e->lnext;
            if (all || e->set == set)
                remove_nolock(s, slot_nolock(s, e));
        }
        pthread_mutex_unlock(&s->lock);
    }
}

void cache_flush(void)
{
    drop(1, 0);
}

void cache_drop_set(uint64_t set)
{
    drop(0, set);
}

void cache_fork_child(void)
{
    /* Entries stay; locks are renewed; flights belonged to parent threads
     * that do not exist here, so they are dropped (their memory leaks,
     * which is bounded by the number of threads that were resolving). */
    for (int i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_init(&shards[i].lock, NULL);
        shards[i].flights = NULL;
    }
}
