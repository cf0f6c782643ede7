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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/cache.h"
#include "dnsf/health.h"
#include "dnsf/clock.h"
#include "dnsf/log.h"
#include "dnsf/memo.h"
#include "dnsf/nsswitch.h"
#include "dnsf/transport.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define NSSWITCH_CONF "/etc/nsswitch.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct dnsf_config config_storage;
static const struct dnsf_config *config_published;   /* written once, in init */
static int engine_active;                             /* written once, in init */

static int memo_enabled;                              /* written once, in init */

/* Generation: bumped whenever something a memoised result depends on
 * changes. Files are checked at most once a second, the netlink socket
 * (addresses and routes, which drive glibc's RFC 6724 sort and
 * AI_ADDRCONFIG) at most every 100 ms. */
static _Atomic uint64_t generation = 1;
static _Atomic uint64_t next_file_check_ms, next_nl_check_ms;
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static int nl_fd = -1;
static const char *const watched_paths[] = {
    "/etc/hosts", RESOLV_CONF, "/etc/gai.conf", NSSWITCH_CONF, "/etc/services",
    "/etc/host.conf",
};
#define NWATCHED (sizeof watched_paths / sizeof watched_paths[0])
static struct stat watched_stat[NWATCHED];

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resconf rc_snapshot;
static struct stat rc_stat;
static int rc_valid;

int state_disabled_by_env(void)
{
    const char *v = secure_getenv("DNSFAILOVER_DISABLE");
    return v != NULL && v[0] != 0 && strcmp(v, "0") != 0;
}

