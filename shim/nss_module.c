/* nss_module — glibc calls these for the "dnsfailover" source of the hosts
 * database (the library's soname is libnss_dnsfailover.so.2, so glibc's NSS
 * loader finds the already-preloaded copy). Each is a router:
 *   1. the files step, when "files dns" was merged into us
 *      (nsswitch_merge_files): the in-memory /etc/hosts (hostsfile.h) says
 *      NOTFOUND for a name not in the file, hands out glibc's remembered
 *      answer for one that is, or else glibc's files module answers (and
 *      is remembered); glibc stops after it on success, or on ERANGE (a
 *      larger buffer is needed), as it would for a separate "files" source;
 *   2. the DNS step: our engine answers, or, when it cannot (fail open),
 *      glibc's own DNS module does. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>

#include "dnsf/hostlookup.h"
#include "dnsf/hostsfile.h"
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

/* Which of glibc's files functions the caller stands for. */
enum by_name { BY_NAME1, BY_NAME2, BY_NAME3 };

/* The files step for the hostent forms. Return 1 with *ST set when glibc
 * would stop after it; 0 to go on to DNS (with glibc's files miss state:
 * HOST_NOT_FOUND, errno untouched). */
static int files_byname(enum by_name by, const char *name, int af, struct hostent *result,
                        char *buffer, size_t buflen, int *errnop, int *herrnop, int32_t *ttlp,
                        char **canonp, enum nss_status *st)
{
    if (!state_files_merged())
        return 0;
    struct hostsfile *hf = state_hostsfile();
    struct hostsfile_stamp stamp = { 0 };
    switch (hf ? hostsfile_byname3(hf, name, by == BY_NAME1 ? AF_INET : af, result, buffer,
                                   buflen, canonp, &stamp)
               : HOSTSFILE_ASK) {
    case HOSTSFILE_ABSENT:
        *herrnop = HOST_NOT_FOUND;
        return 0;
    case HOSTSFILE_ANSWERED:
        *st = NSS_STATUS_SUCCESS;
        return 1;
    case HOSTSFILE_ASK:
        break;
    }
    if (by == BY_NAME1)
        *st = real_nss_files_gethostbyname_r(name, result, buffer, buflen, errnop, herrnop);
    else if (by == BY_NAME2)
        *st = real_nss_files_gethostbyname2_r(name, af, result, buffer, buflen, errnop, herrnop);
    else
        *st = real_nss_files_gethostbyname3_r(name, af, result, buffer, buflen, errnop, herrnop,
                                              ttlp, canonp);
    if (*st == NSS_STATUS_SUCCESS && hf != NULL)
        hostsfile_remember_byname3(hf, &stamp, name, by == BY_NAME1 ? AF_INET : af, result);
    return files_final(*st, errnop, herrnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buffer,
                                  size_t buflen, int *errnop, int *herrnop, int32_t *ttlp)
{
    enum nss_status st;
    if (state_files_merged()) {
        struct hostsfile *hf = state_hostsfile();
        struct hostsfile_stamp stamp = { 0 };
        switch (hf ? hostsfile_byname4(hf, name, pat, buffer, buflen, &stamp) : HOSTSFILE_ASK) {
        case HOSTSFILE_ABSENT:
            *herrnop = HOST_NOT_FOUND;
            break;
        case HOSTSFILE_ANSWERED:
            return NSS_STATUS_SUCCESS;
        case HOSTSFILE_ASK:
            st = real_nss_files_gethostbyname4_r(name, pat, buffer, buflen, errnop, herrnop,
                                                 ttlp);
            if (st == NSS_STATUS_SUCCESS && hf != NULL)
                hostsfile_remember_byname4(hf, &stamp, name, *pat);
            if (files_final(st, errnop, herrnop))
                return st;
        }
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
    if (files_byname(BY_NAME3, name, af, result, buffer, buflen, errnop, h_errnop, ttlp, canonp,
                     &st))
        return st;
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
    if (files_byname(BY_NAME2, name, af, result, buffer, buflen, errnop, h_errnop, NULL, NULL,
                     &st))
        return st;
    if (hostlookup_byname2(name, af, result, buffer, buflen, errnop, h_errnop, &st) == 0)
        return st;
    return real_nss_dns_gethostbyname2_r(name, af, result, buffer, buflen, errnop, h_errnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname_r(const char *name, struct hostent *result, char *buffer,
                                 size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status st;
    if (files_byname(BY_NAME1, name, AF_INET, result, buffer, buflen, errnop, h_errnop, NULL,
                     NULL, &st))
        return st;
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
        struct hostsfile *hf = state_hostsfile();
        struct hostsfile_stamp stamp = { 0 };
        switch (hf ? hostsfile_byaddr(hf, addr, len, af, result, buffer, buflen, &stamp)
                   : HOSTSFILE_ASK) {
        case HOSTSFILE_ABSENT:
            *h_errnop = HOST_NOT_FOUND;
            break;
        case HOSTSFILE_ANSWERED:
            return NSS_STATUS_SUCCESS;
        case HOSTSFILE_ASK:
            st = real_nss_files_gethostbyaddr_r(addr, len, af, result, buffer, buflen, errnop,
                                                h_errnop);
            if (st == NSS_STATUS_SUCCESS && hf != NULL)
                hostsfile_remember_byaddr(hf, &stamp, addr, len, af, result);
            if (files_final(st, errnop, h_errnop))
                return st;
        }
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
