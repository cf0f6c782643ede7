/* answer — turn reply packets into glibc's NSS results (hostent, the
 * gaih_addrtuple list, PTR names), laid out in the caller's buffer exactly
 * as glibc 2.36's nss_dns does (resolv/nss_dns/dns-host.c), so that the
 * results, the errors and even the ERANGE thresholds are the same. */
#ifndef DNSF_ANSWER_H
#define DNSF_ANSWER_H

#include <netdb.h>
#include <nss.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsf/allocbuf.h"

/* getanswer_r + the success path of gethostbyname3_context. */
enum nss_status answer_hostent(const uint8_t *pkt, int len, int qtype, struct hostent *result,
                               char *buffer, size_t buflen, int *errnop, int *h_errnop,
                               int32_t *ttlp, char **canonp);
/* gaih_getanswer: A reply then AAAA reply (either may have length 0). */
enum nss_status answer_gaih(const uint8_t *p1, int l1, const uint8_t *p2, int l2,
                            struct alloc_buffer *ab, struct gaih_addrtuple **pat,
                            int *errnop, int *h_errnop, int32_t *ttlp);
/* getanswer_ptr: store the PTR target in *HNAMEP. */
enum nss_status answer_ptr(const uint8_t *pkt, int len, struct alloc_buffer *ab, char **hnamep,
                           int *errnop, int *h_errnop, int32_t *ttlp);

#endif
