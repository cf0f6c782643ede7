/* real — lazily bound thunks to the next definition of each function
 * (libc's). A thunk that cannot be bound behaves like a failed lookup
 * rather than crashing the host. */
#include "dnsf/real.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>

#define BIND(var, name)                                                        \
    do {                                                                       \
        void *p_ = atomic_load_explicit(&var, memory_order_acquire);           \
        if (p_ == NULL) {                                                      \
            p_ = dlsym(RTLD_NEXT, name);                                       \
            atomic_store_explicit(&var, p_, memory_order_release);             \
        }                                                                      \
        fn = (__typeof__(fn))p_;                                               \
    } while (0)

static _Atomic(void *) p_getaddrinfo, p_freeaddrinfo, p_gethostbyname, p_gethostbyname2,
    p_gethostbyname_r, p_gethostbyname2_r, p_gethostbyaddr, p_gethostbyaddr_r, p_getnameinfo,
    p_dns4, p_dns3, p_dns2, p_dns1, p_dnsaddr2, p_files4, p_files3, p_files2, p_files1,
    p_filesaddr, p_nquery, p_nsearch, p_nquerydomain;

int real_res_nquery(res_state statp, const char *dname, int class, int type,
                    unsigned char *answer, int anslen)
{
    int (*fn)(res_state, const char *, int, int, unsigned char *, int);
    BIND(p_nquery, "res_nquery");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return -1;
    }
    return fn(statp, dname, class, type, answer, anslen);
}

int real_res_nsearch(res_state statp, const char *dname, int class, int type,
                     unsigned char *answer, int anslen)
{
    int (*fn)(res_state, const char *, int, int, unsigned char *, int);
    BIND(p_nsearch, "res_nsearch");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return -1;
    }
    return fn(statp, dname, class, type, answer, anslen);
}

int real_res_nquerydomain(res_state statp, const char *name, const char *domain, int class,
                          int type, unsigned char *answer, int anslen)
{
    int (*fn)(res_state, const char *, const char *, int, int, unsigned char *, int);
    BIND(p_nquerydomain, "res_nquerydomain");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return -1;
    }
    return fn(statp, name, domain, class, type, answer, anslen);
}

int real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res)
{
    int (*fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    BIND(p_getaddrinfo, "getaddrinfo");
    if (fn == NULL)
        return EAI_SYSTEM;
    return fn(node, service, hints, res);
}

void real_freeaddrinfo(struct addrinfo *ai)
{
    void (*fn)(struct addrinfo *);
    BIND(p_freeaddrinfo, "freeaddrinfo");
    if (fn != NULL)
        fn(ai);
}

struct hostent *real_gethostbyname(const char *name)
{
    struct hostent *(*fn)(const char *);
    BIND(p_gethostbyname, "gethostbyname");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return NULL;
    }
    return fn(name);
}

struct hostent *real_gethostbyname2(const char *name, int af)
{
    struct hostent *(*fn)(const char *, int);
    BIND(p_gethostbyname2, "gethostbyname2");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return NULL;
    }
    return fn(name, af);
}

int real_gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                         struct hostent **result, int *h_errnop)
{
    int (*fn)(const char *, struct hostent *, char *, size_t, struct hostent **, int *);
    BIND(p_gethostbyname_r, "gethostbyname_r");
    if (fn == NULL) {
        *result = NULL;
        *h_errnop = NO_RECOVERY;
        return ENOSYS;
    }
    return fn(name, ret, buf, buflen, result, h_errnop);
}

int real_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                          size_t buflen, struct hostent **result, int *h_errnop)
{
    int (*fn)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *);
    BIND(p_gethostbyname2_r, "gethostbyname2_r");
    if (fn == NULL) {
        *result = NULL;
        *h_errnop = NO_RECOVERY;
        return ENOSYS;
    }
    return fn(name, af, ret, buf, buflen, result, h_errnop);
}

struct hostent *real_gethostbyaddr(const void *addr, socklen_t len, int type)
{
    struct hostent *(*fn)(const void *, socklen_t, int);
    BIND(p_gethostbyaddr, "gethostbyaddr");
    if (fn == NULL) {
        h_errno = NO_RECOVERY;
        return NULL;
    }
    return fn(addr, len, type);
}

int real_gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                         char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    int (*fn)(const void *, socklen_t, int, struct hostent *, char *, size_t,
              struct hostent **, int *);
    BIND(p_gethostbyaddr_r, "gethostbyaddr_r");
    if (fn == NULL) {
        *result = NULL;
        *h_errnop = NO_RECOVERY;
        return ENOSYS;
    }
    return fn(addr, len, type, ret, buf, buflen, result, h_errnop);
}

int real_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                     char *serv, socklen_t servlen, int flags)
{
    int (*fn)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int);
    BIND(p_getnameinfo, "getnameinfo");
    if (fn == NULL)
        return EAI_SYSTEM;
    return fn(sa, salen, host, hostlen, serv, servlen, flags);
}

/* If glibc's module cannot be found, report UNAVAIL so that the next
 * source in the hosts line (usually files) still answers. */
enum nss_status real_nss_dns_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *herrnop, int32_t *ttlp)
{
    enum nss_status (*fn)(const char *, struct gaih_addrtuple **, char *, size_t, int *, int *,
                          int32_t *);
    BIND(p_dns4, "_nss_dns_gethostbyname4_r");
    if (fn == NULL) {
        *errnop = ENOENT;
        *herrnop = NO_RECOVERY;
        return NSS_STATUS_UNAVAIL;
    }
    return fn(name, pat, buffer, buflen, errnop, herrnop, ttlp);
}

