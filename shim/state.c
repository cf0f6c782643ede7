/* state — lazy, once-only initialisation and the shared snapshots. */
#include "dnsf/state.h"

#include <errno.h>
#include <pthread.h>
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
#include "dnsf/fdkeep.h"
#include "dnsf/log.h"
#include "dnsf/filestamp.h"
#include "dnsf/hostsfile.h"
#include "dnsf/memo.h"
#include "dnsf/nsswitch.h"
#include "dnsf/transport.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define NSSWITCH_CONF "/etc/nsswitch.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct dnsf_config config_storage;             /* defaults, before any file */
static int engine_active;                             /* set once, under config_lock */

static int memo_enabled;                              /* written once, in init */

/* Generation: bumped whenever something a memoised result depends on
 * changes. Files are checked at most once a second, the netlink socket
 * (addresses and routes, which drive glibc's RFC 6724 sort and
 * AI_ADDRCONFIG) at most every 100 ms. */
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

static void identity(struct dnsf_identity *id, char *exe, size_t exelen)
{
    ssize_t n = readlink("/proc/self/exe", exe, exelen - 1);
    id->exe = NULL;
    if (n > 0) {
        exe[n] = 0;
        id->exe = exe;
    }
    id->progname = program_invocation_short_name;
}

/* ---- configuration: loaded once, reloaded when the file changes ------ */

/* Every published config is immutable; a reload publishes a new one with
 * one atomic store. Old ones are kept on a list, never freed, because a
 * lookup in another thread may still read them (a few KiB per reload). */
struct config_node {
    struct dnsf_config cfg;
    struct config_node *older;
};
static _Atomic(const struct dnsf_config *) config_current;
static struct config_node *config_retired;
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

/* Build and publish a config from the file; return the new config. On
 * error the config is the defaults with enabled = 0: the process passes
 * everything through (fail open) and never half-applies a broken file. */
static const struct dnsf_config *config_publish_nolock(void)
{
    char err[PATH_MAX + 300];
    struct config_node *n = calloc(1, sizeof *n);
    if (n == NULL)
        return atomic_load(&config_current);
    int rc = config_load_file(config_path, &self_id, &n->cfg, err, sizeof err);
    if (rc < 0) {
        n->cfg.enabled = 0;
        log_configure(level_override >= 0 ? level_override : LOG_LVL_WARN, "syslog");
        LOGE("%s; passing every lookup through to libc", err);
        if (log_level_current >= LOG_LVL_ERROR)
            fprintf(stderr, "dnsfailover: %s; passing every lookup through to libc\n", err);
    } else {
        /* DNSFAILOVER_LOG overrides the level only; the target stays. */
        log_configure(level_override >= 0 ? level_override : n->cfg.log_level,
                      n->cfg.log_target);
    }
    file_stamp_take(config_path, &config_stamp);
    n->older = config_retired;
    config_retired = n;
    atomic_store(&config_current, &n->cfg);
    return &n->cfg;
}

/* Take over the hosts database, once, the first time a config enables us. */
static void install_nolock(const struct dnsf_config *c)
{
    if (nss_installed || !c->enabled)
        return;
    int r = nsswitch_hosts_line(NSSWITCH_CONF, hosts_line, sizeof hosts_line);
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

    config_defaults(&config_storage);
    atomic_store(&config_current, &config_storage);
    if (level_override >= 0)
        log_configure(level_override, config_storage.log_target);
    if (state_disabled_by_env())
        goto out;
    const char *path = secure_getenv("DNSFAILOVER_CONF");
    snprintf(config_path, sizeof config_path, "%s",
             path != NULL && path[0] != 0 ? path : DNSF_SYSTEM_CONF);
    identity(&self_id, self_exe, sizeof self_exe);
    pthread_mutex_lock(&config_lock);
    const struct dnsf_config *c = config_publish_nolock();
    if (!c->enabled && c->source[0])
        LOGI("disabled for %s by %s%s%s", self_id.progname, config_path, c->app[0] ? " " : "",
             c->app);
    install_nolock(c);
    pthread_mutex_unlock(&config_lock);
    next_config_check_ms = clock_now_coarse_ms() + CONFIG_CHECK_MS;
out:
    errno = saved;
}

/* Look at the config file at most every CONFIG_CHECK_MS; reload it when
 * it changed (or appeared, or vanished). */
static void maybe_reload(uint64_t now)
{
    if (config_path[0] == 0 || now < next_config_check_ms)
        return;
    if (pthread_mutex_trylock(&config_lock) != 0)
        return;                     /* another thread is on it */
    next_config_check_ms = now + CONFIG_CHECK_MS;
    struct file_stamp st;
    file_stamp_take(config_path, &st);
    if (!file_stamp_equal(&st, &config_stamp)) {
        const struct dnsf_config *c = config_publish_nolock();
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
     * config must notice the fix (maybe_reload installs us then). */
    maybe_reload(clock_now_coarse_ms());
    if (!engine_active)
        return 0;
    return atomic_load(&config_current)->enabled;
}

const struct dnsf_config *state_config(void)
{
    state_ensure_init();
    return atomic_load(&config_current);
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

int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc)
{
    if (!state_active())
        return -1;
    if (resconf_current(rc) < 0)
        return -1;
    resolve_ctx_init(ctx, atomic_load(&config_current), rc);
    if (ctx->plan.nservers < 1)
        return -1;
    return 0;
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

uint64_t state_memo_generation(void)
{
    return memo_enabled ? generation_at(clock_now_coarse_ms()) : 0;
}

int state_gai_memo_get(const char *node, const char *service, const struct addrinfo *hints,
                       int *rc, struct addrinfo **res)
{
    if (!memo_enabled || !atomic_load(&config_current)->cache.enabled)
        return 0;
    uint64_t now = clock_now_coarse_ms();
    uint64_t gen = generation_at(now);
    if (!atomic_load_explicit(&nl_watching, memory_order_relaxed))
        return 0;                   /* nobody watches addresses and routes now */
    return memo_lookup(node, service, hints, now, gen, rc, res);
}

void state_gai_memo_put(const char *node, const char *service, const struct addrinfo *hints,
                        int rc, const struct addrinfo *res, const struct lookup_note *n,
                        uint64_t gen)
{
    const struct dnsf_config *cfg = atomic_load(&config_current);
    if (!memo_enabled || n->uncacheable || !cfg->enabled || !cfg->cache.enabled
        || !atomic_load_explicit(&nl_watching, memory_order_relaxed))
        return;
    /* Outcomes that depend only on the data (not on a passing failure). */
    if (rc != 0 && rc != EAI_NONAME && rc != EAI_NODATA && rc != EAI_SERVICE && rc != EAI_FAMILY
        && rc != EAI_SOCKTYPE && rc != EAI_BADFLAGS)
        return;
    uint64_t now = clock_now_coarse_ms();
    uint64_t cap = now + (uint64_t)cfg->cache.max_ttl * 1000;
    uint64_t expire = n->dns_called && n->expire_ms != UINT64_MAX ? n->expire_ms : cap;
    if (expire > cap)
        expire = cap;
    if (expire <= now)
        return;
    memo_store(node, service, hints, rc, res, expire, gen, cfg->cache.max_entries);
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
    const struct dnsf_config *c = atomic_load(&config_current);
    if (engine_active && c != NULL && c->stats_on_exit)
        log_stats();
    transport_release_idle();
}
