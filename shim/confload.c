/* confload — the running process's config: loaded, published, reloaded
 * (confload.h). */
#include "dnsf/confload.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/conflast.h"
#include "dnsf/confsnap.h"
#include "dnsf/filestamp.h"
#include "dnsf/log.h"
#include "dnsf/memo.h"
#include "dnsf/memogen.h"
#include "dnsf/state.h"

/* How often a running process looks at its config file's mtime. */
#define CONFIG_CHECK_MS 3000

/* The current snapshot's "enabled": stored by the publisher right after
 * each publish (under config_lock), read by state_active on every call. */
static _Atomic int config_enabled;
/* Held to publish, and by the one thread that checks the file. */
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
/* Written once by confload_start ("" until then: nothing to poll). */
static char config_path[PATH_MAX];
/* Under config_lock: the file as it was when last loaded. */
static struct file_stamp config_stamp;
/* When the file is looked at next: written under config_lock. */
static _Atomic uint64_t next_config_check_ms;
/* Who we are (the config's per-application sections): written once by
 * confload_start. */
static struct dnsf_identity self_id;
/* The program's path: read at the first apps entry that names a path, by
 * self_exe_lookup, under config_lock (every load runs under it). */
static char self_exe[PATH_MAX];
static int self_exe_read;
/* DNSFAILOVER_LOG's level, or -1: written once by confload_level_from_env. */
static int level_override = -1;
/* state.c's install: written once by confload_start. */
static void (*on_publish)(const struct dnsf_config *c);

/* Set by the diagnostic command (resolve --app /path) before its first
 * lookup; NULL in every host program. */
const char *state_exe_override;

/* self_id.exe_lookup: readlink(/proc/self/exe) once (or the command's
 * override), NULL if it fails. Called with config_lock held. */
static const char *self_exe_lookup(void)
{
    if (!self_exe_read) {
        ssize_t n = state_exe_override
                        ? snprintf(self_exe, sizeof self_exe, "%s", state_exe_override)
                        : readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
        self_exe[n > 0 && (size_t)n < sizeof self_exe ? n : 0] = 0;
        self_exe_read = 1;
    }
    return self_exe[0] ? self_exe : NULL;
}


/* 1 when the current snapshot is a good config: read well from the file
 * (or the defaults of a missing file), or its last good copy. A broken file
 * then leaves it in place. Under config_lock. */
static int config_good;

/* Apply C's log settings (DNSFAILOVER_LOG overrides the level only). */
static void log_from(const struct dnsf_config *c)
{
    log_configure(level_override >= 0 ? level_override : c->log_level, c->log_target);
}

/* The file is broken (ERR says where): once per change of the file
 * (conflast.h), say so and what this process does instead. DIR is where
 * the breakage is remembered. The log stays where the last good config
 * put it (syslog if none): nothing reaches the program's stdout or stderr
 * unless a good config's log.target named it. */
static void report_broken(const char *dir, const char *err, const char *doing)
{
    if (log_on(LOG_LVL_ERROR) && conflast_first_report(dir, config_path, &config_stamp))
        log_msg(LOG_LVL_ERROR, "%s; %s", err, doing);
}

static void publish_nolock(struct dnsf_config *c, int good)
{
    confsnap_publish(c);
    config_good = good;
    atomic_store(&config_enabled, c->enabled);
    memo_configure(c->enabled && c->cache.enabled, c->cache.max_entries);
}

/* Build and publish a config from the file; return the new config (held
 * by being current while config_lock is held), or NULL when nothing new
 * was published (out of memory, or a broken file left the last good config
 * in place). A file with an error is never half-applied (issue 14, "a
 * broken config never turns failover off"):
 *   - a running process keeps the good config it has;
 *   - a process without one starts from the file's last good copy
 *     (conflast.h), apps sections and all;
 *   - without a copy it publishes the defaults with enabled = 0 and passes
 *     every lookup through (fail open), as glibc alone would. */
static const struct dnsf_config *config_publish_nolock(void)
{
    char err[PATH_MAX + 300];
    struct dnsf_config *c = confsnap_alloc();
    if (c == NULL)
        return NULL;
    /* Stamp first: a change while we read shows at the next check. */
    file_stamp_take(config_path, &config_stamp);
    int rc = config_load_file(config_path, &self_id, c, err, sizeof err);
    if (rc >= 0) {
        log_from(c);
        publish_nolock(c, 1);
        if (rc == 0)
            conflast_keep(c->state_dir, config_path, &config_stamp, &self_id);
        return c;
    }
    const struct dnsf_config *cur = config_good ? confsnap_acquire() : NULL;
    if (cur != NULL) {
        report_broken(cur->state_dir, err, "keeping the configuration read before it");
        confsnap_release(cur);
        confsnap_discard(c);
        return NULL;
    }
    if (conflast_load(DNSF_STATE_DIR, config_path, &config_stamp, &self_id, c) == 0) {
        log_from(c);
        report_broken(DNSF_STATE_DIR, err, "using its last good copy instead");
        publish_nolock(c, 1);
        return c;
    }
    c->enabled = 0;
    report_broken(DNSF_STATE_DIR, err, "passing every lookup through to libc");
    publish_nolock(c, 0);
    return c;
}

void confload_level_from_env(void)
{
    const char *env_level = secure_getenv("DNSFAILOVER_LOG");
    level_override = env_level ? log_level_parse(env_level) : -1;
    if (level_override >= 0)
        log_configure(level_override, "syslog");
}

void confload_start(void (*publish_cb)(const struct dnsf_config *c))
{
    const char *path = secure_getenv("DNSFAILOVER_CONF");
    snprintf(config_path, sizeof config_path, "%s",
             path != NULL && path[0] != 0 ? path : DNSF_SYSTEM_CONF);
    self_id.progname = program_invocation_short_name;
    self_id.exe_lookup = self_exe_lookup;
    on_publish = publish_cb;
    pthread_mutex_lock(&config_lock);
    const struct dnsf_config *c = config_publish_nolock();
    if (c != NULL && !c->enabled && c->source[0])
        LOGI("disabled for %s by %s%s%s", self_id.progname, config_path, c->app[0] ? " " : "",
             c->app);
    if (c != NULL)
        on_publish(c);
    pthread_mutex_unlock(&config_lock);
    next_config_check_ms = clock_now_coarse_ms() + CONFIG_CHECK_MS;
}

void confload_poll(uint64_t now)
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
        on_publish(c);
        memogen_bump();             /* memoised results may depend on it */
    }
    pthread_mutex_unlock(&config_lock);
}

int confload_enabled(void)
{
    return atomic_load(&config_enabled);
}
