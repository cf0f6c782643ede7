/* state — process-wide engine state: lazy init, the published config, the
 * resolv.conf snapshot, fork handling.
 *
 * Invariants: each published config is immutable; a reload publishes a new
 * snapshot (confsnap.h) and readers hold a reference while they read it, no
 * lock. The resolv.conf snapshot is copied out under a short lock, never
 * across I/O. */
#ifndef DNSF_STATE_H
#define DNSF_STATE_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsf/config.h"
#include "dnsf/hostsfile.h"
#include "dnsf/memo.h"
#include "dnsf/note.h"
#include "dnsf/resconf.h"
#include "dnsf/resolve.h"

/* Run the one-time init (config, logging, nsswitch). Cheap after the first
 * call. Never fails: on any trouble the engine stays inactive (fail open). */
void state_ensure_init(void);
/* Look at the config file if NOW_MS (clock_now_coarse_ms) is past the next
 * check, which comes every 3 s; reload it when it changed (or appeared, or
 * vanished). state_active calls it; tests pass times of their own. */
void state_config_poll(uint64_t now_ms);
/* 1 when lookups go through dnsfailover, 0 when everything passes through. */
int state_active(void);
/* The published config, with a reference (confsnap.h): read it as long as
 * needed, then give it back with state_config_release. NULL when none was
 * published (DNSFAILOVER_DISABLE, out of memory). */
const struct dnsf_config *state_config_acquire(void);
void state_config_release(const struct dnsf_config *c);
/* Prepare CTX for one lookup, using RC as storage for resolv.conf data.
 * Return 0, or -1 when the engine cannot serve (the caller fails open). On
 * 0, CTX holds the config snapshot (ctx->cfg) until state_lookup_end. */
int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc);
/* The lookup CTX (zeroed, or prepared by state_lookup_ctx) is over: drop
 * its snapshot. Harmless to call twice. Usable as a cleanup attribute:
 *   struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 }; */
void state_lookup_end(struct resolve_ctx *ctx);
/* The DNSFAILOVER_DISABLE switch (secure_getenv), read once. */
int state_disabled_by_env(void);
/* The memo (memo.h) for one hooked call, in three steps around the real
 * call:
 *   open:  1 when the memo may answer and keep this call (only "files"
 *          before us on the hosts line, the cache enabled); reads the
 *          generation, once a second the /etc files, every 100 ms netlink;
 *   watch: just before the real call: opens the lookup note, and sets the
 *          global h_errno (and the _r out-parameter H_ERRNOP, if not NULL)
 *          to a sentinel, so that close can tell what the call left there;
 *   close: just after it: puts back what the call left alone, records what
 *          it set, and returns 1 when its outcome may be kept: until
 *          MC->expire_ms, the earliest expiry of the DNS data it used.
 * watch and close do nothing when open returned 0. */
int state_memo_open(struct memo_call *mc);
void state_memo_watch(struct memo_call *mc, int *h_errnop);
int state_memo_close(struct memo_call *mc);
/* 1 when the hosts line's "files dns" was merged into our module, which
 * then takes the files step itself (nsswitch_merge_files). */
int state_files_merged(void);
/* The in-memory /etc/hosts (hostsfile.h) for the merged files step; NULL
 * while the engine passes through (then glibc's files module answers). */
struct hostsfile *state_hostsfile(void);
/* The path apps entries' globs are matched against instead of
 * /proc/self/exe (program names: program_invocation_short_name). Only the
 * diagnostic command sets it, before its first lookup. */
extern const char *state_exe_override;
/* Release what can be released at exit. */
void state_shutdown(void);

#endif
