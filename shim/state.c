/* state — the engine's bring-up: lazy init, the take-over of the hosts
 * database (nsswitch.c), fork handling, and the context of one lookup
 * (state.h). The config's loading and reloading are confload.c's, the
 * resolv.conf snapshot resconf.c's, the memo's generation memogen.c's and
 * its admission memo.c's, the exit statistics stats.c's. */
#include "dnsf/state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/cache.h"
#include "dnsf/chanpool.h"
#include "dnsf/clock.h"
#include "dnsf/confload.h"
#include "dnsf/confsnap.h"
#include "dnsf/fdkeep.h"
#include "dnsf/health.h"
#include "dnsf/hostsfile.h"
#include "dnsf/log.h"
#include "dnsf/memo.h"
#include "dnsf/memogen.h"
#include "dnsf/nsswitch.h"
#include "dnsf/sharing.h"
#include "dnsf/stats.h"

#define NSSWITCH_CONF "/etc/nsswitch.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* 1 once init_once_routine has begun: written once, read by any thread
 * (state_gai_skips_start). */
static _Atomic int init_started;
/* 1 once the hosts line is ours: written once, by install_nolock under the
 * config lock; read by every hooked call. */
static int engine_active;
/* 1 once install_nolock has run its course (it is never undone): under the
 * config lock. */
static int nss_installed;
/* 1 when "files dns" became "dnsfailover" (nsswitch_merge_files): written
 * once, before the line is installed, so before glibc can call our module. */
static _Atomic int files_merged;
/* The hosts line we installed: written once, by install_nolock. */
static char hosts_line[1024];
/* The server set (serverset.h) the latest lookup context asks: written by
 * state_lookup_ctx (compare-and-swap) when resolv.conf or the config name
 * other servers. */
static _Atomic uint64_t current_server_set;

/* The DNSFAILOVER_DISABLE switch (secure_getenv), read once, at init. */
static int disabled_by_env(void)
{
    const char *v = secure_getenv("DNSFAILOVER_DISABLE");
    return v != NULL && v[0] != 0 && strcmp(v, "0") != 0;
}

/* The process is out of descriptors (fdkeep.h): give back those we keep, so
 * that the lookup, handed to glibc, can open its socket. */
static void release_kept(void)
{
    memogen_release();
    chanpool_release_idle();
}

static void on_fork_child(void)
{
    resconf_fork_child();
    memogen_fork_child();
    log_fork_child();
    memo_fork_child();
    hostsfile_fork_child();
    health_fork_child();
    cache_fork_child();
    chanpool_fork_child();
    sharing_fork_child();
}

/* Take over the hosts database, once, the first time a config enables us. */
static void install_nolock(const struct dnsf_config *c)
{
    if (nss_installed || !c->enabled)
        return;
    int r = nsswitch_hosts_line(NSSWITCH_CONF, hosts_line, sizeof hosts_line);
    if (r == NSSWITCH_NAMED) {
        /* NSS-only mode: glibc loads us from nsswitch.conf (maybe with no hook
         * at all) and keeps the line, reloads and nscd as they are. */
        pthread_atfork(NULL, NULL, on_fork_child);
        LOGD("active in %s: hosts: %s (as configured); config %s", program_invocation_short_name,
             hosts_line, c->source[0] ? c->source : "(defaults)");
        nss_installed = 1;
        engine_active = 1;
        return;
    }
    if (r <= 0) {
        LOGI("the hosts line of %s has no \"dns\" source; nothing to take over", NSSWITCH_CONF);
        return;
    }
    int merged = nsswitch_merge_files(hosts_line);
    if (nsswitch_install(hosts_line) < 0) {
        LOGW("__nss_configure_lookup(\"hosts\", \"%s\") failed; passing through", hosts_line);
        return;
    }
    atomic_store(&files_merged, merged);
    pthread_atfork(NULL, NULL, on_fork_child);
    fdkeep_set_release(release_kept);
    /* The memo may serve results only when nothing but files and us can
     * answer before DNS is asked (so a hit cannot skip mdns, say), and
     * only while the generation is watched (without a netlink socket,
     * route changes go unseen). */
    memo_admit(nsswitch_memo_safe(hosts_line) && memogen_start() == 0);
    LOGD("active in %s: hosts: %s; config %s; strategy %s", program_invocation_short_name,
         hosts_line, c->source[0] ? c->source : "(defaults)", config_strategy_name(c->strategy));
    nss_installed = 1;
    engine_active = 1;
}

static void init_once_routine(void)
{
    int saved = errno;
    atomic_store(&init_started, 1);
    confload_level_from_env();
    if (!disabled_by_env())
        confload_start(install_nolock);
    errno = saved;
}

void state_ensure_init(void)
{
    pthread_once(&init_once, init_once_routine);
}

