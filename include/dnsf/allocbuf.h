/* allocbuf — a bump allocator over a caller's buffer, with the semantics of
 * glibc's struct alloc_buffer (include/alloc_buffer.h): each allocation is
 * aligned and bounds-checked, and once one fails, every later one fails too,
 * so a builder can allocate a whole result and look once at the end
 * (alloc_buffer_has_failed): that is how nss_dns decides on ERANGE.
 *
 * The one allocator for results laid out in an NSS caller's buffer: answer.c
 * and hostlookup.c build DNS results in it, hostsfile.c writes remembered
 * /etc/hosts answers with it. */
#ifndef DNSF_ALLOCBUF_H
#define DNSF_ALLOCBUF_H

#include <stddef.h>

struct alloc_buffer {
    char *cur, *end;               /* cur == NULL: failed */
};

/* Allocate from the LEN bytes at BUF. */
void alloc_buffer_init(struct alloc_buffer *b, char *buf, size_t len);
/* SIZE bytes aligned to ALIGN (a power of two), or NULL (then failed). */
void *alloc_buffer_alloc(struct alloc_buffer *b, size_t size, size_t align);
/* Align the next allocation to ALIGN and return where it starts, or NULL. */
void *alloc_buffer_next(struct alloc_buffer *b, size_t align);
/* A copy of the string S with its NUL, or NULL. */
char *alloc_buffer_copy_string(struct alloc_buffer *b, const char *s);
static inline int alloc_buffer_has_failed(const struct alloc_buffer *b)
{
    return b->cur == NULL;
}

#endif
