/* config — read the libconfig file into an immutable struct dnsf_config.
 *
 * libconfig.so.9 is dlopen'ed only when a file exists: Debian 12's
 * libconfig.a (libconfig-dev 1.5) is built without -fPIC (ld refuses to
 * link it into a shared object: "relocation R_X86_64_PC32 against symbol
 * `config_write' can not be used when making a shared object"), and
 * loading it lazily keeps it out of processes that never read a config.
 * RTLD_DEEPBIND keeps a host program's own config_init() from
 * capturing libconfig's internal calls, and RTLD_LOCAL keeps libconfig's
 * symbols from capturing the host's.
 *
 * The file is read by conffile.c, not by libconfig: opened non-blocking,
 * refused unless it is a regular file of at most DNSF_CONFIG_MAX_BYTES, and
 * its bytes checked by confscan.c before libconfig parses them from memory.
 *
 * Every key is described once, in `schema` below: its type, range and where
 * it lands. The README's reference is checked against this table by a test. */
#include "dnsf/config.h"

#include <dlfcn.h>
#include <fnmatch.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/confdomains.h"
#include "dnsf/conffile.h"
#include "dnsf/confscan.h"
#include "dnsf/log.h"

/* ---- libconfig, loaded on demand -------------------------------------- */

static struct {
    void (*init)(config_t *);
    void (*destroy)(config_t *);
    int (*read_string)(config_t *, const char *);
    void (*set_include_dir)(config_t *, const char *);
    int (*length)(const config_setting_t *);
    config_setting_t *(*elem)(const config_setting_t *, unsigned int);
    int ok;
} lc;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

static void lc_load(void)
{
    /* RTLD_LAZY: Debian's libconfig.so.9 is built for lazy binding (no
     * BIND_NOW, its .got.plt outside RELRO), so RTLD_NOW bound all 44 of
     * its imports at every load and protected nothing more; a parse calls
     * a few. Measured here, dlopen in a fresh process, medians of 400
     * alternating runs: 105 us with RTLD_NOW, 92 us with RTLD_LAZY. The six
     * entry points below are still checked at load, by dlsym. */
    int flags = RTLD_LAZY | RTLD_LOCAL;
#if !defined(DNSF_SANITIZED)
    /* Sanitizer runtimes (ASan, TSan) refuse RTLD_DEEPBIND; the Makefile
     * defines DNSF_SANITIZED for those builds (clang, which builds the
     * fuzzers, does not define __SANITIZE_ADDRESS__). Tests pass without it. */
    flags |= RTLD_DEEPBIND;
#endif
    void *h = dlopen("libconfig.so.9", flags);
    if (h == NULL)
        return;
    *(void **)&lc.init = dlsym(h, "config_init");
    *(void **)&lc.destroy = dlsym(h, "config_destroy");
    *(void **)&lc.read_string = dlsym(h, "config_read_string");
    *(void **)&lc.set_include_dir = dlsym(h, "config_set_include_dir");
    *(void **)&lc.length = dlsym(h, "config_setting_length");
    *(void **)&lc.elem = dlsym(h, "config_setting_get_elem");
    lc.ok = lc.init && lc.destroy && lc.read_string && lc.set_include_dir && lc.length
         && lc.elem;
}

/* ---- the schema -------------------------------------------------------- */

enum ktype { K_BOOL, K_INT, K_TARGET, K_ENUM, K_SERVERS, K_SEARCH, K_LEVEL, K_DIR, K_DOMAINS };

struct key {
    const char *path;              /* "health.fail_threshold" */
    enum ktype type;
    long min, max;
    size_t off;                    /* into struct dnsf_config */
};

