/* hooks — the exported resolver functions. Each is a thin router:
 *   1. a thread-local guard sends re-entrant calls (and calls made during
 *      our own init) straight to libc;
 *   2. the first call initialises the engine once, which puts dnsfailover
 *      in place of "dns" in the hosts database (see nsswitch.h);
 *   3. libc's own function then builds the result, asking our NSS module
 *      (nss_module.c) for the DNS step. glibc therefore produces every
 *      field, flag, error code and sort order itself.
 * errno is left as the caller had it when the call succeeds. Our own work
 * runs with cancellation off, libc's with the caller's state (cancel.h). */
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "dnsf/cancel.h"
#include "dnsf/log.h"
#include "dnsf/note.h"
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

HOOK int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res)
{
    int saved = errno, rc, cs = prepare("getaddrinfo");
    if (in_hook || !state_active()) {
        cancel_restore(cs);
        return real_getaddrinfo(node, service, hints, res);
    }
    if (state_gai_memo_get(node, service, hints, &rc, res)) {
        cancel_restore(cs);
        if (rc == 0)
            errno = saved;
        return rc;
    }
    struct lookup_note note;
    uint64_t gen = state_memo_generation();
    note_begin();
    cancel_restore(cs);
    rc = real_getaddrinfo(node, service, hints, res);
    cs = cancel_off();
    note_end(&note);
    state_gai_memo_put(node, service, hints, rc, rc == 0 ? *res : NULL, &note, gen);
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
    /* Freeing needs nothing of the engine: once it is initialised, only
     * the debug trace goes through prepare (which spares the cancellation
     * toggle, cancel.h, on every call). */
    if (!atomic_load_explicit(&prepared, memory_order_relaxed) || log_on(LOG_LVL_DEBUG))
        cancel_restore(prepare("freeaddrinfo"));
    real_freeaddrinfo(ai);
    errno = saved;
}

HOOK int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                     char *serv, socklen_t servlen, int flags)
{
    int saved = errno;
    cancel_restore(prepare("getnameinfo"));
    int rc = real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
    if (rc == 0)
        errno = saved;
    return rc;
}

HOOK struct hostent *gethostbyname(const char *name)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyname"));
    struct hostent *h = real_gethostbyname(name);
    if (h != NULL)
        errno = saved;
    return h;
}

HOOK struct hostent *gethostbyname2(const char *name, int af)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyname2"));
    struct hostent *h = real_gethostbyname2(name, af);
    if (h != NULL)
        errno = saved;
    return h;
}

HOOK int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                         struct hostent **result, int *h_errnop)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyname_r"));
    int rc = real_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    if (rc == 0 && *result != NULL)
        errno = saved;
    return rc;
}

HOOK int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                          size_t buflen, struct hostent **result, int *h_errnop)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyname2_r"));
    int rc = real_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    if (rc == 0 && *result != NULL)
        errno = saved;
    return rc;
}

HOOK struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyaddr"));
    struct hostent *h = real_gethostbyaddr(addr, len, type);
    if (h != NULL)
        errno = saved;
    return h;
}

HOOK int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                         char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    int saved = errno;
    cancel_restore(prepare("gethostbyaddr_r"));
    int rc = real_gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
    if (rc == 0 && *result != NULL)
        errno = saved;
    return rc;
}

/* Idle c-ares channels are closed at exit so leak checkers stay quiet. */
__attribute__((destructor)) static void dnsf_fini(void)
{
    state_shutdown();
}
