/* real — libc's own functions, found with dlsym(RTLD_NEXT) on first use.
 * Only the preload layer (hooks.c, nss_module.c) uses these; the core never
 * calls dlsym, so unit tests link it without preloading anything. */
#ifndef DNSF_REAL_H
#define DNSF_REAL_H

#include <netdb.h>
#include <nss.h>
#include <resolv.h>
#include <stdint.h>
#include <sys/socket.h>

int real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res);
void real_freeaddrinfo(struct addrinfo *ai);
struct hostent *real_gethostbyname(const char *name);
struct hostent *real_gethostbyname2(const char *name, int af);
int real_gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                         struct hostent **result, int *h_errnop);
int real_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                          size_t buflen, struct hostent **result, int *h_errnop);
struct hostent *real_gethostbyaddr(const void *addr, socklen_t len, int type);
int real_gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                         char *buf, size_t buflen, struct hostent **result, int *h_errnop);
int real_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                     char *serv, socklen_t servlen, int flags);

int real_res_nquery(res_state statp, const char *dname, int class, int type,
                    unsigned char *answer, int anslen);
int real_res_nsearch(res_state statp, const char *dname, int class, int type,
                     unsigned char *answer, int anslen);
int real_res_nquerydomain(res_state statp, const char *name, const char *domain, int class,
                          int type, unsigned char *answer, int anslen);

/* glibc's DNS module (in libc since 2.34), our fail-open path. */
enum nss_status real_nss_dns_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *herrnop, int32_t *ttlp);
enum nss_status real_nss_dns_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp, char **canonp);
enum nss_status real_nss_dns_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop);
enum nss_status real_nss_dns_gethostbyname_r(const char *name, struct hostent *result,
                                             char *buffer, size_t buflen, int *errnop,
                                             int *h_errnop);
enum nss_status real_nss_dns_gethostbyaddr2_r(const void *addr, socklen_t len, int af,
                                              struct hostent *result, char *buffer,
                                              size_t buflen, int *errnop, int *h_errnop,
                                              int32_t *ttlp);

/* glibc's files module (in libc since 2.34): answers for names and
 * addresses that may be in /etc/hosts when files and dns are merged. */
enum nss_status real_nss_files_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                                char *buffer, size_t buflen, int *errnop,
                                                int *herrnop, int32_t *ttlp);
enum nss_status real_nss_files_gethostbyname3_r(const char *name, int af,
                                                struct hostent *result, char *buffer,
                                                size_t buflen, int *errnop, int *h_errnop,
                                                int32_t *ttlp, char **canonp);
enum nss_status real_nss_files_gethostbyname2_r(const char *name, int af,
                                                struct hostent *result, char *buffer,
                                                size_t buflen, int *errnop, int *h_errnop);
enum nss_status real_nss_files_gethostbyname_r(const char *name, struct hostent *result,
                                               char *buffer, size_t buflen, int *errnop,
                                               int *h_errnop);
enum nss_status real_nss_files_gethostbyaddr_r(const void *addr, socklen_t len, int af,
                                               struct hostent *result, char *buffer,
                                               size_t buflen, int *errnop, int *h_errnop);

#endif