#define OFF(f) offsetof(struct dnsf_config, f)
static const struct key schema[] = {
    { "enabled",                 K_BOOL,    0, 1,        OFF(enabled) },
    { "nameservers",             K_SERVERS, 1, DNSF_MAX_SERVERS, OFF(nservers) },
    { "strategy",                K_ENUM,    0, STRATEGY_COUNT - 1, OFF(strategy) },
    { "timeout_ms",              K_INT,     10, 60000,   OFF(timeout_ms) },
    { "attempts",                K_INT,     1, 10,       OFF(attempts) },
    { "deadline_ms",             K_INT,     10, 120000,  OFF(deadline_ms) },
    { "hedge_min_ms",            K_INT,     0, 10000,    OFF(hedge_min_ms) },
    { "hedge_max_ms",            K_INT,     0, 60000,    OFF(hedge_max_ms) },
    { "health.fail_threshold",   K_INT,     1, 1000,     OFF(health.fail_threshold) },
    { "health.probe_interval_ms",K_INT,     10, 3600000, OFF(health.probe_interval_ms) },
    /* RFC 2308 §7: a server may be considered down for at most 5 minutes. */
    { "health.max_down_ms",      K_INT,     0, 300000,   OFF(health.max_down_ms) },
    { "cache.enabled",           K_BOOL,    0, 1,        OFF(cache.enabled) },
    { "cache.max_entries",       K_INT,     0, 10000000, OFF(cache.max_entries) },
    { "cache.min_ttl",           K_INT,     0, 604800,   OFF(cache.min_ttl) },
    { "cache.max_ttl",           K_INT,     0, 604800,   OFF(cache.max_ttl) },
    /* RFC 2308 §5: negative answers should not be cached beyond 3 hours. */
    { "cache.negative_max_ttl",  K_INT,     0, 10800,    OFF(cache.negative_max_ttl) },
    { "cache.serve_stale",       K_BOOL,    0, 1,        OFF(cache.serve_stale) },
    /* RFC 8767 §5: keep stale data for at most 1 to 3 days. */
    { "cache.max_stale",         K_INT,     0, 259200,   OFF(cache.max_stale) },
    /* glibc clamps ndots to 15 (RES_MAXNDOTS). */
    { "ndots",                   K_INT,     0, 15,       OFF(ndots) },
    { "search",                  K_SEARCH,  0, 6,        OFF(nsearch) },
    { "log.level",               K_LEVEL,   0, 3,        OFF(log_level) },
    { "log.target",              K_TARGET,  1, PATH_MAX - 1, OFF(log_target) },
    { "stats_on_exit",           K_BOOL,    0, 1,        OFF(stats_on_exit) },
    { "state_dir",               K_DIR,     0, PATH_MAX - 1, OFF(state_dir) },
    { "domains",                 K_DOMAINS, 0, DNSF_MAX_DOMAINS, OFF(domains) },   /* confdomains.c */
};
static const char *const strategies[STRATEGY_COUNT] = { "hedge", "race", "sequence", "balance" };

void config_schema_each(void (*fn)(const char *path, const char *type, long min, long max,
                                   void *arg), void *arg)
{
    static const char *const tnames[] = { "boolean", "integer", "target", "strategy",
                                          "servers", "domains", "level", "path", "routes" };
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        fn(schema[i].path, tnames[schema[i].type], schema[i].min, schema[i].max, arg);
    confdomains_schema_each(fn, arg);
    fn("apps", "apps", 0, 0, arg);
}

int config_key_range(const char *path, long *min, long *max)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (schema[i].type == K_INT && strcmp(schema[i].path, path) == 0) {
            *min = schema[i].min, *max = schema[i].max;
            return 0;
        }
    return -1;
}

const char *config_strategy_name(enum dnsf_strategy s)
{
    return (unsigned)s < STRATEGY_COUNT ? strategies[s] : "?";
}

void config_defaults(struct dnsf_config *c)
{
    memset(c, 0, sizeof *c);
    c->enabled = 1;
    c->strategy = STRATEGY_HEDGE;
    c->timeout_ms = 1000;
    c->attempts = 2;
    c->deadline_ms = 5000;
    c->hedge_min_ms = 10;
    c->hedge_max_ms = 200;
    c->health.fail_threshold = 3;
    c->health.probe_interval_ms = 1000;
    c->health.max_down_ms = 30000;
    c->cache.enabled = 1;
    c->cache.max_entries = 10000;
    c->cache.min_ttl = 0;
    c->cache.max_ttl = 86400;
    c->cache.negative_max_ttl = 300;
    c->cache.serve_stale = 1;
    c->cache.max_stale = 86400;
    c->ndots = -1;
    c->nsearch = -1;
    c->log_level = LOG_LVL_WARN;
    snprintf(c->log_target, sizeof c->log_target, "syslog");
    snprintf(c->state_dir, sizeof c->state_dir, "%s", DNSF_STATE_DIR);
}

