/* test_answer — answer.c, the NSS result builders.
 *
 * answer.c follows glibc 2.36 resolv/nss_dns/dns-host.c (getanswer_r,
 * gethostbyname3_context, gaih_getanswer_slice, gaih_getanswer,
 * getanswer_ptr). The expectations below are that file's behaviour:
 * statuses, h_errno, errno, the TTL, and the buffer layout that fixes the
 * ERANGE thresholds. Where Debian's glibc 2.36-9+deb12u14 (the system glibc
 * the integration tests compare against) carries a later upstream fix, the
 * test follows the fixed behaviour and says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dnsf/answer.h"
#include "dnsf/dnsmsg.h"
#include "dnspkt.h"

#define ERRNO_UNTOUCHED 0x7777
#define HERRNO_UNTOUCHED 0x6666
#define TTL_START 0x7fffffff

/* ---- packets ------------------------------------------------------------ */

static void reply(struct pkt *p, const char *qname, unsigned qtype, unsigned rcode,
                  unsigned an, unsigned ns)
{
    pkt_init(p);
    pkt_header(p, 0x4242, PKT_RESPONSE | rcode, 1, an, ns, 0);
    pkt_question(p, qname, qtype, DNS_C_IN);
}

/* A record of any class and type with RDLEN bytes of RDATA. */
static void rr_raw(struct pkt *p, const char *owner, unsigned type, unsigned cls,
                   uint32_t ttl, const void *rdata, size_t rdlen)
{
    pkt_owner(p, owner);
    size_t at = pkt_rr_meta(p, type, cls, ttl);
    pkt_bytes(p, rdata, rdlen);
    pkt_rr_end(p, at);
}

/* An exact-size heap copy of P, so a read past the end is an ASan error. */
static uint8_t *heap_copy(const struct pkt *p)
{
    uint8_t *b = malloc(p->n);
    assert_non_null(b);
    memcpy(b, p->b, p->n);
    return b;
}

/* ---- the result buffer -------------------------------------------------- */

/* A buffer whose last byte is followed by an inaccessible page: a write
 * past BUFLEN faults. */
static char *guard_base;
static size_t guard_page;

static int setup_guard(void **state)
{
    (void)state;
    guard_page = (size_t)sysconf(_SC_PAGESIZE);
    guard_base = mmap(NULL, 4 * guard_page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED)
        return -1;
    return mprotect(guard_base + 3 * guard_page, guard_page, PROT_NONE);
}

static int teardown_guard(void **state)
{
    (void)state;
    munmap(guard_base, 4 * guard_page);
    return 0;
}

/* BUFLEN bytes ending right at the guard page (so its start has every
 * possible alignment as BUFLEN varies). */
static char *guarded(size_t buflen)
{
    assert_true(buflen <= 3 * guard_page);
    char *b = guard_base + 3 * guard_page - buflen;
    memset(guard_base, 0xa5, 3 * guard_page - buflen);
    return b;
}

/* The bytes before the guarded buffer must be untouched too. */
static void assert_below_untouched(size_t buflen)
{
    const unsigned char *p = (const unsigned char *)guard_base;
    for (size_t i = 0; i < 3 * guard_page - buflen; i++)
        if (p[i] != 0xa5)
            fail_msg("byte %zu before a %zu-byte buffer was written", 3 * guard_page - buflen - i,
                     buflen);
}

/* A 16-aligned buffer followed by canary bytes. */
static char canary_area[8192] __attribute__((aligned(16)));
#define CANARY 64
static char *canaried(size_t buflen)
{
    assert_true(buflen + CANARY <= sizeof canary_area);
    memset(canary_area, 0x5a, buflen + CANARY);
    return canary_area;
}
static void assert_canary(size_t buflen)
{
    for (size_t i = buflen; i < buflen + CANARY; i++)
        if ((unsigned char)canary_area[i] != 0x5a)
            fail_msg("byte %zu past a %zu-byte buffer was written", i - buflen, buflen);
}

static int inside(const void *p, const char *buf, size_t len)
{
    return (const char *)p >= buf && (const char *)p < buf + len;
}

/* ---- answer_hostent ----------------------------------------------------- */

struct hres {
    enum nss_status st;
    struct hostent he;
    int err, herr;
    int32_t ttl;
    char *canon;
};

static void call_hostent(const struct pkt *p, int qtype, char *buf, size_t buflen, struct hres *r)
{
    uint8_t *pkt = heap_copy(p);
    memset(&r->he, 0, sizeof r->he);
    r->err = ERRNO_UNTOUCHED;
    r->herr = HERRNO_UNTOUCHED;
    r->ttl = TTL_START;
    r->canon = NULL;
    r->st = answer_hostent(pkt, (int)p->n, qtype, &r->he, buf, buflen, &r->err, &r->herr,
                           &r->ttl, &r->canon);
    free(pkt);
}

