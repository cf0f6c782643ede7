/* hostlookup — the DNS step of glibc's hosts lookups, done by dnsfailover.
 *
 * Each function mirrors the glibc 2.36 nss_dns entry point of the same
 * shape (_nss_dns_gethostbyname4_r, ...3_r, ...2_r, ..._r, gethostbyaddr2_r):
 * same arguments, same status, *errnop and *h_errnop for every outcome.
 * Return 0 when *STATUS holds the answer, or DNSF_FAIL_OPEN when the engine
 * cannot serve (inactive, out of memory, c-ares failure): the caller then
 * hands the call to glibc's own module. */
#ifndef DNSF_HOSTLOOKUP_H
#define DNSF_HOSTLOOKUP_H

#include <netdb.h>
#include <nss.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsf/failopen.h"

int hostlookup_byname4(const char *name, struct gaih_addrtuple **pat, char *buffer,
                       size_t buflen, int *errnop, int *herrnop, int32_t *ttlp,
                       enum nss_status *status);
int hostlookup_byname3(const char *name, int af, struct hostent *result, char *buffer,
                       size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp,
                       char **canonp, enum nss_status *status);
int hostlookup_byname2(const char *name, int af, struct hostent *result, char *buffer,
                       size_t buflen, int *errnop, int *h_errnop, enum nss_status *status);
int hostlookup_byname(const char *name, struct hostent *result, char *buffer, size_t buflen,
                      int *errnop, int *h_errnop, enum nss_status *status);
int hostlookup_byaddr2(const void *addr, socklen_t len, int af, struct hostent *result,
                       char *buffer, size_t buflen, int *errnop, int *h_errnop,
                       int32_t *ttlp, enum nss_status *status);

#endif
