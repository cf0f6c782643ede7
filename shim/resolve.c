/* resolve — res_search and res_query as glibc 2.36 does them, over our
 * transport. The control flow follows resolv/res_query.c step by step so a
 * reader can compare them; the comments name glibc's variables. */
#include "dnsf/resolve.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsf/cache.h"
#include "dnsf/clock.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/logevent.h"
#include "dnsf/note.h"
#include "dnsf/route.h"
#include "dnsf/serverset.h"
#include "dnsf/stats.h"

void resolve_ctx_init(struct resolve_ctx *ctx, const struct dnsf_config *cfg,
                      const struct resconf *rc)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->ask.cfg = cfg;
    if (cfg->nservers > 0) {
        ctx->ask.servers = cfg->servers;
        ctx->ask.nservers = cfg->nservers;
    } else {
        ctx->ask.servers = rc->servers;
        ctx->ask.nservers = rc->nservers;
    }
    ctx->server_set = server_set_id(ctx->ask.servers, ctx->ask.nservers);
    ctx->ndots = cfg->ndots >= 0 ? cfg->ndots : rc->ndots;
    if (cfg->nsearch >= 0) {
        ctx->nsearch = cfg->nsearch;
        for (int i = 0; i < cfg->nsearch; i++)
            ctx->search[i] = cfg->search[i];
    } else {
        ctx->nsearch = rc->nsearch;
        for (int i = 0; i < rc->nsearch; i++)
            ctx->search[i] = rc->search[i];
    }
    ctx->options = rc->options;
    ctx->deadline_ms = clock_now_ms() + (uint64_t)cfg->deadline_ms;
}

void resolve_answer_free(struct resolve_answer *a)
{
    for (int i = 0; i < 2; i++)
        dnsf_reply_free(&a->r[i]);
    a->nq = 0;
}

const char *resolve_hostalias(const struct resolve_ctx *ctx, const char *name,
                              char *buf, size_t buflen)
{
    if (ctx->options & RES_NOALIASES)
        return NULL;
    /* glibc uses getenv; ld.so removes HOSTALIASES for AT_SECURE programs,
     * which secure_getenv matches. */
    const char *file = secure_getenv("HOSTALIASES");
    FILE *fp;
    char line[BUFSIZ];
    const char *found = NULL;
    if (file == NULL || (fp = fopen(file, "rce")) == NULL)
        return NULL;
    while (fgets(line, sizeof line, fp) != NULL) {
        char *p = line;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p == 0)
            break;
        *p++ = 0;
        if (strcasecmp(line, name) != 0)
            continue;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == 0)
            break;
        char *e = p + 1;
        while (*e && !isspace((unsigned char)*e))
            e++;
        *e = 0;
        snprintf(buf, buflen, "%s", p);
        found = buf;
        break;
    }
    fclose(fp);
    return found;
}

/* The servers TA asks, as one subject for log_event: "A B ...". */
static const char *server_list(const struct transport_ask *ta, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < ta->nservers && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", ta->servers[i].text);
    return buf;
}

static const char *failure_name(enum reply_status st)
{
    return st == REPLY_TIMEOUT ? "timeout" : st == REPLY_CONNREFUSED ? "unreachable"
                                                                     : "error replies";
}

/* Whom one candidate is asked of (route.h): a name under a `domains` suffix
 * goes to that entry's servers only, with its settings, and its answers are
 * cached with that set; any other name to CTX's servers. Return the cache
 * partition (serverset.h) of *ASK's servers. */
static uint64_t route_candidate(const struct resolve_ctx *ctx, const struct dnsmsg_name *name,
                                struct transport_ask *ask)
{
    const struct dnsf_domain *d = route_lookup(ctx->ask.cfg, name->wire);
    *ask = ctx->ask;
    if (d == NULL)
        return ctx->server_set;
    ask->servers = route_servers(ctx->ask.cfg, d);
    ask->nservers = d->nservers;
    ask->route = d;
    LOGD("%s: routed by %s (line %u) to its %d server%s, strategy %s", name->text, d->origin,
         d->line, d->nservers, d->nservers == 1 ? "" : "s", config_strategy_name(d->strategy));
    return server_set_id(ask->servers, ask->nservers);
}

