/* htab — the one hash table the caches share: chained, intrusive, with
 * buckets and locking left to the owner (cache.c, memo.c, hostsfile.c's
 * remembered answers). c-ares keeps one hash table that every feature uses
 * (ares__htable.c); three hand-written chain walks are three places for the
 * same bug.
 *
 * An owner embeds a struct htab_node in its entry, keeps an array of
 * struct htab_node * as buckets, and finds its entry with htab_entry. The
 * functions are inline, so a match function the compiler can see costs no
 * call on the hot path. */
#ifndef DNSF_HTAB_H
#define DNSF_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
    struct htab_node *next;
    uint32_t hash;
};

/* The entry of type TYPE whose member MEMBER is the node N. */
#define htab_entry(n, type, member) ((type *)(void *)((char *)(n) - offsetof(type, member)))

/* The head of hash H's chain among NB buckets B, where H modulo SPREAD has
 * already chosen one of SPREAD shards (1: not sharded). */
static inline struct htab_node **htab_bucket(struct htab_node **b, unsigned nb, unsigned spread,
                                             uint32_t h)
{
    return &b[(h / spread) % nb];
}

/* From LINK (a chain head), the link that points at the first node with
 * hash H for which MATCH(node, KEY) is true, or the NULL link at the
 * chain's end (push a new node there, or at the head). */
static inline struct htab_node **htab_find(struct htab_node **link, uint32_t h,
                                           int (*match)(const struct htab_node *, const void *),
                                           const void *key)
{
    for (; *link != NULL; link = &(*link)->next)
        if ((*link)->hash == h && match(*link, key))
            return link;
    return link;
}

/* Put N (its hash set) at LINK, before what was there. */
static inline void htab_push(struct htab_node **link, struct htab_node *n)
{
    n->next = *link;
    *link = n;
}

/* Take the node LINK points at out of its chain; return it. */
static inline struct htab_node *htab_unlink(struct htab_node **link)
{
    struct htab_node *n = *link;
    *link = n->next;
    n->next = NULL;
    return n;
}

#endif
