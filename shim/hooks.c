/* hooks — the exported resolver functions. Each is a thin router:
 *   1. a thread-local guard sends re-entrant calls (and calls made during
 *      our own init) straight to libc;
 *   2. the first call initialises the engine once, which puts dnsfailover
 *      in place of "dns" in the hosts database (see nsswitch.h);
 *   3. the memo (memo.h) answers a repeat with what libc's function
 *      finished with before; otherwise
 *   4. libc's own function builds the result, asking our NSS module
 *      (nss_module.c) for the DNS step. glibc therefore produces every
 *      field, flag, error code and sort order itself.
 * errno is left as the caller had it when the call succeeds. Our own work
 * runs with cancellation off, libc's with the caller's state (cancel.h).
 *
 * Where the two halves meet: a lookup enters here (the hook half) and
 * comes back to us inside glibc through nss_module.c (the NSS half), which
 * state.c plugged in place of "dns" (nsswitch_install). The calls here
 * reach the engine only through the memo; the NSS half runs hostlookup.c.
 * (The res_* hooks, hooks_res.c, have no NSS half: they call rawquery.c.) */
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "dnsf/cancel.h"
#include "dnsf/log.h"
#include "dnsf/memo_gai.h"
#include "dnsf/memo_hostent.h"
#include "dnsf/memo_nameinfo.h"
#include "dnsf/real.h"
#include "dnsf/state.h"

#define HOOK __attribute__((visibility("default")))

static __thread int in_hook __attribute__((tls_model("initial-exec")));
/* 1 once a prepare() has run the init: set by prepare, read by freeaddrinfo. */
static _Atomic int prepared;

/* Initialise once, outside any guard the caller may hold; errno kept.
 * Cancellation is off from here on: returns the caller's state. */
static int prepare(const char *fn)
{
    int cs = cancel_off();
    if (in_hook)
        return cs;
    int saved = errno;
    in_hook = 1;
    state_ensure_init();
    in_hook = 0;
    atomic_store_explicit(&prepared, 1, memory_order_relaxed);
    if (log_on(LOG_LVL_DEBUG))
        log_msg(LOG_LVL_DEBUG, "hook %s%s", fn, state_active() ? "" : " (pass-through)");
    errno = saved;
    return cs;
}

/* The memo (memo.h) answers repeats in front of libc: each hook opens it,
 * asks it, and otherwise has libc answer between watch and close, then
 * keeps the outcome (state.h). libc answers with the caller's cancellation
 * state (CS), the rest runs with cancellation off. */

HOOK int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res)
{
    if (state_gai_skips_start(node, hints))
        return real_getaddrinfo(node, service, hints, res);
    int saved = errno, rc, cs = prepare("getaddrinfo");
    struct memo_call mc;
    if (in_hook || !state_active()) {
        cancel_restore(cs);
        return real_getaddrinfo(node, service, hints, res);
    }
    if (!(memo_call_open(&mc) && memo_gai_get(&mc, node, service, hints, &rc, res))) {
        memo_call_watch(&mc, NULL);
        cancel_restore(cs);
        rc = real_getaddrinfo(node, service, hints, res);
        cs = cancel_off();
        if (memo_call_close(&mc))
            memo_gai_put(&mc, node, service, hints, rc, rc == 0 ? *res : NULL);
    }
    cancel_restore(cs);
    if (rc == 0)
        errno = saved;
    return rc;
}

/* Lists come from libc's getaddrinfo or from the memo, which builds them in
 * libc's exact allocation layout, so libc frees both. */
HOOK void freeaddrinfo(struct addrinfo *ai)
{
    int saved = errno;
    /* Freeing needs nothing of the engine, so it never starts it (a
     * numeric getaddrinfo, state_gai_skips_start, leaves it unstarted);
     * once it runs, only the debug trace goes through prepare (which
     * spares the cancellation toggle, cancel.h, on every call). */
    if (atomic_load_explicit(&prepared, memory_order_relaxed) && log_on(LOG_LVL_DEBUG))
        cancel_restore(prepare("freeaddrinfo"));
    real_freeaddrinfo(ai);
    errno = saved;
}

HOOK int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                     char *serv, socklen_t servlen, int flags)
{
    int saved = errno, rc, cs = prepare("getnameinfo");
    struct memo_call mc;
    struct nameinfo_call c = { sa, salen, host, hostlen, serv, servlen, flags };
    if (in_hook || !state_active()) {
        cancel_restore(cs);
        return real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
    }
    if (!(memo_call_open(&mc) && memo_nameinfo_get(&mc, &c, &rc))) {
        memo_call_watch(&mc, NULL);
        cancel_restore(cs);
        rc = real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
        cs = cancel_off();
        if (memo_call_close(&mc))
            memo_nameinfo_put(&mc, &c, rc);
    }
    cancel_restore(cs);
    if (rc == 0)
        errno = saved;
    return rc;
}