static struct hres hostent_big(const struct pkt *p, int qtype)
{
    static char buf[4096];
    struct hres r;
    call_hostent(p, qtype, buf, sizeof buf, &r);
    if (r.st == NSS_STATUS_SUCCESS) {
        /* Everything the hostent points to lives in the caller's buffer. */
        assert_true(inside(r.he.h_name, buf, sizeof buf));
        assert_true(inside(r.he.h_aliases, buf, sizeof buf));
        assert_true(inside(r.he.h_addr_list, buf, sizeof buf));
        for (char **a = r.he.h_addr_list; *a != NULL; a++) {
            assert_true(inside(*a, buf, sizeof buf));
            assert_int_equal((uintptr_t)*a % 4, 0);         /* glibc aligns to 4 */
        }
        for (char **a = r.he.h_aliases; *a != NULL; a++)
            assert_true(inside(*a, buf, sizeof buf));
        assert_ptr_equal(r.canon, r.he.h_name);
    }
    return r;
}

static void assert_addr4(const char *got, const char *want)
{
    uint8_t a[4];
    assert_int_equal(inet_pton(AF_INET, want, a), 1);
    assert_memory_equal(got, a, 4);
}

static void assert_addr6(const char *got, const char *want)
{
    uint8_t a[16];
    assert_int_equal(inet_pton(AF_INET6, want, a), 1);
    assert_memory_equal(got, a, 16);
}

static int count(char **v)
{
    int n = 0;
    while (v[n] != NULL)
        n++;
    return n;
}

static void test_hostent_a(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "www.example.com", DNS_T_A, 0, 3, 0);
    pkt_rr_a(&p, NULL, 300, "192.0.2.10");
    pkt_rr_a(&p, NULL, 120, "192.0.2.11");
    pkt_rr_a(&p, NULL, 300, "192.0.2.12");
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(r.herr, NETDB_SUCCESS);
    assert_int_equal(r.err, ERRNO_UNTOUCHED);
    assert_string_equal(r.he.h_name, "www.example.com");
    assert_int_equal(count(r.he.h_aliases), 0);
    assert_int_equal(count(r.he.h_addr_list), 3);
    assert_addr4(r.he.h_addr_list[0], "192.0.2.10");          /* answer order */
    assert_addr4(r.he.h_addr_list[1], "192.0.2.11");
    assert_addr4(r.he.h_addr_list[2], "192.0.2.12");
    assert_int_equal(r.ttl, 120);                             /* the minimum */
}

static void test_hostent_aaaa_ignores_other_types(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "v6.example.com", DNS_T_AAAA, 0, 4, 0);
    pkt_rr_a(&p, NULL, 5, "192.0.2.1");                       /* not the qtype */
    pkt_rr_aaaa(&p, NULL, 600, "2001:db8::10");
    rr_raw(&p, NULL, DNS_T_MX, DNS_C_IN, 1, "\0\12\0", 3);     /* nor this */
    pkt_rr_aaaa(&p, NULL, 900, "2001:db8::11");
    struct hres r = hostent_big(&p, DNS_T_AAAA);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(count(r.he.h_addr_list), 2);
    assert_addr6(r.he.h_addr_list[0], "2001:db8::10");
    assert_addr6(r.he.h_addr_list[1], "2001:db8::11");
    assert_int_equal(r.ttl, 600);     /* only CNAME and qtype records count */
}

static void test_hostent_cname_chain(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "alias1.example", DNS_T_A, 0, 6, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "alias2.example");
    pkt_rr_dname(&p, "alias2.example", DNS_T_CNAME, 120, "alias3.example");
    pkt_rr_dname(&p, "alias3.example", DNS_T_CNAME, 3600, "multi.example");
    pkt_rr_a(&p, "multi.example", 120, "192.0.2.21");
    pkt_rr_a(&p, "MULTI.Example", 120, "192.0.2.22");          /* case-insensitive owner */
    pkt_rr_a(&p, "alias1.example", 120, "192.0.2.99");         /* no longer the expected owner */
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    /* h_name is the last name of the chain; h_aliases the question name and
     * the intermediate names, in order. */
    assert_string_equal(r.he.h_name, "multi.example");
    assert_int_equal(count(r.he.h_aliases), 3);
    assert_string_equal(r.he.h_aliases[0], "alias1.example");
    assert_string_equal(r.he.h_aliases[1], "alias2.example");
    assert_string_equal(r.he.h_aliases[2], "alias3.example");
    assert_int_equal(count(r.he.h_addr_list), 2);
    assert_addr4(r.he.h_addr_list[0], "192.0.2.21");
    assert_addr4(r.he.h_addr_list[1], "192.0.2.22");
    assert_int_equal(r.ttl, 60);
}

static void test_hostent_cname_not_checked_for_owner(void **state)
{
    (void)state;
    /* glibc: "No check for owner name match, based on historic precedent". */
    struct pkt p;
    reply(&p, "www.example", DNS_T_A, 0, 2, 0);
    pkt_rr_dname(&p, "unrelated.example", DNS_T_CNAME, 60, "target.example");
    pkt_rr_a(&p, "target.example", 60, "192.0.2.5");
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.he.h_name, "target.example");
    assert_string_equal(r.he.h_aliases[0], "www.example");
}

