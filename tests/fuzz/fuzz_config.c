/* fuzz_config -- the configuration parser: libconfig's grammar, then our
 * schema, ranges, consistency rules and apps sections (shim/config.c).
 *
 * The input is the text of a config file. libconfig itself is dlopen'ed and
 * not instrumented, so the coverage that guides this target is our
 * validation's; tests/fuzz/config.dict gives it the keys and tokens.
 *
 * Properties, besides "no crash, no sanitizer report, no leak":
 *   - the result is 0 (accepted) or -1 (rejected), never anything else, and
 *     the error text is set exactly when the file is rejected;
 *   - a rejected file leaves exactly the built-in defaults (never half of a
 *     file applied);
 *   - an accepted one holds every integer key within the range the schema
 *     states (config_schema_each, which `dnsfailover keys` prints), sane
 *     servers, and the rules between keys (hedge_min_ms <= hedge_max_ms,
 *     cache.min_ttl <= cache.max_ttl) -- also after an apps entry that
 *     matched this program overrode some of them;
 *   - reading the same bytes again gives the same result. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "dnsf/config.h"
#include "dnsf/route.h"
#include "fuzz.h"

/* The program the apps entries are matched against. */
static const struct dnsf_identity fuzz_id = { .progname = "fuzzapp", .exe = "/usr/bin/fuzzapp" };

/* Read DATA as a config file. This is the only place that knows how the
 * bytes reach the parser: through a file for now; with a loader that takes
 * a buffer, this becomes that one call. */
static int load(const uint8_t *data, size_t size, struct dnsf_config *c, char *err,
                size_t errlen)
{
    fuzz_write_file(fuzz_file(), data, size);
    return config_load_file(fuzz_file(), &fuzz_id, c, err, errlen);
}

/* The integer fields, by schema path. */
static const int *field(const struct dnsf_config *c, const char *path)
{
    static const struct {
        const char *path;
        size_t off;
    } map[] = {
#define F(p, f) { p, offsetof(struct dnsf_config, f) }
        F("enabled", enabled), F("timeout_ms", timeout_ms), F("attempts", attempts),
        F("deadline_ms", deadline_ms), F("hedge_min_ms", hedge_min_ms),
        F("hedge_max_ms", hedge_max_ms), F("health.fail_threshold", health.fail_threshold),
        F("health.probe_interval_ms", health.probe_interval_ms),
        F("health.max_down_ms", health.max_down_ms), F("cache.enabled", cache.enabled),
        F("cache.max_entries", cache.max_entries), F("cache.min_ttl", cache.min_ttl),
        F("cache.max_ttl", cache.max_ttl), F("cache.negative_max_ttl", cache.negative_max_ttl),
        F("cache.serve_stale", cache.serve_stale), F("cache.max_stale", cache.max_stale),
        F("stats_on_exit", stats_on_exit),
#undef F
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].path, path) == 0)
            return (const int *)((const char *)c + map[i].off);
    return NULL;
}

static void check_range(const char *path, const char *type, long min, long max, void *arg)
{
    const int *v = field(arg, path);
    if (v == NULL || (strcmp(type, "integer") != 0 && strcmp(type, "boolean") != 0))
        return;
    FUZZ_CHECK(*v >= min && *v <= max, "%s = %d, outside %ld..%ld", path, *v, min, max);
}

/* The compiled domains table: counts within bounds, every suffix and
 * server slice inside its array, values in effect within the keys' ranges,
 * and every suffix found again by route_lookup (to its own entry or one
 * with a longer suffix of the same name, which cannot be: each suffix is
 * its own longest match). */
