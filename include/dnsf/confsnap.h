/* confsnap — the published config snapshots, and how long each one lives.
 *
 * One snapshot is current. A reader takes it with confsnap_acquire() and
 * gives it back with confsnap_release(); a lookup holds one from its start
 * to its end, and whatever outlives the lookup (a query left running) takes
 * its own reference with confsnap_retain(). A held snapshot is never
 * modified or reused.
 *
 * The publisher (one at a time: the caller serialises publishers) fills a
 * snapshot from confsnap_alloc() and makes it current with
 * confsnap_publish(), which drops the reference the previous one had as
 * current. A snapshot whose last reference is dropped is reused by a later
 * confsnap_alloc() and never freed: memory stays at the most snapshots
 * ever alive at once (the current one plus those lookups still held when
 * it was replaced), and acquiring takes no lock (why, in confsnap.c). */
#ifndef DNSF_CONFSNAP_H
#define DNSF_CONFSNAP_H

#include <stddef.h>

#include "dnsf/config.h"

/* Publisher only: a snapshot to fill (zeroed), or NULL when out of memory. */
struct dnsf_config *confsnap_alloc(void);
/* Publisher only: C (from confsnap_alloc) becomes current. */
void confsnap_publish(struct dnsf_config *c);
/* Publisher only: C (from confsnap_alloc) will not be published after all:
 * the next confsnap_alloc reuses it. */
void confsnap_discard(struct dnsf_config *c);
/* The current snapshot with one reference taken, or NULL before the first
 * publish. Lock-free; a few atomic operations. */
const struct dnsf_config *confsnap_acquire(void);
/* One more reference to C, which the caller already holds. Returns C. */
const struct dnsf_config *confsnap_retain(const struct dnsf_config *c);
/* Drop one reference to C (from acquire or retain). */
void confsnap_release(const struct dnsf_config *c);
/* Snapshots allocated so far: held, current, or waiting to be reused. */
size_t confsnap_count(void);

#endif