static void test_hostent_cname_to_non_hostname(void **state)
{
    (void)state;
    /* A CNAME target that is not a host name is followed but not stored as
     * an alias, so h_name stays the last valid name. */
    struct pkt p;
    reply(&p, "www.example", DNS_T_A, 0, 2, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "bad!target.example");
    pkt_rr_a(&p, "bad!target.example", 60, "192.0.2.6");
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.he.h_name, "www.example");
    assert_int_equal(count(r.he.h_aliases), 0);
    assert_addr4(r.he.h_addr_list[0], "192.0.2.6");
}

static void test_hostent_nxdomain(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "nowhere.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 1);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 300);
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);                  /* no negative caching */

    /* NXDOMAIN wins even with a CNAME and an address in the answer. */
    reply(&p, "dangling.example", DNS_T_A, DNS_R_NXDOMAIN, 2, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "nowhere.example");
    pkt_rr_a(&p, "nowhere.example", 60, "192.0.2.1");
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
}

static void test_hostent_nodata_and_cname_only(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "nodata.example", DNS_T_A, 0, 0, 1);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 300);
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);

    reply(&p, "cname-only.example", DNS_T_A, 0, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "target.example");
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);
}

static void test_hostent_wrong_class_and_other_owner(void **state)
{
    (void)state;
    struct pkt p;
    uint8_t a[4] = { 192, 0, 2, 66 };
    reply(&p, "www.example", DNS_T_A, 0, 5, 0);
    rr_raw(&p, NULL, DNS_T_A, 3 /* CH */, 1, a, 4);                      /* skipped */
    pkt_owner(&p, NULL);                                                 /* CNAME, class HS */
    size_t at = pkt_rr_meta(&p, DNS_T_CNAME, 4, 1);
    pkt_name(&p, "elsewhere.example");
    pkt_rr_end(&p, at);
    pkt_rr_a(&p, "other.example", 1, "192.0.2.67");                      /* other owner */
    pkt_rr_a(&p, NULL, 50, "192.0.2.68");
    rr_raw(&p, NULL, DNS_T_A, DNS_C_IN, 2, "\xc0\x00\x02\x45\x00", 5);   /* bad RDLENGTH */
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.he.h_name, "www.example");       /* the HS CNAME was ignored */
    assert_int_equal(count(r.he.h_addr_list), 1);
    assert_addr4(r.he.h_addr_list[0], "192.0.2.68");
    /* Wrong-class records do not lower the TTL; other owners and bad
     * lengths do (glibc lowers it before the owner check). */
    assert_int_equal(r.ttl, 1);

    /* Only wrong-class records: no address. */
    reply(&p, "www.example", DNS_T_A, 0, 1, 0);
    rr_raw(&p, NULL, DNS_T_A, 3, 1, a, 4);
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
}

static void test_hostent_invalid_qname(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "bad!name.example", DNS_T_A, 0, 1, 0);
    pkt_rr_a(&p, NULL, 60, "192.0.2.1");
    struct hres r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);
}

static void test_hostent_malformed(void **state)
{
    (void)state;
    struct pkt p;
    struct hres r;

    /* Not a message with one question. */
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE, 2, 0, 0, 0);
    pkt_question(&p, "a.example", DNS_T_A, DNS_C_IN);
    pkt_question(&p, "b.example", DNS_T_A, DNS_C_IN);
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);

    /* ANCOUNT promises a record that is not there. */
    reply(&p, "www.example", DNS_T_A, 0, 2, 0);
    pkt_rr_a(&p, NULL, 60, "192.0.2.1");
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);

    /* A CNAME whose target is a pointer loop. */
    reply(&p, "www.example", DNS_T_A, 0, 2, 0);
    pkt_owner(&p, NULL);
    size_t at = pkt_rr_meta(&p, DNS_T_CNAME, DNS_C_IN, 60);
    pkt_ptr(&p, (unsigned)p.n);
    pkt_rr_end(&p, at);
    pkt_rr_a(&p, NULL, 60, "192.0.2.1");
    r = hostent_big(&p, DNS_T_A);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);
}

