/* memo_hostent — gethostbyname*, gethostbyaddr* results in the memo (memo.h).
 *
 * What is kept is the finished result of the real call, keyed by everything
 * that can change it: the call (form, _r or not), the name or address
 * bytes, the family, and for the _r forms the caller's buflen and the
 * buffer's address modulo 16 (glibc aligns the pointer arrays it puts in
 * the buffer by their absolute address: nss/nss_files/files-parse.c,
 * include/alloc_buffer.h). A replay is then the bytes glibc wrote, with the
 * pointers into the buffer moved to the caller's buffer: the same layout,
 * and per buflen the same answer, ERANGE included (the threshold is glibc's
 * because each buflen is its own entry).
 *
 * Kept with the result: the return value, what the call left in the global
 * h_errno and in *h_errnop (or that it left them alone), and errno after a
 * failure (glibc's _r functions return errno's value, nss/getXXbyYY_r.c;
 * after a success the hooks give the caller's errno back). What is copied
 * is the span of the buffer from the lowest to the highest byte the result
 * points at; bytes outside it are left alone, so are *RET and the buffer on
 * a failure (glibc promises nothing about them then).
 *
 * The non-_r forms hand out per-thread storage, one per function as glibc
 * has one static buffer per function (glibc's is process-wide; nothing
 * promises which, and a thread's result is not overwritten by another's). */
#ifndef DNSF_MEMO_HOSTENT_H
#define DNSF_MEMO_HOSTENT_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

#include "dnsf/memo.h"

enum hostent_form { HOSTENT_BYNAME, HOSTENT_BYNAME2, HOSTENT_BYADDR };

/* One call: the arguments of any of the six functions. */
struct hostent_call {
    enum hostent_form form;
    const char *name;              /* by name */
    const void *addr;              /* by address */
    socklen_t len;
    int af;                        /* AF_INET for gethostbyname */
    /* The _r forms only (REENTRANT): */
    int reentrant;
    struct hostent *ret;
    char *buf;
    size_t buflen;
    struct hostent **result;
    int *h_errnop;
};

/* _r forms. On a hit: return 1, with the call's return value in *RC and
 * RET, the buffer, *RESULT, *H_ERRNOP, h_errno and errno (on a failure) as
 * the real call left them. 0: a miss. */
int memo_hostent_get_r(const struct memo_call *mc, const struct hostent_call *c, int *rc);
/* Keep what the real _r call C (return value RC) left, when MC allows and
 * the outcome depends on the data only. ERR: errno after the call. */
void memo_hostent_put_r(const struct memo_call *mc, const struct hostent_call *c, int rc,
                        int err);
/* Non-_r forms. On a hit: return 1 with *H the result (per-thread storage,
 * or NULL), h_errno and errno as the real call left them. */
int memo_hostent_get(const struct memo_call *mc, const struct hostent_call *c,
                     struct hostent **h);
void memo_hostent_put(const struct memo_call *mc, const struct hostent_call *c,
                      const struct hostent *h, int err);

#endif