/* Ask ASK's servers for the qtypes QT[MISSING[..]] and store what is usable
 * in the cache partition SET; where every server failed, serve a stale
 * entry of SET if allowed (RFC 8767): never one from another set, so a
 * routed name is never answered by what other servers said. */
static int ask(const struct resolve_ctx *ctx, const struct transport_ask *ta, uint64_t set,
               const struct dnsmsg_name *name, const uint16_t *qt, const int *missing, int nm,
               struct resolve_answer *out)
{
    const struct dnsf_cache_config *cc = &ctx->ask.cfg->cache;
    struct dnsf_reply got[2];
    uint16_t mq[2];
    uint64_t now = clock_now_ms();
    char servers[DNSF_MAX_SERVERS * 64];

    for (int k = 0; k < nm; k++)
        mq[k] = qt[missing[k]];
    /* The whole lookup shares one deadline. */
    if (now >= ctx->deadline_ms) {
        for (int k = 0; k < nm; k++)
            out->r[missing[k]].status = REPLY_TIMEOUT;
    } else {
        if (transport_query(ta, ctx->deadline_ms, name, mq, nm, got) == DNSF_FAIL_OPEN)
            return DNSF_FAIL_OPEN;
        now = clock_now_ms();
        for (int k = 0; k < nm; k++) {
            out->r[missing[k]] = got[k];
            if (got[k].status == REPLY_OK) {
                note_step(NOTE_STEP_SERVER, mq[k], got[k].rcode,
                          got[k].server >= 0 ? ta->servers[got[k].server].text : NULL);
                note_expiry(cache_put(cc, set, name, mq[k], got[k].pkt, got[k].len,
                                      got[k].via_tcp, now));
            }
        }
    }
    for (int k = 0; k < nm; k++) {
        struct dnsf_reply *r = &out->r[missing[k]];
        if (r->status == REPLY_OK)
            continue;
        log_event(LOGEV_ALL_FAILED, server_list(ta, servers, sizeof servers),
                  "every server failed for %s type %u (%s): %s", name->text, mq[k],
                  failure_name(r->status), servers);
        if (!cc->serve_stale) {
            note_uncacheable();
            continue;
        }
        uint8_t *pkt;
        int len, via_tcp;
        uint64_t exp;
        if (cache_get(cc, set, name, mq[k], now, 1, &pkt, &len, &via_tcp, &exp)
            == CACHE_MISS) {
            note_uncacheable();
        } else {
            note_expiry(exp);
            log_event(LOGEV_STALE, servers,
                      "%s type %u: every server failed; serving a stale answer (RFC 8767)",
                      name->text, mq[k]);
            r->pkt = pkt;
            r->len = len;
            r->via_tcp = via_tcp;
            r->status = REPLY_OK;
            r->rcode = dnsmsg_header_rcode(pkt, len);
            r->server = -1;
            note_step(NOTE_STEP_STALE, mq[k], r->rcode, NULL);
        }
    }
    return 0;
}

/* Ask the cache partition SET, then (single-flight) ASK's servers, for the
 * qtypes of OUT that the cache could not answer. Return DNSF_FAIL_OPEN on
 * an internal failure. */
static int fetch(const struct resolve_ctx *ctx, const struct transport_ask *ta, uint64_t set,
                 const struct dnsmsg_name *name, const uint16_t *qt, int nq, uint16_t mode,
                 struct resolve_answer *out)
{
    const struct dnsf_cache_config *cp = &ctx->ask.cfg->cache;
    uint64_t now = clock_now_ms();
    int missing[2], nm = 0;

