/* fuzz_answer -- the NSS result builders of shim/answer.c (hostent, the
 * getaddrinfo tuple list, PTR names), fed arbitrary replies, with the
 * caller's buffer of an arbitrary size.
 *
 * Input: a selector byte (which builder), a 16-bit buffer size (taken
 * modulo 4096), a 16-bit split point (gaih: where the A reply ends and the
 * AAAA reply begins), then the reply bytes.
 *
 * Properties checked, besides "no crash, no sanitizer report":
 *   - every pointer of a result (names, alias and address arrays and their
 *     entries, tuples) lies inside the caller's buffer, and every string
 *     ends inside it;
 *   - the outcome does not depend on the buffer's size except through
 *     ERANGE (glibc's protocol: the caller retries with a larger buffer):
 *     a result that fits a small buffer is the same in a large one, and a
 *     large enough buffer never gets ERANGE; a hostent or PTR name that
 *     failed with ERANGE succeeds there (getaddrinfo's form stops at the
 *     first reply that overflows, as glibc's gaih_getanswer does, so its
 *     second reply may still fail in a larger buffer);
 *   - the TTL stays within 0 .. the value passed in. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <sys/socket.h>

#include "dnsf/answer.h"
#include "dnsf/dnsmsg.h"
#include "fuzz.h"

#define TTL_START 0x7fffffff
#define ERANGE_STATUS 100          /* our name for "TRYAGAIN with ERANGE" */

struct region {
    const char *buf;
    size_t len;
};

static int inside(const struct region *r, const void *p, size_t n)
{
    const char *c = p;
    return c >= r->buf && n <= r->len && (size_t)(c - r->buf) <= r->len - n;
}

static void check_string(const struct region *r, const char *s, const char *what)
{
    FUZZ_CHECK(inside(r, s, 1), "%s outside the buffer", what);
    size_t room = r->len - (size_t)(s - r->buf);
    FUZZ_CHECK(memchr(s, 0, room) != NULL, "%s not terminated inside the buffer", what);
}

/* A result in a form that can be compared across buffer sizes. */
struct outcome {
    int status, herr;
    int32_t ttl;
    char text[1 << 15];
    size_t used;
};

static void add(struct outcome *o, const char *s)
{
    size_t n = strlen(s);
    if (o->used + n + 1 < sizeof o->text) {
        memcpy(o->text + o->used, s, n);
        o->text[o->used + n] = '|';
        o->used += n + 1;
        o->text[o->used] = 0;
    }
}

static void add_addr(struct outcome *o, const unsigned char *a, size_t n)
{
    char hex[40];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", a[i]);
    add(o, hex);
}

static void run_hostent(const uint8_t *pkt, size_t len, int qtype, size_t buflen,
                        struct outcome *o)
{
    char *buf = malloc(buflen ? buflen : 1);
    struct region r = { buf, buflen };
    struct hostent he;
    char *canon = NULL;
    int err = 0;
    memset(&he, 0, sizeof he);
    memset(o, 0, sizeof *o);
    o->ttl = TTL_START;
    o->status = answer_hostent(pkt, (int)len, qtype, &he, buf, buflen, &err, &o->herr,
                               &o->ttl, &canon);
    if (o->status == NSS_STATUS_TRYAGAIN && err == ERANGE)
        o->status = ERANGE_STATUS;
    if (o->status == NSS_STATUS_SUCCESS) {
        size_t alen = qtype == DNS_T_A ? 4 : 16, n = 0;
        FUZZ_CHECK(o->herr == NETDB_SUCCESS && canon == he.h_name, "success fields");
        check_string(&r, he.h_name, "h_name");
        add(o, he.h_name);
        FUZZ_CHECK(inside(&r, he.h_aliases, sizeof(char *)), "h_aliases outside");
        for (char **a = he.h_aliases; *a != NULL; a++) {
            FUZZ_CHECK(inside(&r, a + 1, sizeof(char *)), "alias array runs out of the buffer");
            check_string(&r, *a, "an alias");
            add(o, *a);
        }
        FUZZ_CHECK(inside(&r, he.h_addr_list, sizeof(char *)), "h_addr_list outside");
        for (char **a = he.h_addr_list; *a != NULL; a++, n++) {
            FUZZ_CHECK(inside(&r, a + 1, sizeof(char *)), "address array runs out of the buffer");
            FUZZ_CHECK(inside(&r, *a, alen), "an address outside the buffer");
            add_addr(o, (const unsigned char *)*a, alen);
        }
        FUZZ_CHECK(n >= 1, "success without an address");
    }
    free(buf);
}

