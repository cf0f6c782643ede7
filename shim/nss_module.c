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
 *      glibc's own DNS module does; how long its answer stays valid is not
 *      ours to know, so the memo keeps nothing built from it (note.h).
 * Both steps run with cancellation off; glibc's DNS module with the
 * caller's state (cancel.h).
 *
 * Where the two halves meet: the hook half (hooks.c, hooks_res.c) takes
 * the program's call, sets up the memo and calls libc's own function;
 * glibc's NSS dispatch then calls these, because state.c's install put
 * "dnsfailover" on the hosts line (__nss_configure_lookup, nsswitch.c).
 * In NSS-only mode (no preload) glibc loads this file alone, from
 * nsswitch.conf. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>

#include "dnsf/cancel.h"
#include "dnsf/hostlookup.h"
#include "dnsf/hostsfile.h"
#include "dnsf/note.h"
#include "dnsf/real.h"
#include "dnsf/state.h"

#define NSS_EXPORT __attribute__((visibility("default")))

/* After glibc's files module returned ST: 1 if glibc would not go on to
 * the next source (files' default actions, plus the ERANGE rule of
 * nss/getXXbyYY_r.c and getaddrinfo: retry with a larger buffer). */
static int files_final(enum nss_status st, const int *errnop, const int *herrnop)
{
    if (st == NSS_STATUS_SUCCESS)
        note_step(NOTE_STEP_FILES, 0, -1, NULL);
    return st == NSS_STATUS_SUCCESS
        || (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL);
}

/* The index's verdict V: 1 with *ST set when it answered (glibc stops);
 * 0 to go on to DNS, leaving what glibc's files module leaves on a miss
 * (HOST_NOT_FOUND, errno untouched); -1 when glibc's module must be asked. */
static int files_verdict(enum hostsfile_verdict v, int *herrnop, enum nss_status *st)
{
    if (v == HOSTSFILE_ANSWERED) {
        note_step(NOTE_STEP_FILES, 0, -1, NULL);
        *st = NSS_STATUS_SUCCESS;
        return 1;
    }
    if (v == HOSTSFILE_ABSENT) {
        *herrnop = HOST_NOT_FOUND;
        return 0;
    }
    return -1;
}

/* After glibc's files module wrote HERR (its h_errno out-parameter, which
 * we hand it fresh so that we see whether it wrote one) or left it alone:
 * the same for the caller's *HERRNOP. */
static void pass_herrno(int herr, int *herrnop)
{
    if (herr != HOSTSFILE_HERRNO_UNTOUCHED)
        *herrnop = herr;
}

/* Which of glibc's files functions the caller stands for. */
enum by_name { BY_NAME1, BY_NAME2, BY_NAME3 };

/* The files step for the hostent forms. Return 1 with *ST set when glibc
 * would stop after it, 0 to go on to DNS. */
static int files_byname(enum by_name by, const char *name, int af, struct hostent *result,
                        char *buffer, size_t buflen, int *errnop, int *herrnop, int32_t *ttlp,
                        char **canonp, enum nss_status *st)
{
    if (!state_files_merged())
        return 0;
    struct hostsfile *hf = state_hostsfile();
    struct file_stamp stamp = { 0 };
    if (by == BY_NAME1)
        af = AF_INET;            /* glibc's files gethostbyname_r asks for AF_INET */
    int r = files_verdict(hf ? hostsfile_byname3(hf, name, af, result, buffer, buflen, canonp,
                                                 herrnop, &stamp)
                             : HOSTSFILE_ASK,
                          herrnop, st);
    if (r >= 0)
        return r;
    int herr = HOSTSFILE_HERRNO_UNTOUCHED;
    if (by == BY_NAME1)
        *st = real_nss_files_gethostbyname_r(name, result, buffer, buflen, errnop, &herr);
    else if (by == BY_NAME2)
        *st = real_nss_files_gethostbyname2_r(name, af, result, buffer, buflen, errnop, &herr);
    else
        *st = real_nss_files_gethostbyname3_r(name, af, result, buffer, buflen, errnop, &herr,
                                              ttlp, canonp);
    pass_herrno(herr, herrnop);
    if (*st == NSS_STATUS_SUCCESS && hf != NULL)
        hostsfile_remember_byname3(hf, &stamp, name, af, result, herr);
    return files_final(*st, errnop, herrnop);
}

/* The files step for getaddrinfo's form; returns as files_byname. */
static int files_byname4(const char *name, struct gaih_addrtuple **pat, char *buffer,
                         size_t buflen, int *errnop, int *herrnop, int32_t *ttlp,
                         enum nss_status *st)
{
    if (!state_files_merged())
        return 0;
    struct hostsfile *hf = state_hostsfile();
    struct file_stamp stamp = { 0 };
    int r = files_verdict(hf ? hostsfile_byname4(hf, name, pat, buffer, buflen, herrnop, &stamp)
                             : HOSTSFILE_ASK,
                          herrnop, st);
    if (r >= 0)
        return r;
    int herr = HOSTSFILE_HERRNO_UNTOUCHED;
    *st = real_nss_files_gethostbyname4_r(name, pat, buffer, buflen, errnop, &herr, ttlp);
    pass_herrno(herr, herrnop);
    if (*st == NSS_STATUS_SUCCESS && hf != NULL)
        hostsfile_remember_byname4(hf, &stamp, name, *pat, herr);
    return files_final(*st, errnop, herrnop);
}