    for (int pass = 0; pass < 2; pass++) {
        nm = 0;
        for (int i = 0; i < nq; i++) {
            if (out->r[i].pkt != NULL)
                continue;
            uint64_t exp;
            if (cache_get(cp, set, name, qt[i], now, 0, &out->r[i].pkt,
                          &out->r[i].len, &out->r[i].via_tcp, &exp) == CACHE_FRESH) {
                note_expiry(exp);
                out->r[i].status = REPLY_OK;
                out->r[i].rcode = dnsmsg_header_rcode(out->r[i].pkt, out->r[i].len);
                out->r[i].server = -1;
                note_step(NOTE_STEP_CACHE, qt[i], out->r[i].rcode, NULL);
                LOGD("%s type %u: cache hit", name->text, qt[i]);
            } else {
                if (pass == 0 && cp->enabled)
                    LOGD("%s type %u: cache miss", name->text, qt[i]);
                missing[nm++] = i;
            }
        }
        if (nm == 0 || !cp->enabled || pass == 1)
            break;
        /* Single-flight: one thread asks, the others wait for its answer. */
        struct cache_flight *lead = NULL;
        int f = cache_flight_begin(name, mode, ctx->deadline_ms, &lead);
        if (f == 1) {
            int rc = ask(ctx, ta, set, name, qt, missing, nm, out);
            cache_flight_end(lead);
            return rc;
        }
        if (f < 0)
            break;                 /* waited too long: ask ourselves */
        now = clock_now_ms();      /* the leader finished: look again */
    }
    return nm == 0 ? 0 : ask(ctx, ta, set, name, qt, missing, nm, out);
}

/* __res_context_query: one name, one or two qtypes. *HERRNO is written
 * only where glibc's RES_SET_H_ERRNO is: on failure. */
static int query_name(const struct resolve_ctx *ctx, const char *name, uint16_t qtype,
                      struct resolve_answer *out, int *herrno, int *err, int *servfail)
{
    struct dnsmsg_name qname;
    uint16_t qt[2];
    int nq = 1;

    memset(out, 0, sizeof *out);
    *servfail = 0;
    if (qtype == RESOLVE_A_AND_AAAA) {
        qt[0] = DNS_T_A;
        qt[1] = DNS_T_AAAA;
        nq = 2;
    } else
        qt[0] = qtype;
    out->nq = nq;
    /* The one encoding of the name for this candidate. res_mkquery fails on
     * a name that cannot be encoded: NO_RECOVERY, and nothing is sent. */
    if (dnsmsg_name_init(&qname, name) < 0) {
        *herrno = NO_RECOVERY;
        *err = EMSGSIZE;
        return -1;
    }
    /* options no-aaaa: glibc sends an A query in place of every AAAA query
     * and hides the answer (res_send.c, __res_handle_no_aaaa). */
    int noaaaa[2] = { 0, 0 };
    for (int i = 0; i < nq; i++)
        if ((ctx->options & RES_NOAAAA) && qt[i] == DNS_T_AAAA) {
            qt[i] = DNS_T_A;
            noaaaa[i] = 1;
        }
    struct transport_ask ta;
    uint64_t set = route_candidate(ctx, &qname, &ta);
    if (fetch(ctx, &ta, set, &qname, qt, nq, qtype, out) == DNSF_FAIL_OPEN) {
        resolve_answer_free(out);
        return DNSF_FAIL_OPEN;
    }
    uint8_t *under = NULL;
    int under_len = 0;
    for (int i = 0; i < nq; i++) {
        if (!noaaaa[i] || out->r[i].pkt == NULL)
            continue;
        uint8_t *synth = malloc((size_t)out->r[i].len);
        int n = synth ? dnsmsg_make_nodata(out->r[i].pkt, out->r[i].len, DNS_T_AAAA, synth,
                                           out->r[i].len) : -1;
        if (ctx->on_negative != NULL && under == NULL) {
            under = out->r[i].pkt;          /* kept for the res_* buffer */
            under_len = out->r[i].len;
            out->r[i].pkt = NULL;
        }
        free(out->r[i].pkt);
        out->r[i].pkt = n > 0 ? synth : NULL;
        out->r[i].len = n > 0 ? n : 0;
        if (n <= 0) {
            free(synth);
            free(under);
            resolve_answer_free(out);
            stats_handoff(HANDOFF_INTERNAL, ta.route != NULL);
            return DNSF_FAIL_OPEN;
        }
    }