static void test_hostent_ttl_optional(void **state)
{
    (void)state;
    struct pkt p;
    char buf[512];
    struct hostent he;
    int err = 0, herr = 0;
    reply(&p, "www.example", DNS_T_A, 0, 1, 0);
    pkt_rr_a(&p, NULL, 60, "192.0.2.1");
    uint8_t *pkt = heap_copy(&p);
    assert_int_equal(answer_hostent(pkt, (int)p.n, DNS_T_A, &he, buf, sizeof buf, &err, &herr,
                                    NULL, NULL),
                     NSS_STATUS_SUCCESS);
    free(pkt);
    reply(&p, "nowhere.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 0);
    pkt = heap_copy(&p);
    assert_int_equal(answer_hostent(pkt, (int)p.n, DNS_T_A, &he, buf, sizeof buf, &err, &herr,
                                    NULL, NULL),
                     NSS_STATUS_NOTFOUND);
    free(pkt);
}

/* The ERANGE protocol: every buffer smaller than the smallest that works
 * gets TRYAGAIN + ERANGE + NETDB_INTERNAL, and nothing is written outside. */
static void test_hostent_erange(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "a.example", DNS_T_A, 0, 4, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "b.example");
    pkt_rr_a(&p, "b.example", 60, "192.0.2.1");
    pkt_rr_a(&p, "b.example", 60, "192.0.2.2");
    pkt_rr_a(&p, "b.example", 60, "192.0.2.3");

    /* glibc's layout from an 8-aligned start: "a.example" [0,10),
     * "b.example" [10,20), three 4-aligned addresses [20,32), h_addr_list
     * (3+1 pointers) [32,64), h_aliases (2 pointers: the last alias is
     * h_name, its slot is the NULL) [64,80). */
    const size_t want_min = 80;
    size_t min = 0;
    for (size_t len = 0; len <= 200; len++) {
        struct hres r;
        char *buf = canaried(len);
        call_hostent(&p, DNS_T_A, buf, len, &r);
        assert_canary(len);
        if (r.st == NSS_STATUS_SUCCESS) {
            if (min == 0)
                min = len;
            assert_string_equal(r.he.h_name, "b.example");
            assert_int_equal(count(r.he.h_addr_list), 3);
            continue;
        }
        if (min != 0)
            fail_msg("buflen %zu fails after %zu succeeded", len, min);
        assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
        assert_int_equal(r.err, ERANGE);
        assert_int_equal(r.herr, NETDB_INTERNAL);
    }
    assert_int_equal(min, want_min);

    /* At every alignment: never a write past the end or before the start. */
    for (size_t len = 0; len <= 120; len++) {
        struct hres r;
        char *buf = guarded(len);
        call_hostent(&p, DNS_T_A, buf, len, &r);
        assert_below_untouched(len);
        if (len < want_min) {
            assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
            assert_int_equal(r.err, ERANGE);
        } else if (len >= want_min + 3 + 7) {   /* worst-case padding: 4- and 8-alignment */
            assert_int_equal(r.st, NSS_STATUS_SUCCESS);
        } else {
            assert_true(r.st == NSS_STATUS_SUCCESS
                        || (r.st == NSS_STATUS_TRYAGAIN && r.err == ERANGE));
        }
    }
}

/* ---- answer_gaih -------------------------------------------------------- */

struct gres {
    enum nss_status st;
    struct gaih_addrtuple *at;
    int err, herr, failed;
    int32_t ttl;
};

static void call_gaih(const struct pkt *p1, const struct pkt *p2, char *buf, size_t buflen,
                      struct gres *r)
{
    uint8_t *a = p1 && p1->n ? heap_copy(p1) : NULL;
    uint8_t *b = p2 && p2->n ? heap_copy(p2) : NULL;
    struct alloc_buffer ab;
    alloc_buffer_init(&ab, buf, buflen);
    r->at = NULL;
    r->err = ERRNO_UNTOUCHED;
    r->herr = HERRNO_UNTOUCHED;
    r->ttl = TTL_START;
    r->st = answer_gaih(a, a ? (int)p1->n : 0, b, b ? (int)p2->n : 0, &ab, &r->at, &r->err,
                        &r->herr, &r->ttl);
    r->failed = alloc_buffer_has_failed(&ab);
    free(a);
    free(b);
}

static struct gres gaih_big(const struct pkt *p1, const struct pkt *p2)
{
    static char buf[4096];
    struct gres r;
    call_gaih(p1, p2, buf, sizeof buf, &r);
    assert_false(r.failed);
    for (struct gaih_addrtuple *t = r.at; t != NULL; t = t->next) {
        assert_true(inside(t, buf, sizeof buf));
        assert_true(t->name == NULL || inside(t->name, buf, sizeof buf));
    }
    return r;
}

static int tuples(const struct gaih_addrtuple *t)
{
    int n = 0;
    for (; t != NULL; t = t->next)
        n++;
    return n;
}

static void assert_tuple(const struct gaih_addrtuple *t, const char *name, const char *addr)
{
    assert_non_null(t);
    if (name == NULL)
        assert_null(t->name);
    else {
        assert_non_null(t->name);
        assert_string_equal(t->name, name);
    }
    if (strchr(addr, ':') != NULL) {
        assert_int_equal(t->family, AF_INET6);
        assert_addr6((const char *)t->addr, addr);
    } else {
        assert_int_equal(t->family, AF_INET);
        assert_addr4((const char *)t->addr, addr);
    }
    assert_int_equal(t->scopeid, 0);
}

static void test_gaih_a_then_aaaa(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "www.example.com", DNS_T_A, 0, 2, 0);
    pkt_rr_a(&a, NULL, 300, "192.0.2.10");
    pkt_rr_a(&a, NULL, 300, "192.0.2.11");
    reply(&b, "www.example.com", DNS_T_AAAA, 0, 1, 0);
    pkt_rr_aaaa(&b, NULL, 200, "2001:db8::10");
    struct gres r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(r.herr, NETDB_SUCCESS);
    assert_int_equal(tuples(r.at), 3);
    /* The canonical name is on the first tuple only. */
    assert_tuple(r.at, "www.example.com", "192.0.2.10");
    assert_tuple(r.at->next, NULL, "192.0.2.11");
    assert_tuple(r.at->next->next, NULL, "2001:db8::10");
    assert_int_equal(r.ttl, 200);
}

