/* state — lazy, once-only initialisation and the shared snapshots. */
#include "dnsf/state.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsf/cache.h"
#include "dnsf/health.h"
#include "dnsf/clock.h"
#include "dnsf/confsnap.h"
#include "dnsf/fdkeep.h"
#include "dnsf/log.h"
#include "dnsf/filestamp.h"
#include "dnsf/hostsfile.h"
#include "dnsf/memo.h"
#include "dnsf/note.h"
#include "dnsf/nsswitch.h"
#include "dnsf/transport.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define NSSWITCH_CONF "/etc/nsswitch.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int engine_active;                             /* set once, under config_lock */

static int memo_enabled;                              /* written once, in init */

/* Generation: bumped whenever something a memoised result depends on
 * changes. Files are checked at most once a second, the netlink socket
 * (addresses and routes, which drive glibc's RFC 6724 sort and
 * AI_ADDRCONFIG) at most every 100 ms; a config reload and a change of
 * nameservers (server_set_seen) bump it at once. */
static _Atomic uint64_t generation = 1;
static _Atomic uint64_t next_file_check_ms, next_nl_check_ms;
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
/* The netlink socket, kept across calls and checked before each use
 * (fdkeep.h). Under gen_lock (and in the fork child): opened at install,
 * again after the program closed it, given back on a descriptor shortage. */
static struct fd_ident nl = { .fd = -1 };
static uint64_t nl_retry_ms;          /* under gen_lock: no new socket before this */
/* 1 while the socket is open: memoised results may be served only then.
 * Written under gen_lock, read by any thread. */
static _Atomic int nl_watching;
/* After a descriptor shortage (or a failed open) the socket stays closed
 * this long: a process at its descriptor limit usually stays there a while,
 * and each new socket would again take the descriptor glibc needs. */
#define NL_RETRY_MS 10000
static const char *const watched_paths[] = {
    "/etc/hosts", RESOLV_CONF, "/etc/gai.conf", NSSWITCH_CONF, "/etc/services",
    "/etc/host.conf",
};
#define NWATCHED (sizeof watched_paths / sizeof watched_paths[0])
static struct file_stamp watched_stamp[NWATCHED];

/* The server set (serverset.h) the latest lookup context asks: written by
 * state_lookup_ctx when resolv.conf or the config name other servers. */
static _Atomic uint64_t current_server_set;

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resconf rc_snapshot;
static struct file_stamp rc_stamp;   /* ok = 0 until a snapshot is taken */

int state_disabled_by_env(void)
{
    const char *v = secure_getenv("DNSFAILOVER_DISABLE");
    return v != NULL && v[0] != 0 && strcmp(v, "0") != 0;
}

/* 1 unless the process has no descriptor left: glibc needs one at a time
 * (with RLIMIT_NOFILE = 4 it resolves alone, but not with our socket in the
 * only free number: it cannot even read resolv.conf). An eventfd is a
 * descriptor without a file (closing a dup of a file would drop the
 * program's POSIX locks on it). One open and close (measured here: about
 * 5-10 us), so it runs only where the socket is opened or checked. */
static int descriptor_left(void)
{
    int saved = errno;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int left = fd >= 0 || (errno != EMFILE && errno != ENFILE);
    if (fd >= 0)
        close(fd);
    errno = saved;
    return left;
}

/* Forget the socket; close it only while the number is still ours. */
static void netlink_close_nolock(void)
{
    fdkeep_close(&nl);
    atomic_store(&nl_watching, 0);
}

/* Open and bind the netlink socket into nl. Return 0; -1 when it cannot
 * be had here (a sandbox, no netlink); -2 when the process is out of
 * descriptors, or would be with it (nl.fd is -1 then). */
static int netlink_open_nolock(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0)
        return errno == EMFILE || errno == ENFILE ? -2 : -1;
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE
                 | RTMGRP_IPV6_ROUTE;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fdkeep_take(fd, &nl) < 0) {
        close(fd);
        return -1;
    }
    atomic_store(&nl_watching, 1);
    if (!descriptor_left()) {
        netlink_close_nolock();
        return -2;
    }
    return 0;
}

/* 1 if addresses or routes may have changed since the last call. A socket
 * the program closed or replaced is forgotten (never read: the number is
 * the program's) and a new one opened; while none is open, changes may go
 * unseen, so a new socket counts as a change. */
