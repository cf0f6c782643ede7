/* confdomains — the `domains` key, checked and compiled (contract in
 * confdomains.h). */
#include "dnsf/confdomains.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/dnsmsg.h"
#include "dnsf/route.h"

/* The optional integer keys of an entry: each has the range of the
 * top-level key of the same name (config_key_range). */
static const struct { const char *name; size_t own; } int_keys[] = {
    { "timeout_ms", offsetof(struct dnsf_domain, own.timeout_ms) },
    { "attempts", offsetof(struct dnsf_domain, own.attempts) },
    { "hedge_min_ms", offsetof(struct dnsf_domain, own.hedge_min_ms) },
    { "hedge_max_ms", offsetof(struct dnsf_domain, own.hedge_max_ms) },
};
#define NINT (sizeof int_keys / sizeof int_keys[0])

struct ctx {
    const struct confdomains_lc *lc;
    const char *file;
    char *err;
    size_t errlen;
    struct dnsf_domains *t;
    int base;                      /* entries before this list's */
    char where[48];                /* "domains[i]" or "apps[j].domains[i]" */
};

static int fail(struct ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errlen, "%s:%u: %s%s%s: %s", s && s->file ? s->file : x->file,
             s ? s->line : 0, x->where, *key ? "." : "", key, msg);
    return -1;
}

static int count(const struct ctx *x, const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_STRING ? 1 : x->lc->length(s);
}

/* Element I of a list of strings, or of a lone string (I = 0). */
static const config_setting_t *elem(const struct ctx *x, const config_setting_t *s, int i)
{
    return config_setting_type(s) == CONFIG_TYPE_STRING ? s : x->lc->elem(s, (unsigned)i);
}

static int is_list(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_STRING || t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* TEXT as a suffix into WIRE (lower case): 0, or -1 with WHY set. */
static int parse_suffix(const char *text, uint8_t *wire, const char **why)
{
    size_t n = strlen(text), lab = 0;
    if (n > 0 && text[n - 1] == '.')
        n--;                        /* "corp.example." is "corp.example" */
    if (n == 0) {
        *why = text[0] ? "the root \".\" would route every name: set nameservers instead"
                       : "an empty suffix";
        return -1;
    }
    if (n > 253) {                 /* RFC 1035 §3.1: 255 octets of wire form */
        *why = "longer than 253 characters";
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? text[i] : '.';
        if (c == '.') {
            if (lab == 0 || lab > 63) {
                *why = lab ? "a label longer than 63 characters" : "an empty label";
                return -1;
            }
            lab = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '-' || c == '_')
            lab++;
        else {
            *why = "not a domain name (letters, digits, '-', '_' and dots)";
            return -1;
        }
    }
    char buf[256];
    memcpy(buf, text, n);
    buf[n] = 0;
    if (dnsmsg_name_pton(buf, wire) < 0) {
        *why = "not a domain name";
        return -1;
    }
    for (uint8_t *p = wire; *p; p += *p + 1)
        for (unsigned i = 1; i <= *p; i++)
            p[i] = dnsf_ascii_lower(p[i]);
    return 0;
}

static int add_suffixes(struct ctx *x, const config_setting_t *s, int domain)
{
    struct dnsf_domains *t = x->t;
    if (!is_list(s))
        return fail(x, s, "suffix", "expected a list of domain names");
    int n = count(x, s);
    if (n == 0)
        return fail(x, s, "suffix", "an empty list: an entry routes at least one suffix");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = elem(x, s, i);
        uint8_t wire[DNSMSG_MAXCDNAME];
        const char *why;
        if (e == NULL || config_setting_type(e) != CONFIG_TYPE_STRING)
            return fail(x, s, "suffix", "entry %d is not a string", i + 1);
        if (parse_suffix(e->value.sval, wire, &why) < 0)
            return fail(x, e, "suffix", "bad suffix \"%s\": %s", e->value.sval, why);
        for (int k = 0; k < t->nsuffixes; k++)
            if (t->s[k].domain >= x->base && dnsmsg_name_equal(t->names + t->s[k].off, wire))
                return fail(x, e, "suffix", "\"%s\" is already in this list (line %u)",
                            e->value.sval, t->d[t->s[k].domain].line);
        size_t len = dnsmsg_name_len(wire);
        if (t->nsuffixes == DNSF_MAX_SUFFIXES || t->names_used + len > DNSF_SUFFIX_BYTES)
            return fail(x, e, "suffix", "more than %d suffixes (or %d bytes of them) in effect",
                        DNSF_MAX_SUFFIXES, DNSF_SUFFIX_BYTES);
        struct dnsf_suffix *sf = &t->s[t->nsuffixes++];
        int labels;
        memcpy(t->names + t->names_used, wire, len);
        sf->off = (uint16_t)t->names_used;
        sf->hash = route_suffix_hash(wire, &labels);
        sf->labels = (uint8_t)labels;
        sf->domain = (uint8_t)domain;
        t->names_used += (int)len;
    }
    return 0;
}