    int ok = 0, refused = 0;
    for (int i = 0; i < nq; i++) {
        if (out->r[i].status == REPLY_OK)
            ok++;
        else if (out->r[i].status == REPLY_CONNREFUSED)
            refused++;
        else if (out->r[i].status == REPLY_ERROR && out->r[i].rcode == DNS_R_SERVFAIL)
            *servfail = 1;
    }
    if (ok == 0) {
        /* res_send failed: h_errno TRY_AGAIN; errno ECONNREFUSED when no
         * server was reached at all, ETIMEDOUT otherwise (res_send.c). */
        free(under);
        resolve_answer_free(out);
        *herrno = TRY_AGAIN;
        *err = refused == nq ? ECONNREFUSED : ETIMEDOUT;
        return -1;
    }
    /* A family that failed while the other answered counts as an empty
     * second reply (glibc: *resplen2 = 0). */
    for (int i = 0; i < nq; i++)
        if (out->r[i].status != REPLY_OK)
            dnsf_reply_free(&out->r[i]);

    const struct dnsf_reply *hp = &out->r[0], *hp2 = nq == 2 ? &out->r[1] : hp;
    if (hp2->len < DNSMSG_HFIXEDSZ)
        hp2 = hp;
    else if (hp->len < DNSMSG_HFIXEDSZ)
        hp = hp2;
    int rc1 = dnsmsg_header_rcode(hp->pkt, hp->len), rc2 = dnsmsg_header_rcode(hp2->pkt, hp2->len);
    if (dnsmsg_has_answers(hp->pkt, hp->len) || dnsmsg_has_answers(hp2->pkt, hp2->len)) {
        free(under);
        *err = 0;
        return 0;
    }
    if (ctx->on_negative != NULL)
        ctx->on_negative(ctx->on_negative_arg, hp->pkt, hp->len, hp->via_tcp, under, under_len);
    free(under);
    under = NULL;
    switch (rc1 == DNS_R_NOERROR ? rc2 : rc1) {
    case DNS_R_NXDOMAIN:
        *herrno = HOST_NOT_FOUND;
        break;
    case DNS_R_NOERROR:
        *herrno = NO_DATA;
        break;
    default:
        *herrno = NO_RECOVERY;
        break;
    }
    *err = 0;
    resolve_answer_free(out);
    return -1;
}

const char *resolve_join_domain(const char *name, const char *domain, int strip_dot,
                                char *buf)
{
    size_t n = strlen(name);
    if (domain == NULL) {
        /* glibc decrements the length first, so "" wraps: NO_RECOVERY. */
        if (n == 0 || n - 1 >= NS_MAXDNAME - 1)
            return NULL;
        if (!strip_dot || name[n - 1] != '.')
            return name;
        memcpy(buf, name, n - 1);
        buf[n - 1] = 0;
        return buf;
    }
    size_t d = strlen(domain);
    if (n + d + 1 >= NS_MAXDNAME)      /* glibc's limit */
        return NULL;
    memcpy(buf, name, n);
    buf[n] = '.';
    memcpy(buf + n + 1, domain, d + 1);
    return buf;
}

/* __res_context_querydomain: NAME, or NAME.DOMAIN, with glibc's limits. */
static int query_domain(const struct resolve_ctx *ctx, const char *name, const char *domain,
                        uint16_t qtype, struct resolve_answer *out, int *herrno, int *err,
                        int *servfail)
{
    char buf[NS_MAXDNAME];
    const char *longname = resolve_join_domain(name, domain, 0, buf);

    *servfail = 0;
    if (longname == NULL) {
        *herrno = NO_RECOVERY;
        *err = 0;
        return -1;
    }
    return query_name(ctx, longname, qtype, out, herrno, err, servfail);
}

int resolve_query(const struct resolve_ctx *ctx, const char *name, uint16_t qtype,
                  struct resolve_answer *out, int *herrno, int *err)
{
    int servfail;
    *herrno = -1;                  /* __res_context_query sets none on success */
    return query_name(ctx, name, qtype, out, herrno, err, &servfail);
}

