/* memo — a sharded, bounded map from key bytes to a value blob, and the
 * policy that decides which calls may use it (memo.h). */
#include "dnsf/memo.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/clock.h"
#include "dnsf/confsnap.h"
#include "dnsf/htab.h"
#include "dnsf/memogen.h"
#include "dnsf/note.h"
#include "dnsf/strutil.h"

#define MEMO_SHARDS 16
#define MEMO_BUCKETS 256

/* One allocation: the header, the key, then the value (aligned for the
 * encoders, which read their fixed fields straight from it). */
struct mentry {
    struct htab_node node;         /* first: the table's chain and hash */
    uint32_t klen;
    uint64_t expire_ms, gen;
    size_t vlen;
    unsigned char *val;
    unsigned char key[];
};

struct mshard {
    pthread_rwlock_t lock;
    struct htab_node *buckets[MEMO_BUCKETS];
    int count;
};

/* Each shard is written under its own write lock, by memo_put and
 * memo_flush; read under its read lock by memo_get. Initialised
 * statically (see cache.c's shards): only the shards a process uses are
 * faulted in. */
static struct mshard mshards[MEMO_SHARDS] = {
    [0 ... MEMO_SHARDS - 1] = { .lock = PTHREAD_RWLOCK_INITIALIZER },
};

static uint32_t hash_key(const void *k, size_t n)
{
    return dnsf_fnv1a(DNSF_FNV1A_INIT, k, n);
}

static struct htab_node **bucket(struct mshard *s, uint32_t h)
{
    return htab_bucket(s->buckets, MEMO_BUCKETS, MEMO_SHARDS, h);
}

struct mkey {
    const void *key;
    size_t klen;
};

static int key_matches(const struct htab_node *n, const void *arg)
{
    const struct mentry *e = htab_entry(n, const struct mentry, node);
    const struct mkey *k = arg;
    return e->klen == k->klen && memcmp(e->key, k->key, k->klen) == 0;
}

int memo_get(const struct memo_call *mc, const void *key, size_t klen, memo_read_fn read,
             void *arg)
{
    if (!mc->on || klen == 0 || klen > MEMO_MAX_KEY)
        return 0;
    uint32_t h = hash_key(key, klen);
    struct mshard *s = &mshards[h % MEMO_SHARDS];
    const struct mkey k = { key, klen };
    int hit = 0;
    pthread_rwlock_rdlock(&s->lock);
    struct htab_node *n = *htab_find(bucket(s, h), h, key_matches, &k);
    if (n != NULL) {
        const struct mentry *e = htab_entry(n, const struct mentry, node);
        if (e->gen == mc->gen && mc->now_ms < e->expire_ms)
            hit = read(e->val, e->vlen, arg) == 0;
    }
    pthread_rwlock_unlock(&s->lock);
    return hit;
}

void memo_put(const struct memo_call *mc, const void *key, size_t klen, const void *val,
              size_t vlen)
{
    if (klen == 0 || klen > MEMO_MAX_KEY || mc->max_entries <= 0)
        return;
    size_t voff = (sizeof(struct mentry) + klen + 15) & ~(size_t)15;
    struct mentry *e = malloc(voff + vlen);
    if (e == NULL)
        return;
    e->node.next = NULL;
    e->node.hash = hash_key(key, klen);
    e->klen = (uint32_t)klen;
    e->expire_ms = mc->expire_ms;
    e->gen = mc->gen;
    e->vlen = vlen;
    e->val = (unsigned char *)e + voff;
    memcpy(e->key, key, klen);
    memcpy(e->val, val, vlen);

    unsigned sh = e->node.hash % MEMO_SHARDS;
    struct mshard *s = &mshards[sh];
    /* The shards' shares add up to exactly max_entries. */
    int cap = mc->max_entries / MEMO_SHARDS + ((int)sh < mc->max_entries % MEMO_SHARDS);
    if (cap == 0) {
        free(e);
        return;
    }
    const struct mkey k = { key, klen };
    struct htab_node *dead = NULL;
    pthread_rwlock_wrlock(&s->lock);
    struct htab_node **old = htab_find(bucket(s, e->node.hash), e->node.hash, key_matches, &k);
    if (*old != NULL) {
        dead = htab_unlink(old);   /* replace the old result */
        s->count--;
    }
    /* Bound: when full, drop a whole bucket chain, starting at the new key's
     * neighbour; cheap, and a stream of unique names cannot grow the memo. */
    for (unsigned b = (e->node.hash / MEMO_SHARDS + 1) % MEMO_BUCKETS; s->count >= cap;
         b = (b + 1) % MEMO_BUCKETS) {
        while (s->buckets[b] != NULL && s->count >= cap) {
            htab_push(&dead, htab_unlink(&s->buckets[b]));
            s->count--;
        }
    }
    htab_push(bucket(s, e->node.hash), &e->node);
    s->count++;
    pthread_rwlock_unlock(&s->lock);
    while (dead != NULL)
        free(htab_entry(htab_unlink(&dead), struct mentry, node));
}

