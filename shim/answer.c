/* answer — NSS result builders, following glibc 2.36 dns-host.c function by
 * function (getanswer_r, getanswer_ptr, gaih_getanswer_slice,
 * gaih_getanswer). Bytes are read only through dnsmsg. */
#include "dnsf/answer.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnsf/dnsmsg.h"

/* glibc: "As per RFC 1034 and 1035 a host name cannot exceed 255 octets". */
#define HOSTNAME_TEXT_MAX 256

/* A reply glibc's ns_rr_cursor or ns_name_unpack cannot read: they set
 * errno to EMSGSIZE, and nss_dns's errnop is &errno, so the _r calls
 * return EMSGSIZE (glibc 2.36 ns_rr_cursor_next.c, dns-host.c). */
static enum nss_status malformed(int *errnop, int *h_errnop)
{
    *errnop = EMSGSIZE;
    *h_errnop = NO_RECOVERY;
    return NSS_STATUS_UNAVAIL;
}

static int rdata_len_for(int qtype)
{
    return qtype == DNS_T_A ? 4 : qtype == DNS_T_AAAA ? 16 : -1;
}

/* A growable array of pointers (glibc's ptrlist dynarray). */
struct ptrlist {
    char **v;
    size_t n, cap;
    int failed;
};

static void ptrlist_add(struct ptrlist *l, char *p)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->failed = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = p;
}

/* getanswer_r_store_alias: add the text form of a wire name if it is a
 * valid host name. */
static int store_alias(const uint8_t *wire, struct alloc_buffer *ab, struct ptrlist *aliases)
{
    char text[HOSTNAME_TEXT_MAX + 1];
    if (!dnsmsg_binary_hnok(wire))
        return 0;
    if (dnsmsg_name_ntop(wire, text, sizeof text) < 0)
        return 0;
    ptrlist_add(aliases, alloc_buffer_copy_string(ab, text));
    return 1;
}

/* Read the next answer record of M into RR the way glibc's nss_dns walks a
 * CNAME chain (resolv/nss_dns/dns-host.c, getanswer_r, getanswer_ptr and
 * gaih_getanswer_slice): -1 when it cannot be read; 0 when it is to be
 * skipped (IN_ONLY and not class IN; gaih_getanswer_slice does not look at
 * the class); else 1. A CNAME or QTYPE record lowers *TTLP (if not NULL) to
 * its TTL; a CNAME moves EXPECTED to its target, with no owner check, as
 * glibc does. */
static int next_answer(struct dnsmsg *m, struct dnsmsg_rr *rr, int qtype, int in_only,
                       uint8_t *expected, int32_t *ttlp)
{
    if (dnsmsg_next_rr(m, rr) < 0)
        return -1;
    if (in_only && rr->rclass != DNS_C_IN)
        return 0;
    if ((rr->type == DNS_T_CNAME || rr->type == qtype) && ttlp != NULL
        && (uint32_t)*ttlp > rr->ttl)
        *ttlp = (int32_t)rr->ttl;
    if (rr->type == DNS_T_CNAME && dnsmsg_unpack_name(m, rr->rdata, expected) < 0)
        return -1;
    return 1;
}

static enum nss_status getanswer_r(const uint8_t *pkt, int len, int qtype, struct alloc_buffer *ab,
                                   struct ptrlist *addrs, struct ptrlist *aliases,
                                   int *errnop, int *h_errnop, int32_t *ttlp)
{
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t expected[DNSMSG_MAXCDNAME];

    if (dnsmsg_init(&m, pkt, (size_t)len) < 0)
        return malformed(errnop, h_errnop);
    /* The QNAME is the first alias; it must be a valid host name. */
    if (dnsmsg_rcode(&m) == DNS_R_NXDOMAIN || !store_alias(m.qname, ab, aliases)) {
        if (ttlp != NULL)
            *ttlp = 0;
        *h_errnop = HOST_NOT_FOUND;
        *errnop = ENOENT;
        return NSS_STATUS_NOTFOUND;
    }
    memcpy(expected, m.qname, dnsmsg_name_len(m.qname));
    for (int an = m.ancount; an > 0; an--) {
        int use = next_answer(&m, &rr, qtype, 1, expected, ttlp);
        if (use < 0)
            return malformed(errnop, h_errnop);
        if (use == 0)
            continue;
        if (rr.type == DNS_T_CNAME)
            store_alias(expected, ab, aliases);
        else if (rr.type == qtype && dnsmsg_name_equal(rr.name, expected)
                   && rr.rdlength == rdata_len_for(qtype)) {
            /* Addresses are 4-aligned, as glibc does for old callers. */
            ptrlist_add(addrs, alloc_buffer_next(ab, 4));
            char *p = alloc_buffer_alloc(ab, rr.rdlength, 1);
            if (p != NULL)
                memcpy(p, rr.rdata, rr.rdlength);
        }
    }
    if (addrs->n == 0) {
        if (ttlp != NULL)
            *ttlp = 0;
        *h_errnop = NO_RECOVERY;
        *errnop = ENOENT;
        return NSS_STATUS_TRYAGAIN;
    }
    *h_errnop = NETDB_SUCCESS;
    return NSS_STATUS_SUCCESS;
}