static int add_servers(struct ctx *x, const config_setting_t *s, struct dnsf_domain *d)
{
    struct dnsf_domains *t = x->t;
    if (!is_list(s))
        return fail(x, s, "nameservers", "expected a list of addresses");
    int n = count(x, s);
    if (n < 1 || n > DNSF_MAX_SERVERS)
        return fail(x, s, "nameservers", "expected 1 to %d entries, got %d", DNSF_MAX_SERVERS, n);
    if (t->nservers + n > DNSF_MAX_DOMAIN_SERVERS)
        return fail(x, s, "nameservers", "more than %d nameservers in all domains entries in "
                    "effect", DNSF_MAX_DOMAIN_SERVERS);
    d->first_server = t->nservers;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = elem(x, s, i);
        struct dnsf_server *sv = &t->servers[t->nservers];
        if (e == NULL || config_setting_type(e) != CONFIG_TYPE_STRING)
            return fail(x, s, "nameservers", "entry %d is not a string", i + 1);
        if (config_parse_server(e->value.sval, sv) < 0)
            return fail(x, e, "nameservers", "bad nameserver address \"%s\" "
                        "(want IPv4, IPv6, [IPv6]:port or IPv4:port)", e->value.sval);
        for (int k = d->first_server; k < t->nservers; k++)
            if (config_same_addr((const void *)&t->servers[k].addr, (const void *)&sv->addr))
                return fail(x, e, "nameservers", "%s is in this list twice", sv->text);
        t->nservers++;
    }
    d->nservers = n;
    return 0;
}

static int set_int(struct ctx *x, const config_setting_t *s, const char *key, int *dst)
{
    long min = 0, max = 0;
    long long v;
    config_key_range(key, &min, &max);
    if (config_setting_type(s) == CONFIG_TYPE_INT)
        v = s->value.ival;
    else if (config_setting_type(s) == CONFIG_TYPE_INT64)
        v = s->value.llval;
    else
        return fail(x, s, key, "expected an integer");
    if (v < min || v > max)
        return fail(x, s, key, "%lld is out of range [%ld, %ld]", v, min, max);
    *dst = (int)v;
    return 0;
}

static int set_strategy(struct ctx *x, const config_setting_t *s, int *dst)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING)
        for (int i = 0; i < STRATEGY_COUNT; i++)
            if (strcmp(s->value.sval, config_strategy_name((enum dnsf_strategy)i)) == 0) {
                *dst = i;
                return 0;
            }
    return fail(x, s, "strategy", "expected \"hedge\", \"race\", \"sequence\" or \"balance\"");
}

