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
 * A name that is in the file is answered by glibc's files module the first
 * time; its answer (glibc's own fields) is remembered with the index and
 * handed out again until the file changes, so repeats read nothing either.
 *
 * Freshness: the file is stat()ed on each query (about 0.3 us) and read
 * again only when its device, inode, size or modification time changed. */
#ifndef DNSF_HOSTSFILE_H
#define DNSF_HOSTSFILE_H

#include <stddef.h>
#include <sys/socket.h>

#include "dnsf/hostsindex.h"

#include <netdb.h>
#include <nss.h>

#include "dnsf/filestamp.h"

struct hostsfile;

enum hostsfile_verdict {
    HOSTSFILE_ASK = 0,      /* call glibc's files module (then remember its answer) */
    HOSTSFILE_ABSENT,       /* glibc's module would return NOTFOUND: skip it */
    HOSTSFILE_ANSWERED,     /* filled in from a remembered answer of glibc's module */
};

/* The system's /etc/hosts (one per process, lives forever). */
struct hostsfile *hostsfile_system(void);
/* Another path (unit tests). Return NULL when out of memory. */
struct hostsfile *hostsfile_open(const char *path);
void hostsfile_close(struct hostsfile *hf);

/* Each query: HOSTSFILE_ABSENT when the name/address is certainly not in
 * the file; HOSTSFILE_ANSWERED when glibc's files module already answered
 * the same question (SUCCESS) since the file last changed and BUFLEN is
 * large enough that glibc would succeed again: the same fields are written
 * into RESULT/BUFFER (or *PAT/BUFFER), and into *HERRNOP what the module
 * left there with that answer (nothing, or HOST_NOT_FOUND when host.conf's
 * "multi on" made it read to the end of the file); else HOSTSFILE_ASK.
 * *STAMP is set to what the file looked like before glibc reads it (ok = 0
 * when missing or not a regular file), for the matching hostsfile_remember_*
 * call. Answers are kept only while the file is unchanged, so they are
 * exactly what glibc would read now. */
enum hostsfile_verdict hostsfile_byname3(struct hostsfile *hf, const char *name, int af,
                                         struct hostent *result, char *buffer, size_t buflen,
                                         char **canonp, int *herrnop, struct file_stamp *stamp);
enum hostsfile_verdict hostsfile_byname4(struct hostsfile *hf, const char *name,
                                         struct gaih_addrtuple **pat, char *buffer,
                                         size_t buflen, int *herrnop, struct file_stamp *stamp);
enum hostsfile_verdict hostsfile_byaddr(struct hostsfile *hf, const void *addr, socklen_t len,
                                        int af, struct hostent *result, char *buffer,
                                        size_t buflen, int *herrnop, struct file_stamp *stamp);
/* No h_errno value: what an h_errno out-parameter handed to glibc's files
 * module still holds when the module did not write it. */
#define HOSTSFILE_HERRNO_UNTOUCHED (-1000)

/* Remember what glibc's files module returned (SUCCESS) for a query that
 * began at STAMP, with HERRNO_LEFT the value it wrote to its h_errno
 * out-parameter (HOSTSFILE_HERRNO_UNTOUCHED: none). Dropped if the file has
 * changed since, or on no memory. */
void hostsfile_remember_byname3(struct hostsfile *hf, const struct file_stamp *stamp,
                                const char *name, int af, const struct hostent *h,
                                int herrno_left);
void hostsfile_remember_byname4(struct hostsfile *hf, const struct file_stamp *stamp,
                                const char *name, const struct gaih_addrtuple *at,
                                int herrno_left);
void hostsfile_remember_byaddr(struct hostsfile *hf, const struct file_stamp *stamp,
                               const void *addr, socklen_t len, int af,
                               const struct hostent *h, int herrno_left);

/* How many times the file was read and indexed (tests, statistics). */
unsigned long hostsfile_loads(const struct hostsfile *hf);
/* In the child after fork: reset the locks (the index itself is kept). */
void hostsfile_fork_child(void);

#endif