enum nss_status answer_hostent(const uint8_t *pkt, int len, int qtype, struct hostent *result,
                               char *buffer, size_t buflen, int *errnop, int *h_errnop,
                               int32_t *ttlp, char **canonp)
{
    struct alloc_buffer ab;
    struct ptrlist addrs = { 0 }, aliases = { 0 };
    alloc_buffer_init(&ab, buffer, buflen);

    enum nss_status status = getanswer_r(pkt, len, qtype, &ab, &addrs, &aliases,
                                         errnop, h_errnop, ttlp);
    if (status == NSS_STATUS_SUCCESS) {
        if (addrs.failed || aliases.failed) {
            /* malloc failure: do not retry with the ERANGE protocol. */
            *errnop = ENOMEM;
            *h_errnop = NETDB_INTERNAL;
            status = NSS_STATUS_UNAVAIL;
            goto out;
        }
        /* The address and alias arrays; the last alias becomes h_name, so
         * its slot holds the alias array's NULL terminator. */
        char **al = alloc_buffer_alloc(&ab, (addrs.n + 1) * sizeof(char *), sizeof(char *));
        char **nl = alloc_buffer_alloc(&ab, aliases.n * sizeof(char *), sizeof(char *));
        if (alloc_buffer_has_failed(&ab)) {
            *errnop = ERANGE;
            *h_errnop = NETDB_INTERNAL;
            status = NSS_STATUS_TRYAGAIN;
        } else {
            memcpy(al, addrs.v, addrs.n * sizeof(char *));
            al[addrs.n] = NULL;
            memcpy(nl, aliases.v, (aliases.n - 1) * sizeof(char *));
            nl[aliases.n - 1] = NULL;
            result->h_addr_list = al;
            result->h_aliases = nl;
            result->h_name = aliases.v[aliases.n - 1];
            if (canonp != NULL)
                *canonp = result->h_name;
        }
    }
out:
    free(addrs.v);
    free(aliases.v);
    return status;
}

enum nss_status answer_ptr(const uint8_t *pkt, int len, struct alloc_buffer *ab, char **hnamep,
                           int *errnop, int *h_errnop, int32_t *ttlp)
{
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t expected[DNSMSG_MAXCDNAME], target[DNSMSG_MAXCDNAME];

    if (dnsmsg_init(&m, pkt, (size_t)len) < 0)
        return malformed(errnop, h_errnop);
    memcpy(expected, m.qname, dnsmsg_name_len(m.qname));
    /* Only the answer section counts, and the PTR target must be a host
     * name: Debian's glibc 2.36-9+deb12u14 carries these fixes
     * (CVE-2026-4437, CVE-2026-4438); upstream 2.36 did neither. */
    for (int an = m.ancount; an > 0; an--) {
        int use = next_answer(&m, &rr, DNS_T_PTR, 1, expected, ttlp);
        if (use < 0)
            return malformed(errnop, h_errnop);
        if (use > 0 && rr.type == DNS_T_PTR && dnsmsg_name_equal(rr.name, expected)) {
            char text[HOSTNAME_TEXT_MAX + 1];
            if (dnsmsg_unpack_name(&m, rr.rdata, target) < 0 || !dnsmsg_binary_hnok(target)
                || dnsmsg_name_ntop(target, text, sizeof text) < 0) {
                *h_errnop = NO_RECOVERY;
                return NSS_STATUS_UNAVAIL;
            }
            *hnamep = alloc_buffer_copy_string(ab, text);
            return NSS_STATUS_SUCCESS;
        }
    }
    if (ttlp != NULL)
        *ttlp = 0;
    *h_errnop = NO_RECOVERY;
    *errnop = ENOENT;
    return NSS_STATUS_TRYAGAIN;
}