/* One member M of the entry D (index DI). */
static int entry_key(struct ctx *x, const config_setting_t *m, struct dnsf_domain *d, int di)
{
    const char *k = m->name;
    if (strcmp(k, "suffix") == 0)
        return add_suffixes(x, m, di);
    if (strcmp(k, "nameservers") == 0)
        return add_servers(x, m, d);
    if (strcmp(k, "strategy") == 0)
        return set_strategy(x, m, &d->own.strategy);
    for (size_t i = 0; i < NINT; i++)
        if (strcmp(k, int_keys[i].name) == 0)
            return set_int(x, m, k, (int *)((char *)d + int_keys[i].own));
    if (strcmp(k, "deadline_ms") == 0)
        return fail(x, m, k, "not allowed in a domains entry: a lookup has one deadline, the "
                    "app's or the top level's");
    return fail(x, m, k, "unknown key (an entry takes suffix, nameservers, strategy, "
                "timeout_ms, attempts, hedge_min_ms, hedge_max_ms)");
}

static int add_entry(struct ctx *x, const config_setting_t *g)
{
    struct dnsf_domains *t = x->t;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(x, g, "", "expected a group { suffix = [...]; nameservers = [...]; }");
    if (t->n == DNSF_MAX_DOMAINS)
        return fail(x, g, "", "more than %d domains entries in effect (the top level's and an "
                    "app's together)", DNSF_MAX_DOMAINS);
    int di = t->n, seen_suffix = 0;
    struct dnsf_domain *d = &t->d[di];
    memset(d, 0, sizeof *d);
    d->own.strategy = d->own.timeout_ms = d->own.attempts = -1;
    d->own.hedge_min_ms = d->own.hedge_max_ms = -1;
    d->nservers = -1;
    d->line = g->line;
    snprintf(d->origin, sizeof d->origin, "%s", x->where);
    for (int i = 0; i < x->lc->length(g); i++) {
        const config_setting_t *m = x->lc->elem(g, (unsigned)i);
        if (m == NULL || m->name == NULL)
            continue;
        seen_suffix |= strcmp(m->name, "suffix") == 0;
        if (entry_key(x, m, d, di) < 0)
            return -1;
    }
    if (!seen_suffix)
        return fail(x, g, "", "missing key \"suffix\"");
    if (d->nservers < 0)
        return fail(x, g, "", "missing key \"nameservers\"");
    t->n++;
    return 0;
}

/* Take from the entries before BASE every suffix that this list names,
 * drop the entries left without one, and close the gaps (zeroing what is
 * freed, so that equal files compile to equal bytes). */
static void merge(struct dnsf_domains *t, int base)
{
    int remap[DNSF_MAX_DOMAINS], alive[DNSF_MAX_DOMAINS] = { 0 }, gone[DNSF_MAX_SUFFIXES];
    int ns = 0, nn = 0, nd = 0, nsv = 0;

    for (int i = 0; i < t->nsuffixes; i++) {
        const struct dnsf_suffix *s = &t->s[i];
        gone[i] = 0;
        for (int k = 0; k < t->nsuffixes && s->domain < base && !gone[i]; k++)
            gone[i] = t->s[k].domain >= base
                   && dnsmsg_name_equal(t->names + t->s[k].off, t->names + s->off);
        alive[s->domain] |= !gone[i];
    }
    for (int d = 0; d < t->n; d++) {
        remap[d] = alive[d] ? nd : -1;
        if (!alive[d])
            continue;
        struct dnsf_domain e = t->d[d];
        memmove(&t->servers[nsv], &t->servers[e.first_server],
                (size_t)e.nservers * sizeof t->servers[0]);
        e.first_server = nsv;
        nsv += e.nservers;
        t->d[nd++] = e;
    }
    for (int i = 0; i < t->nsuffixes; i++) {
        struct dnsf_suffix s = t->s[i];
        if (gone[i])
            continue;
        size_t len = dnsmsg_name_len(t->names + s.off);
        memmove(t->names + nn, t->names + s.off, len);
        s.off = (uint16_t)nn;
        s.domain = (uint8_t)remap[s.domain];
        nn += (int)len;
        t->s[ns++] = s;
    }
    memset(&t->d[nd], 0, (size_t)(DNSF_MAX_DOMAINS - nd) * sizeof t->d[0]);
    memset(&t->s[ns], 0, (size_t)(DNSF_MAX_SUFFIXES - ns) * sizeof t->s[0]);
    memset(&t->servers[nsv], 0, (size_t)(DNSF_MAX_DOMAIN_SERVERS - nsv) * sizeof t->servers[0]);
    memset(t->names + nn, 0, (size_t)(DNSF_SUFFIX_BYTES - nn));
    t->n = nd, t->nsuffixes = ns, t->nservers = nsv, t->names_used = nn;
}