static void test_gaih_cname_canonical(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "alias1.example", DNS_T_A, 0, 3, 0);
    pkt_rr_dname(&a, NULL, DNS_T_CNAME, 60, "alias2.example");
    pkt_rr_dname(&a, "alias2.example", DNS_T_CNAME, 120, "multi.example");
    pkt_rr_a(&a, "multi.example", 120, "192.0.2.21");
    reply(&b, "alias1.example", DNS_T_AAAA, 0, 3, 0);
    pkt_rr_dname(&b, NULL, DNS_T_CNAME, 60, "alias2.example");
    pkt_rr_dname(&b, "alias2.example", DNS_T_CNAME, 120, "multi.example");
    pkt_rr_aaaa(&b, "multi.example", 30, "2001:db8::21");
    struct gres r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(tuples(r.at), 2);
    assert_tuple(r.at, "multi.example", "192.0.2.21");
    assert_tuple(r.at->next, NULL, "2001:db8::21");
    assert_int_equal(r.ttl, 30);
}

static void test_gaih_canonical_skips_non_hostname(void **state)
{
    (void)state;
    struct pkt a;
    /* www -> bad!x: not a host name, so the canonical name stays www. */
    reply(&a, "www.example", DNS_T_A, 0, 2, 0);
    pkt_rr_dname(&a, NULL, DNS_T_CNAME, 60, "bad!x.example");
    pkt_rr_a(&a, "bad!x.example", 60, "192.0.2.1");
    struct gres r = gaih_big(&a, NULL);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_tuple(r.at, "www.example", "192.0.2.1");

    /* www -> bad!x -> good: the last usable name. */
    reply(&a, "www.example", DNS_T_A, 0, 3, 0);
    pkt_rr_dname(&a, NULL, DNS_T_CNAME, 60, "bad!x.example");
    pkt_rr_dname(&a, "bad!x.example", DNS_T_CNAME, 60, "good.example");
    pkt_rr_a(&a, "good.example", 60, "192.0.2.2");
    r = gaih_big(&a, NULL);
    assert_tuple(r.at, "good.example", "192.0.2.2");
}

static void test_gaih_first_empty_second_carries_name(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "v6only.example", DNS_T_A, 0, 0, 1);                  /* NODATA */
    pkt_rr_soa(&a, "example", 3600, "ns1.example", "hostmaster.example", 300);
    reply(&b, "v6only.example", DNS_T_AAAA, 0, 1, 0);
    pkt_rr_aaaa(&b, NULL, 120, "2001:db8::11");
    struct gres r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(tuples(r.at), 1);
    assert_tuple(r.at, "v6only.example", "2001:db8::11");

    /* The first reply absent (length 0): the same. */
    r = gaih_big(NULL, &b);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_tuple(r.at, "v6only.example", "2001:db8::11");

    /* The second absent: A only. */
    reply(&a, "v4only.example", DNS_T_A, 0, 1, 0);
    pkt_rr_a(&a, NULL, 60, "192.0.2.11");
    r = gaih_big(&a, NULL);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(tuples(r.at), 1);
    assert_tuple(r.at, "v4only.example", "192.0.2.11");
}

static void test_gaih_notfound(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "nowhere.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 0);
    reply(&b, "nowhere.example", DNS_T_AAAA, DNS_R_NXDOMAIN, 0, 0);
    struct gres r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
    assert_null(r.at);

    /* Only CNAMEs while looking for addresses: NOTFOUND too. */
    reply(&a, "cname-only.example", DNS_T_A, 0, 1, 0);
    pkt_rr_dname(&a, NULL, DNS_T_CNAME, 60, "t.example");
    reply(&b, "cname-only.example", DNS_T_AAAA, 0, 1, 0);
    pkt_rr_dname(&b, NULL, DNS_T_CNAME, 60, "t.example");
    r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
    assert_null(r.at);

    /* A question name that is not a host name. */
    reply(&a, "bad!name.example", DNS_T_A, 0, 1, 0);
    pkt_rr_a(&a, NULL, 60, "192.0.2.1");
    r = gaih_big(&a, NULL);
    assert_int_equal(r.st, NSS_STATUS_NOTFOUND);
    assert_int_equal(r.herr, HOST_NOT_FOUND);
    assert_null(r.at);
}

static void test_gaih_wrong_class_and_other_owner(void **state)
{
    (void)state;
    /* glibc's gaih_getanswer_slice has no class check (getanswer_r has):
     * a CH-class A record for the right owner is used. Other owners and
     * bad lengths are not. */
    struct pkt a;
    uint8_t ch[4] = { 192, 0, 2, 77 };
    reply(&a, "www.example", DNS_T_A, 0, 4, 0);
    pkt_rr_a(&a, "other.example", 60, "192.0.2.1");
    rr_raw(&a, NULL, DNS_T_A, 3, 60, ch, 4);
    rr_raw(&a, NULL, DNS_T_A, DNS_C_IN, 60, "\xc0\x00\x02\x02\x00", 5);
    pkt_rr_a(&a, "WWW.EXAMPLE", 60, "192.0.2.3");
    struct gres r = gaih_big(&a, NULL);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(tuples(r.at), 2);
    assert_tuple(r.at, "www.example", "192.0.2.77");
    assert_tuple(r.at->next, NULL, "192.0.2.3");
}