/* glibc 2.36 getaddrinfo (sysdeps/posix/getaddrinfo.c: gaih_inet and its
 * text_to_binary_address) asks no NSS hosts database when there is no name,
 * when AI_NUMERICHOST is set (a name that is no address fails with
 * EAI_NONAME), or when the name is an address: __inet_aton_exact accepts it
 * for AF_UNSPEC and AF_INET, inet_pton(AF_INET6) for AF_UNSPEC and
 * AF_INET6. inet_pton(AF_INET) accepts a subset of __inet_aton_exact's
 * forms (no octal, hex or short forms): for the rest the engine starts, as
 * before. A numeric address with an unusual family or a scope (%eth0) also
 * starts it. */
static int gai_numeric(const char *node, const struct addrinfo *hints)
{
    int family = hints != NULL ? hints->ai_family : AF_UNSPEC;
    unsigned char addr[sizeof(struct in6_addr)];
    if (node == NULL || (hints != NULL && (hints->ai_flags & AI_NUMERICHOST)))
        return 1;
    if ((family == AF_UNSPEC || family == AF_INET) && inet_pton(AF_INET, node, addr) == 1)
        return 1;
    return (family == AF_UNSPEC || family == AF_INET6) && inet_pton(AF_INET6, node, addr) == 1;
}

int state_gai_skips_start(const char *node, const struct addrinfo *hints)
{
    return !atomic_load_explicit(&init_started, memory_order_relaxed) && gai_numeric(node, hints);
}

int state_active(void)
{
    state_ensure_init();
    /* Also when inactive: a process that started with a broken or disabled
     * config must notice the fix (confload_poll installs us then). */
    confload_poll(clock_now_coarse_ms());
    if (!engine_active)
        return 0;
    return confload_enabled();
}

const struct dnsf_config *state_config_acquire(void)
{
    state_ensure_init();
    return confsnap_acquire();
}

void state_config_release(const struct dnsf_config *c)
{
    if (c != NULL)
        confsnap_release(c);
}

/* The servers changed (resolv.conf or the config, whichever names them):
 * what came from the old set is never handed out again. Its cache entries
 * are keyed apart already (cache.h); here they are freed, and memoised
 * results, which may have been built from them, are dropped (generation).
 * nscd flushes its hosts cache when resolv.conf changes, c-ares its query
 * cache on a server change. A re-ordering keeps the set (serverset.h). */
static void server_set_seen(uint64_t set)
{
    uint64_t old = atomic_load(&current_server_set);
    if (old == set || !atomic_compare_exchange_strong(&current_server_set, &old, set))
        return;
    if (old == 0)
        return;                     /* the first lookup */
    memogen_bump();
    cache_drop_set(old);
    LOGI("the nameservers changed; answers from the old ones are dropped");
}

int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc)
{
    if (!state_active())
        return DNSF_FAIL_OPEN;
    if (resconf_current(rc) < 0)
        return DNSF_FAIL_OPEN;
    const struct dnsf_config *c = confsnap_acquire();
    if (c == NULL)
        return DNSF_FAIL_OPEN;
    resolve_ctx_init(ctx, c, rc);
    ctx->ask.cfg_held = 1;
    ctx->ask.shared = sharing_lookup_start(c, clock_now_ms());
    if (ctx->ask.nservers < 1) {
        state_lookup_end(ctx);
        return DNSF_FAIL_OPEN;
    }
    server_set_seen(ctx->server_set);
    return 0;
}

void state_lookup_end(struct resolve_ctx *ctx)
{
    if (ctx->ask.cfg_held)
        sharing_lookup_end(ctx->ask.shared, clock_now_ms());
    if (ctx->ask.cfg_held)
        confsnap_release(ctx->ask.cfg);
    ctx->ask.cfg_held = 0;
    ctx->ask.cfg = NULL;
}

int state_files_merged(void)
{
    return atomic_load_explicit(&files_merged, memory_order_relaxed);
}

struct hostsfile *state_hostsfile(void)
{
    return state_active() ? hostsfile_system() : NULL;
}

void state_shutdown(void)
{
    /* Nothing to close or publish in a process whose engine never started
     * (one that never resolved a name): and touching the pools' pages
     * here cost it page faults at exit. */
    if (!atomic_load(&init_started))
        return;
    const struct dnsf_config *c = confsnap_acquire();
    if (engine_active && c != NULL && c->stats_on_exit)
        stats_log();
    if (c != NULL)
        confsnap_release(c);
    /* Replies that came in for queries of ended lookups (a server slower
     * than the one that won, a probe) are evidence for every process:
     * processed, and so published, before the channels go. */
    chanpool_drain_orphans();
    chanpool_release_idle();
    sharing_shutdown();
}