/* "domains" or "apps[J].domains", from where S sits in the file. */
static void list_name(const struct ctx *x, const config_setting_t *s, char *out, size_t len)
{
    const config_setting_t *app = s->parent, *apps = app ? app->parent : NULL;
    snprintf(out, len, "domains");
    if (apps == NULL || apps->name == NULL || strcmp(apps->name, "apps") != 0)
        return;
    for (int j = 0; j < x->lc->length(apps); j++)
        if (x->lc->elem(apps, (unsigned)j) == app)
            snprintf(out, len, "apps[%d].domains", j);
}

int confdomains_apply(const config_setting_t *s, const struct confdomains_lc *lc,
                      const char *file, struct dnsf_config *c, char *err, size_t errlen)
{
    struct ctx x = { lc, file, err, errlen, &c->domains, c->domains.n, "" };
    char name[32];
    list_name(&x, s, name, sizeof name);
    if (config_setting_type(s) != CONFIG_TYPE_LIST) {
        snprintf(x.where, sizeof x.where, "%s", name);
        return fail(&x, s, "", "expected a list ( { suffix = [...]; nameservers = [...]; }, "
                    "... )");
    }
    for (int i = 0; i < lc->length(s); i++) {
        snprintf(x.where, sizeof x.where, "%.24s[%d]", name, i);
        if (add_entry(&x, lc->elem(s, (unsigned)i)) < 0)
            return -1;
    }
    merge(&c->domains, x.base);
    return 0;
}

static int own_or(int own, int inherited)
{
    return own >= 0 ? own : inherited;
}

int confdomains_finish(struct dnsf_config *c, const char *file, char *err, size_t errlen)
{
    struct dnsf_domains *t = &c->domains;
    for (int i = 0; i < t->n; i++) {
        struct dnsf_domain *d = &t->d[i];
        d->strategy = (enum dnsf_strategy)own_or(d->own.strategy, (int)c->strategy);
        d->timeout_ms = own_or(d->own.timeout_ms, c->timeout_ms);
        d->attempts = own_or(d->own.attempts, c->attempts);
        d->hedge_min_ms = own_or(d->own.hedge_min_ms, c->hedge_min_ms);
        d->hedge_max_ms = own_or(d->own.hedge_max_ms, c->hedge_max_ms);
        if (d->hedge_min_ms > d->hedge_max_ms) {
            snprintf(err, errlen, "%s:%u: %s: hedge_min_ms (%d) is above hedge_max_ms (%d)%s",
                     file, d->line, d->origin, d->hedge_min_ms, d->hedge_max_ms,
                     d->own.hedge_min_ms < 0 || d->own.hedge_max_ms < 0
                         ? " (one of them inherited)" : "");
            return -1;
        }
    }
    route_index(t);
    return 0;
}

void confdomains_schema_each(void (*fn)(const char *path, const char *type, long min,
                                        long max, void *arg), void *arg)
{
    fn("domains.suffix", "suffixes", 0, 0, arg);
    fn("domains.nameservers", "servers", 1, DNSF_MAX_SERVERS, arg);
    fn("domains.strategy", "strategy", 0, STRATEGY_COUNT - 1, arg);
    for (size_t i = 0; i < NINT; i++) {
        long min = 0, max = 0;
        char path[40];
        config_key_range(int_keys[i].name, &min, &max);
        snprintf(path, sizeof path, "domains.%s", int_keys[i].name);
        fn(path, "integer", min, max, arg);
    }
}