static void test_gaih_malformed(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "www.example", DNS_T_A, 0, 2, 0);                 /* one record missing */
    pkt_rr_a(&a, NULL, 60, "192.0.2.1");
    reply(&b, "www.example", DNS_T_AAAA, 0, 1, 0);
    pkt_rr_aaaa(&b, NULL, 60, "2001:db8::1");
    struct gres r = gaih_big(&a, &b);
    /* UNAVAIL from the first reply: the second is not looked at. */
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);

    /* A good first reply and a malformed second one: SUCCESS with the
     * first's addresses (glibc's table, row SUCCESS/UNAVAIL). */
    reply(&a, "www.example", DNS_T_A, 0, 1, 0);
    pkt_rr_a(&a, NULL, 60, "192.0.2.1");
    reply(&b, "www.example", DNS_T_AAAA, 0, 3, 0);
    pkt_rr_aaaa(&b, NULL, 60, "2001:db8::1");
    r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_int_equal(r.herr, NO_RECOVERY);       /* glibc leaves the second's h_errno */
    assert_true(tuples(r.at) >= 1);
    assert_tuple(r.at, "www.example", "192.0.2.1");

    /* NOTFOUND then UNAVAIL: UNAVAIL. */
    reply(&a, "www.example", DNS_T_A, 0, 0, 0);
    r = gaih_big(&a, &b);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
}

static void test_gaih_erange(void **state)
{
    (void)state;
    struct pkt a, b;
    reply(&a, "a.example", DNS_T_A, 0, 2, 0);
    pkt_rr_a(&a, NULL, 60, "192.0.2.1");
    pkt_rr_a(&a, NULL, 60, "192.0.2.2");
    reply(&b, "a.example", DNS_T_AAAA, 0, 1, 0);
    pkt_rr_aaaa(&b, NULL, 60, "2001:db8::1");
    assert_int_equal(sizeof(struct gaih_addrtuple), 40);

    /* From an 8-aligned start: tuple [0,40), "a.example" [40,50), tuple
     * [56,96), then the AAAA tuple [96,136). */
    const size_t first_slice = 96, want_min = 136;
    size_t min = 0;
    for (size_t len = 0; len <= 200; len++) {
        struct gres r;
        char *buf = canaried(len);
        call_gaih(&a, &b, buf, len, &r);
        assert_canary(len);
        if (!r.failed) {
            if (min == 0)
                min = len;
            assert_int_equal(r.st, NSS_STATUS_SUCCESS);
            assert_int_equal(tuples(r.at), 3);
            continue;
        }
        if (min != 0)
            fail_msg("buflen %zu fails after %zu succeeded", len, min);
        /* The caller turns an exhausted buffer into TRYAGAIN + ERANGE; the
         * status itself is TRYAGAIN when the A reply did not fit. */
        if (len < first_slice)
            assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    }
    assert_int_equal(min, want_min);

    for (size_t len = 0; len <= 160; len++) {
        struct gres r;
        char *buf = guarded(len);
        call_gaih(&a, &b, buf, len, &r);
        assert_below_untouched(len);
        if (len < want_min)
            assert_true(r.failed);
        else if (len >= want_min + 7)
            assert_false(r.failed);
    }
}

/* ---- answer_ptr --------------------------------------------------------- */

struct pres {
    enum nss_status st;
    char *name;
    int err, herr, failed;
    int32_t ttl;
};

static void call_ptr(const struct pkt *p, char *buf, size_t buflen, struct pres *r)
{
    uint8_t *pkt = heap_copy(p);
    struct alloc_buffer ab;
    alloc_buffer_init(&ab, buf, buflen);
    r->name = (char *)"untouched";
    r->err = ERRNO_UNTOUCHED;
    r->herr = HERRNO_UNTOUCHED;
    r->ttl = TTL_START;
    r->st = answer_ptr(pkt, (int)p->n, &ab, &r->name, &r->err, &r->herr, &r->ttl);
    r->failed = alloc_buffer_has_failed(&ab);
    free(pkt);
}

static struct pres ptr_big(const struct pkt *p)
{
    static char buf[1024];
    struct pres r;
    call_ptr(p, buf, sizeof buf, &r);
    assert_false(r.failed);
    if (r.st == NSS_STATUS_SUCCESS)
        assert_true(inside(r.name, buf, sizeof buf));
    return r;
}

#define REV10 "10.2.0.192.in-addr.arpa"

static void test_ptr_plain(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "www.dnsf.test");
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.name, "www.dnsf.test");
    assert_int_equal(r.ttl, 300);

    /* Underscores are fine in a host name. */
    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "Under_Score.dnsf.test");
    r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.name, "Under_Score.dnsf.test");
}

static void test_ptr_through_cname(void **state)
{
    (void)state;
    /* RFC 2317 classless delegation. */
    struct pkt p;
    reply(&p, "12.2.0.192.in-addr.arpa", DNS_T_PTR, 0, 2, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 900, "12.cls.2.0.192.in-addr.arpa");
    pkt_rr_dname(&p, "12.cls.2.0.192.in-addr.arpa", DNS_T_PTR, 600, "cname-ptr.dnsf.test");
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.name, "cname-ptr.dnsf.test");
    assert_int_equal(r.ttl, 600);
}