void memo_flush(void)
{
    for (int i = 0; i < MEMO_SHARDS; i++) {
        struct mshard *s = &mshards[i];
        pthread_rwlock_wrlock(&s->lock);
        for (int b = 0; b < MEMO_BUCKETS; b++)
            while (s->buckets[b] != NULL)
                free(htab_entry(htab_unlink(&s->buckets[b]), struct mentry, node));
        s->count = 0;
        pthread_rwlock_unlock(&s->lock);
    }
}

void memo_fork_child(void)
{
    for (int i = 0; i < MEMO_SHARDS; i++)
        pthread_rwlock_init(&mshards[i].lock, NULL);
}

void memo_replay_herrno(struct memo_herrno h)
{
    if (h.global != MEMO_UNTOUCHED)
        h_errno = h.global;
    if (h.res != MEMO_UNTOUCHED)
        _res.res_h_errno = h.res;
}

/* ---- admission: which calls the memo may answer and keep ---------------- */

/* 1 once the hosts line is ours and only files come before us, and the
 * generation is watched: written once by memo_admit (state.c's install,
 * under the config lock), read by every hooked call. */
static _Atomic int memo_admitted;
/* The current config's "enabled && cache.enabled" and cache.max_entries:
 * written by memo_configure after each publish (under the config lock),
 * read by every hooked call, which must not even take a reference. */
static _Atomic int config_memo_ok;
static _Atomic int config_memo_max;

void memo_admit(int on)
{
    atomic_store(&memo_admitted, on);
}

void memo_configure(int ok, int max_entries)
{
    atomic_store(&config_memo_ok, ok);
    atomic_store(&config_memo_max, max_entries);
}

int memo_call_open(struct memo_call *mc)
{
    mc->on = 0;
    mc->expire_ms = 0;
    mc->h_errnop = NULL;
    mc->herrno.global = mc->herrno.res = mc->herrnop = MEMO_UNTOUCHED;
    /* glibc's nss_dns gethostbyaddr reads the caller's errno and answers
     * otherwise when it is ECONNREFUSED (resolv/nss_dns/dns-host.c, kept in
     * hostlookup.c): such a call is not the data's alone. */
    if (!memo_admitted || !atomic_load_explicit(&config_memo_ok, memory_order_relaxed)
        || errno == ECONNREFUSED)
        return 0;
    mc->now_ms = clock_now_coarse_ms();
    mc->gen = memogen_at(mc->now_ms);
    /* Without a netlink socket nobody watches addresses and routes (which
     * glibc's RFC 6724 sort and AI_ADDRCONFIG read): no memo then. */
    if (!memogen_watching())
        return 0;
    mc->max_entries = atomic_load_explicit(&config_memo_max, memory_order_relaxed);
    mc->on = 1;
    return 1;
}

/* A value no resolver stores in h_errno (they use -1 to 4). */
#define HERRNO_SENTINEL (-0x5eed)

void memo_call_watch(struct memo_call *mc, int *h_errnop)
{
    if (!mc->on)
        return;
    note_begin();
    mc->herrno_caller = h_errno;
    h_errno = HERRNO_SENTINEL;
    mc->res_herrno_caller = _res.res_h_errno;
    _res.res_h_errno = HERRNO_SENTINEL;
    if ((mc->h_errnop = h_errnop) != NULL) {
        mc->herrnop_caller = *h_errnop;
        *h_errnop = HERRNO_SENTINEL;
    }
}

/* What the call left at P: its value, or (still the sentinel) the caller's
 * value put back and MEMO_UNTOUCHED. */
static int herrno_left(int *p, int caller)
{
    if (*p != HERRNO_SENTINEL)
        return *p;
    *p = caller;
    return MEMO_UNTOUCHED;
}

int memo_call_close(struct memo_call *mc)
{
    struct lookup_note n;
    if (!mc->on)
        return 0;
    note_end(&n);
    /* The out-parameter first: it may be the global itself (&h_errno). */
    if (mc->h_errnop != NULL)
        mc->herrnop = herrno_left(mc->h_errnop, mc->herrnop_caller);
    mc->herrno.global = herrno_left(&h_errno, mc->herrno_caller);
    if (mc->h_errnop == &h_errno)
        mc->herrno.global = mc->herrnop;
    mc->herrno.res = herrno_left(&_res.res_h_errno, mc->res_herrno_caller);
    if (n.uncacheable || !atomic_load(&config_memo_ok)
        || !memogen_watching())
        return 0;
    const struct dnsf_config *cfg = confsnap_acquire();
    if (cfg == NULL)
        return 0;
    int max_ttl = cfg->cache.max_ttl;
    confsnap_release(cfg);
    /* No longer than the DNS data it was built from; without DNS data (the
     * files step, numeric addresses) no longer than max_ttl: the generation
     * drops it when a file changes. */
    uint64_t now = clock_now_coarse_ms();
    uint64_t cap = now + (uint64_t)max_ttl * 1000;
    uint64_t expire = n.dns_called && n.expire_ms != UINT64_MAX ? n.expire_ms : cap;
    if (expire > cap)
        expire = cap;
    mc->expire_ms = expire > now ? expire : 0;
    return mc->expire_ms != 0;
}
