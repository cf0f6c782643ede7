/* note — a thread-local record, written by the NSS path, read by hooks. */
#include "dnsf/note.h"

#include <string.h>

static __thread struct lookup_note cur __attribute__((tls_model("initial-exec")));

void note_begin(void)
{
    memset(&cur, 0, sizeof cur);
    cur.open = 1;
    cur.expire_ms = UINT64_MAX;
}

void note_end(struct lookup_note *out)
{
    *out = cur;
    cur.open = 0;
}

void note_dns_called(void)
{
    cur.dns_called = 1;
}

void note_expiry(uint64_t expire_ms)
{
    if (!cur.open)
        return;
    if (expire_ms == 0)
        cur.uncacheable = 1;
    else if (expire_ms < cur.expire_ms)
        cur.expire_ms = expire_ms;
}

void note_uncacheable(void)
{
    cur.uncacheable = 1;
}
