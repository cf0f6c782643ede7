/* note — a thread-local record, written by the NSS path, read by hooks. */
#include "dnsf/note.h"

#include <stdio.h>
#include <string.h>

static __thread struct lookup_note cur __attribute__((tls_model("initial-exec")));
/* The open trace, or NULL: only the diagnostic command sets it. */
static __thread struct note_trace *trace __attribute__((tls_model("initial-exec")));

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

void note_trace_open(struct note_trace *t)
{
    memset(t, 0, sizeof *t);
    trace = t;
}

void note_trace_close(void)
{
    trace = NULL;
}

void note_step(enum note_step step, uint16_t qtype, int rcode, const char *server)
{
    if (trace == NULL || trace->n >= NOTE_TRACE_MAX)
        return;
    trace->e[trace->n].step = step;
    trace->e[trace->n].qtype = qtype;
    trace->e[trace->n].rcode = rcode;
    snprintf(trace->e[trace->n].server, sizeof trace->e[0].server, "%s", server ? server : "");
    trace->n++;
}
