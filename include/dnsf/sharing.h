/* sharing — this process's link to the health shared across the processes
 * of the host (shstate.h): which handle a lookup uses, the flush
 * generation, and the counters published for `dnsfailover status`.
 *
 * The handle is opened lazily, by the first lookup whose config names a
 * state_dir (never by the constructor: a process that never resolves a
 * name opens nothing), and never closed while the process runs: orphaned
 * queries keep it (transport.h). A reload that names another state_dir
 * opens another handle and leaves the old one alive. */
#ifndef DNSF_SHARING_H
#define DNSF_SHARING_H

#include <stdint.h>

#include "dnsf/config.h"

struct shstate;

/* At lookup start (shstate.h, steps 1 and 2): the handle for CFG's
 * state_dir, opened now if need be, refreshed when due; when the flush
 * generation changed since the last lookup, the cache and the memo are
 * dropped. NULL: not shared (state_dir "", out of memory, or another
 * thread is opening it right now: this lookup goes without). */
struct shstate *sharing_lookup_start(const struct dnsf_config *cfg, uint64_t now_ms);
/* At lookup end (step 6): publish this process's counters into ST, at
 * most once a second and not before shstate.h's SHSTATE_PUBLISH_AFTER_*. */
void sharing_lookup_end(struct shstate *st, uint64_t now_ms);
/* About once a second from the memo's generation check (memogen_at), so
 * that a process the memo answers without lookups still sees a flush and
 * keeps its counters live in `dnsfailover status`: refresh the handle the
 * lookups opened (never opens one), check the flush generation, publish
 * the counters when due. Called with no lock held. */
void sharing_tick(uint64_t now_ms);
/* In the fork child (step 7). */
void sharing_fork_child(void);
/* At exit (step 8): give back the process slot. */
void sharing_shutdown(void);

#endif