/* ---- applying a group of settings -------------------------------------- */

#define NSCHEMA (sizeof schema / sizeof schema[0])

struct loadctx {
    const char *path;
    char *err;
    size_t errlen;
    unsigned lines[NSCHEMA];       /* where each key was last set */
};

static int fail(struct loadctx *lx, const config_setting_t *s, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct loadctx *lx, const config_setting_t *s, const char *key,
                const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file = s && s->file ? s->file : lx->path;
    snprintf(lx->err, lx->errlen, "%s:%u: %s: %s", file, s ? s->line : 0, key, msg);
    return -1;
}

static int fail_line(struct loadctx *lx, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_line(struct loadctx *lx, unsigned line, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(lx->err, lx->errlen, "%s:%u: %s: %s", lx->path, line, key, msg);
    return -1;
}

static unsigned line_of(const struct loadctx *lx, const char *path)
{
    for (size_t i = 0; i < NSCHEMA; i++)
        if (strcmp(schema[i].path, path) == 0)
            return lx->lines[i];
    return 0;
}

static const char *type_name(int t)
{
    static const char *const names[] = { "none", "group", "integer", "integer",
                                         "float", "string", "boolean", "array", "list" };
    return t >= 0 && t <= 8 ? names[t] : "?";
}

static const struct key *schema_find(const char *path)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (strcmp(schema[i].path, path) == 0)
            return &schema[i];
    return NULL;
}

static int is_group_prefix(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (strncmp(schema[i].path, path, n) == 0 && schema[i].path[n] == '.')
            return 1;
    return 0;
}

static int apply_string_list(struct loadctx *lx, const config_setting_t *s,
                             const struct key *k, struct dnsf_config *c)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_STRING)
        return fail(lx, s, k->path, "expected a list of strings, got %s", type_name(t));
    int n = t == CONFIG_TYPE_STRING ? 1 : lc.length(s);
    if (n < k->min || n > k->max)
        return fail(lx, s, k->path, "expected %ld to %ld entries, got %d", k->min, k->max, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = t == CONFIG_TYPE_STRING ? s : lc.elem(s, (unsigned)i);
        if (e == NULL || config_setting_type(e) != CONFIG_TYPE_STRING)
            return fail(lx, s, k->path, "entry %d is not a string", i + 1);
        const char *v = e->value.sval;
        if (k->type == K_SERVERS) {
            if (config_parse_server(v, &c->servers[i]) < 0)
                return fail(lx, s, k->path, "bad nameserver address \"%s\" "
                            "(want IPv4, IPv6, [IPv6]:port or IPv4:port)", v);
        } else {
            if (strlen(v) == 0 || strlen(v) >= sizeof c->search[0])
                return fail(lx, s, k->path, "bad search domain \"%s\"", v);
            snprintf(c->search[i], sizeof c->search[i], "%s", v);
        }
    }
    *(int *)((char *)c + k->off) = n;
    return 0;
}

