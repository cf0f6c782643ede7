/* hostsindex — the in-memory index of /etc/hosts (contract in hostsindex.h).
 *
 * The parsing rules mirror glibc 2.36 nss/nss_files (files-hosts.c,
 * files-parse.c): a line ends at '#' or newline; fields are separated by
 * white space; the first field is the address, the second the official
 * name, the rest aliases; names match case-insensitively (strcasecmp); a
 * line with only an address has the empty string as its name. For reverse
 * lookups glibc converts while parsing: with an IPv4 question, "::1" reads
 * as 127.0.0.1 and ::ffff:a.b.c.d as a.b.c.d; with an IPv6 question, IPv4
 * lines read as ::ffff:a.b.c.d. Every address is therefore kept in its
 * IPv6 (v4-mapped) form, plus 127.0.0.1 for each "::1". */
#include "dnsf/hostsindex.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/strutil.h"

/* glibc's parser needs, for one line of L bytes with T fields: alignment
 * padding (< 8), its struct parser_data (32 bytes on LP64), the line with
 * its newline and NUL, padding before the alias vector (< 8), and T + 1
 * pointers. HOSTS_BUF_SLACK covers the small terms with room to spare. */
#define HOSTS_BUF_SLACK 128

struct hosts_index {
    int unsure;                  /* a byte we do not model: "may be there" */
    size_t safe_buflen;
    size_t nnames, naddrs;
    const char **names;          /* sorted, lower case, unique */
    unsigned char (*addrs)[16];  /* sorted, unique, IPv6 / v4-mapped form */
    char *arena;                 /* the names' bytes */
};

/* ---- building ---------------------------------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_addr(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

static void map_v4(unsigned char out[16], const unsigned char v4[4])
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, v4, 4);
}

/* Grow *V (of *CAP elements of SIZE bytes) to hold one more than N. */
static int reserve(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / size)
        return -1;
    void *p = realloc(*(void **)v, ncap * size);
    if (p == NULL)
        return -1;
    *(void **)v = p;
    *cap = ncap;
    return 0;
}

static int add_addr(struct hosts_index *x, size_t *cap, const unsigned char a[16])
{
    if (reserve(&x->addrs, cap, x->naddrs, 16) < 0)
        return -1;
    memcpy(x->addrs[x->naddrs++], a, 16);
    return 0;
}

/* Index the address field TOK[0..N). An address glibc's inet_pton rejects
 * makes glibc skip the line; we keep its names anyway (generous). */
static int index_addr(struct hosts_index *x, size_t *cap, const char *tok, size_t n)
{
    char s[INET6_ADDRSTRLEN + 16];
    unsigned char a[16], v4[4];
    if (n >= sizeof s)
        return 0;
    memcpy(s, tok, n);
    s[n] = 0;
    if (inet_pton(AF_INET, s, v4) == 1) {
        map_v4(a, v4);
        return add_addr(x, cap, a);
    }
    if (inet_pton(AF_INET6, s, a) != 1)
        return 0;
    if (add_addr(x, cap, a) < 0)
        return -1;
    if (IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a)) {
        static const unsigned char lo[4] = { 127, 0, 0, 1 };
        map_v4(a, lo);
        return add_addr(x, cap, a);
    }
    return 0;
}

/* Sort and drop duplicates; return the new count. */
static size_t sort_unique(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n == 0)
        return 0;
    qsort(base, n, size, cmp);
    char *b = base;
    size_t o = 1;
    for (size_t i = 1; i < n; i++)
        if (cmp(b + (o - 1) * size, b + i * size) != 0)
            memmove(b + o++ * size, b + i * size, size);
    return o;
}

struct hosts_index *hosts_index_build(const char *text, size_t len)
{
    struct hosts_index *x = calloc(1, sizeof *x);
    size_t name_cap = 0, addr_cap = 0, used = 0, maxline = 0, maxfields = 0;
    if (x == NULL || (x->arena = malloc(len + 1)) == NULL)
        goto fail;
    for (size_t i = 0; i < len; i++)
        if (text[i] == 0 || (unsigned char)text[i] >= 0x80) {
            x->unsure = 1;       /* NUL ends glibc's line early; isspace and
                                    strcasecmp on high bytes follow the locale */
            return x;
        }
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t raw = nl ? (size_t)(nl - line) + 1 : len - pos;
        pos += raw;
        if (raw > maxline)
            maxline = raw;
        const char *hash = memchr(line, '#', raw);
        size_t end = hash ? (size_t)(hash - line) : raw;
        size_t fields = 0;
        for (size_t i = 0; i < end;) {
            while (i < end && is_space((unsigned char)line[i]))
                i++;
            if (i == end)
                break;
            size_t s = i;
            while (i < end && !is_space((unsigned char)line[i]))
                i++;
            if (fields++ == 0) {
                if (index_addr(x, &addr_cap, line + s, i - s) < 0)
                    goto fail;
                continue;
            }
            if (reserve(&x->names, &name_cap, x->nnames, sizeof *x->names) < 0)
                goto fail;
            char *copy = x->arena + used;
            for (size_t k = s; k < i; k++) {
                copy[k - s] = (char)dnsf_ascii_lower((uint8_t)line[k]);
            }
            copy[i - s] = 0;
            used += i - s + 1;
            x->names[x->nnames++] = copy;
        }
        if (fields == 1) {       /* no name field: glibc's h_name is "" */
            if (reserve(&x->names, &name_cap, x->nnames, sizeof *x->names) < 0)
                goto fail;
            x->names[x->nnames++] = "";
        }
        if (fields > maxfields)
            maxfields = fields;
    }
    x->nnames = sort_unique(x->names, x->nnames, sizeof *x->names, cmp_name);
    x->naddrs = sort_unique(x->addrs, x->naddrs, 16, cmp_addr);
    x->safe_buflen = maxline + (maxfields + 1) * sizeof(char *) + HOSTS_BUF_SLACK;
    return x;
fail:
    hosts_index_free(x);
    return NULL;
}

void hosts_index_free(struct hosts_index *x)
{
    if (x == NULL)
        return;
    free(x->names);
    free(x->addrs);
    free(x->arena);
    free(x);
}

int hosts_index_may_have_name(const struct hosts_index *x, const char *name)
{
    char low[1025];
    size_t n = strlen(name);
    if (x->unsure || n >= sizeof low)
        return 1;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x80)
            return 1;            /* a locale's strcasecmp may fold it to ASCII */
        low[i] = (char)dnsf_ascii_lower(c);
    }
    const char *key = low;
    return x->nnames > 0
        && bsearch(&key, x->names, x->nnames, sizeof *x->names, cmp_name) != NULL;
}

int hosts_index_may_have_addr(const struct hosts_index *x, const void *addr, size_t len)
{
    unsigned char a[16];
    if (x->unsure)
        return 1;
    if (len == 4)
        map_v4(a, addr);
    else if (len == 16)
        memcpy(a, addr, 16);
    else
        return 1;
    return x->naddrs > 0 && bsearch(a, x->addrs, x->naddrs, 16, cmp_addr) != NULL;
}

size_t hosts_index_safe_buflen(const struct hosts_index *x)
{
    return x->unsure ? SIZE_MAX : x->safe_buflen;
}
