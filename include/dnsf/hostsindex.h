/* hostsindex — an index of what an /etc/hosts text holds: its names and
 * addresses as sorted arrays, searched with bsearch. Pure: built from the
 * file's bytes, no I/O, no lock (hostsfile.h reads and watches the file).
 *
 * It answers one question for glibc's files module: may this name (or
 * address) be in the file? It is deliberately generous: whatever it cannot
 * model exactly (bytes >= 0x80, NUL bytes) counts as "may be there". */
#ifndef DNSF_HOSTSINDEX_H
#define DNSF_HOSTSINDEX_H

#include <stddef.h>

/* ---- the index: pure, built from the file's bytes -------------------- */

struct hosts_index;

/* Build an index of TEXT[0..LEN). Return NULL only when out of memory. */
struct hosts_index *hosts_index_build(const char *text, size_t len);
void hosts_index_free(struct hosts_index *idx);
/* 1 if glibc's files module may find NAME (as a host name or alias, in any
 * address family); 0 if it certainly does not. */
int hosts_index_may_have_name(const struct hosts_index *idx, const char *name);
/* The same for a reverse lookup of ADDR (LEN 4: AF_INET, 16: AF_INET6). */
int hosts_index_may_have_addr(const struct hosts_index *idx, const void *addr, size_t len);
/* A buffer this large holds any line of the file for glibc's parser, so it
 * cannot fail with ERANGE on a file that has no match. */
size_t hosts_index_safe_buflen(const struct hosts_index *idx);

#endif