void resolve_set_h_errno(res_state statp, int h)
{
    if (h < 0)
        return;
    statp->res_h_errno = h;
    h_errno = h;
}

int resolve_search(const struct resolve_ctx *ctx, const char *name, uint16_t qtype,
                   struct resolve_answer *out, int *herrno, int *err)
{
    unsigned dots = 0;
    int trailing_dot = 0, saved_herrno = -1, got_nodata = 0, got_servfail = 0;
    int root_on_list = 0, tried_as_is = 0, searched = 0, ret, servfail;
    char alias[NS_MAXDNAME];
    const char *cp;

    *err = 0;
    *herrno = HOST_NOT_FOUND;      /* true if we never query */
    for (cp = name; *cp != 0; cp++)
        dots += *cp == '.';
    if (cp > name && cp[-1] == '.')
        trailing_dot = 1;

    /* The alias is asked with __res_context_query, after the HOST_NOT_FOUND
     * above: a success leaves that behind. */
    if (dots == 0 && (cp = resolve_hostalias(ctx, name, alias, sizeof alias)) != NULL)
        return query_name(ctx, cp, qtype, out, herrno, err, &servfail);

    /* Enough dots (ndots), or a trailing dot: try the name as is first. */
    if (dots >= (unsigned)ctx->ndots || trailing_dot) {
        ret = query_domain(ctx, name, NULL, qtype, out, herrno, err, &servfail);
        if (ret == 0 || ret == DNSF_FAIL_OPEN || trailing_dot)
            return ret;
        saved_herrno = *herrno;
        tried_as_is = 1;
    }

    /* One level of search: no dot and RES_DEFNAMES, or dots, no trailing
     * dot and RES_DNSRCH. */
    if ((dots == 0 && (ctx->options & RES_DEFNAMES))
        || (dots != 0 && !trailing_dot && (ctx->options & RES_DNSRCH))) {
        int done = 0;
        for (int i = 0; i < ctx->nsearch && !done; i++) {
            const char *d = ctx->search[i];
            searched = 1;
            if (d[0] == '.')
                d++;
            if (d[0] == 0)
                root_on_list = 1;
            ret = query_domain(ctx, name, d, qtype, out, herrno, err, &servfail);
            if (ret == 0 || ret == DNSF_FAIL_OPEN)
                return ret;
            if (*err == ECONNREFUSED) {
                *herrno = TRY_AGAIN;
                return -1;
            }
            switch (*herrno) {
            case NO_DATA:
                got_nodata++;
                /* fall through */
            case HOST_NOT_FOUND:
                break;                  /* keep trying */
            case TRY_AGAIN:
                if (servfail) {
                    got_servfail++;
                    break;
                }
                /* fall through */
            default:
                done = 1;
            }
            if ((ctx->options & RES_DNSRCH) == 0)
                done = 1;
        }
    }

    /* Not tried as is yet: do so, unless RES_NOTLDQUERY and no dots. */
    if ((dots || !searched || (ctx->options & RES_NOTLDQUERY) == 0)
        && !(tried_as_is || root_on_list)) {
        ret = query_domain(ctx, name, NULL, qtype, out, herrno, err, &servfail);
        if (ret == 0 || ret == DNSF_FAIL_OPEN)
            return ret;
    }

    if (saved_herrno != -1)
        *herrno = saved_herrno;
    else if (got_nodata)
        *herrno = NO_DATA;
    else if (got_servfail)
        *herrno = TRY_AGAIN;
    return -1;
}

int resolve_routed(const struct resolve_ctx *ctx, const char *name, int search)
{
    char buf[NS_MAXDNAME];
    const char *longname;
    if (ctx->ask.cfg->domains.nsuffixes == 0)
        return 0;
    if (route_lookup_text(ctx->ask.cfg, name) != NULL)
        return 1;
    for (int i = 0; search && i < ctx->nsearch; i++)
        if ((longname = resolve_join_domain(name, ctx->search[i], 0, buf)) != NULL
            && route_lookup_text(ctx->ask.cfg, longname) != NULL)
            return 1;
    return 0;
}