static int apply_key(struct loadctx *lx, const config_setting_t *s, const struct key *k,
                     struct dnsf_config *c)
{
    int t = config_setting_type(s);
    void *dst = (char *)c + k->off;
    lx->lines[k - schema] = s->line;
    switch (k->type) {
    case K_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            return fail(lx, s, k->path, "expected a boolean (true/false), got %s", type_name(t));
        *(int *)dst = s->value.ival != 0;
        return 0;
    case K_INT: {
        long long v;
        if (t == CONFIG_TYPE_INT)
            v = s->value.ival;
        else if (t == CONFIG_TYPE_INT64)
            v = s->value.llval;
        else
            return fail(lx, s, k->path, "expected an integer, got %s", type_name(t));
        if (v < k->min || v > k->max)
            return fail(lx, s, k->path, "%lld is out of range [%ld, %ld]", v, k->min, k->max);
        *(int *)dst = (int)v;
        return 0;
    }
    case K_TARGET:
        /* A relative path would be opened in each process's own working
         * directory; "stdout" would write into the program's output. */
        if (t != CONFIG_TYPE_STRING)
            return fail(lx, s, k->path, "expected a string, got %s", type_name(t));
        if ((long)strlen(s->value.sval) < k->min || (long)strlen(s->value.sval) > k->max)
            return fail(lx, s, k->path, "string length out of range");
        if (strcmp(s->value.sval, "syslog") != 0 && strcmp(s->value.sval, "stderr") != 0
            && s->value.sval[0] != '/')
            return fail(lx, s, k->path, "expected \"syslog\", \"stderr\" or an absolute file "
                        "path, got \"%s\"", s->value.sval);
        snprintf((char *)dst, PATH_MAX, "%s", s->value.sval);
        return 0;
    case K_DIR:
        /* "" turns the feature off; a relative path would name a
         * directory per working directory (shstate.h opens it as given). */
        if (t != CONFIG_TYPE_STRING)
            return fail(lx, s, k->path, "expected a string, got %s", type_name(t));
        if ((long)strlen(s->value.sval) > k->max
            || (s->value.sval[0] != 0 && s->value.sval[0] != '/'))
            return fail(lx, s, k->path, "expected \"\" or an absolute directory path, got \"%s\"",
                        s->value.sval);
        snprintf((char *)dst, PATH_MAX, "%s", s->value.sval);
        return 0;
    case K_ENUM:
        if (t == CONFIG_TYPE_STRING)
            for (int i = 0; i < STRATEGY_COUNT; i++)
                if (strcmp(s->value.sval, strategies[i]) == 0) {
                    *(enum dnsf_strategy *)dst = (enum dnsf_strategy)i;
                    return 0;
                }
        return fail(lx, s, k->path, "expected \"hedge\", \"race\", \"sequence\" or \"balance\"");
    case K_LEVEL:
        if (t == CONFIG_TYPE_STRING && log_level_parse(s->value.sval) >= 0) {
            *(int *)dst = log_level_parse(s->value.sval);
            return 0;
        }
        return fail(lx, s, k->path, "expected \"error\", \"warn\", \"info\" or \"debug\"");
    case K_SERVERS:
    case K_SEARCH:
        return apply_string_list(lx, s, k, c);
    case K_DOMAINS:
        return confdomains_apply(s, &(struct confdomains_lc){ lc.length, lc.elem }, lx->path,
                                 c, lx->err, lx->errlen);
    }
    return -1;
}

/* Apply every member of group G (whose path is PREFIX) to C. Members named
 * in SKIP are accepted and left to the caller. */
static int apply_group(struct loadctx *lx, const config_setting_t *g, const char *prefix,
                       struct dnsf_config *c, const char *skip)
{
    int n = lc.length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = lc.elem(g, (unsigned)i);
        char path[128];
        if (s == NULL || s->name == NULL)
            continue;
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", s->name);
        if (*prefix == 0 && skip != NULL) {
            char tok[80];
            snprintf(tok, sizeof tok, " %s ", s->name);
            if (strstr(skip, tok) != NULL)
                continue;
        }
        const struct key *k = schema_find(path);
        if (k != NULL) {
            if (apply_key(lx, s, k, c) < 0)
                return -1;
        } else if (is_group_prefix(path)) {
            if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return fail(lx, s, path, "expected a group { ... }, got %s",
                            type_name(config_setting_type(s)));
            if (apply_group(lx, s, path, c, NULL) < 0)
                return -1;
        } else
            return fail(lx, s, path, "unknown key");
    }
    return 0;
}

/* Rules between keys; the error names the later of the two lines. Last,
 * the domains table takes the values in effect at this level. */
static int check_consistency(struct loadctx *lx, struct dnsf_config *c)
{
    unsigned a, b;
    if (c->hedge_min_ms > c->hedge_max_ms) {
        a = line_of(lx, "hedge_min_ms"), b = line_of(lx, "hedge_max_ms");
        return fail_line(lx, a > b ? a : b, a > b ? "hedge_min_ms" : "hedge_max_ms",
                         "hedge_min_ms (%d) is above hedge_max_ms (%d)", c->hedge_min_ms,
                         c->hedge_max_ms);
    }
    if (c->cache.min_ttl > c->cache.max_ttl) {
        a = line_of(lx, "cache.min_ttl"), b = line_of(lx, "cache.max_ttl");
        return fail_line(lx, a > b ? a : b, a > b ? "cache.min_ttl" : "cache.max_ttl",
                         "cache.min_ttl (%d) is above cache.max_ttl (%d)", c->cache.min_ttl,
                         c->cache.max_ttl);
    }
    return confdomains_finish(c, lx->path, lx->err, lx->errlen);
}

