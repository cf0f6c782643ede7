/* confsnap — the published config snapshots, and how long each one lives
 * (contract in confsnap.h).
 *
 * Why acquiring needs no lock: a reader loads `current` and then takes a
 * reference, and between the two the snapshot may be replaced and its last
 * reference dropped. Were it then freed, taking the reference would write
 * to freed memory. So snapshots are never freed, only reused ("type-stable"
 * memory, as the Linux kernel's SLAB_TYPESAFE_BY_RCU): the count of a
 * snapshot in any state is always a valid atomic to touch. A reader takes a
 * reference only if the count is not 0 (0: nobody holds it, it waits for
 * reuse), then checks that the snapshot is still current; if not, it gives
 * the reference back and tries again. A snapshot reused and published again
 * in between is current, so the reader may keep it: that is the one it
 * wanted. Cost on a reader: a load, a compare-and-swap, a load.
 *
 * Memory: a snapshot is allocated only when none waits for reuse, so the
 * number allocated is the most ever alive at once. Reloading every 3 s
 * while lookups run allocates two or three in all; each is about 24.7 KB
 * (9.1 KB of it the domains table).
 *
 * Who writes what: `current` and `spare` are written by the publisher
 * only (the caller serialises publishers); `free_stack` is pushed by
 * whichever thread drops a snapshot's last reference, and emptied at once
 * by the publisher (a stack only ever emptied whole has no ABA problem). */
#include "dnsf/confsnap.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct snap {
    struct dnsf_config cfg;        /* first: a config pointer is its snap's */
    _Atomic unsigned long refs;    /* 0: free, on free_stack or spare */
    struct snap *next;             /* on free_stack or spare */
};

static _Atomic(struct snap *) current;       /* publisher */
static _Atomic(struct snap *) free_stack;    /* last releasers push, publisher empties */
static struct snap *spare;                   /* publisher only: taken from free_stack */
static _Atomic size_t nallocated;            /* publisher */

static struct snap *snap_of(const struct dnsf_config *c)
{
    return (struct snap *)(void *)((char *)c - offsetof(struct snap, cfg));
}

struct dnsf_config *confsnap_alloc(void)
{
    if (spare == NULL)
        spare = atomic_exchange(&free_stack, NULL);
    struct snap *n = spare;
    if (n != NULL)
        spare = n->next;
    else {
        n = calloc(1, sizeof *n);
        if (n == NULL)
            return NULL;
        atomic_fetch_add(&nallocated, 1);
    }
    /* refs stays 0 until published: no reader can take this one. */
    memset(&n->cfg, 0, sizeof n->cfg);
    return &n->cfg;
}

void confsnap_publish(struct dnsf_config *c)
{
    struct snap *n = snap_of(c);
    atomic_store(&n->refs, 1);     /* the reference of being current */
    struct snap *old = atomic_exchange(&current, n);
    if (old != NULL)
        confsnap_release(&old->cfg);
}

void confsnap_discard(struct dnsf_config *c)
{
    struct snap *n = snap_of(c);
    n->next = spare;               /* refs is still 0: no reader ever saw it */
    spare = n;
}

/* Take a reference unless nobody holds N any more. */
static int ref_unless_free(struct snap *n)
{
    unsigned long r = atomic_load(&n->refs);
    do {
        if (r == 0)
            return 0;
    } while (!atomic_compare_exchange_weak(&n->refs, &r, r + 1));
    return 1;
}

const struct dnsf_config *confsnap_acquire(void)
{
    for (;;) {
        struct snap *n = atomic_load(&current);
        if (n == NULL)
            return NULL;
        if (ref_unless_free(n)) {
            if (atomic_load(&current) == n)
                return &n->cfg;
            confsnap_release(&n->cfg);
        }
    }
}

const struct dnsf_config *confsnap_retain(const struct dnsf_config *c)
{
    atomic_fetch_add(&snap_of(c)->refs, 1);
    return c;
}

void confsnap_release(const struct dnsf_config *c)
{
    struct snap *n = snap_of(c);
    if (atomic_fetch_sub(&n->refs, 1) != 1)
        return;
    /* The last reference: nobody can take a new one now (it is not
     * current, and ref_unless_free refuses a count of 0). */
    struct snap *head = atomic_load(&free_stack);
    do
        n->next = head;
    while (!atomic_compare_exchange_weak(&free_stack, &head, n));
}

size_t confsnap_count(void)
{
    return atomic_load(&nallocated);
}