static void netlink_open(void)
{
    nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (nl_fd < 0)
        return;
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE
                 | RTMGRP_IPV6_ROUTE;
    if (bind(nl_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(nl_fd);
        nl_fd = -1;
    }
}

static void on_fork_child(void)
{
    pthread_mutex_init(&rc_lock, NULL);
    pthread_mutex_init(&gen_lock, NULL);
    if (nl_fd >= 0) {
        close(nl_fd);               /* shared with the parent: get our own */
        netlink_open();
        generation++;
    }
    memo_fork_child();
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

static void init_once_routine(void)
{
    int saved = errno;
    char err[PATH_MAX + 300], exe[PATH_MAX], line[1024];
    struct dnsf_identity id;
    const char *env_level = secure_getenv("DNSFAILOVER_LOG");
    int level_override = env_level ? log_level_parse(env_level) : -1;

    config_defaults(&config_storage);
    config_published = &config_storage;
    if (level_override >= 0)
        log_configure(level_override, config_storage.log_target);
    if (state_disabled_by_env())
        goto out;

    const char *path = secure_getenv("DNSFAILOVER_CONF");
    if (path == NULL || path[0] == 0)
        path = DNSF_SYSTEM_CONF;
    identity(&id, exe, sizeof exe);
    int rc = config_load_file(path, &id, &config_storage, err, sizeof err);
    if (rc < 0) {
        /* Fail open: the whole process passes through to libc. */
        LOGE("%s; passing every lookup through to libc", err);
        fprintf(stderr, "dnsfailover: %s; passing every lookup through to libc\n", err);
        goto out;
    }
    /* DNSFAILOVER_LOG overrides the level only; the target stays. */
    log_configure(level_override >= 0 ? level_override : config_storage.log_level,
                  config_storage.log_target);
    if (!config_storage.enabled) {
        LOGI("disabled for %s by %s%s%s", id.progname, path,
             config_storage.app[0] ? " " : "", config_storage.app);
        goto out;
    }
    int r = nsswitch_hosts_line(NSSWITCH_CONF, line, sizeof line);
    if (r <= 0) {
        LOGI("the hosts line of %s has no \"dns\" source; nothing to take over", NSSWITCH_CONF);
        goto out;
    }
    if (nsswitch_install(line) < 0) {
        LOGW("__nss_configure_lookup(\"hosts\", \"%s\") failed; passing through", line);
        goto out;
    }
    pthread_atfork(NULL, NULL, on_fork_child);
    /* The memo may serve results only when nothing but files and us can
     * answer before DNS is asked (so a hit cannot skip mdns, say). */
    memo_enabled = config_storage.cache.enabled && config_storage.cache.max_entries > 0
                && nsswitch_memo_safe(line);
    if (memo_enabled) {
        netlink_open();
        if (nl_fd < 0)
            memo_enabled = 0;       /* cannot see route changes: no memo */
        for (size_t i = 0; i < NWATCHED; i++)
            if (stat(watched_paths[i], &watched_stat[i]) != 0)
                memset(&watched_stat[i], 0, sizeof watched_stat[i]);
        next_file_check_ms = clock_now_coarse_ms() + 1000;
    }
    LOGD("active in %s: hosts: %s; config %s; strategy %s", id.progname, line,
         rc == 0 ? path : "(defaults)", config_strategy_name(config_storage.strategy));
    engine_active = 1;
out:
    errno = saved;
}

void state_ensure_init(void)
{
    pthread_once(&init_once, init_once_routine);
}

int state_active(void)
{
    state_ensure_init();
    return engine_active;
}

const struct dnsf_config *state_config(void)
{
    state_ensure_init();
    return config_published;
}

/* Reload resolv.conf when its identity or mtime changed, as glibc does
 * (resolv/resolv_conf.c checks on every lookup). */
static int resconf_current(struct resconf *out)
{
    struct stat st;
    int have = stat(RESOLV_CONF, &st) == 0;
    pthread_mutex_lock(&rc_lock);
    int fresh = rc_valid && have && st.st_ino == rc_stat.st_ino && st.st_dev == rc_stat.st_dev
             && st.st_size == rc_stat.st_size && st.st_mtim.tv_sec == rc_stat.st_mtim.tv_sec
             && st.st_mtim.tv_nsec == rc_stat.st_mtim.tv_nsec;
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
    if (have)
        rc_stat = st;
    rc_valid = have;
    pthread_mutex_unlock(&rc_lock);
    return 0;
}

int state_lookup_ctx(struct resolve_ctx *ctx, struct resconf *rc)
{
    if (!state_active())
        return -1;
    if (resconf_current(rc) < 0)
        return -1;
    resolve_ctx_init(ctx, config_published, rc);
    if (ctx->plan.nservers < 1)
        return -1;
    return 0;
}

static int stat_changed(const struct stat *a, const struct stat *b)
{
    return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size
        || a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

static uint64_t generation_at(uint64_t now)
{
    if (now >= next_nl_check_ms || now >= next_file_check_ms) {
        if (pthread_mutex_trylock(&gen_lock) == 0) {   /* one checker at a time */
            if (now >= next_nl_check_ms) {
                next_nl_check_ms = now + 100;
                char buf[8192];
                ssize_t n;
                int changed = 0;
                while ((n = recv(nl_fd, buf, sizeof buf, MSG_DONTWAIT)) > 0
                       || (n < 0 && errno == ENOBUFS))
                    changed = 1;
                if (changed)
                    generation++;
            }
            if (now >= next_file_check_ms) {
                next_file_check_ms = now + 1000;
                for (size_t i = 0; i < NWATCHED; i++) {
                    struct stat st;
                    if (stat(watched_paths[i], &st) != 0)
                        memset(&st, 0, sizeof st);
                    if (stat_changed(&st, &watched_stat[i])) {
                        watched_stat[i] = st;
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
    if (!memo_enabled)
        return 0;
    uint64_t now = clock_now_coarse_ms();
    return memo_lookup(node, service, hints, now, generation_at(now), rc, res);
}

void state_gai_memo_put(const char *node, const char *service, const struct addrinfo *hints,
                        int rc, const struct addrinfo *res, const struct lookup_note *n,
                        uint64_t gen)
{
    if (!memo_enabled || n->uncacheable)
        return;
    /* Outcomes that depend only on the data (not on a passing failure). */
    if (rc != 0 && rc != EAI_NONAME && rc != EAI_NODATA && rc != EAI_SERVICE && rc != EAI_FAMILY
        && rc != EAI_SOCKTYPE && rc != EAI_BADFLAGS)
        return;
    uint64_t now = clock_now_coarse_ms();
    uint64_t cap = now + (uint64_t)config_published->cache.max_ttl * 1000;
    uint64_t expire = n->dns_called && n->expire_ms != UINT64_MAX ? n->expire_ms : cap;
    if (expire > cap)
        expire = cap;
    if (expire <= now)
        return;
    memo_store(node, service, hints, rc, res, expire, gen, config_published->cache.max_entries);
}

void state_shutdown(void)
{
    transport_shutdown();
}
