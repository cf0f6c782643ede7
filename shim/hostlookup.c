/* hostlookup — nss_dns's entry points, re-done over our resolver.
 * Read side by side with glibc 2.36 resolv/nss_dns/dns-host.c. */
#include "dnsf/hostlookup.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/answer.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/note.h"
#include "dnsf/resolve.h"
#include "dnsf/state.h"

/* check_name: do not query for something that cannot be a host name. */
static int name_ok(const char *name, int *h_errnop, enum nss_status *status)
{
    if (res_hnok(name))
        return 1;
    *h_errnop = HOST_NOT_FOUND;
    *status = NSS_STATUS_NOTFOUND;
    return 0;
}

/* What nss_dns's res_* call left in the thread's h_errno (and in _res,
 * the state nss_dns passes them), published when glibc's would have been
 * set: as the call returns, before nss_dns reads it or writes *h_errnop
 * (which is &h_errno itself when getaddrinfo calls). */
static void publish_h_errno(int herrno)
{
    resolve_set_h_errno(&_res, herrno);
}

/* nss_dns's res_* call returned N, leaving HERRNO: errno as glibc leaves
 * it (restored to OLDERR on failure; a successful search leaves the 0 that
 * res_search set, and the _r callers can return errno) and, unless we fail
 * open, h_errno published. Return N. */
static int query_over(int n, int herrno, int olderr)
{
    errno = n == 0 ? 0 : olderr;
    if (n != DNSF_FAIL_OPEN)
        publish_h_errno(herrno);
    return n;
}

/* The errno switch nss_dns applies after a failed res_search. It assigns
 * the thread's h_errno itself for ESRCH and EMFILE/ENFILE. */
static enum nss_status search_failure(int herrno, int err, int olderr, int *errnop,
                                      int *h_errnop)
{
    enum nss_status status;
    switch (err) {
    case ESRCH:
        status = NSS_STATUS_TRYAGAIN;
        herrno = h_errno = TRY_AGAIN;
        break;
    case EMFILE:
    case ENFILE:
        herrno = h_errno = NETDB_INTERNAL;
        /* fall through */
    case ECONNREFUSED:
    case ETIMEDOUT:
        status = NSS_STATUS_UNAVAIL;
        break;
    default:
        status = NSS_STATUS_NOTFOUND;
        break;
    }
    *h_errnop = herrno;
    if (herrno == TRY_AGAIN)
        *errnop = EAGAIN;
    else
        errno = olderr;
    return status;
}

int hostlookup_byname4(const char *name, struct gaih_addrtuple **pat, char *buffer,
                       size_t buflen, int *errnop, int *herrnop, int32_t *ttlp,
                       enum nss_status *status)
{
    struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 };
    struct resconf rc;
    struct resolve_answer ans;
    char alias[NS_MAXDNAME];
    int olderr = errno, herrno = 0, err = 0, n;

    if (!name_ok(name, herrnop, status))
        return 0;
    if (state_lookup_ctx(&ctx, &rc) < 0)
        return DNSF_FAIL_OPEN;
    note_dns_called();
    if (strchr(name, '.') == NULL) {
        const char *cp = resolve_hostalias(&ctx, name, alias, sizeof alias);
        if (cp != NULL)
            name = cp;
    }
    struct alloc_buffer ab;
    alloc_buffer_init(&ab, buffer, buflen);
    int noaaaa = (ctx.options & RES_NOAAAA) != 0;
    n = resolve_search(&ctx, name, noaaaa ? DNS_T_A : RESOLVE_A_AND_AAAA, &ans, &herrno, &err);
    if (query_over(n, herrno, olderr) == DNSF_FAIL_OPEN)
        return DNSF_FAIL_OPEN;
    if (n == 0) {
        *status = answer_gaih(ans.r[0].pkt, ans.r[0].len, noaaaa ? NULL : ans.r[1].pkt,
                              noaaaa ? 0 : ans.r[1].len, &ab, pat, errnop, herrnop, ttlp);
        resolve_answer_free(&ans);
    } else
        *status = search_failure(herrno, err, olderr, errnop, herrnop);
    /* The buffer resizing protocol. */
    if (alloc_buffer_has_failed(&ab)) {
        *errnop = ERANGE;
        *herrnop = NETDB_INTERNAL;
        *status = NSS_STATUS_TRYAGAIN;
    }
    return 0;
}

int hostlookup_byname3(const char *name, int af, struct hostent *result, char *buffer,
                       size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp,
                       char **canonp, enum nss_status *status)
{
    struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 };
    struct resconf rc;
    struct resolve_answer ans;
    char alias[NS_MAXDNAME];
    int olderr = errno, herrno = 0, err = 0, n, type;

    if (state_lookup_ctx(&ctx, &rc) < 0)
        return DNSF_FAIL_OPEN;
    note_dns_called();
    switch (af) {
    case AF_INET:
        type = DNS_T_A;
        break;
    case AF_INET6:
        type = DNS_T_AAAA;
        break;
    default:
        *h_errnop = NO_DATA;
        *errnop = EAFNOSUPPORT;
        *status = NSS_STATUS_UNAVAIL;
        return 0;
    }
    result->h_addrtype = af;
    result->h_length = af == AF_INET ? 4 : 16;
    if (strchr(name, '.') == NULL) {
        const char *cp = resolve_hostalias(&ctx, name, alias, sizeof alias);
        if (cp != NULL)
            name = cp;
    }
    n = resolve_search(&ctx, name, (uint16_t)type, &ans, &herrno, &err);
    if (query_over(n, herrno, olderr) == DNSF_FAIL_OPEN)
        return DNSF_FAIL_OPEN;
    if (n < 0) {
        *status = search_failure(herrno, err, olderr, errnop, h_errnop);
        return 0;
    }
    *status = answer_hostent(ans.r[0].pkt, ans.r[0].len, type, result, buffer, buflen, errnop,
                             h_errnop, ttlp, canonp);
    resolve_answer_free(&ans);
    return 0;
}