static void check_domains(const struct dnsf_domains *t)
{
    FUZZ_CHECK(t->n >= 0 && t->n <= DNSF_MAX_DOMAINS, "domains n %d", t->n);
    FUZZ_CHECK(t->nsuffixes >= t->n && t->nsuffixes <= DNSF_MAX_SUFFIXES, "nsuffixes %d",
               t->nsuffixes);
    FUZZ_CHECK(t->nservers >= t->n && t->nservers <= DNSF_MAX_DOMAIN_SERVERS, "nservers %d",
               t->nservers);
    for (int i = 0; i < t->n; i++) {
        const struct dnsf_domain *d = &t->d[i];
        FUZZ_CHECK(d->nservers >= 1 && d->first_server >= 0
                       && d->first_server + d->nservers <= t->nservers,
                   "domain %d: servers %d+%d", i, d->first_server, d->nservers);
        FUZZ_CHECK((unsigned)d->strategy < STRATEGY_COUNT && d->hedge_min_ms <= d->hedge_max_ms
                       && d->timeout_ms >= 10 && d->attempts >= 1,
                   "domain %d: values in effect", i);
    }
    static struct dnsf_config probe;
    probe.domains = *t;
    for (int k = 0; k < t->nsuffixes; k++) {
        FUZZ_CHECK(t->s[k].domain < t->n && t->s[k].off < t->names_used, "suffix %d", k);
        const struct dnsf_domain *d = route_lookup(&probe, t->names + t->s[k].off);
        FUZZ_CHECK(d != NULL && d - probe.domains.d == t->s[k].domain,
                   "suffix %d does not route to its own entry", k);
    }
}

static void check_accepted(const struct dnsf_config *c)
{
    config_schema_each(check_range, (void *)c);
    FUZZ_CHECK(c->hedge_min_ms <= c->hedge_max_ms, "hedge_min_ms %d > hedge_max_ms %d",
               c->hedge_min_ms, c->hedge_max_ms);
    FUZZ_CHECK(c->cache.min_ttl <= c->cache.max_ttl, "cache.min_ttl %d > cache.max_ttl %d",
               c->cache.min_ttl, c->cache.max_ttl);
    FUZZ_CHECK(c->nservers >= 0 && c->nservers <= DNSF_MAX_SERVERS, "nservers %d", c->nservers);
    for (int i = 0; i < c->nservers; i++) {
        const struct dnsf_server *s = &c->servers[i];
        FUZZ_CHECK(memchr(s->text, 0, sizeof s->text) != NULL, "server %d's text", i);
        FUZZ_CHECK((s->addr.ss_family == AF_INET && s->addrlen == sizeof(struct sockaddr_in))
                       || (s->addr.ss_family == AF_INET6
                           && s->addrlen == sizeof(struct sockaddr_in6)),
                   "server %d: family %d, length %u", i, s->addr.ss_family, (unsigned)s->addrlen);
        uint16_t port = s->addr.ss_family == AF_INET
                          ? ((const struct sockaddr_in *)&s->addr)->sin_port
                          : ((const struct sockaddr_in6 *)&s->addr)->sin6_port;
        FUZZ_CHECK(port != 0, "server %d (%s) has port 0", i, s->text);
    }
    FUZZ_CHECK((unsigned)c->strategy < STRATEGY_COUNT, "strategy %d", (int)c->strategy);
    check_domains(&c->domains);
    FUZZ_CHECK(c->ndots >= -1 && c->ndots <= 15, "ndots %d", c->ndots);
    FUZZ_CHECK(c->nsearch >= -1 && c->nsearch <= 6, "nsearch %d", c->nsearch);
    for (int i = 0; i < c->nsearch; i++)
        FUZZ_CHECK(memchr(c->search[i], 0, sizeof c->search[i]) != NULL, "search %d", i);
    FUZZ_CHECK(memchr(c->log_target, 0, sizeof c->log_target) != NULL, "log.target");
    FUZZ_CHECK(memchr(c->app, 0, sizeof c->app) != NULL, "app");
}

static struct dnsf_config got, again, defaults;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], err2[512];
    int rc = load(data, size, &got, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "config_load_file returned %d", rc);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL, "error text not terminated");
    if (rc < 0) {
        FUZZ_CHECK(err[0] != 0, "rejected without an error text");
        config_defaults(&defaults);
        memcpy(defaults.source, got.source, sizeof defaults.source);
        FUZZ_CHECK(memcmp(&defaults, &got, sizeof got) == 0,
                   "a rejected file left other than the defaults (%s)", err);
    } else {
        FUZZ_CHECK(err[0] == 0, "accepted with an error text: %s", err);
        check_accepted(&got);
    }
    int rc2 = load(data, size, &again, err2, sizeof err2);
    FUZZ_CHECK(rc2 == rc && strcmp(err, err2) == 0 && memcmp(&got, &again, sizeof got) == 0,
               "the same file read twice: %d \"%s\", then %d \"%s\"", rc, err, rc2, err2);
    return 0;
}