enum nss_status real_nss_dns_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp, char **canonp)
{
    enum nss_status (*fn)(const char *, int, struct hostent *, char *, size_t, int *, int *,
                          int32_t *, char **);
    BIND(p_dns3, "_nss_dns_gethostbyname3_r");
    if (fn == NULL) {
        *errnop = ENOENT;
        *h_errnop = NO_RECOVERY;
        return NSS_STATUS_UNAVAIL;
    }
    return fn(name, af, result, buffer, buflen, errnop, h_errnop, ttlp, canonp);
}

enum nss_status real_nss_dns_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop)
{
    enum nss_status (*fn)(const char *, int, struct hostent *, char *, size_t, int *, int *);
    BIND(p_dns2, "_nss_dns_gethostbyname2_r");
    if (fn == NULL) {
        *errnop = ENOENT;
        *h_errnop = NO_RECOVERY;
        return NSS_STATUS_UNAVAIL;
    }
    return fn(name, af, result, buffer, buflen, errnop, h_errnop);
}

enum nss_status real_nss_dns_gethostbyname_r(const char *name, struct hostent *result,
                                             char *buffer, size_t buflen, int *errnop,
                                             int *h_errnop)
{
    enum nss_status (*fn)(const char *, struct hostent *, char *, size_t, int *, int *);
    BIND(p_dns1, "_nss_dns_gethostbyname_r");
    if (fn == NULL) {
        *errnop = ENOENT;
        *h_errnop = NO_RECOVERY;
        return NSS_STATUS_UNAVAIL;
    }
    return fn(name, result, buffer, buflen, errnop, h_errnop);
}

enum nss_status real_nss_dns_gethostbyaddr2_r(const void *addr, socklen_t len, int af,
                                              struct hostent *result, char *buffer,
                                              size_t buflen, int *errnop, int *h_errnop,
                                              int32_t *ttlp)
{
    enum nss_status (*fn)(const void *, socklen_t, int, struct hostent *, char *, size_t, int *,
                          int *, int32_t *);
    BIND(p_dnsaddr2, "_nss_dns_gethostbyaddr2_r");
    if (fn == NULL) {
        *errnop = ENOENT;
        *h_errnop = NO_RECOVERY;
        return NSS_STATUS_UNAVAIL;
    }
    return fn(addr, len, af, result, buffer, buflen, errnop, h_errnop, ttlp);
}

/* glibc's files module (in libc since 2.34), for names that may be in
 * /etc/hosts (see hostsfile.h). If it cannot be found, report UNAVAIL as
 * glibc does for a hosts file it cannot open, so DNS still answers. */
#define FILES_MISSING(herr)                                                    \
    do {                                                                       \
        *errnop = ENOENT;                                                      \
        *(herr) = NO_DATA;                                                     \
        return NSS_STATUS_UNAVAIL;                                             \
    } while (0)

enum nss_status real_nss_files_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                                char *buffer, size_t buflen, int *errnop,
                                                int *herrnop, int32_t *ttlp)
{
    enum nss_status (*fn)(const char *, struct gaih_addrtuple **, char *, size_t, int *, int *,
                          int32_t *);
    BIND(p_files4, "_nss_files_gethostbyname4_r");
    if (fn == NULL)
        FILES_MISSING(herrnop);
    return fn(name, pat, buffer, buflen, errnop, herrnop, ttlp);
}

enum nss_status real_nss_files_gethostbyname3_r(const char *name, int af,
                                                struct hostent *result, char *buffer,
                                                size_t buflen, int *errnop, int *h_errnop,
                                                int32_t *ttlp, char **canonp)
{
    enum nss_status (*fn)(const char *, int, struct hostent *, char *, size_t, int *, int *,
                          int32_t *, char **);
    BIND(p_files3, "_nss_files_gethostbyname3_r");
    if (fn == NULL)
        FILES_MISSING(h_errnop);
    return fn(name, af, result, buffer, buflen, errnop, h_errnop, ttlp, canonp);
}

enum nss_status real_nss_files_gethostbyname2_r(const char *name, int af,
                                                struct hostent *result, char *buffer,
                                                size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status (*fn)(const char *, int, struct hostent *, char *, size_t, int *, int *);
    BIND(p_files2, "_nss_files_gethostbyname2_r");
    if (fn == NULL)
        FILES_MISSING(h_errnop);
    return fn(name, af, result, buffer, buflen, errnop, h_errnop);
}

enum nss_status real_nss_files_gethostbyname_r(const char *name, struct hostent *result,
                                               char *buffer, size_t buflen, int *errnop,
                                               int *h_errnop)
{
    enum nss_status (*fn)(const char *, struct hostent *, char *, size_t, int *, int *);
    BIND(p_files1, "_nss_files_gethostbyname_r");
    if (fn == NULL)
        FILES_MISSING(h_errnop);
    return fn(name, result, buffer, buflen, errnop, h_errnop);
}

/* glibc's files module has no gethostbyaddr2_r (no TTL in a file). */
enum nss_status real_nss_files_gethostbyaddr_r(const void *addr, socklen_t len, int af,
                                               struct hostent *result, char *buffer,
                                               size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status (*fn)(const void *, socklen_t, int, struct hostent *, char *, size_t, int *,
                          int *);
    BIND(p_filesaddr, "_nss_files_gethostbyaddr_r");
    if (fn == NULL)
        FILES_MISSING(h_errnop);
    return fn(addr, len, af, result, buffer, buflen, errnop, h_errnop);
}
