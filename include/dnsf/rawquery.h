/* rawquery — res_query, res_search and res_querydomain (and their res_n*
 * forms) through dnsfailover's engine: same strategies, health memory,
 * deadlines and cache as getaddrinfo, with glibc's return values, h_errno
 * and search rules (resolv/res_query.c).
 *
 * What a program set in its resolver state is honoured: the search list,
 * ndots and the RES_DEFNAMES/RES_DNSRCH/RES_NOTLDQUERY/RES_NOALIASES
 * options shape the search; a program that set its own nameservers, or
 * asked for TCP only (RES_USEVC), EDNS0/DNSSEC, RES_IGNTC or a class other
 * than IN, is passed through to libc unchanged. */
#ifndef DNSF_RAWQUERY_H
#define DNSF_RAWQUERY_H

#include <resolv.h>

#include "dnsf/failopen.h"

enum rawquery_kind { RAW_QUERY, RAW_SEARCH, RAW_QUERYDOMAIN };

/* Return the answer length (>= 0) as glibc would, or -1, having set the
 * thread's h_errno and STATP->res_h_errno where glibc does (on success too,
 * after a search), or DNSF_FAIL_OPEN when the call must go to libc
 * (pass-through or an internal failure; nothing was set). */
int rawquery_run(res_state statp, enum rawquery_kind kind, const char *name,
                 const char *domain, int class, int type, unsigned char *answer, int anslen);

/* Copy reply PKT into ANSWER the way glibc's res_send does for a fixed
 * buffer, for a reply read over TCP (VIA_TCP) or from a UDP datagram;
 * return the value res_query returns. */
int rawquery_copy(const unsigned char *pkt, int len, int via_tcp, unsigned char *answer,
                  int anslen);

#endif
