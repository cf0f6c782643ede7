/* hostsfile — /etc/hosts, parsed once and kept in memory as an index of the
 * names and addresses it holds.
 *
 * glibc's files module opens and parses the whole file on every lookup
 * (14-57 us here). When the hosts line reads "files dns", dnsfailover takes
 * both steps (see nsswitch.h), and asks this index first:
 *   - the name (or address) is certainly not in the file: glibc's module
 *     would read every line and return NOTFOUND, so we say NOTFOUND without
 *     reading anything;
 *   - it may be in the file: glibc's own files module answers, so every
 *     result that comes from /etc/hosts is still built by glibc itself.
 * The index is deliberately generous: whatever it cannot model exactly
 * (bytes >= 0x80, NUL bytes, a buffer glibc might find too small, a file it
 * cannot stat or read) counts as "may be there". A wrong "absent" would
 * change a result; a wrong "may be there" only costs glibc's read.
 *
 * Freshness: the file is stat()ed on each query (about 0.3 us) and read
 * again only when its device, inode, size or modification time changed. */
#ifndef DNSF_HOSTSFILE_H
#define DNSF_HOSTSFILE_H

#include <stddef.h>
#include <sys/socket.h>

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

/* ---- a file on disk, watched ------------------------------------------ */

struct hostsfile;

/* The system's /etc/hosts (one per process, lives forever). */
struct hostsfile *hostsfile_system(void);
/* Another path (unit tests). Return NULL when out of memory. */
struct hostsfile *hostsfile_open(const char *path);
void hostsfile_close(struct hostsfile *hf);

/* 1 if glibc's files module, called now with a buffer of BUFLEN bytes,
 * would certainly return NOTFOUND for NAME; 0 when it must be asked. */
int hostsfile_name_absent(struct hostsfile *hf, const char *name, size_t buflen);
/* The same for gethostbyaddr(ADDR, LEN, AF). */
int hostsfile_addr_absent(struct hostsfile *hf, const void *addr, socklen_t len, int af,
                          size_t buflen);
/* How many times the file was read and indexed (tests, statistics). */
unsigned long hostsfile_loads(const struct hostsfile *hf);
/* In the child after fork: reset the locks (the index itself is kept). */
void hostsfile_fork_child(void);

#endif