static void test_ptr_first_of_two(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "13.2.0.192.in-addr.arpa", DNS_T_PTR, 0, 2, 0);
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "two-a.dnsf.test");
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "two-b.dnsf.test");
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.name, "two-a.dnsf.test");
}

static void test_ptr_not_found(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, "11.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_R_NXDOMAIN, 0, 1);
    pkt_rr_soa(&p, "2.0.192.in-addr.arpa", 3600, "ns1.dnsf.test", "hostmaster.dnsf.test", 300);
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);
    assert_string_equal(r.name, "untouched");
}

/* Answers with no usable PTR: "No PTR record found" (TRYAGAIN, NO_RECOVERY,
 * ENOENT, TTL 0). With the CVE-2026-4437 fix (see below) the loop ends
 * after ANCOUNT records; without it, it reads on past the last record and
 * returns UNAVAIL instead. */
static void test_ptr_no_matching_answer(void **state)
{
    (void)state;
    struct pkt p;
    /* A PTR for another owner, one of the wrong class: skipped. */
    reply(&p, REV10, DNS_T_PTR, 0, 2, 0);
    pkt_rr_dname(&p, "11.2.0.192.in-addr.arpa", DNS_T_PTR, 300, "other.dnsf.test");
    pkt_owner(&p, NULL);
    size_t at = pkt_rr_meta(&p, DNS_T_PTR, 3, 300);
    pkt_name(&p, "chaos.dnsf.test");
    pkt_rr_end(&p, at);
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_int_equal(r.err, ENOENT);
    assert_int_equal(r.ttl, 0);
    assert_string_equal(r.name, "untouched");

    /* Only a CNAME, no PTR at its target. */
    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 300, "10.cls.2.0.192.in-addr.arpa");
    r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_TRYAGAIN);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_int_equal(r.err, ENOENT);
}

static void test_ptr_malformed(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);
    pkt_owner(&p, NULL);
    size_t at = pkt_rr_meta(&p, DNS_T_PTR, DNS_C_IN, 300);
    pkt_ptr(&p, (unsigned)p.n);                                 /* self-pointer */
    pkt_rr_end(&p, at);
    struct pres r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);

    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);                       /* record missing */
    r = ptr_big(&p);
    assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
    assert_int_equal(r.herr, NO_RECOVERY);
}

/* The PTR target must be a host name. Upstream glibc 2.34 .. 2.43 checked
 * the owner name instead (CVE-2026-4438, GLIBC-SA-2026-0006); the fix is in
 * Debian's 2.36-9+deb12u14, whose getent hosts 192.0.2.99 finds nothing for
 * "PTR bad!name.dnsf.test." (tests/fixtures/README.md says so too). */
static void test_ptr_target_not_hostname(void **state)
{
    (void)state;
    static const char *const bad[] = { "bad!name.dnsf.test", "-dash.dnsf.test",
                                       "sp ace.dnsf.test", "semi;colon.dnsf.test" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pkt p;
        reply(&p, "99.2.0.192.in-addr.arpa", DNS_T_PTR, 0, 1, 0);
        pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, bad[i]);
        struct pres r = ptr_big(&p);
        if (r.st == NSS_STATUS_SUCCESS)
            fail_msg("PTR target \"%s\" (not a host name) was accepted as \"%s\"", bad[i],
                     r.name);
        assert_int_equal(r.st, NSS_STATUS_UNAVAIL);
        assert_int_equal(r.herr, NO_RECOVERY);
        assert_string_equal(r.name, "untouched");
    }
}

/* Only the answer section answers. Upstream glibc 2.34 .. 2.43's
 * getanswer_ptr never decremented its answer count and so read PTR records
 * from the authority and additional sections (CVE-2026-4437,
 * GLIBC-SA-2026-0005); Debian's 2.36-9+deb12u14 has the fix. */
static void test_ptr_outside_answer_section(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, REV10, DNS_T_PTR, 0, 1, 1);
    rr_raw(&p, NULL, DNS_T_TXT, DNS_C_IN, 300, "\2hi", 3);      /* the only answer */
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "injected.dnsf.test"); /* authority */
    struct pres r = ptr_big(&p);
    if (r.st == NSS_STATUS_SUCCESS)
        fail_msg("a PTR in the authority section was taken as the answer (\"%s\")", r.name);
    assert_int_equal(r.herr, NO_RECOVERY);
    assert_string_equal(r.name, "untouched");

    /* ANCOUNT 0, the PTR in the additional section. */
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE, 1, 0, 0, 1);
    pkt_question(&p, REV10, DNS_T_PTR, DNS_C_IN);
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "injected.dnsf.test");
    r = ptr_big(&p);
    assert_int_not_equal(r.st, NSS_STATUS_SUCCESS);
    assert_string_equal(r.name, "untouched");
}

