/* memo — a sharded, bounded map from key bytes to a value blob (memo.h). */
#include "dnsf/memo.h"

#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/strutil.h"

#define MEMO_SHARDS 16
#define MEMO_BUCKETS 256

/* One allocation: the header, the key, then the value (aligned for the
 * encoders, which read their fixed fields straight from it). */
struct mentry {
    struct mentry *next;
    uint32_t hash;
    uint32_t klen;
    uint64_t expire_ms, gen;
    size_t vlen;
    unsigned char *val;
    unsigned char key[];
};

struct mshard {
    pthread_rwlock_t lock;
    struct mentry *buckets[MEMO_BUCKETS];
    int count;
};

static struct mshard mshards[MEMO_SHARDS];
static pthread_once_t mshards_once = PTHREAD_ONCE_INIT;

static void mshards_init(void)
{
    for (int i = 0; i < MEMO_SHARDS; i++)
        pthread_rwlock_init(&mshards[i].lock, NULL);
}

static uint32_t hash_key(const void *k, size_t n)
{
    return dnsf_fnv1a(DNSF_FNV1A_INIT, k, n);
}

static struct mentry **bucket(struct mshard *s, uint32_t h)
{
    return &s->buckets[(h / MEMO_SHARDS) % MEMO_BUCKETS];
}

int memo_get(const struct memo_call *mc, const void *key, size_t klen, memo_read_fn read,
             void *arg)
{
    if (!mc->on || klen == 0 || klen > MEMO_MAX_KEY)
        return 0;
    pthread_once(&mshards_once, mshards_init);
    uint32_t h = hash_key(key, klen);
    struct mshard *s = &mshards[h % MEMO_SHARDS];
    int hit = 0;
    pthread_rwlock_rdlock(&s->lock);
    for (struct mentry *e = *bucket(s, h); e; e = e->next) {
        if (e->hash != h || e->klen != klen || memcmp(e->key, key, klen) != 0)
            continue;
        if (e->gen == mc->gen && mc->now_ms < e->expire_ms)
            hit = read(e->val, e->vlen, arg) == 0;
        break;
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
    e->next = NULL;
    e->hash = hash_key(key, klen);
    e->klen = (uint32_t)klen;
    e->expire_ms = mc->expire_ms;
    e->gen = mc->gen;
    e->vlen = vlen;
    e->val = (unsigned char *)e + voff;
    memcpy(e->key, key, klen);
    memcpy(e->val, val, vlen);

    pthread_once(&mshards_once, mshards_init);
    unsigned sh = e->hash % MEMO_SHARDS;
    struct mshard *s = &mshards[sh];
    /* The shards' shares add up to exactly max_entries. */
    int cap = mc->max_entries / MEMO_SHARDS + ((int)sh < mc->max_entries % MEMO_SHARDS);
    if (cap == 0) {
        free(e);
        return;
    }
    struct mentry *dead = NULL;
    pthread_rwlock_wrlock(&s->lock);
    for (struct mentry **pp = bucket(s, e->hash); *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->hash == e->hash && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0) {
            dead = *pp;            /* replace the old result */
            *pp = dead->next;
            dead->next = NULL;
            s->count--;
            break;
        }
    /* Bound: when full, drop a whole bucket chain, starting at the new key's
     * neighbour; cheap, and a stream of unique names cannot grow the memo. */
    for (unsigned b = (e->hash / MEMO_SHARDS + 1) % MEMO_BUCKETS; s->count >= cap;
         b = (b + 1) % MEMO_BUCKETS) {
        while (s->buckets[b] != NULL && s->count >= cap) {
            struct mentry *v = s->buckets[b];
            s->buckets[b] = v->next;
            s->count--;
            v->next = dead;
            dead = v;
        }
    }
    struct mentry **head = bucket(s, e->hash);
    e->next = *head;
    *head = e;
    s->count++;
    pthread_rwlock_unlock(&s->lock);
    while (dead != NULL) {
        struct mentry *next = dead->next;
        free(dead);
        dead = next;
    }
}

void memo_flush(void)
{
    pthread_once(&mshards_once, mshards_init);
    for (int i = 0; i < MEMO_SHARDS; i++) {
        struct mshard *s = &mshards[i];
        pthread_rwlock_wrlock(&s->lock);
        for (int b = 0; b < MEMO_BUCKETS; b++)
            while (s->buckets[b] != NULL) {
                struct mentry *e = s->buckets[b];
                s->buckets[b] = e->next;
                free(e);
            }
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