static int app_matches(const config_setting_t *match, const struct dnsf_identity *id)
{
    int n = config_setting_type(match) == CONFIG_TYPE_STRING ? 1 : lc.length(match);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e =
            config_setting_type(match) == CONFIG_TYPE_STRING ? match : lc.elem(match, (unsigned)i);
        const char *pat = e->value.sval;
        if (pat[0] == '/') {
            const char *exe = id->exe != NULL || id->exe_lookup == NULL ? id->exe
                                                                         : id->exe_lookup();
            if (exe != NULL && fnmatch(pat, exe, 0) == 0)
                return 1;
        } else if (id->progname != NULL && strcmp(pat, id->progname) == 0)
            return 1;
    }
    return 0;
}

/* Validate every apps entry; apply the first that matches ID. */
static int apply_apps(struct loadctx *lx, const config_setting_t *apps,
                      const struct dnsf_identity *id, struct dnsf_config *c)
{
    int t = config_setting_type(apps);
    if (t != CONFIG_TYPE_LIST)
        return fail(lx, apps, "apps", "expected a list ( { match = [...]; ... }, ... ), got %s",
                    type_name(t));
    int n = lc.length(apps), matched = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *app = lc.elem(apps, (unsigned)i);
        char where[32];
        snprintf(where, sizeof where, "apps[%d]", i);
        if (config_setting_type(app) != CONFIG_TYPE_GROUP)
            return fail(lx, app, where, "expected a group { match = [...]; ... }");
        const config_setting_t *match = NULL;
        for (int j = 0; j < lc.length(app); j++) {
            const config_setting_t *m = lc.elem(app, (unsigned)j);
            if (m->name && strcmp(m->name, "match") == 0)
                match = m;
            if (m->name && strcmp(m->name, "apps") == 0)
                return fail(lx, m, where, "apps cannot be nested");
        }
        if (match == NULL)
            return fail(lx, app, where, "missing key \"match\"");
        int mt = config_setting_type(match), mn = mt == CONFIG_TYPE_STRING ? 1 : lc.length(match);
        if (mt != CONFIG_TYPE_STRING && mt != CONFIG_TYPE_ARRAY && mt != CONFIG_TYPE_LIST)
            return fail(lx, match, "match", "expected a list of program names or /path/globs");
        for (int j = 0; j < mn; j++) {
            const config_setting_t *e = mt == CONFIG_TYPE_STRING ? match : lc.elem(match, (unsigned)j);
            if (config_setting_type(e) != CONFIG_TYPE_STRING || e->value.sval[0] == 0)
                return fail(lx, e, "match", "entry %d is not a non-empty string", j + 1);
        }
        /* Validate on a scratch copy so a non-matching entry is still checked. */
        struct dnsf_config scratch = *c;
        struct loadctx alx = *lx;
        if (apply_group(&alx, app, "", &scratch, " match ") < 0
            || check_consistency(&alx, &scratch) < 0) {
            memcpy(lx->err, alx.err, lx->errlen);
            return -1;
        }
        if (!matched && id != NULL && app_matches(match, id)) {
            matched = 1;
            *c = scratch;
            snprintf(c->app, sizeof c->app, "%s", where);
        }
    }
    return 0;
}

