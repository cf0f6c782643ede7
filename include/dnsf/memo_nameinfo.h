/* memo_nameinfo — getnameinfo results in the memo (memo.h).
 *
 * Key: the socket address bytes and length, whether host and serv were
 * given and their lengths, and the flags: everything glibc's getnameinfo
 * (inet/getnameinfo.c) reads. Only AF_INET and AF_INET6 addresses are
 * memoised (for AF_LOCAL glibc reads sun_path up to its NUL, which may lie
 * beyond the given length). Value: the return value, what the call left in
 * h_errno, and the strings written to host and serv.
 *
 * Kept: successes, which write exactly each string and its NUL, and the
 * failures that write nothing (EAI_NONAME, EAI_FAMILY, EAI_BADFLAGS).
 * Not kept: EAI_OVERFLOW (glibc may have written part of serv with
 * snprintf), EAI_AGAIN, EAI_SYSTEM, EAI_MEMORY. errno after a failure is
 * the caller's: it carries meaning only with EAI_SYSTEM, never kept. */
#ifndef DNSF_MEMO_NAMEINFO_H
#define DNSF_MEMO_NAMEINFO_H

#include <sys/socket.h>

#include "dnsf/memo.h"

struct nameinfo_call {
    const struct sockaddr *sa;
    socklen_t salen;
    char *host;
    socklen_t hostlen;
    char *serv;
    socklen_t servlen;
    int flags;
};

/* On a hit: return 1 with *RC, the strings and h_errno as the real call
 * left them; 0: a miss. */
int memo_nameinfo_get(const struct memo_call *mc, const struct nameinfo_call *c, int *rc);
void memo_nameinfo_put(const struct memo_call *mc, const struct nameinfo_call *c, int rc);

#endif