static void test_ptr_erange(void **state)
{
    (void)state;
    struct pkt p;
    reply(&p, REV10, DNS_T_PTR, 0, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_PTR, 300, "www.dnsf.test");
    const size_t want_min = sizeof "www.dnsf.test";
    for (size_t len = 0; len <= 40; len++) {
        struct pres r;
        char *buf = guarded(len);
        call_ptr(&p, buf, len, &r);
        assert_below_untouched(len);
        assert_int_equal(r.st, NSS_STATUS_SUCCESS);     /* the caller checks the buffer */
        if (len < want_min)
            assert_true(r.failed);
        else {
            assert_false(r.failed);
            assert_string_equal(r.name, "www.dnsf.test");
        }
    }
}

/* ---- fuzz: the builders on mutated replies ------------------------------- */

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void test_fuzz_builders(void **state)
{
    (void)state;
    struct pkt seeds[3];
    reply(&seeds[0], "alias1.example", DNS_T_A, 0, 3, 0);
    pkt_rr_dname(&seeds[0], NULL, DNS_T_CNAME, 60, "multi.example");
    pkt_rr_a(&seeds[0], "multi.example", 60, "192.0.2.1");
    pkt_rr_a(&seeds[0], "multi.example", 60, "192.0.2.2");
    reply(&seeds[1], "alias1.example", DNS_T_AAAA, 0, 2, 0);
    pkt_rr_dname(&seeds[1], NULL, DNS_T_CNAME, 60, "multi.example");
    pkt_rr_aaaa(&seeds[1], "multi.example", 60, "2001:db8::1");
    reply(&seeds[2], "12.2.0.192.in-addr.arpa", DNS_T_PTR, 0, 2, 0);
    pkt_rr_dname(&seeds[2], NULL, DNS_T_CNAME, 900, "12.cls.2.0.192.in-addr.arpa");
    pkt_rr_dname(&seeds[2], "12.cls.2.0.192.in-addr.arpa", DNS_T_PTR, 600, "x.dnsf.test");

    long iters = 50000;
    const char *env = getenv("DNSF_FUZZ_ITERS");
    if (env != NULL && atol(env) > 0)
        iters = atol(env) / 4 + 1;
    rng_state = 0x0123456789abcdefULL;
    for (long i = 0; i < iters; i++) {
        struct pkt m[2];
        for (int k = 0; k < 2; k++) {
            m[k] = seeds[(i + k) % 3];
            int nmut = 1 + (int)(rng() % 3);
            for (int j = 0; j < nmut; j++) {
                size_t at = rng() % m[k].n;
                if (rng() % 4 == 0)
                    m[k].n = at + 1;
                else
                    m[k].b[at] = (uint8_t)(rng() % 3 == 0 ? 0xc0 | (rng() & 1) : rng());
            }
        }
        size_t len = rng() % 300;
        char *buf = guarded(len);
        struct hres h;
        call_hostent(&m[0], (i & 1) ? DNS_T_AAAA : DNS_T_A, buf, len, &h);
        if (h.st == NSS_STATUS_SUCCESS) {
            assert_true(inside(h.he.h_name, buf, len));
            for (char **a = h.he.h_addr_list; *a != NULL; a++)
                assert_true(inside(*a, buf, len));
        }
        struct gres g;
        call_gaih(&m[0], &m[1], guarded(len), len, &g);
        struct pres pr;
        call_ptr(&m[i & 1], guarded(len), len, &pr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostent_a),
        cmocka_unit_test(test_hostent_aaaa_ignores_other_types),
        cmocka_unit_test(test_hostent_cname_chain),
        cmocka_unit_test(test_hostent_cname_not_checked_for_owner),
        cmocka_unit_test(test_hostent_cname_to_non_hostname),
        cmocka_unit_test(test_hostent_nxdomain),
        cmocka_unit_test(test_hostent_nodata_and_cname_only),
        cmocka_unit_test(test_hostent_wrong_class_and_other_owner),
        cmocka_unit_test(test_hostent_invalid_qname),
        cmocka_unit_test(test_hostent_malformed),
        cmocka_unit_test(test_hostent_ttl_optional),
        cmocka_unit_test(test_hostent_erange),
        cmocka_unit_test(test_gaih_a_then_aaaa),
        cmocka_unit_test(test_gaih_cname_canonical),
        cmocka_unit_test(test_gaih_canonical_skips_non_hostname),
        cmocka_unit_test(test_gaih_first_empty_second_carries_name),
        cmocka_unit_test(test_gaih_notfound),
        cmocka_unit_test(test_gaih_wrong_class_and_other_owner),
        cmocka_unit_test(test_gaih_malformed),
        cmocka_unit_test(test_gaih_erange),
        cmocka_unit_test(test_ptr_plain),
        cmocka_unit_test(test_ptr_through_cname),
        cmocka_unit_test(test_ptr_first_of_two),
        cmocka_unit_test(test_ptr_not_found),
        cmocka_unit_test(test_ptr_no_matching_answer),
        cmocka_unit_test(test_ptr_malformed),
        cmocka_unit_test(test_ptr_target_not_hostname),
        cmocka_unit_test(test_ptr_outside_answer_section),
        cmocka_unit_test(test_ptr_erange),
        cmocka_unit_test(test_fuzz_builders),
    };
    return cmocka_run_group_tests(tests, setup_guard, teardown_guard);
}
