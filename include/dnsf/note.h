/* note — what one hooked call consulted, recorded per thread.
 *
 * A hook opens a note, calls libc, and closes it: in between, the NSS
 * module records whether DNS was asked and until when the answers it used
 * stay valid. The memo uses this to keep a finished result no longer than
 * its DNS data. */
#ifndef DNSF_NOTE_H
#define DNSF_NOTE_H

#include <stdint.h>

struct lookup_note {
    int open;
    int dns_called;                /* our NSS module was asked */
    int uncacheable;               /* a failure, or data that must not be kept */
    uint64_t expire_ms;            /* the earliest expiry of the data used */
};

void note_begin(void);
void note_end(struct lookup_note *out);
void note_dns_called(void);
void note_expiry(uint64_t expire_ms);   /* 0: not cacheable */
void note_uncacheable(void);

/* Who answered: for `dnsfailover resolve`, the steps that answered the
 * lookups of this thread, recorded only while the command holds a trace
 * open (host programs never do, and pay one thread-local test per step). */
enum note_step {
    NOTE_STEP_FILES = 1,           /* /etc/hosts, in our merged files step */
    NOTE_STEP_CACHE,               /* a fresh cache entry */
    NOTE_STEP_STALE,               /* an expired one, every server failing (RFC 8767) */
    NOTE_STEP_SERVER,              /* a server's reply */
    NOTE_STEP_GLIBC_DNS,           /* glibc's own DNS module (we failed open) */
};
#define NOTE_TRACE_MAX 16
struct note_trace {
    int n;
    struct {
        enum note_step step;
        uint16_t qtype;            /* 0 for the files step */
        int rcode;                 /* of the reply used; -1 when none */
        char server[64];           /* NOTE_STEP_SERVER: as configured */
    } e[NOTE_TRACE_MAX];
};
void note_trace_open(struct note_trace *t);   /* records go to *T (emptied) */
void note_trace_close(void);
void note_step(enum note_step step, uint16_t qtype, int rcode, const char *server);

#endif
