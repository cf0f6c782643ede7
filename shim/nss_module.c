/* nss_module — glibc calls these for the "dnsfailover" source of the hosts
 * database (the library's soname is libnss_dnsfailover.so.2, so glibc's NSS
 * loader finds the already-preloaded copy). Each is a router:
 *   1. the files step, when "files dns" was merged into us
 *      (nsswitch_merge_files): NOTFOUND straight from the in-memory index
 *      when the name cannot be in /etc/hosts, else glibc's files module;
 *      glibc stops after it on success, or on ERANGE (a larger buffer is
 *      needed), exactly as it would for a separate "files" source;
 *   2. the DNS step: our engine answers, or, when it cannot (fail open),
 *      glibc's own DNS module does. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>

#include "dnsf/hostlookup.h"
#include "dnsf/real.h"
#include "dnsf/state.h"

#define NSS_EXPORT __attribute__((visibility("default")))

/* After glibc's files module returned ST: 1 if glibc would not go on to
 * the next source (files' default actions, plus the ERANGE rule of
 * nss/getXXbyYY_r.c and getaddrinfo: retry with a larger buffer). */
static int files_final(enum nss_status st, const int *errnop, const int *herrnop)
{
    return st == NSS_STATUS_SUCCESS
        || (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL);
}

/* glibc's files module on a miss: HOST_NOT_FOUND, errno untouched. */
#define FILES_SKIPPED(herrnop) (*(herrnop) = HOST_NOT_FOUND)

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buffer,
                                  size_t buflen, int *errnop, int *herrnop, int32_t *ttlp)
{
    enum nss_status st;
    if (state_files_merged()) {
        if (state_hosts_name_absent(name, buflen))
            FILES_SKIPPED(herrnop);
        else if (files_final(st = real_nss_files_gethostbyname4_r(name, pat, buffer, buflen,
                                                                  errnop, herrnop, ttlp),
                             errnop, herrnop))
            return st;
    }
    if (hostlookup_byname4(name, pat, buffer, buflen, errnop, herrnop, ttlp, &st) == 0)
        return st;
    return real_nss_dns_gethostbyname4_r(name, pat, buffer, buflen, errnop, herrnop, ttlp);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                  char *buffer, size_t buflen, int *errnop, int *h_errnop,
                                  int32_t *ttlp, char **canonp)
{
    enum nss_status st;
    if (state_files_merged()) {
        if (state_hosts_name_absent(name, buflen))
            FILES_SKIPPED(h_errnop);
        else if (files_final(st = real_nss_files_gethostbyname3_r(name, af, result, buffer,
                                                                  buflen, errnop, h_errnop,
                                                                  ttlp, canonp),
                             errnop, h_errnop))
            return st;
    }
    if (hostlookup_byname3(name, af, result, buffer, buflen, errnop, h_errnop, ttlp, canonp,
                           &st) == 0)
        return st;
    return real_nss_dns_gethostbyname3_r(name, af, result, buffer, buflen, errnop, h_errnop,
                                         ttlp, canonp);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                  char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status st;
    if (state_files_merged()) {
        if (state_hosts_name_absent(name, buflen))
            FILES_SKIPPED(h_errnop);
        else if (files_final(st = real_nss_files_gethostbyname2_r(name, af, result, buffer,
                                                                  buflen, errnop, h_errnop),
                             errnop, h_errnop))
            return st;
    }
    if (hostlookup_byname2(name, af, result, buffer, buflen, errnop, h_errnop, &st) == 0)
        return st;
    return real_nss_dns_gethostbyname2_r(name, af, result, buffer, buflen, errnop, h_errnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname_r(const char *name, struct hostent *result, char *buffer,
                                 size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status st;
    if (state_files_merged()) {
        if (state_hosts_name_absent(name, buflen))
            FILES_SKIPPED(h_errnop);
        else if (files_final(st = real_nss_files_gethostbyname_r(name, result, buffer, buflen,
                                                                 errnop, h_errnop),
                             errnop, h_errnop))
            return st;
    }
    if (hostlookup_byname(name, result, buffer, buflen, errnop, h_errnop, &st) == 0)
        return st;
    return real_nss_dns_gethostbyname_r(name, result, buffer, buflen, errnop, h_errnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyaddr2_r(const void *addr, socklen_t len, int af,
                                  struct hostent *result, char *buffer, size_t buflen,
                                  int *errnop, int *h_errnop, int32_t *ttlp)
{
    enum nss_status st;
    if (state_files_merged()) {
        if (state_hosts_addr_absent(addr, len, af, buflen))
            FILES_SKIPPED(h_errnop);
        else if (files_final(st = real_nss_files_gethostbyaddr_r(addr, len, af, result, buffer,
                                                                 buflen, errnop, h_errnop),
                             errnop, h_errnop))
            return st;
    }
    if (hostlookup_byaddr2(addr, len, af, result, buffer, buflen, errnop, h_errnop, ttlp,
                           &st) == 0)
        return st;
    return real_nss_dns_gethostbyaddr2_r(addr, len, af, result, buffer, buflen, errnop,
                                         h_errnop, ttlp);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyaddr_r(const void *addr, socklen_t len, int af,
                                 struct hostent *result, char *buffer, size_t buflen,
                                 int *errnop, int *h_errnop)
{
    return _nss_dnsfailover_gethostbyaddr2_r(addr, len, af, result, buffer, buflen, errnop,
                                             h_errnop, NULL);
}