static void run_ptr(const uint8_t *pkt, size_t len, size_t buflen, struct outcome *o)
{
    char *buf = malloc(buflen ? buflen : 1);
    struct region r = { buf, buflen };
    struct alloc_buffer ab;
    char *name = NULL;
    int err = 0;
    memset(o, 0, sizeof *o);
    o->ttl = TTL_START;
    alloc_buffer_init(&ab, buf, buflen);
    o->status = answer_ptr(pkt, (int)len, &ab, &name, &err, &o->herr, &o->ttl);
    if (alloc_buffer_has_failed(&ab))
        o->status = ERANGE_STATUS;   /* hostlookup's caller turns this into ERANGE */
    else if (o->status == NSS_STATUS_SUCCESS) {
        FUZZ_CHECK(name != NULL, "PTR success without a name");
        check_string(&r, name, "the PTR name");
        add(o, name);
    }
    free(buf);
}

static void run_gaih(const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2, size_t buflen,
                     struct outcome *o)
{
    char *buf = malloc(buflen ? buflen : 1);
    struct region r = { buf, buflen };
    struct alloc_buffer ab;
    struct gaih_addrtuple *at = NULL;
    int err = 0;
    memset(o, 0, sizeof *o);
    o->ttl = TTL_START;
    alloc_buffer_init(&ab, buf, buflen);
    o->status = answer_gaih(p1, (int)l1, p2, (int)l2, &ab, &at, &err, &o->herr, &o->ttl);
    if (alloc_buffer_has_failed(&ab))
        o->status = ERANGE_STATUS;
    else if (o->status == NSS_STATUS_SUCCESS) {
        size_t n = 0;
        FUZZ_CHECK(at != NULL, "gaih success without a tuple");
        for (struct gaih_addrtuple *t = at; t != NULL; t = t->next, n++) {
            FUZZ_CHECK(inside(&r, t, sizeof *t), "a tuple outside the buffer");
            FUZZ_CHECK(n < buflen / sizeof *t, "a loop in the tuple list");
            FUZZ_CHECK(t->family == AF_INET || t->family == AF_INET6, "family %d", t->family);
            if (t->name != NULL) {
                check_string(&r, t->name, "a tuple's name");
                add(o, t->name);
            }
            add_addr(o, (const unsigned char *)t->addr, t->family == AF_INET ? 4 : 16);
        }
    }
    free(buf);
}

static struct outcome small, large;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned which = fuzz_u8(&in) % 4;
    size_t buflen = fuzz_u16(&in) % 4096;
    size_t split = fuzz_u16(&in);
    uint8_t *pkt = fuzz_dup(in.p, in.n);
    size_t len = in.n;
    /* Each record (at least 11 octets) adds at most a 256-octet name and
     * two pointers or 16 octets of address to the result. */
    size_t big = 32 * len + 4096;

    if (which == 3) {
        size_t l1 = split < len ? split : len;
        uint8_t *p1 = fuzz_dup(pkt, l1), *p2 = fuzz_dup(pkt + l1, len - l1);
        run_gaih(p1, l1, p2, len - l1, buflen, &small);
        run_gaih(p1, l1, p2, len - l1, big, &large);
        free(p1);
        free(p2);
    } else if (which == 2) {
        run_ptr(pkt, len, buflen, &small);
        run_ptr(pkt, len, big, &large);
    } else {
        int qtype = which == 0 ? DNS_T_A : DNS_T_AAAA;
        run_hostent(pkt, len, qtype, buflen, &small);
        run_hostent(pkt, len, qtype, big, &large);
    }
    free(pkt);

    FUZZ_CHECK(large.status != ERANGE_STATUS, "ERANGE with a %zu-octet buffer", big);
    FUZZ_CHECK(large.ttl >= 0, "TTL %d", large.ttl);
    if (small.status == ERANGE_STATUS)
        FUZZ_CHECK(large.status == NSS_STATUS_SUCCESS || which == 3,
                   "ERANGE at %zu octets, but status %d at %zu", buflen, large.status, big);
    else
        FUZZ_CHECK(small.status == large.status && small.herr == large.herr
                       && small.ttl == large.ttl && strcmp(small.text, large.text) == 0,
                   "buffer %zu: status %d herr %d ttl %d [%s]; buffer %zu: status %d herr %d ttl %d [%s]",
                   buflen, small.status, small.herr, small.ttl, small.text, big, large.status,
                   large.herr, large.ttl, large.text);
    return 0;
}