/* The files step for reverse lookups; returns as files_byname. */
static int files_byaddr(const void *addr, socklen_t len, int af, struct hostent *result,
                        char *buffer, size_t buflen, int *errnop, int *herrnop,
                        enum nss_status *st)
{
    if (!state_files_merged())
        return 0;
    struct hostsfile *hf = state_hostsfile();
    struct file_stamp stamp = { 0 };
    int r = files_verdict(hf ? hostsfile_byaddr(hf, addr, len, af, result, buffer, buflen,
                                                herrnop, &stamp)
                             : HOSTSFILE_ASK,
                          herrnop, st);
    if (r >= 0)
        return r;
    int herr = HOSTSFILE_HERRNO_UNTOUCHED;
    *st = real_nss_files_gethostbyaddr_r(addr, len, af, result, buffer, buflen, errnop, &herr);
    pass_herrno(herr, herrnop);
    if (*st == NSS_STATUS_SUCCESS && hf != NULL)
        hostsfile_remember_byaddr(hf, &stamp, addr, len, af, result, herr);
    return files_final(*st, errnop, herrnop);
}

/* Our steps ran, with cancellation off since the entry (CS: the caller's
 * state). DONE: they answered; a cancel that came meanwhile acts now, as it
 * would have in glibc's DNS module. Else glibc's module must answer, with
 * the caller's state back. Returns DONE. */
static int answered(int done, int cs)
{
    if (done) {
        cancel_point(cs);
        return 1;
    }
    cancel_restore(cs);
    return 0;
}

/* Our engine cannot answer: glibc's own DNS module will, and the memo
 * keeps nothing built from its answer (note.h). */
static void failing_open(void)
{
    note_uncacheable();
    note_step(NOTE_STEP_GLIBC_DNS, 0, -1, NULL);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buffer,
                                  size_t buflen, int *errnop, int *herrnop, int32_t *ttlp)
{
    enum nss_status st;
    int cs = cancel_off();
    if (answered(files_byname4(name, pat, buffer, buflen, errnop, herrnop, ttlp, &st)
                     || hostlookup_byname4(name, pat, buffer, buflen, errnop, herrnop, ttlp,
                                           &st) == 0,
                 cs))
        return st;
    failing_open();
    return real_nss_dns_gethostbyname4_r(name, pat, buffer, buflen, errnop, herrnop, ttlp);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                  char *buffer, size_t buflen, int *errnop, int *h_errnop,
                                  int32_t *ttlp, char **canonp)
{
    enum nss_status st;
    int cs = cancel_off();
    if (answered(files_byname(BY_NAME3, name, af, result, buffer, buflen, errnop, h_errnop, ttlp,
                              canonp, &st)
                     || hostlookup_byname3(name, af, result, buffer, buflen, errnop, h_errnop,
                                           ttlp, canonp, &st) == 0,
                 cs))
        return st;
    failing_open();
    return real_nss_dns_gethostbyname3_r(name, af, result, buffer, buflen, errnop, h_errnop,
                                         ttlp, canonp);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                  char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status st;
    int cs = cancel_off();
    if (answered(files_byname(BY_NAME2, name, af, result, buffer, buflen, errnop, h_errnop, NULL,
                              NULL, &st)
                     || hostlookup_byname2(name, af, result, buffer, buflen, errnop, h_errnop,
                                           &st) == 0,
                 cs))
        return st;
    failing_open();
    return real_nss_dns_gethostbyname2_r(name, af, result, buffer, buflen, errnop, h_errnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyname_r(const char *name, struct hostent *result, char *buffer,
                                 size_t buflen, int *errnop, int *h_errnop)
{
    enum nss_status st;
    int cs = cancel_off();
    if (answered(files_byname(BY_NAME1, name, AF_INET, result, buffer, buflen, errnop, h_errnop,
                              NULL, NULL, &st)
                     || hostlookup_byname(name, result, buffer, buflen, errnop, h_errnop, &st)
                            == 0,
                 cs))
        return st;
    failing_open();
    return real_nss_dns_gethostbyname_r(name, result, buffer, buflen, errnop, h_errnop);
}

NSS_EXPORT enum nss_status
_nss_dnsfailover_gethostbyaddr2_r(const void *addr, socklen_t len, int af,
                                  struct hostent *result, char *buffer, size_t buflen,
                                  int *errnop, int *h_errnop, int32_t *ttlp)
{
    enum nss_status st;
    int cs = cancel_off();
    if (answered(files_byaddr(addr, len, af, result, buffer, buflen, errnop, h_errnop, &st)
                     || hostlookup_byaddr2(addr, len, af, result, buffer, buflen, errnop,
                                           h_errnop, ttlp, &st) == 0,
                 cs))
        return st;
    failing_open();
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
