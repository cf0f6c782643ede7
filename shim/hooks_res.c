/* hooks_res — the res_* resolver API. Routers, like hooks.c: re-entrant
 * calls and pass-through cases go to libc; the rest to rawquery.
 *
 * Each function is exported under its current name (res_query, bound as
 * res_query@GLIBC_2.34) and its old one (__res_query, which binaries built
 * before glibc 2.34 bind as __res_query@GLIBC_2.2.5); both are one
 * implementation in glibc. Our part runs with cancellation off, glibc's
 * with the caller's state (cancel.h). */
#include <errno.h>
#include <netdb.h>
#include <resolv.h>

#include "dnsf/cancel.h"
#include "dnsf/log.h"
#include "dnsf/rawquery.h"
#include "dnsf/real.h"
#include "dnsf/state.h"

#define HOOK __attribute__((visibility("default")))

static __thread int in_res __attribute__((tls_model("initial-exec")));

static int route(res_state statp, enum rawquery_kind kind, const char *name, const char *domain,
                 int class, int type, unsigned char *answer, int anslen)
{
    int rc = DNSF_FAIL_OPEN, saved = errno, cs = cancel_off();
    if (!in_res) {
        in_res = 1;
        if (state_active()) {
            if (log_on(LOG_LVL_DEBUG))
                log_msg(LOG_LVL_DEBUG, "hook res_%s%s(%s, type %d)",
                        statp == &_res ? "" : "n",
                        kind == RAW_QUERY ? "query" : kind == RAW_SEARCH ? "search" : "querydomain",
                        name ? name : "(null)", type);
            rc = rawquery_run(statp, kind, name, domain, class, type, answer, anslen);
        }
        in_res = 0;
    }
    if (rc == DNSF_FAIL_OPEN) {
        cancel_restore(cs);
        errno = saved;
        switch (kind) {
        case RAW_QUERY:
            return real_res_nquery(statp, name, class, type, answer, anslen);
        case RAW_SEARCH:
            return real_res_nsearch(statp, name, class, type, answer, anslen);
        default:
            return real_res_nquerydomain(statp, name, domain, class, type, answer, anslen);
        }
    }
    cancel_point(cs);
    if (rc >= 0)
        errno = saved;
    return rc;
}

/* The non-_n forms use the thread's _res, initialised as glibc would. */
static res_state thread_state(void)
{
    res_state st = &_res;
    if (!(st->options & RES_INIT))
        res_ninit(st);
    return st;
}

HOOK int res_nquery(res_state statp, const char *dname, int class, int type,
                    unsigned char *answer, int anslen)
{
    return route(statp, RAW_QUERY, dname, NULL, class, type, answer, anslen);
}

HOOK int res_nsearch(res_state statp, const char *dname, int class, int type,
                     unsigned char *answer, int anslen)
{
    return route(statp, RAW_SEARCH, dname, NULL, class, type, answer, anslen);
}

HOOK int res_nquerydomain(res_state statp, const char *name, const char *domain, int class,
                          int type, unsigned char *answer, int anslen)
{
    return route(statp, RAW_QUERYDOMAIN, name, domain, class, type, answer, anslen);
}

HOOK int res_query(const char *dname, int class, int type, unsigned char *answer, int anslen)
{
    return route(thread_state(), RAW_QUERY, dname, NULL, class, type, answer, anslen);
}

HOOK int res_search(const char *dname, int class, int type, unsigned char *answer, int anslen)
{
    return route(thread_state(), RAW_SEARCH, dname, NULL, class, type, answer, anslen);
}

HOOK int res_querydomain(const char *name, const char *domain, int class, int type,
                         unsigned char *answer, int anslen)
{
    return route(thread_state(), RAW_QUERYDOMAIN, name, domain, class, type, answer, anslen);
}

/* The names binaries built before glibc 2.34 bind. <resolv.h> maps
 * res_query to __res_query with macros, so these are spelled out with
 * asm labels to define the symbols under their real names. */
HOOK int old_res_query(const char *, int, int, unsigned char *, int) __asm__("__res_query");
HOOK int old_res_query(const char *d, int c, int t, unsigned char *a, int l)
{
    return route(thread_state(), RAW_QUERY, d, NULL, c, t, a, l);
}
HOOK int old_res_search(const char *, int, int, unsigned char *, int) __asm__("__res_search");
HOOK int old_res_search(const char *d, int c, int t, unsigned char *a, int l)
{
    return route(thread_state(), RAW_SEARCH, d, NULL, c, t, a, l);
}
HOOK int old_res_querydomain(const char *, const char *, int, int, unsigned char *, int)
    __asm__("__res_querydomain");
HOOK int old_res_querydomain(const char *n, const char *d, int c, int t, unsigned char *a, int l)
{
    return route(thread_state(), RAW_QUERYDOMAIN, n, d, c, t, a, l);
}
HOOK int old_res_nquery(res_state, const char *, int, int, unsigned char *, int)
    __asm__("__res_nquery");
HOOK int old_res_nquery(res_state s, const char *d, int c, int t, unsigned char *a, int l)
{
    return route(s, RAW_QUERY, d, NULL, c, t, a, l);
}
HOOK int old_res_nsearch(res_state, const char *, int, int, unsigned char *, int)
    __asm__("__res_nsearch");
HOOK int old_res_nsearch(res_state s, const char *d, int c, int t, unsigned char *a, int l)
{
    return route(s, RAW_SEARCH, d, NULL, c, t, a, l);
}
HOOK int old_res_nquerydomain(res_state, const char *, const char *, int, int, unsigned char *,
                              int) __asm__("__res_nquerydomain");
HOOK int old_res_nquerydomain(res_state s, const char *n, const char *d, int c, int t,
                              unsigned char *a, int l)
{
    return route(s, RAW_QUERYDOMAIN, n, d, c, t, a, l);
}
