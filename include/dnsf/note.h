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

#endif