/* Turn confscan's finding into "NAME:LINE: message". */
static void scan_error(const char *name, const struct confscan_result *r, char *err,
                       size_t errlen)
{
    const struct key *k;
    switch (r->problem) {
    case CONFSCAN_TOO_BIG:
        snprintf(err, errlen, "%s:0: larger than %d bytes", name, DNSF_CONFIG_MAX_BYTES);
        break;
    case CONFSCAN_NUL:
        snprintf(err, errlen, "%s:%u: a NUL byte: not a text file", name, r->line);
        break;
    case CONFSCAN_INCLUDE:
        snprintf(err, errlen, "%s:%u: @include is not supported: put the settings in this file",
                 name, r->line);
        break;
    case CONFSCAN_DEPTH:
        snprintf(err, errlen, "%s:%u: nested more than %d deep", name, r->line,
                 DNSF_CONFIG_MAX_DEPTH);
        break;
    case CONFSCAN_GROUP_KEYS:
        snprintf(err, errlen, "%s:%u: more than %d settings in one group", name, r->line,
                 DNSF_CONFIG_MAX_GROUP_KEYS);
        break;
    case CONFSCAN_INTEGER:
        k = schema_find(r->path);
        if (k != NULL && k->type == K_INT)
            snprintf(err, errlen, "%s:%u: %s: %s is out of range [%ld, %ld]", name, r->line,
                     r->path, r->text, k->min, k->max);
        else
            snprintf(err, errlen, "%s:%u: %s%s%s is out of range", name, r->line, r->path,
                     r->path[0] ? ": " : "", r->text);
        break;
    case CONFSCAN_OK:
        break;
    }
}

/* Parse TEXT (NUL-terminated, checked by confscan) into C. */
static int load_text(const char *text, const char *name, const struct dnsf_identity *id,
                     struct dnsf_config *c, char *err, size_t errlen)
{
    struct loadctx lx;
    memset(&lx, 0, sizeof lx);
    lx.path = name;
    lx.err = err;
    lx.errlen = errlen;
    config_t cf;
    int rc = -1;

    pthread_once(&lc_once, lc_load);
    if (!lc.ok) {
        snprintf(err, errlen, "%s:0: cannot load libconfig.so.9 (%s)", name,
                 "install libconfig9");
        return -1;
    }
    lc.init(&cf);
    /* confscan refused every @include already. Should one slip past it all
     * the same, libconfig prefixes this directory, and no file exists below
     * a character device: it cannot open anything. */
    lc.set_include_dir(&cf, "/dev/null");
    if (!lc.read_string(&cf, text)) {
        snprintf(err, errlen, "%s:%d: syntax error: %s", name, config_error_line(&cf),
                 config_error_text(&cf) ? config_error_text(&cf) : "?");
        goto done;
    }
    const config_setting_t *root = config_root_setting(&cf);
    const config_setting_t *apps = NULL;
    for (int i = 0; i < lc.length(root); i++) {
        const config_setting_t *s = lc.elem(root, (unsigned)i);
        if (s->name && strcmp(s->name, "apps") == 0)
            apps = s;
    }
    if (apply_group(&lx, root, "", c, " apps ") < 0)
        goto done;
    if (check_consistency(&lx, c) < 0)
        goto done;
    if (apps != NULL && apply_apps(&lx, apps, id, c) < 0)
        goto done;
    rc = 0;
done:
    lc.destroy(&cf);
    return rc;
}

/* C holds the defaults and names SOURCE; RC is returned. */
static int settle(struct dnsf_config *c, const char *source, int rc)
{
    if (rc < 0)
        config_defaults(c);
    snprintf(c->source, sizeof c->source, "%s", source);
    return rc;
}

int config_load_buffer(const char *buf, size_t len, const char *name,
                       const struct dnsf_identity *id, struct dnsf_config *c, char *err,
                       size_t errlen)
{
    struct confscan_result r;
    config_defaults(c);
    err[0] = 0;
    if (confscan_check(buf, len, &r) < 0) {
        scan_error(name, &r, err, errlen);
        return settle(c, name, -1);
    }
    char *text = malloc(len + 1);
    if (text == NULL) {
        snprintf(err, errlen, "%s:0: out of memory", name);
        return settle(c, name, -1);
    }
    memcpy(text, buf, len);
    text[len] = 0;
    int rc = load_text(text, name, id, c, err, errlen);
    free(text);
    return settle(c, name, rc);
}

int config_load_file(const char *path, const struct dnsf_identity *id,
                     struct dnsf_config *c, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    config_defaults(c);
    err[0] = 0;
    int rc = conffile_read(path, &buf, &len, err, errlen);
    if (rc == 1)
        return 1;
    if (rc < 0)
        return settle(c, path, -1);
    rc = config_load_buffer(buf, len, path, id, c, err, errlen);
    free(buf);
    return rc;
}