/* gaih_getanswer_slice: link the addresses of one reply at **TAILP. */
static enum nss_status gaih_slice(const uint8_t *pkt, int len, struct alloc_buffer *ab,
                                  struct gaih_addrtuple ***tailp, int *errnop, int *h_errnop,
                                  int32_t *ttlp, int store_canon)
{
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t expected[DNSMSG_MAXCDNAME], canon[DNSMSG_MAXCDNAME];
    int haveanswer = 0;

    if (dnsmsg_init(&m, pkt, (size_t)len) < 0)
        return malformed(errnop, h_errnop);
    memcpy(expected, m.qname, dnsmsg_name_len(m.qname));
    memcpy(canon, m.qname, dnsmsg_name_len(m.qname));
    if (m.ancount == 0 || !dnsmsg_binary_hnok(canon)) {
        *h_errnop = HOST_NOT_FOUND;
        return NSS_STATUS_NOTFOUND;
    }
    for (int an = m.ancount; an > 0; an--) {
        if (next_answer(&m, &rr, m.qtype, 0, expected, ttlp) < 0)
            return malformed(errnop, h_errnop);
        if (rr.type == DNS_T_CNAME) {
            /* A usable CNAME target is the canonical name so far. */
            if (store_canon && dnsmsg_binary_hnok(expected))
                memcpy(canon, expected, dnsmsg_name_len(expected));
        } else if (rr.type == m.qtype && dnsmsg_name_equal(rr.name, expected)
                   && rr.rdlength == rdata_len_for(m.qtype)) {
            struct gaih_addrtuple *t = alloc_buffer_alloc(ab, sizeof *t, __alignof__(struct gaih_addrtuple));
            if (t == NULL)
                continue;          /* the caller sees the failed buffer */
            t->next = NULL;
            t->name = NULL;
            if (store_canon) {
                char text[HOSTNAME_TEXT_MAX + 1];
                if (dnsmsg_name_ntop(canon, text, sizeof text) >= 0)
                    t->name = alloc_buffer_copy_string(ab, text);
                store_canon = 0;
            }
            t->family = rr.rdlength == 4 ? AF_INET : AF_INET6;
            memcpy(t->addr, rr.rdata, rr.rdlength);
            t->scopeid = 0;
            **tailp = t;
            *tailp = &t->next;
            haveanswer = 1;
        }
    }
    if (haveanswer) {
        *h_errnop = NETDB_SUCCESS;
        return NSS_STATUS_SUCCESS;
    }
    /* Only a CNAME while looking for A or AAAA: NOTFOUND. */
    *h_errnop = HOST_NOT_FOUND;
    return NSS_STATUS_NOTFOUND;
}

enum nss_status answer_gaih(const uint8_t *p1, int l1, const uint8_t *p2, int l2,
                            struct alloc_buffer *ab, struct gaih_addrtuple **pat,
                            int *errnop, int *h_errnop, int32_t *ttlp)
{
    enum nss_status status = NSS_STATUS_NOTFOUND;
    struct gaih_addrtuple **tail = pat;

    if (l1 > 0) {
        status = gaih_slice(p1, l1, ab, &tail, errnop, h_errnop, ttlp, 1);
        if (alloc_buffer_has_failed(ab))
            return NSS_STATUS_TRYAGAIN;   /* the caller turns this into ERANGE */
    }
    if ((status == NSS_STATUS_SUCCESS || status == NSS_STATUS_NOTFOUND) && p2 != NULL && l2 > 0) {
        enum nss_status status2 = gaih_slice(p2, l2, ab, &tail, errnop, h_errnop, ttlp,
                                             status != NSS_STATUS_SUCCESS);
        if (status != NSS_STATUS_SUCCESS && status2 != NSS_STATUS_NOTFOUND)
            status = status2;
    }
    return status;
}