int hostlookup_byname2(const char *name, int af, struct hostent *result, char *buffer,
                       size_t buflen, int *errnop, int *h_errnop, enum nss_status *status)
{
    if (!name_ok(name, h_errnop, status))
        return 0;
    return hostlookup_byname3(name, af, result, buffer, buflen, errnop, h_errnop, NULL, NULL,
                              status);
}

int hostlookup_byname(const char *name, struct hostent *result, char *buffer, size_t buflen,
                      int *errnop, int *h_errnop, enum nss_status *status)
{
    if (!name_ok(name, h_errnop, status))
        return 0;
    return hostlookup_byname3(name, AF_INET, result, buffer, buflen, errnop, h_errnop, NULL,
                              NULL, status);
}

int hostlookup_byaddr2(const void *addr, socklen_t len, int af, struct hostent *result,
                       char *buffer, size_t buflen, int *errnop, int *h_errnop,
                       int32_t *ttlp, enum nss_status *status)
{
    static const uint8_t mapped[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const uint8_t tunnelled[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t v6local[] = { 0, 0, 0, 1 };
    const uint8_t *ua = addr;
    char qbuf[NS_MAXDNAME + 1];
    struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 };
    struct resconf rc;
    struct resolve_answer ans;
    int olderr = errno, herrno = 0, err = 0;
    size_t size;

    /* The pointer array goes first, to benefit from buffer alignment. */
    struct alloc_buffer ab;
    alloc_buffer_init(&ab, buffer, buflen);
    char **address_array = alloc_buffer_alloc(&ab, 2 * sizeof(char *), sizeof(char *));
    if (address_array == NULL) {
        *errnop = ERANGE;
        *h_errnop = NETDB_INTERNAL;
        *status = NSS_STATUS_TRYAGAIN;
        return 0;
    }
    if (state_lookup_ctx(&ctx, &rc) < 0)
        return DNSF_FAIL_OPEN;
    note_dns_called();
    if (af == AF_INET6 && len == 16
        && (memcmp(ua, mapped, sizeof mapped) == 0
            || (memcmp(ua, tunnelled, sizeof tunnelled) == 0
                && memcmp(ua + sizeof tunnelled, v6local, sizeof v6local) != 0))) {
        ua += sizeof mapped;       /* unmap */
        af = AF_INET;
        len = 4;
    }
    switch (af) {
    case AF_INET:
        size = 4;
        break;
    case AF_INET6:
        size = 16;
        break;
    default:
        *errnop = EAFNOSUPPORT;
        *h_errnop = NETDB_INTERNAL;
        *status = NSS_STATUS_UNAVAIL;
        return 0;
    }
    if (size > len) {
        *errnop = EAFNOSUPPORT;
        *h_errnop = NETDB_INTERNAL;
        *status = NSS_STATUS_UNAVAIL;
        return 0;
    }
    if (af == AF_INET) {
        snprintf(qbuf, sizeof qbuf, "%u.%u.%u.%u.in-addr.arpa", ua[3], ua[2], ua[1], ua[0]);
    } else {
        static const char hex[] = "0123456789abcdef";
        char *q = qbuf;
        for (int i = 15; i >= 0; i--) {
            *q++ = hex[ua[i] & 0xf];
            *q++ = '.';
            *q++ = hex[ua[i] >> 4];
            *q++ = '.';
        }
        strcpy(q, "ip6.arpa");
    }
    int n = resolve_query(&ctx, qbuf, DNS_T_PTR, &ans, &herrno, &err);
    if (query_over(n, herrno, olderr) == DNSF_FAIL_OPEN)
        return DNSF_FAIL_OPEN;
    if (n < 0) {
        *h_errnop = herrno;
        /* glibc tests errno after restoring it, so this is the caller's
         * errno, not the query's; we keep that quirk. */
        *status = olderr == ECONNREFUSED ? NSS_STATUS_UNAVAIL : NSS_STATUS_NOTFOUND;
        return 0;
    }
    *status = answer_ptr(ans.r[0].pkt, ans.r[0].len, &ab, &result->h_name, errnop, h_errnop, ttlp);
    resolve_answer_free(&ans);
    if (*status != NSS_STATUS_SUCCESS)
        return 0;
    result->h_addrtype = af;
    result->h_length = (int)len;
    address_array[0] = alloc_buffer_next(&ab, 4);
    char *p = alloc_buffer_alloc(&ab, len, 1);
    if (p != NULL)
        memcpy(p, ua, len);
    address_array[1] = NULL;
    if (alloc_buffer_has_failed(&ab)) {
        *errnop = ERANGE;
        *h_errnop = NETDB_INTERNAL;
        *status = NSS_STATUS_TRYAGAIN;
        return 0;
    }
    result->h_addr_list = address_array;
    result->h_aliases = &address_array[1];
    *h_errnop = NETDB_SUCCESS;
    *status = NSS_STATUS_SUCCESS;
    return 0;
}
