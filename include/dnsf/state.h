/* state — the engine's bring-up and what every lookup starts from: lazy
 * init, the take-over of the hosts database, fork handling, and one
 * lookup's context (config snapshot, resolv.conf, servers).
 *
 * Invariants: each published config is immutable, but the pointer to the
 * current one is not: a reload (confload.c) publishes a new snapshot
 * (confsnap.h), and readers hold a reference to the one they read, taken
 * and given back without a lock. The resolv.conf snapshot is copied out
 * under a short lock, never across I/O (resconf.h). */
#ifndef DNSF_STATE_H
#define DNSF_STATE_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsf/config.h"
#include "dnsf/hostsfile.h"
#include "dnsf/note.h"
#include "dnsf/resconf.h"
#include "dnsf/resolve.h"

/* Run the one-time init (config, logging, nsswitch). Cheap after the first
 * call. Never fails: on any trouble the engine stays inactive (fail open). */
void state_ensure_init(void);
/* 1 when lookups go through dnsfailover, 0 when everything passes through. */
int state_active(void);
/* 1 when this getaddrinfo call may go straight to libc without starting
 * the engine: the engine has not started, and glibc answers the call
 * without asking any hosts database (no name, AI_NUMERICHOST, or a
 * numeric address). A process that never resolves a name then pays
 * nothing for one; once the engine runs, such calls go through it (and
 * its memo) as before. */
int state_gai_skips_start(const char *node, const struct addrinfo *hints);
/* The published config, with a reference (confsnap.h): read it as long as
 * needed, then give it back with state_config_release. NULL when none was
 * published (DNSFAILOVER_DISABLE, out of memory). */
const struct dnsf_config *state_config_acquire(void);
void state_config_release(const struct dnsf_config *c);
/* Prepare CTX for one lookup, using RC as storage for resolv.conf data.
 * Return 0, or DNSF_FAIL_OPEN when the engine cannot serve. On
 * 0, CTX holds the config snapshot (ctx->ask.cfg, cfg_held) until
 * state_lookup_end. */
int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc);
/* The lookup CTX (zeroed, or prepared by state_lookup_ctx) is over: drop
 * its snapshot. Harmless to call twice. Usable as a cleanup attribute:
 *   struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 }; */
void state_lookup_end(struct resolve_ctx *ctx);
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
