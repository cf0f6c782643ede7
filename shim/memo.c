/* memo — a sharded, bounded map from (node, service, hints) to a result. */
#include "dnsf/memo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnsf/strutil.h"

#define MEMO_SHARDS 16
#define MEMO_BUCKETS 256
/* A result longer than this is not memoised (rare; keeps entries small). */
#define MEMO_MAX_NODES 64

struct mnode {
    int flags, family, socktype, protocol;
    socklen_t addrlen;
    struct sockaddr_storage addr;
};

struct mentry {
    struct mentry *next;
    uint32_t hash;
    int rc, nnodes;
    uint64_t expire_ms, gen;
    char *canon;                   /* of the first node, or NULL */
    struct mnode *nodes;
    size_t keylen;
    char key[];
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

/* The key: everything that can change the result of the call. A NULL hints
 * differs from zeroed hints (glibc then uses AI_V4MAPPED|AI_ADDRCONFIG). */
static size_t make_key(char *buf, size_t cap, const char *node, const char *service,
                       const struct addrinfo *h)
{
    size_t nl = node ? strlen(node) : 0, sl = service ? strlen(service) : 0;
    int hv[5] = { h != NULL, h ? h->ai_flags : 0, h ? h->ai_family : 0,
                  h ? h->ai_socktype : 0, h ? h->ai_protocol : 0 };
    size_t need = sizeof hv + nl + sl + 2;
    if (need > cap)
        return 0;
    memcpy(buf, hv, sizeof hv);
    buf[sizeof hv] = node ? 1 : 0;
    memcpy(buf + sizeof hv + 1, node ? node : "", nl);
    buf[sizeof hv + 1 + nl] = service ? 1 : 0;
    memcpy(buf + sizeof hv + 2 + nl, service ? service : "", sl);
    return need;
}

static uint32_t hash_key(const char *k, size_t n)
{
    return dnsf_fnv1a(DNSF_FNV1A_INIT, k, n);
}

/* Build a list in glibc's allocation layout. Return NULL on ENOMEM. */
static struct addrinfo *build(const struct mentry *e)
{
    struct addrinfo *head = NULL, **tail = &head;
    for (int i = 0; i < e->nnodes; i++) {
        const struct mnode *n = &e->nodes[i];
        struct addrinfo *ai = malloc(sizeof *ai + n->addrlen);
        if (ai == NULL)
            goto fail;
        memset(ai, 0, sizeof *ai);
        ai->ai_flags = n->flags;
        ai->ai_family = n->family;
        ai->ai_socktype = n->socktype;
        ai->ai_protocol = n->protocol;
        ai->ai_addrlen = n->addrlen;
        ai->ai_addr = (struct sockaddr *)(ai + 1);
        memcpy(ai->ai_addr, &n->addr, n->addrlen);
        *tail = ai;
        tail = &ai->ai_next;
        if (i == 0 && e->canon != NULL && (ai->ai_canonname = strdup(e->canon)) == NULL)
            goto fail;
    }
    return head;
fail:
    while (head != NULL) {
        struct addrinfo *next = head->ai_next;
        free(head->ai_canonname);
        free(head);
        head = next;
    }
    return NULL;
}

int memo_lookup(const char *node, const char *service, const struct addrinfo *hints,
                uint64_t now_ms, uint64_t gen, int *rc, struct addrinfo **res)
{
    char key[600];
    size_t kl = make_key(key, sizeof key, node, service, hints);
    if (kl == 0)
        return 0;
    pthread_once(&mshards_once, mshards_init);
    uint32_t h = hash_key(key, kl);
    struct mshard *s = &mshards[h % MEMO_SHARDS];
    int hit = 0;
    pthread_rwlock_rdlock(&s->lock);
    for (struct mentry *e = s->buckets[(h / MEMO_SHARDS) % MEMO_BUCKETS]; e; e = e->next) {
        if (e->hash != h || e->keylen != kl || memcmp(e->key, key, kl) != 0)
            continue;
        if (e->gen == gen && now_ms < e->expire_ms) {
            struct addrinfo *list = NULL;
            if (e->rc == 0 && (list = build(e)) == NULL)
                break;             /* out of memory: let glibc do it */
            *rc = e->rc;
            if (e->rc == 0)
                *res = list;       /* glibc leaves *res alone on failure */
            hit = 1;
        }
        break;
    }
    pthread_rwlock_unlock(&s->lock);
    return hit;
}

static void free_entry(struct mentry *e)
{
    free(e->canon);
    free(e->nodes);
    free(e);
}

void memo_store(const char *node, const char *service, const struct addrinfo *hints, int rc,
                const struct addrinfo *res, uint64_t expire_ms, uint64_t gen, int max_entries)
{
    char key[600];
    size_t kl = make_key(key, sizeof key, node, service, hints);
    if (kl == 0 || max_entries <= 0)
        return;
    int n = 0;
    for (const struct addrinfo *ai = res; rc == 0 && ai != NULL; ai = ai->ai_next)
        if (++n > MEMO_MAX_NODES || ai->ai_addrlen > sizeof(struct sockaddr_storage))
            return;
    struct mentry *e = calloc(1, sizeof *e + kl);
    if (e == NULL)
        return;
    e->nodes = n ? calloc((size_t)n, sizeof *e->nodes) : NULL;
    if (n && e->nodes == NULL) {
        free(e);
        return;
    }
    int i = 0;
    for (const struct addrinfo *ai = res; rc == 0 && ai != NULL; ai = ai->ai_next, i++) {
        e->nodes[i].flags = ai->ai_flags;
        e->nodes[i].family = ai->ai_family;
        e->nodes[i].socktype = ai->ai_socktype;
        e->nodes[i].protocol = ai->ai_protocol;
        e->nodes[i].addrlen = ai->ai_addrlen;
        memcpy(&e->nodes[i].addr, ai->ai_addr, ai->ai_addrlen);
    }
    if (rc == 0 && res != NULL && res->ai_canonname != NULL
        && (e->canon = strdup(res->ai_canonname)) == NULL) {
        free_entry(e);
        return;
    }
    e->nnodes = n;
    e->rc = rc;
    e->expire_ms = expire_ms;
    e->gen = gen;
    e->keylen = kl;
    memcpy(e->key, key, kl);
    e->hash = hash_key(key, kl);

    pthread_once(&mshards_once, mshards_init);
    struct mshard *s = &mshards[e->hash % MEMO_SHARDS];
    int cap = max_entries / MEMO_SHARDS + ((int)(e->hash % MEMO_SHARDS) < max_entries % MEMO_SHARDS);
    if (cap == 0) {                /* this shard's share of the bound is 0 */
        free_entry(e);
        return;
    }
    struct mentry *dead = NULL;
    pthread_rwlock_wrlock(&s->lock);
    struct mentry **pp = &s->buckets[(e->hash / MEMO_SHARDS) % MEMO_BUCKETS];
    for (; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->hash == e->hash && (*pp)->keylen == kl && memcmp((*pp)->key, key, kl) == 0) {
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
    pp = &s->buckets[(e->hash / MEMO_SHARDS) % MEMO_BUCKETS];
    e->next = *pp;
    *pp = e;
    s->count++;
    pthread_rwlock_unlock(&s->lock);
    while (dead != NULL) {
        struct mentry *next = dead->next;
        free_entry(dead);
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
                free_entry(e);
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