static int netlink_changed_nolock(uint64_t now)
{
    if (nl.fd >= 0 && !fdkeep_ours(&nl)) {
        nl.fd = -1;
        atomic_store(&nl_watching, 0);
    }
    if (nl.fd >= 0 && !descriptor_left()) {
        netlink_close_nolock();
        nl_retry_ms = now + NL_RETRY_MS;
    }
    if (nl.fd < 0) {
        if (now < nl_retry_ms)
            return 0;
        if (netlink_open_nolock() < 0) {
            nl_retry_ms = now + NL_RETRY_MS;
            return 0;
        }
        return 1;
    }
    char buf[8192];
    ssize_t n;
    int changed = 0;
    while ((n = recv(nl.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0 || (n < 0 && errno == ENOBUFS))
        changed = 1;
    return changed;
}

/* The process is out of descriptors (fdkeep.h): give back those we keep, so
 * that the lookup, handed to glibc, can open its socket. */
static void release_kept(void)
{
    pthread_mutex_lock(&gen_lock);
    if (nl.fd >= 0) {
        netlink_close_nolock();
        nl_retry_ms = clock_now_coarse_ms() + NL_RETRY_MS;
    }
    pthread_mutex_unlock(&gen_lock);
    transport_release_idle();
}

static void on_fork_child(void)
{
    pthread_mutex_init(&rc_lock, NULL);
    pthread_mutex_init(&gen_lock, NULL);
    log_fork_child();
    if (nl.fd >= 0) {
        /* Shared with the parent: reading it here would steal the parent's
         * notifications. The next check opens our own. */
        netlink_close_nolock();
        nl_retry_ms = 0;
        generation++;
    }
    memo_fork_child();
    hostsfile_fork_child();
    health_fork_child();
    cache_fork_child();
    transport_fork_child();
}

/* Set by the diagnostic command (resolve --app /path) before its first
 * lookup; NULL in every host program. */
const char *state_exe_override;

static void identity(struct dnsf_identity *id, char *exe, size_t exelen)
{
    ssize_t n = state_exe_override ? snprintf(exe, exelen, "%s", state_exe_override)
                                   : readlink("/proc/self/exe", exe, exelen - 1);
    id->exe = NULL;
    if (n > 0 && (size_t)n < exelen) {
        exe[n] = 0;
        id->exe = exe;
    }
    id->progname = program_invocation_short_name;
}

/* ---- configuration: loaded once, reloaded when the file changes ------ */

/* Every published config is an immutable snapshot (confsnap.h): a reload
 * publishes a new one, a lookup holds the one it started with until it
 * ends, and a snapshot nobody holds is reused. The hot paths that must not
 * even take a reference read these flags, stored right after each
 * publish (by the publisher, under config_lock). */
static _Atomic int config_enabled;     /* the current snapshot's "enabled" */
static _Atomic int config_memo_ok;     /* and "cache.enabled" too */
static _Atomic int config_memo_max;    /* and its cache.max_entries */
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static char config_path[PATH_MAX];
static struct file_stamp config_stamp;
static _Atomic uint64_t next_config_check_ms;
static struct dnsf_identity self_id;
static char self_exe[PATH_MAX];
static int level_override = -1;
static int nss_installed;          /* under config_lock; never undone */
/* 1 when "files dns" became "dnsfailover" (nsswitch_merge_files): written
 * once, before the line is installed, so before glibc can call our module. */
static _Atomic int files_merged;
static char hosts_line[1024];
/* How often a running process looks at its config file's mtime. */
#define CONFIG_CHECK_MS 3000

/* Build and publish a config from the file; return the new config (held
 * by being current while config_lock is held), or NULL when out of memory
 * (what was published stays). On error the config is the defaults with
 * enabled = 0: the process passes everything through (fail open) and never
 * half-applies a broken file. */
static const struct dnsf_config *config_publish_nolock(void)
{
    char err[PATH_MAX + 300];
    struct dnsf_config *c = confsnap_alloc();
    if (c == NULL)
        return NULL;
    /* Stamp first: a change while we read shows at the next check. */
    file_stamp_take(config_path, &config_stamp);
    int rc = config_load_file(config_path, &self_id, c, err, sizeof err);
    if (rc < 0) {
        c->enabled = 0;
        /* The log stays where the last good file put it (syslog if none):
         * nothing reaches the program's stdout or stderr unless log.target
         * named it. */
        LOGE("%s; passing every lookup through to libc", err);
    } else {
        /* DNSFAILOVER_LOG overrides the level only; the target stays. */
        log_configure(level_override >= 0 ? level_override : c->log_level, c->log_target);
    }
    confsnap_publish(c);
    atomic_store(&config_enabled, c->enabled);
    atomic_store(&config_memo_ok, c->enabled && c->cache.enabled);
    atomic_store(&config_memo_max, c->cache.max_entries);
    return c;
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
        LOGD("active in %s: hosts: %s (as configured); config %s", self_id.progname, hosts_line,
             c->source[0] ? c->source : "(defaults)");
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
     * answer before DNS is asked (so a hit cannot skip mdns, say). */
    memo_enabled = nsswitch_memo_safe(hosts_line);
    if (memo_enabled) {
        pthread_mutex_lock(&gen_lock);
        int nr = netlink_open_nolock();
        if (nr == -1)
            memo_enabled = 0;       /* cannot see route changes: no memo */
        else if (nr == -2)
            nl_retry_ms = clock_now_coarse_ms() + NL_RETRY_MS;
        pthread_mutex_unlock(&gen_lock);
        for (size_t i = 0; i < NWATCHED; i++)
            file_stamp_take(watched_paths[i], &watched_stamp[i]);
        next_file_check_ms = clock_now_coarse_ms() + 1000;
    }
    LOGD("active in %s: hosts: %s; config %s; strategy %s", self_id.progname, hosts_line,
         c->source[0] ? c->source : "(defaults)", config_strategy_name(c->strategy));
    nss_installed = 1;
    engine_active = 1;
}

static void init_once_routine(void)
{
    int saved = errno;
    const char *env_level = secure_getenv("DNSFAILOVER_LOG");
    level_override = env_level ? log_level_parse(env_level) : -1;

    if (level_override >= 0)
        log_configure(level_override, "syslog");
    if (state_disabled_by_env())
        goto out;
    const char *path = secure_getenv("DNSFAILOVER_CONF");
    snprintf(config_path, sizeof config_path, "%s",
             path != NULL && path[0] != 0 ? path : DNSF_SYSTEM_CONF);
    identity(&self_id, self_exe, sizeof self_exe);
    pthread_mutex_lock(&config_lock);
    const struct dnsf_config *c = config_publish_nolock();
    if (c != NULL && !c->enabled && c->source[0])
        LOGI("disabled for %s by %s%s%s", self_id.progname, config_path, c->app[0] ? " " : "",
             c->app);
    if (c != NULL)
        install_nolock(c);
    pthread_mutex_unlock(&config_lock);
    next_config_check_ms = clock_now_coarse_ms() + CONFIG_CHECK_MS;
out:
    errno = saved;
}

void state_config_poll(uint64_t now)
{
    if (config_path[0] == 0 || now < next_config_check_ms)
        return;
    if (pthread_mutex_trylock(&config_lock) != 0)
        return;                     /* another thread is on it */
    next_config_check_ms = now + CONFIG_CHECK_MS;
    struct file_stamp st;
    file_stamp_take(config_path, &st);
    const struct dnsf_config *c;
    if (!file_stamp_equal(&st, &config_stamp) && (c = config_publish_nolock()) != NULL) {
        LOGI("configuration %s reloaded: %s", config_path,
             c->enabled ? "enabled" : "passing through");
        install_nolock(c);
        generation++;               /* memoised results may depend on it */
    }
    pthread_mutex_unlock(&config_lock);
}

void state_ensure_init(void)
{
    pthread_once(&init_once, init_once_routine);
}

int state_active(void)
{
    state_ensure_init();
    /* Also when inactive: a process that started with a broken or disabled
     * config must notice the fix (state_config_poll installs us then). */
    state_config_poll(clock_now_coarse_ms());
    if (!engine_active)
        return 0;
    return atomic_load(&config_enabled);
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

/* Reload resolv.conf when its identity or mtime changed, as glibc does
 * (resolv/resolv_conf.c checks on every lookup). */
static int resconf_current(struct resconf *out)
{
    struct file_stamp st;
    file_stamp_take(RESOLV_CONF, &st);
    pthread_mutex_lock(&rc_lock);
    /* Without a resolv.conf there is nothing to be fresh against: re-read. */
    int fresh = st.ok && file_stamp_equal(&st, &rc_stamp);
    if (fresh)
        memcpy(out, &rc_snapshot, sizeof *out);
    pthread_mutex_unlock(&rc_lock);
    if (fresh)
        return 0;
    /* Parse outside the lock. */
    if (resconf_load(out) < 0)
        return -1;
    pthread_mutex_lock(&rc_lock);
    memcpy(&rc_snapshot, out, sizeof *out);
    rc_stamp = st;
    pthread_mutex_unlock(&rc_lock);
    return 0;
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
    generation++;
    cache_drop_set(old);
    LOGI("the nameservers changed; answers from the old ones are dropped");
}

int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc)
{
    if (!state_active())
        return -1;
    if (resconf_current(rc) < 0)
        return -1;
    const struct dnsf_config *c = confsnap_acquire();
    if (c == NULL)
        return -1;
    resolve_ctx_init(ctx, c, rc);
    ctx->cfg = c;
    if (ctx->plan.nservers < 1) {
        state_lookup_end(ctx);
        return -1;
    }
    server_set_seen(ctx->server_set);
    return 0;
}

void state_lookup_end(struct resolve_ctx *ctx)
{
    if (ctx->cfg != NULL)
        confsnap_release(ctx->cfg);
    ctx->cfg = NULL;
}

static uint64_t generation_at(uint64_t now)
{
    if (now >= next_nl_check_ms || now >= next_file_check_ms) {
        if (pthread_mutex_trylock(&gen_lock) == 0) {   /* one checker at a time */
            if (now >= next_nl_check_ms) {
                next_nl_check_ms = now + 100;
                if (netlink_changed_nolock(now))
                    generation++;
            }
            if (now >= next_file_check_ms) {
                next_file_check_ms = now + 1000;
                for (size_t i = 0; i < NWATCHED; i++) {
                    struct file_stamp st;
                    file_stamp_take(watched_paths[i], &st);
                    if (!file_stamp_equal(&st, &watched_stamp[i])) {
                        watched_stamp[i] = st;
                        generation++;
                    }
                }
            }
            pthread_mutex_unlock(&gen_lock);
        }
    }
    return generation;
}

int state_memo_open(struct memo_call *mc)
{
    mc->on = 0;
    mc->expire_ms = 0;
    mc->h_errnop = NULL;
    mc->herrno.global = mc->herrno.res = mc->herrnop = MEMO_UNTOUCHED;
    /* glibc's nss_dns gethostbyaddr reads the caller's errno and answers
     * otherwise when it is ECONNREFUSED (resolv/nss_dns/dns-host.c, kept in
     * hostlookup.c): such a call is not the data's alone. */
    if (!memo_enabled || !atomic_load_explicit(&config_memo_ok, memory_order_relaxed)
        || errno == ECONNREFUSED)
        return 0;
    mc->now_ms = clock_now_coarse_ms();
    mc->gen = generation_at(mc->now_ms);
    /* Without a netlink socket nobody watches addresses and routes (which
     * glibc's RFC 6724 sort and AI_ADDRCONFIG read): no memo then. */
    if (!atomic_load_explicit(&nl_watching, memory_order_relaxed))
        return 0;
    mc->max_entries = atomic_load_explicit(&config_memo_max, memory_order_relaxed);
    mc->on = 1;
    return 1;
}

/* A value no resolver stores in h_errno (they use -1 to 4). */
#define HERRNO_SENTINEL (-0x5eed)

void state_memo_watch(struct memo_call *mc, int *h_errnop)
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

int state_memo_close(struct memo_call *mc)
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
        || !atomic_load_explicit(&nl_watching, memory_order_relaxed))
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

int state_files_merged(void)
{
    return atomic_load_explicit(&files_merged, memory_order_relaxed);
}

struct hostsfile *state_hostsfile(void)
{
    return state_active() ? hostsfile_system() : NULL;
}

/* stats_on_exit: one line with every server's counters and the cache's. */
static void log_stats(void)
{
    char line[900];
    size_t o = 0;
    for (int i = 0; i < HEALTH_MAX_SLOTS && o < sizeof line - 200; i++) {
        char name[64];
        struct health_counters c;
        int down, fails;
        double srtt;
        if (health_snapshot(i, name, sizeof name, &c, &down, &fails, &srtt) < 0)
            continue;
        o += (size_t)snprintf(line + o, sizeof line - o,
                              "%s%s queries=%llu answers=%llu timeouts=%llu errors=%llu "
                              "hedges=%llu skips=%llu probes=%llu srtt_ms=%.1f%s",
                              o ? "; " : "", name, (unsigned long long)c.queries,
                              (unsigned long long)c.answers, (unsigned long long)c.timeouts,
                              (unsigned long long)c.errors, (unsigned long long)c.hedges,
                              (unsigned long long)c.skips, (unsigned long long)c.probes, srtt,
                              down ? " down" : "");
    }
    struct cache_stats cs;
    cache_get_stats(&cs);
    /* Asked for explicitly, so written whatever log.level says. */
    log_msg(LOG_LVL_INFO, "stats: %s; cache hits=%llu misses=%llu stale=%llu entries=%llu evictions=%llu",
         o ? line : "no server asked", (unsigned long long)cs.hits,
         (unsigned long long)cs.misses, (unsigned long long)cs.stale,
         (unsigned long long)cs.entries, (unsigned long long)cs.evictions);
}

void state_shutdown(void)
{
    const struct dnsf_config *c = confsnap_acquire();
    if (engine_active && c != NULL && c->stats_on_exit)
        log_stats();
    if (c != NULL)
        confsnap_release(c);
    transport_release_idle();
}
