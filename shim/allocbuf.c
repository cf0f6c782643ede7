/* allocbuf — a bump allocator over a caller's buffer (contract in allocbuf.h). */
#include "dnsf/allocbuf.h"

#include <stdint.h>
#include <string.h>

void alloc_buffer_init(struct alloc_buffer *b, char *buf, size_t len)
{
    b->cur = buf;
    b->end = buf + len;
}

static void mark_failed(struct alloc_buffer *b)
{
    b->cur = b->end = NULL;
}

void *alloc_buffer_next(struct alloc_buffer *b, size_t align)
{
    if (b->cur == NULL)
        return NULL;
    uintptr_t p = ((uintptr_t)b->cur + align - 1) & ~(uintptr_t)(align - 1);
    if (p > (uintptr_t)b->end) {
        mark_failed(b);
        return NULL;
    }
    b->cur = (char *)p;
    return b->cur;
}

void *alloc_buffer_alloc(struct alloc_buffer *b, size_t size, size_t align)
{
    char *p = alloc_buffer_next(b, align);
    if (p == NULL)
        return NULL;
    if ((size_t)(b->end - p) < size) {
        mark_failed(b);
        return NULL;
    }
    b->cur = p + size;
    return p;
}

char *alloc_buffer_copy_string(struct alloc_buffer *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = alloc_buffer_alloc(b, n, 1);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}
