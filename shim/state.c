/* state — lazy, once-only initialisation and the shared snapshots. */
#include "dnsf/state.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/cache.h"
#include "dnsf/health.h"
#include "dnsf/log.h"
#include "dnsf/nsswitch.h"
#include "dnsf/transport.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define NSSWITCH_CONF "/etc/nsswitch.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct dnsf_config config_storage;
static const struct dnsf_config *config_published;   /* written once, in init */
static int engine_active;                             /* written once, in init */

static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resconf rc_snapshot;
static struct stat rc_stat;
static int rc_valid;

int state_disabled_by_env(void)
{
    const char *v = secure_getenv("DNSFAILOVER_DISABLE");
    return v != NULL && v[0] != 0 && strcmp(v, "0") != 0;
}

static void on_fork_child(void)
{
    pthread_mutex_init(&rc_lock, NULL);
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

void state_shutdown(void)
{
    transport_shutdown();
}