/* ---- the hostent family: one router for the _r forms, one for the others */

static int real_hostent_r(const struct hostent_call *c)
{
    switch (c->form) {
    case HOSTENT_BYNAME:
        return real_gethostbyname_r(c->name, c->ret, c->buf, c->buflen, c->result, c->h_errnop);
    case HOSTENT_BYNAME2:
        return real_gethostbyname2_r(c->name, c->af, c->ret, c->buf, c->buflen, c->result,
                                     c->h_errnop);
    default:
        return real_gethostbyaddr_r(c->addr, c->len, c->af, c->ret, c->buf, c->buflen,
                                    c->result, c->h_errnop);
    }
}

static struct hostent *real_hostent(const struct hostent_call *c)
{
    switch (c->form) {
    case HOSTENT_BYNAME:
        return real_gethostbyname(c->name);
    case HOSTENT_BYNAME2:
        return real_gethostbyname2(c->name, c->af);
    default:
        return real_gethostbyaddr(c->addr, c->len, c->af);
    }
}

static int route_hostent_r(const struct hostent_call *c, const char *fn)
{
    int saved = errno, rc, cs = prepare(fn);
    struct memo_call mc;
    if (in_hook || !state_active()) {
        cancel_restore(cs);
        return real_hostent_r(c);
    }
    if (!(memo_call_open(&mc) && memo_hostent_get_r(&mc, c, &rc))) {
        memo_call_watch(&mc, c->h_errnop);     /* NULL: left alone, not memoised */
        cancel_restore(cs);
        rc = real_hostent_r(c);
        int err = errno;
        cs = cancel_off();
        if (memo_call_close(&mc))
            memo_hostent_put_r(&mc, c, rc, err);
    }
    cancel_restore(cs);
    if (rc == 0 && *c->result != NULL)
        errno = saved;
    return rc;
}

static struct hostent *route_hostent(const struct hostent_call *c, const char *fn)
{
    int saved = errno, cs = prepare(fn);
    struct hostent *h;
    struct memo_call mc;
    if (in_hook || !state_active()) {
        cancel_restore(cs);
        return real_hostent(c);
    }
    if (!(memo_call_open(&mc) && memo_hostent_get(&mc, c, &h))) {
        memo_call_watch(&mc, NULL);
        cancel_restore(cs);
        h = real_hostent(c);
        int err = errno;
        cs = cancel_off();
        if (memo_call_close(&mc))
            memo_hostent_put(&mc, c, h, err);
    }
    cancel_restore(cs);
    if (h != NULL)
        errno = saved;
    return h;
}

HOOK struct hostent *gethostbyname(const char *name)
{
    struct hostent_call c = { .form = HOSTENT_BYNAME, .name = name, .af = AF_INET };
    return route_hostent(&c, "gethostbyname");
}

HOOK struct hostent *gethostbyname2(const char *name, int af)
{
    struct hostent_call c = { .form = HOSTENT_BYNAME2, .name = name, .af = af };
    return route_hostent(&c, "gethostbyname2");
}

HOOK int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                         struct hostent **result, int *h_errnop)
{
    struct hostent_call c = { .form = HOSTENT_BYNAME, .name = name, .af = AF_INET,
                              .reentrant = 1, .ret = ret, .buf = buf, .buflen = buflen,
                              .result = result, .h_errnop = h_errnop };
    return route_hostent_r(&c, "gethostbyname_r");
}

HOOK int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                          size_t buflen, struct hostent **result, int *h_errnop)
{
    struct hostent_call c = { .form = HOSTENT_BYNAME2, .name = name, .af = af,
                              .reentrant = 1, .ret = ret, .buf = buf, .buflen = buflen,
                              .result = result, .h_errnop = h_errnop };
    return route_hostent_r(&c, "gethostbyname2_r");
}

HOOK struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    struct hostent_call c = { .form = HOSTENT_BYADDR, .addr = addr, .len = len, .af = type };
    return route_hostent(&c, "gethostbyaddr");
}

HOOK int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                         char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    struct hostent_call c = { .form = HOSTENT_BYADDR, .addr = addr, .len = len, .af = type,
                              .reentrant = 1, .ret = ret, .buf = buf, .buflen = buflen,
                              .result = result, .h_errnop = h_errnop };
    return route_hostent_r(&c, "gethostbyaddr_r");
}

/* Idle c-ares channels are closed at exit so leak checkers stay quiet. */
__attribute__((destructor)) static void dnsf_fini(void)
{
    state_shutdown();
}
