/* test_cache — the answer cache (cache.h) and the memo (memo.h and its encoders).
 *
 * cache_lifetime is fed crafted replies (tests/unit/dnspkt.h): positive
 * answers and CNAME chains, the min_ttl/max_ttl clamps, TTLs with the top
 * bit set (RFC 2181 §8), negative answers with and without an SOA (RFC 2308
 * §5), and chains that end without the asked type (RFC 2308 §2.2).
 *
 * cache_put/cache_get run on an explicit clock (the now_ms arguments), so
 * expiry, max_stale and the 30 s stale window (RFC 8767) are checked to the
 * millisecond without sleeping. Single-flight runs real threads; the waits
 * are bounded generously. The memo tests build lists in glibc's layout and
 * free copies the way glibc's freeaddrinfo does (one free per node plus
 * ai_canonname), so valgrind/ASan check the layout claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dnsf/cache.h"
#include "dnsf/clock.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/memo.h"
#include "dnsf/memo_gai.h"
#include "dnsf/memo_hostent.h"
#include "dnsf/memo_nameinfo.h"
#include "dnsf/serverset.h"
#include "dnspkt.h"

#define T0 1000000000ull           /* an arbitrary "now" for the explicit clock */
#define SET 42                     /* the server set of the helpers get() and put() */

static struct dnsf_cache_config defaults(void)
{
    struct dnsf_cache_config p = { .enabled = 1, .max_entries = 10000, .min_ttl = 0,
                              .max_ttl = 86400, .negative_max_ttl = 300, .serve_stale = 1,
                              .max_stale = 86400 };
    return p;
}

/* ---- reply builders -------------------------------------------------------- */

static void head(struct pkt *p, const char *q, unsigned qtype, unsigned rcode, unsigned an,
                 unsigned ns)
{
    pkt_init(p);
    pkt_header(p, 0x4242, PKT_RESPONSE | rcode, 1, an, ns, 0);
    pkt_question(p, q, qtype, 1);
}

/* A reply with one A record. */
static void reply_a(struct pkt *p, const char *q, uint32_t ttl, const char *addr)
{
    head(p, q, DNS_T_A, DNS_R_NOERROR, 1, 0);
    pkt_rr_a(p, NULL, ttl, addr);
}

static void soa(struct pkt *p, const char *zone, uint32_t ttl, uint32_t minimum)
{
    pkt_rr_soa(p, zone, ttl, "ns1.example.", "hostmaster.example.", minimum);
}

static long life(const struct pkt *p, uint16_t qtype, const struct dnsf_cache_config *cp)
{
    return cache_lifetime(p->b, (int)p->n, qtype, cp);
}

/* ---- cache_lifetime: positive -------------------------------------------- */

static void test_life_positive(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    reply_a(&p, "www.example", 300, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), 300);

    /* The smallest TTL of the RRset wins. */
    head(&p, "www.example", DNS_T_A, DNS_R_NOERROR, 3, 0);
    pkt_rr_a(&p, NULL, 300, "192.0.2.1");
    pkt_rr_a(&p, NULL, 120, "192.0.2.2");
    pkt_rr_a(&p, NULL, 900, "192.0.2.3");
    assert_int_equal(life(&p, DNS_T_A, &cp), 120);

    /* AAAA the same. */
    head(&p, "www.example", DNS_T_AAAA, DNS_R_NOERROR, 1, 0);
    pkt_rr_aaaa(&p, NULL, 600, "2001:db8::1");
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 600);
}

static void test_life_cname_chain(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* The fixture's alias1 -> alias2 -> alias3 -> multi: 60, 120, 3600, then A 120. */
    head(&p, "alias1.example", DNS_T_A, DNS_R_NOERROR, 5, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "alias2.example");
    pkt_rr_dname(&p, "alias2.example", DNS_T_CNAME, 120, "alias3.example");
    pkt_rr_dname(&p, "alias3.example", DNS_T_CNAME, 3600, "multi.example");
    pkt_rr_a(&p, "multi.example", 120, "192.0.2.21");
    pkt_rr_a(&p, "multi.example", 120, "192.0.2.22");
    assert_int_equal(life(&p, DNS_T_A, &cp), 60);

    /* The short link may be the last one too. */
    head(&p, "alias1.example", DNS_T_A, DNS_R_NOERROR, 2, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 3600, "multi.example");
    pkt_rr_a(&p, "multi.example", 5, "192.0.2.21");
    assert_int_equal(life(&p, DNS_T_A, &cp), 5);

    /* Asked for the CNAME itself: positive. */
    head(&p, "alias1.example", DNS_T_CNAME, DNS_R_NOERROR, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "alias2.example");
    assert_int_equal(life(&p, DNS_T_CNAME, &cp), 60);
}

static void test_life_clamps(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    reply_a(&p, "www.example", 5, "192.0.2.1");
    cp.min_ttl = 30;
    assert_int_equal(life(&p, DNS_T_A, &cp), 30);       /* raised to min_ttl */
    cp.min_ttl = 5;
    assert_int_equal(life(&p, DNS_T_A, &cp), 5);
    cp.min_ttl = 0;

    reply_a(&p, "www.example", 3600, "192.0.2.1");
    cp.max_ttl = 100;
    assert_int_equal(life(&p, DNS_T_A, &cp), 100);      /* lowered to max_ttl */
    cp.max_ttl = 3600;
    assert_int_equal(life(&p, DNS_T_A, &cp), 3600);

    cp.min_ttl = cp.max_ttl = 50;                       /* pinned */
    assert_int_equal(life(&p, DNS_T_A, &cp), 50);
    reply_a(&p, "www.example", 1, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), 50);

    /* max_ttl = 0: nothing positive is kept. */
    cp = defaults();
    cp.max_ttl = 0;
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);

    /* TTL 0: not cached, unless min_ttl says otherwise. */
    cp = defaults();
    reply_a(&p, "www.example", 0, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    cp.min_ttl = 10;
    assert_int_equal(life(&p, DNS_T_A, &cp), 10);
}

static void test_life_ttl_top_bit(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* RFC 2181 §8: a TTL with the top bit set is treated as zero. */
    reply_a(&p, "www.example", 0x80000000u, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    reply_a(&p, "www.example", 0xffffffffu, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    cp.min_ttl = 7;
    assert_int_equal(life(&p, DNS_T_A, &cp), 7);        /* zero, then raised to min_ttl */

    /* One such record zeroes the whole answer. */
    cp = defaults();
    head(&p, "www.example", DNS_T_A, DNS_R_NOERROR, 2, 0);
    pkt_rr_a(&p, NULL, 300, "192.0.2.1");
    pkt_rr_a(&p, NULL, 0x80000001u, "192.0.2.2");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);

    /* The largest legal TTL is not zero: it is clamped to max_ttl. */
    reply_a(&p, "www.example", 0x7fffffffu, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), 86400);
}

/* ---- cache_lifetime: negative (RFC 2308) ---------------------------------- */

static void test_life_nxdomain(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* min(SOA TTL, MINIMUM): MINIMUM smaller */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 1);
    soa(&p, "example", 3600, 300);
    assert_int_equal(life(&p, DNS_T_A, &cp), 300);
    /* ... SOA TTL smaller */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 1);
    soa(&p, "example", 60, 300);
    assert_int_equal(life(&p, DNS_T_A, &cp), 60);
    /* ... capped by negative_max_ttl */
    cp.negative_max_ttl = 30;
    assert_int_equal(life(&p, DNS_T_A, &cp), 30);
    cp.negative_max_ttl = 0;
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    cp = defaults();
    /* A large MINIMUM is capped at the default 300. */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 1);
    soa(&p, "example", 86400, 86400);
    assert_int_equal(life(&p, DNS_T_A, &cp), 300);
    /* The SOA after an NS record in the authority section still counts. */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 2);
    pkt_rr_dname(&p, "example", DNS_T_NS, 3600, "ns1.example");
    soa(&p, "example", 3600, 120);
    assert_int_equal(life(&p, DNS_T_A, &cp), 120);
}

static void test_life_nodata(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    head(&p, "v4only.example", DNS_T_AAAA, DNS_R_NOERROR, 0, 1);
    soa(&p, "example", 3600, 300);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 300);
    head(&p, "v4only.example", DNS_T_AAAA, DNS_R_NOERROR, 0, 1);
    soa(&p, "example", 45, 300);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 45);
    cp.negative_max_ttl = 10;
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 10);
}

static void test_life_negative_without_soa(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* RFC 2308 §5: without an SOA a negative answer is not cached. */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 0);
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    head(&p, "v4only.example", DNS_T_AAAA, DNS_R_NOERROR, 0, 0);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), -1);
    head(&p, "v4only.example", DNS_T_AAAA, DNS_R_NOERROR, 0, 1);
    pkt_rr_dname(&p, "example", DNS_T_NS, 3600, "ns1.example");
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), -1);
    /* min_ttl does not make an uncacheable answer cacheable. */
    cp.min_ttl = 60;
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 0);
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
}

static void test_life_cname_chain_without_type(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* RFC 2308 §2.2: NODATA at the end of a chain; negative lifetime, never
     * longer than the chain it went through. */
    head(&p, "alias.example", DNS_T_AAAA, DNS_R_NOERROR, 1, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 120, "v4only.example");
    soa(&p, "example", 3600, 300);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 120);

    head(&p, "alias.example", DNS_T_AAAA, DNS_R_NOERROR, 1, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 3600, "v4only.example");
    soa(&p, "example", 3600, 60);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 60);
    cp.negative_max_ttl = 30;
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 30);
    cp = defaults();

    /* No SOA: not cached, whatever the chain's TTL. */
    head(&p, "alias.example", DNS_T_AAAA, DNS_R_NOERROR, 1, 0);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 3600, "v4only.example");
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), -1);

    /* The chain's records of another type (an A in an AAAA answer) do not make
     * it positive. */
    head(&p, "alias.example", DNS_T_AAAA, DNS_R_NOERROR, 2, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 3600, "v4only.example");
    pkt_rr_a(&p, "v4only.example", 3600, "192.0.2.11");
    soa(&p, "example", 3600, 90);
    assert_int_equal(life(&p, DNS_T_AAAA, &cp), 90);
}

static void test_life_nxdomain_after_cname(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    /* The fixture's cname-dangling: NXDOMAIN with the CNAME in the answer.
     * The entry is the whole reply, so the CNAME's TTL bounds it just as it
     * does for NODATA after a chain (the smallest TTL in the answer, CNAME
     * chain included). */
    head(&p, "dangling.example", DNS_T_A, DNS_R_NXDOMAIN, 1, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 300, "nowhere.example");
    soa(&p, "example", 3600, 120);
    assert_int_equal(life(&p, DNS_T_A, &cp), 120);
    head(&p, "dangling.example", DNS_T_A, DNS_R_NXDOMAIN, 1, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 10, "nowhere.example");
    soa(&p, "example", 3600, 120);
    long got = life(&p, DNS_T_A, &cp);
    if (got != 10)
        fail_msg("NXDOMAIN after CNAME (TTL 10) with SOA negative TTL 120: lifetime %ld s, "
                 "want 10 (the CNAME may change after 10 s; the NODATA case caps by the chain)",
                 got);
}

static void test_life_uncacheable(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    head(&p, "www.example", DNS_T_A, DNS_R_SERVFAIL, 0, 0);
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    head(&p, "www.example", DNS_T_A, DNS_R_REFUSED, 0, 1);
    soa(&p, "example", 3600, 300);
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    /* TC: a truncated reply is never an answer to keep. */
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE | 0x0200, 1, 1, 0, 0);
    pkt_question(&p, "www.example", DNS_T_A, 1);
    pkt_rr_a(&p, NULL, 300, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    /* Malformed: the answer count says 2, one record is there. */
    head(&p, "www.example", DNS_T_A, DNS_R_NOERROR, 2, 0);
    pkt_rr_a(&p, NULL, 300, "192.0.2.1");
    assert_int_equal(life(&p, DNS_T_A, &cp), -1);
    /* Shorter than a header. */
    static const uint8_t tiny[5] = { 0x42, 0x42, 0x81, 0x80, 0 };
    assert_int_equal(cache_lifetime(tiny, sizeof tiny, DNS_T_A, &cp), -1);
}

/* ---- cache_put / cache_get ------------------------------------------------- */

static int cache_setup(void **state)
{
    cache_flush();
    memo_flush();
    return 0;
}

static uint64_t entries(void)
{
    struct cache_stats st;
    cache_get_stats(&st);
    return st.entries;
}

/* TEXT as a lookup carries it to the cache (struct dnsmsg_name), in one of
 * a few per-thread slots (a call takes at most two names); NULL when it
 * cannot be encoded: such a name never reaches the cache (resolve.c turns
 * it away first, as res_mkquery does). */
static const struct dnsmsg_name *qn(const char *text)
{
    static __thread struct dnsmsg_name ring[4];
    static __thread unsigned next;
    struct dnsmsg_name *n = &ring[next++ % 4];
    return dnsmsg_name_init(n, text) == 0 ? n : NULL;
}

/* Get, and check the bytes when it hits. */
static enum cache_hit get(const struct dnsf_cache_config *cp, const char *name, uint16_t qtype,
                          uint64_t now, int allow_stale, const struct pkt *want, uint64_t *exp)
{
    uint8_t *pkt = NULL;
    int len = 0;
    uint64_t e = 0;
    const struct dnsmsg_name *n = qn(name);
    enum cache_hit h = n == NULL ? CACHE_MISS
                     : cache_get(cp, SET, n, qtype, now, allow_stale, &pkt, &len, NULL, &e);
    if (h != CACHE_MISS) {
        assert_non_null(pkt);
        if (want != NULL) {
            /* The reply comes back in the asker's spelling of the name
             * (glibc echoes the question's case), so compare ignoring it. */
            assert_int_equal(len, (int)want->n);
            for (size_t i = 0; i < want->n; i++) {
                uint8_t x = pkt[i], y = want->b[i];
                if (x >= 'A' && x <= 'Z')
                    x = (uint8_t)(x + 32);
                if (y >= 'A' && y <= 'Z')
                    y = (uint8_t)(y + 32);
                assert_int_equal(x, y);
            }
        }
        free(pkt);
        if (exp != NULL)
            *exp = e;
    }
    return h;
}

static int put(const struct dnsf_cache_config *cp, const char *name, uint16_t qtype,
               const struct pkt *p, uint64_t now)
{
    const struct dnsmsg_name *n = qn(name);
    return n != NULL && cache_put(cp, SET, n, qtype, p->b, (int)p->n, 0, now) != 0;
}

static void test_fresh_then_expired(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    uint64_t exp = 0;
    reply_a(&p, "www.example", 10, "192.0.2.1");
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0, 0, &p, &exp), CACHE_FRESH);
    assert_int_equal(exp, T0 + 10000);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 9999, 0, &p, NULL), CACHE_FRESH);
    /* Expired: a miss for a normal lookup, and the entry is kept for serve-stale. */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 10000, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(entries(), 1);
    /* When every server failed (allow_stale): served stale. */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 10000, 1, &p, &exp), CACHE_STALE);
    assert_int_equal(exp, T0 + 10000 + CACHE_STALE_TTL_S * 1000ull);
    /* Another type of the same name is another entry. */
    assert_int_equal(get(&cp, "www.example", DNS_T_AAAA, T0, 0, NULL, NULL), CACHE_MISS);
}

static void test_stale_only_within_max_stale(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    cp.max_stale = 5;
    reply_a(&p, "www.example", 10, "192.0.2.1");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    /* Stale limit: expiry (T0+10 s) + max_stale (5 s). */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 14999, 1, &p, NULL), CACHE_STALE);
    cache_flush();
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 15000, 1, NULL, NULL), CACHE_MISS);
    assert_int_equal(entries(), 0);              /* too old to ever serve: dropped */

    /* max_stale = 0: never stale. */
    cp.max_stale = 0;
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 10000, 1, NULL, NULL), CACHE_MISS);
}

/* A server set from "ADDR[:PORT]" texts. */
static uint64_t set_of(int n, ...)
{
    struct dnsf_server s[DNSF_MAX_SERVERS];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(config_parse_server(va_arg(ap, const char *), &s[i]), 0);
    va_end(ap);
    return server_set_id(s, n);
}

/* Issue 10, item 3: answers are kept per server set. */
static void test_server_sets(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt a, b;
    uint8_t *pkt = NULL;
    int len = 0;
    uint64_t A = set_of(2, "192.0.2.1", "192.0.2.2"), B = set_of(1, "192.0.2.3");

    /* The identity: order-free, but address, port and scope count. */
    assert_true(A == set_of(2, "192.0.2.2", "192.0.2.1"));
    assert_true(A != B && A != 0 && B != 0);
    assert_true(A != set_of(2, "192.0.2.1", "192.0.2.2:5353"));
    assert_true(A != set_of(1, "192.0.2.1"));
    struct dnsf_server ll[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(config_parse_server("fe80::1", &ll[i]), 0);
        ((struct sockaddr_in6 *)&ll[i].addr)->sin6_scope_id = (uint32_t)i + 1;
    }
    assert_true(server_set_id(&ll[0], 1) != server_set_id(&ll[1], 1));
    assert_true(set_of(1, "2001:db8::1") == set_of(1, "[2001:db8::1]:53"));

    reply_a(&a, "www.example", 10, "192.0.2.10");
    reply_a(&b, "www.example", 10, "192.0.2.20");
    assert_int_equal(cache_put(&cp, A, qn("www.example"), DNS_T_A, a.b, (int)a.n, 0, T0) != 0, 1);
    /* Another set sees nothing: not fresh, not stale. */
    assert_int_equal(cache_get(&cp, B, qn("www.example"), DNS_T_A, T0, 0, &pkt, &len, NULL, NULL),
                     CACHE_MISS);
    assert_int_equal(cache_get(&cp, B, qn("www.example"), DNS_T_A, T0 + 10000, 1, &pkt, &len,
                               NULL, NULL), CACHE_MISS);
    /* Each set has its own entry for the same question. */
    assert_int_equal(cache_put(&cp, B, qn("www.example"), DNS_T_A, b.b, (int)b.n, 0, T0) != 0, 1);
    assert_int_equal(entries(), 2);
    assert_int_equal(cache_get(&cp, A, qn("www.example"), DNS_T_A, T0, 0, &pkt, &len, NULL, NULL),
                     CACHE_FRESH);
    assert_memory_equal(pkt, a.b, a.n);
    free(pkt);
    assert_int_equal(cache_get(&cp, B, qn("www.example"), DNS_T_A, T0, 0, &pkt, &len, NULL, NULL),
                     CACHE_FRESH);
    assert_memory_equal(pkt, b.b, b.n);
    free(pkt);
    /* A set no longer configured: its entries go, the others stay. */
    cache_drop_set(A);
    assert_int_equal(entries(), 1);
    assert_int_equal(cache_get(&cp, A, qn("www.example"), DNS_T_A, T0 + 10000, 1, &pkt, &len,
                               NULL, NULL), CACHE_MISS);
    assert_int_equal(cache_get(&cp, B, qn("www.example"), DNS_T_A, T0 + 10000, 1, &pkt, &len,
                               NULL, NULL), CACHE_STALE);
    free(pkt);
}

static void test_serve_stale_off(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    cp.serve_stale = 0;
    reply_a(&p, "www.example", 10, "192.0.2.1");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 10001, 1, NULL, NULL), CACHE_MISS);
    assert_int_equal(entries(), 0);
}

static void test_stale_window(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    uint64_t exp = 0;
    const uint64_t t = T0 + 20000, w = CACHE_STALE_TTL_S * 1000ull;
    reply_a(&p, "www.example", 10, "192.0.2.1");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, t, 1, &p, NULL), CACHE_STALE);
    /* RFC 8767 §4: the stale answer is used without asking for the stale TTL
     * (30 s): a normal lookup right after gets it as FRESH. */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, t + 1, 0, &p, &exp), CACHE_FRESH);
    assert_int_equal(exp, t + w);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, t + w - 1, 0, &p, NULL), CACHE_FRESH);
    /* Then the servers are asked again ... */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, t + w, 0, NULL, NULL), CACHE_MISS);
    /* ... and if they still fail, stale again, with a new window. */
    assert_int_equal(get(&cp, "www.example", DNS_T_A, t + w, 1, &p, &exp), CACHE_STALE);
    assert_int_equal(exp, t + 2 * w);
}

static void test_refresh_replaces(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt a, b;
    uint64_t exp = 0;
    reply_a(&a, "www.example", 10, "192.0.2.1");
    reply_a(&b, "www.example", 20, "192.0.2.2");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &a, T0), 1);
    assert_int_equal(put(&cp, "WWW.example.", DNS_T_A, &b, T0 + 5000), 1);
    assert_int_equal(entries(), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 5000, 0, &b, &exp), CACHE_FRESH);
    assert_int_equal(exp, T0 + 25000);

    /* A refresh after stale serving ends the stale window: the new entry lives
     * by its own TTL. */
    cache_flush();
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &a, T0), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 11000, 1, &a, NULL), CACHE_STALE);
    reply_a(&b, "www.example", 1, "192.0.2.2");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &b, T0 + 12000), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 12999, 0, &b, NULL), CACHE_FRESH);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 13000, 0, NULL, NULL), CACHE_MISS);
    /* ... and its own stale limit. */
    cp.max_stale = 2;
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &b, T0 + 12000), 1);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0 + 14999, 1, &b, NULL), CACHE_STALE);
}

static void test_keys_case_and_trailing_dot(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    reply_a(&p, "WWW.Example.COM", 300, "192.0.2.1");
    assert_int_equal(put(&cp, "WWW.Example.COM.", DNS_T_A, &p, T0), 1);
    /* Served in the asker's spelling: the question name's bytes follow it. */
    {
        uint8_t *got = NULL;
        int glen = 0;
        assert_int_equal(cache_get(&cp, SET, qn("www.EXAMPLE.com"), DNS_T_A, T0, 0, &got, &glen, NULL, NULL),
                         CACHE_FRESH);
        assert_memory_equal(got + 12, "\003www\007EXAMPLE\003com", 17);
        free(got);
    }
    assert_int_equal(get(&cp, "www.example.com", DNS_T_A, T0, 0, &p, NULL), CACHE_FRESH);
    assert_int_equal(get(&cp, "www.example.com.", DNS_T_A, T0, 0, &p, NULL), CACHE_FRESH);
    assert_int_equal(get(&cp, "WWW.EXAMPLE.COM", DNS_T_A, T0, 0, &p, NULL), CACHE_FRESH);
    assert_int_equal(get(&cp, "www.example.co", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(get(&cp, "ww.example.com", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(get(&cp, "www.example.com", DNS_T_AAAA, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(entries(), 1);
}

static void test_put_rejects(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    char longname[300];
    head(&p, "www.example", DNS_T_A, DNS_R_SERVFAIL, 0, 0);
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 0);
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 0);          /* no SOA */
    assert_int_equal(put(&cp, "nx.example", DNS_T_A, &p, T0), 0);
    reply_a(&p, "www.example", 300, "192.0.2.1");
    assert_int_equal(cache_put(&cp, SET, qn("www.example"), DNS_T_A, p.b, 0, 0, T0), 0);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(put(&cp, longname, DNS_T_A, &p, T0), 0);
    assert_int_equal(get(&cp, longname, DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(entries(), 0);

    /* Negative answers with an SOA are stored, and hit. */
    head(&p, "nx.example", DNS_T_A, DNS_R_NXDOMAIN, 0, 1);
    soa(&p, "example", 3600, 300);
    assert_int_equal(put(&cp, "nx.example", DNS_T_A, &p, T0), 1);
    assert_int_equal(get(&cp, "nx.example", DNS_T_A, T0 + 299999, 0, &p, NULL), CACHE_FRESH);
    assert_int_equal(get(&cp, "nx.example", DNS_T_A, T0 + 300000, 0, NULL, NULL), CACHE_MISS);
}

static void test_disabled(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    reply_a(&p, "www.example", 300, "192.0.2.1");
    assert_int_equal(put(&cp, "www.example", DNS_T_A, &p, T0), 1);
    cp.enabled = 0;
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0, 1, NULL, NULL), CACHE_MISS);
    assert_int_equal(put(&cp, "other.example", DNS_T_A, &p, T0), 0);
    cp = defaults();
    cp.max_entries = 0;
    assert_int_equal(get(&cp, "www.example", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    assert_int_equal(put(&cp, "other.example", DNS_T_A, &p, T0), 0);
    assert_int_equal(entries(), 1);
}

/* Insert N distinct names under MAX; return the entries left. */
static uint64_t fill(int max, int n)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p;
    char name[64];
    cp.max_entries = max;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "n%05d.wild.example", i);
        reply_a(&p, name, 300, "192.0.2.70");
        assert_int_equal(put(&cp, name, DNS_T_A, &p, T0), 1);
    }
    return entries();
}

static void test_eviction_bound(void **state)
{
    /* max_entries a multiple of the shard count. */
    uint64_t left = fill(160, 1600);
    struct cache_stats st;
    cache_get_stats(&st);
    assert_true(left <= 160);
    assert_true(left >= 100);                    /* and it is used, not emptied */
    assert_true(st.evictions >= 1600 - 160);
    cache_flush();
    left = fill(10000, 100000);
    assert_true(left <= 10000);
}

static void test_eviction_bound_any_max_entries(void **state)
{
    /* cache.max_entries is the bound whatever its value; the shards must not
     * round it up to a multiple of CACHE_SHARDS (16). */
    uint64_t left = fill(100, 1000);
    if (left > 100)
        fail_msg("max_entries = 100, 1000 names inserted: %llu entries kept",
                 (unsigned long long)left);
    cache_flush();
    left = fill(1, 100);
    if (left > 1)
        fail_msg("max_entries = 1, 100 names inserted: %llu entries kept",
                 (unsigned long long)left);
}

static void test_eviction_lru(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct pkt p, keep;
    char name[64];
    cp.max_entries = 160;
    reply_a(&p, "victim.example", 300, "192.0.2.1");
    assert_int_equal(put(&cp, "victim.example", DNS_T_A, &p, T0), 1);
    reply_a(&keep, "keep.example", 300, "192.0.2.2");
    assert_int_equal(put(&cp, "keep.example", DNS_T_A, &keep, T0), 1);
    for (int i = 0; i < 1600; i++) {
        snprintf(name, sizeof name, "n%05d.wild.example", i);
        reply_a(&p, name, 300, "192.0.2.70");
        assert_int_equal(put(&cp, name, DNS_T_A, &p, T0), 1);
        /* Used all the time: never the least recently used. */
        assert_int_equal(get(&cp, "keep.example", DNS_T_A, T0, 0, &keep, NULL), CACHE_FRESH);
    }
    assert_int_equal(get(&cp, "victim.example", DNS_T_A, T0, 0, NULL, NULL), CACHE_MISS);
    /* The most recent names are there. */
    assert_int_equal(get(&cp, "n01599.wild.example", DNS_T_A, T0, 0, NULL, NULL), CACHE_FRESH);
}

/* ---- single-flight ------------------------------------------------------------ */

#define NWAITERS 8

struct waiter {
    pthread_t tid;
    const char *name;
    uint16_t mode;
    uint64_t deadline_ms;
    atomic_int done;
    int rc;
    uint64_t waited_ms;
    struct cache_flight *lead;
};

static void *waiter_run(void *arg)
{
    struct waiter *w = arg;
    uint64_t t0 = clock_now_ms();
    w->rc = cache_flight_begin(qn(w->name), w->mode, w->deadline_ms, &w->lead);
    w->waited_ms = clock_now_ms() - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

static void start_waiter(struct waiter *w, const char *name, uint16_t mode, uint64_t deadline)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->mode = mode;
    w->deadline_ms = deadline;
    assert_int_equal(pthread_create(&w->tid, NULL, waiter_run, w), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void test_flight_waiters_share_the_leader(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct cache_flight *lead = NULL, *again = NULL;
    struct waiter w[NWAITERS];
    struct pkt p;
    uint64_t now = clock_now_ms();
    assert_int_equal(cache_flight_begin(qn("sf.example"), 1, now + 10000, &lead), 1);
    assert_non_null(lead);
    for (int i = 0; i < NWAITERS; i++)
        start_waiter(&w[i], i % 2 ? "SF.example." : "sf.example", 1, now + 10000);
    sleep_ms(300);
    for (int i = 0; i < NWAITERS; i++)
        assert_int_equal(atomic_load(&w[i].done), 0);   /* all waiting for the leader */
    /* The leader stores its answer and ends the flight: everyone returns 0
     * ("look in the cache again") and finds it there. */
    reply_a(&p, "sf.example", 300, "192.0.2.9");
    assert_int_equal(put(&cp, "sf.example", DNS_T_A, &p, clock_now_ms()), 1);
    cache_flight_end(lead);
    for (int i = 0; i < NWAITERS; i++) {
        pthread_join(w[i].tid, NULL);
        assert_int_equal(w[i].rc, 0);
        assert_null(w[i].lead);
        assert_true(w[i].waited_ms >= 200);
        assert_true(w[i].waited_ms < 5000);
        assert_int_equal(get(&cp, "sf.example", DNS_T_A, clock_now_ms(), 0, &p, NULL),
                         CACHE_FRESH);
    }
    /* The flight is over: the next asker leads a new one. */
    assert_int_equal(cache_flight_begin(qn("sf.example"), 1, clock_now_ms() + 1000, &again), 1);
    cache_flight_end(again);
}

static void test_flight_deadline(void **state)
{
    struct cache_flight *lead = NULL;
    struct waiter w, late;
    uint64_t now = clock_now_ms();
    assert_int_equal(cache_flight_begin(qn("slow.example"), 28, now + 10000, &lead), 1);
    /* A waiter whose own deadline comes first gives up at that deadline. */
    start_waiter(&w, "slow.example", 28, now + 300);
    /* A waiter whose deadline has already passed returns at once. */
    start_waiter(&late, "slow.example", 28, now - 1);
    pthread_join(late.tid, NULL);
    assert_int_equal(late.rc, -1);
    assert_true(late.waited_ms < 200);
    pthread_join(w.tid, NULL);
    assert_int_equal(w.rc, -1);
    assert_true(w.waited_ms >= 250);
    assert_true(w.waited_ms < 3000);
    cache_flight_end(lead);
}

static void test_flight_keys(void **state)
{
    struct cache_flight *a = NULL, *b = NULL, *c = NULL;
    struct waiter w;
    uint64_t now = clock_now_ms();
    assert_int_equal(cache_flight_begin(qn("k.example"), 1, now + 5000, &a), 1);
    /* Another name, or another question type (mode), is another flight. */
    assert_int_equal(cache_flight_begin(qn("k2.example"), 1, now + 5000, &b), 1);
    assert_int_equal(cache_flight_begin(qn("k.example"), 28, now + 5000, &c), 1);
    /* The same name in other spelling joins (and here times out). */
    start_waiter(&w, "K.EXAMPLE.", 1, clock_now_ms() + 200);
    pthread_join(w.tid, NULL);
    assert_int_equal(w.rc, -1);
    cache_flight_end(a);
    cache_flight_end(b);
    cache_flight_end(c);
    cache_flight_end(NULL);                      /* harmless */
}

static void test_fork_child_keeps_entries_drops_flights(void **state)
{
    struct dnsf_cache_config cp = defaults();
    struct cache_flight *lead = NULL;
    struct pkt p;
    int status;
    reply_a(&p, "kept.example", 300, "192.0.2.7");
    assert_int_equal(put(&cp, "kept.example", DNS_T_A, &p, clock_now_ms()), 1);
    assert_int_equal(cache_flight_begin(qn("inflight.example"), 1, clock_now_ms() + 10000, &lead), 1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct cache_flight *mine = NULL;
        uint8_t *pkt = NULL;
        int len = 0;
        cache_fork_child();                      /* what state.c's atfork handler calls */
        if (cache_get(&cp, SET, qn("kept.example"), DNS_T_A, clock_now_ms(), 0, &pkt, &len, NULL, NULL)
            != CACHE_FRESH)
            _exit(10);
        if (len != (int)p.n || memcmp(pkt, p.b, p.n) != 0)
            _exit(11);
        free(pkt);
        /* The parent's flight has no leader here: this child must lead its own
         * instead of waiting for a thread that does not exist. */
        uint64_t t0 = clock_now_ms();
        int rc = cache_flight_begin(qn("inflight.example"), 1, t0 + 2000, &mine);
        if (rc != 1)
            _exit(12);
        if (clock_now_ms() - t0 > 500)
            _exit(13);
        cache_flight_end(mine);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    cache_flight_end(lead);
}

/* ---- memo ------------------------------------------------------------------------ */

/* A call as state.c's memo_open would describe it. */
static struct memo_call mcall(uint64_t now, uint64_t gen, uint64_t expire, int max_entries)
{
    struct memo_call mc = { .on = 1, .now_ms = now, .gen = gen, .expire_ms = expire,
                            .max_entries = max_entries, .herrno = { MEMO_UNTOUCHED, MEMO_UNTOUCHED },
                            .herrnop = MEMO_UNTOUCHED };
    return mc;
}

/* getaddrinfo's memo, in the words of these tests. */
static void memo_store(const char *node, const char *service, const struct addrinfo *hints,
                       int rc, const struct addrinfo *res, uint64_t expire, uint64_t gen,
                       int max_entries)
{
    struct memo_call mc = mcall(T0, gen, expire, max_entries);
    memo_gai_put(&mc, node, service, hints, rc, res);
}

static int memo_lookup(const char *node, const char *service, const struct addrinfo *hints,
                       uint64_t now, uint64_t gen, int *rc, struct addrinfo **res)
{
    struct memo_call mc = mcall(now, gen, 0, 0);
    return memo_gai_get(&mc, node, service, hints, rc, res);
}

/* A node laid out as glibc lays them out: the sockaddr right behind the addrinfo. */
static struct addrinfo *node(int flags, int family, int socktype, int protocol, const char *addr,
                             int port)
{
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    struct addrinfo *ai = calloc(1, sizeof *ai + len);
    assert_non_null(ai);
    ai->ai_flags = flags;
    ai->ai_family = family;
    ai->ai_socktype = socktype;
    ai->ai_protocol = protocol;
    ai->ai_addrlen = len;
    ai->ai_addr = (struct sockaddr *)(ai + 1);
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ai->ai_addr;
        s->sin_family = AF_INET;
        s->sin_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)ai->ai_addr;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((uint16_t)port);
        s->sin6_scope_id = 0;
        assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
    }
    return ai;
}

/* www with a canonical name: 2 addresses x 2 socket types. */
static struct addrinfo *sample_list(void)
{
    struct addrinfo *a = node(AI_CANONNAME, AF_INET6, SOCK_STREAM, IPPROTO_TCP, "2001:db8::10", 80);
    a->ai_canonname = strdup("www.dnsf.test");
    a->ai_next = node(AI_CANONNAME, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, "2001:db8::10", 80);
    a->ai_next->ai_next = node(AI_CANONNAME, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.10", 80);
    a->ai_next->ai_next->ai_next =
        node(AI_CANONNAME, AF_INET, SOCK_DGRAM, IPPROTO_UDP, "192.0.2.10", 80);
    return a;
}

/* Free as glibc's freeaddrinfo does: ai_canonname and the node, nothing else. */
static void glibc_free(struct addrinfo *ai)
{
    while (ai != NULL) {
        struct addrinfo *next = ai->ai_next;
        free(ai->ai_canonname);
        free(ai);
        ai = next;
    }
}

static void assert_same_list(const struct addrinfo *want, const struct addrinfo *got)
{
    int i = 0;
    for (; want != NULL && got != NULL; want = want->ai_next, got = got->ai_next, i++) {
        assert_int_equal(got->ai_flags, want->ai_flags);
        assert_int_equal(got->ai_family, want->ai_family);
        assert_int_equal(got->ai_socktype, want->ai_socktype);
        assert_int_equal(got->ai_protocol, want->ai_protocol);
        assert_int_equal(got->ai_addrlen, want->ai_addrlen);
        assert_memory_equal(got->ai_addr, want->ai_addr, want->ai_addrlen);
        /* glibc's layout: the address in the node's own allocation. */
        assert_ptr_equal((const void *)got->ai_addr, (const void *)(got + 1));
        if (want->ai_canonname == NULL)
            assert_null(got->ai_canonname);
        else {
            assert_non_null(got->ai_canonname);
            assert_string_equal(got->ai_canonname, want->ai_canonname);
            assert_ptr_not_equal(got->ai_canonname, want->ai_canonname);
        }
    }
    assert_null(want);
    assert_null(got);
}

static struct addrinfo hints_of(int family, int socktype, int flags)
{
    struct addrinfo h;
    memset(&h, 0, sizeof h);
    h.ai_family = family;
    h.ai_socktype = socktype;
    h.ai_flags = flags;
    return h;
}

static void test_memo_roundtrip(void **state)
{
    struct addrinfo h = hints_of(AF_UNSPEC, 0, AI_CANONNAME), *list = sample_list(), *res;
    int rc = -1;
    memo_store("www.dnsf.test", "http", &h, 0, list, T0 + 1000, 5, 100);
    for (int round = 0; round < 3; round++) {
        res = NULL;
        assert_int_equal(memo_lookup("www.dnsf.test", "http", &h, T0, 5, &rc, &res), 1);
        assert_int_equal(rc, 0);
        assert_same_list(list, res);
        if (round == 0)
            glibc_free(res);
        else
            freeaddrinfo(res);                   /* libc's own */
    }
    /* The memo holds its own copy: the caller's list may go. */
    glibc_free(list);
    list = sample_list();
    assert_int_equal(memo_lookup("www.dnsf.test", "http", &h, T0, 5, &rc, &res), 1);
    assert_same_list(list, res);
    freeaddrinfo(res);
    glibc_free(list);
}

static void test_memo_expiry_and_generation(void **state)
{
    struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0);
    struct addrinfo *list = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.1", 0), *res;
    int rc;
    memo_store("e.example", NULL, &h, 0, list, T0 + 1000, 7, 100);
    assert_int_equal(memo_lookup("e.example", NULL, &h, T0 + 999, 7, &rc, &res), 1);
    freeaddrinfo(res);
    res = NULL;
    /* Not past the DNS data's expiry ... */
    assert_int_equal(memo_lookup("e.example", NULL, &h, T0 + 1000, 7, &rc, &res), 0);
    assert_null(res);
    /* ... and not across a generation change (/etc files, routes). */
    assert_int_equal(memo_lookup("e.example", NULL, &h, T0, 8, &rc, &res), 0);
    assert_int_equal(memo_lookup("e.example", NULL, &h, T0, 6, &rc, &res), 0);
    assert_null(res);
    glibc_free(list);
}

static void test_memo_keys(void **state)
{
    struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0), z = hints_of(0, 0, 0), *res = NULL;
    struct addrinfo *list = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.1", 80);
    int rc;
    memo_store("k.example", "80", &h, 0, list, T0 + 1000, 1, 100);
    assert_int_equal(memo_lookup("k.example", "80", &h, T0, 1, &rc, &res), 1);
    freeaddrinfo(res);
    struct addrinfo other = h;
    other.ai_socktype = SOCK_DGRAM;
    assert_int_equal(memo_lookup("k.example", "80", &other, T0, 1, &rc, &res), 0);
    other = h;
    other.ai_flags = AI_CANONNAME;
    assert_int_equal(memo_lookup("k.example", "80", &other, T0, 1, &rc, &res), 0);
    other = h;
    other.ai_family = AF_INET6;
    assert_int_equal(memo_lookup("k.example", "80", &other, T0, 1, &rc, &res), 0);
    other = h;
    other.ai_protocol = IPPROTO_TCP;
    assert_int_equal(memo_lookup("k.example", "80", &other, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup("k.example", "81", &h, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup("k.example", NULL, &h, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup("k.example", "", &h, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup("k.example.", "80", &h, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup(NULL, "80", &h, T0, 1, &rc, &res), 0);
    /* NULL hints are not zeroed hints (glibc defaults differ). */
    memo_store("n.example", NULL, NULL, 0, list, T0 + 1000, 1, 100);
    assert_int_equal(memo_lookup("n.example", NULL, &z, T0, 1, &rc, &res), 0);
    assert_int_equal(memo_lookup("n.example", NULL, NULL, T0, 1, &rc, &res), 1);
    freeaddrinfo(res);
    glibc_free(list);
}

static void test_memo_negative_and_replace(void **state)
{
    struct addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0), *res = (struct addrinfo *)&h;
    struct addrinfo *a = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.1", 0);
    struct addrinfo *b = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.2", 0);
    int rc = 0;
    memo_store("nx.example", NULL, &h, EAI_NONAME, NULL, T0 + 1000, 1, 100);
    assert_int_equal(memo_lookup("nx.example", NULL, &h, T0, 1, &rc, &res), 1);
    assert_int_equal(rc, EAI_NONAME);
    assert_ptr_equal(res, &h);   /* glibc leaves *res alone on failure */
    /* Replaced by a later store of the same key. */
    memo_store("r.example", NULL, &h, 0, a, T0 + 1000, 1, 100);
    memo_store("r.example", NULL, &h, 0, b, T0 + 2000, 1, 100);
    assert_int_equal(memo_lookup("r.example", NULL, &h, T0 + 1500, 1, &rc, &res), 1);
    assert_int_equal(rc, 0);
    assert_same_list(b, res);
    freeaddrinfo(res);
    glibc_free(a);
    glibc_free(b);
}

static void test_memo_limits(void **state)
{
    struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0), *res = NULL, *list = NULL, **tail = &list;
    int rc;
    /* max_entries 0: nothing kept. */
    struct addrinfo *one = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.1", 0);
    memo_store("z.example", NULL, &h, 0, one, T0 + 1000, 1, 0);
    assert_int_equal(memo_lookup("z.example", NULL, &h, T0, 1, &rc, &res), 0);
    glibc_free(one);
    /* A very long result (65 nodes) is not memoised. */
    for (int i = 0; i < 65; i++) {
        char a[32];
        snprintf(a, sizeof a, "192.0.2.%d", i + 1);
        *tail = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, a, 0);
        tail = &(*tail)->ai_next;
    }
    memo_store("big.example", NULL, &h, 0, list, T0 + 1000, 1, 100);
    assert_int_equal(memo_lookup("big.example", NULL, &h, T0, 1, &rc, &res), 0);
    glibc_free(list);
}

static void test_memo_bound(void **state)
{
    struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0), *res;
    struct addrinfo *one = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.70", 0);
    char name[64];
    int rc, hits = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "m%05d.wild.example", i);
        memo_store(name, NULL, &h, 0, one, T0 + 1000, 1, 160);
    }
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "m%05d.wild.example", i);
        if (memo_lookup(name, NULL, &h, T0, 1, &rc, &res)) {
            hits++;
            freeaddrinfo(res);
        }
    }
    assert_true(hits <= 160);
    assert_true(hits >= 16);
    /* The newest is always there. */
    assert_int_equal(memo_lookup("m01999.wild.example", NULL, &h, T0, 1, &rc, &res), 1);
    freeaddrinfo(res);
    glibc_free(one);
}

/* ---- the hostent and nameinfo memo ------------------------------------------ */

/* A hostent laid out in BUF as glibc's nss_dns lays one out: the pointer arrays
 * (aligned by address), the addresses, then the strings. */
static void hostent_in(struct hostent *he, char *buf, const char *name)
{
    char **aliases = (char **)(void *)buf;                 /* 1 alias + NULL */
    char **addrs = aliases + 2;                            /* 2 addresses + NULL */
    char *a = (char *)(addrs + 3), *str = a + 8;
    memcpy(a, "\xc0\x00\x02\x0a\xc0\x00\x02\x0b", 8);
    addrs[0] = a;
    addrs[1] = a + 4;
    addrs[2] = NULL;
    strcpy(str, name);
    aliases[0] = str + strlen(name) + 1;
    strcpy(aliases[0], "alias.example");
    aliases[1] = NULL;
    he->h_name = str;
    he->h_aliases = aliases;
    he->h_addrtype = AF_INET;
    he->h_length = 4;
    he->h_addr_list = addrs;
}

static struct hostent_call byname_r(const char *name, struct hostent *ret, char *buf,
                                    size_t buflen, struct hostent **result, int *herr)
{
    struct hostent_call c = { .form = HOSTENT_BYNAME, .name = name, .af = AF_INET,
                              .reentrant = 1, .ret = ret, .buf = buf, .buflen = buflen,
                              .result = result, .h_errnop = herr };
    return c;
}

static void test_memo_hostent_r(void **state)
{
    _Alignas(16) char a[256], b[256 + 16];
    struct hostent he, got, *res = &he, *gres = NULL;
    int herr = NETDB_SUCCESS, gherr = 12345, rc = -1;
    struct memo_call mc = mcall(T0, 1, T0 + 1000, 100), get = mcall(T0, 1, 0, 0);

    memset(a, 0, sizeof a);
    hostent_in(&he, a, "www.example");
    struct hostent_call c = byname_r("www.example", &he, a, 200, &res, &herr);
    mc.herrno.global = HOST_NOT_FOUND;          /* what glibc left in the global */
    mc.herrnop = NETDB_SUCCESS;
    memo_hostent_put_r(&mc, &c, 0, 0);

    /* Another buffer with the same length and alignment: the same bytes, with
     * every pointer moved into it. */
    memset(b, 0xaa, sizeof b);
    h_errno = 777;
    struct hostent_call g = byname_r("www.example", &got, b, 200, &gres, &gherr);
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 1);
    assert_int_equal(rc, 0);
    assert_ptr_equal(gres, &got);
    assert_int_equal(gherr, NETDB_SUCCESS);
    assert_int_equal(h_errno, HOST_NOT_FOUND);
    assert_ptr_equal(got.h_name, b + (he.h_name - a));
    assert_ptr_equal(got.h_aliases, (char **)(void *)b);
    assert_ptr_equal(got.h_addr_list, (char **)(void *)b + 2);
    assert_ptr_equal(got.h_aliases[0], b + (he.h_aliases[0] - a));
    assert_null(got.h_aliases[1]);
    assert_ptr_equal(got.h_addr_list[1], b + (he.h_addr_list[1] - a));
    assert_null(got.h_addr_list[2]);
    assert_string_equal(got.h_name, "www.example");
    assert_string_equal(got.h_aliases[0], "alias.example");
    assert_memory_equal(got.h_addr_list[1], "\xc0\x00\x02\x0b", 4);
    assert_int_equal(got.h_addrtype, AF_INET);
    assert_int_equal(got.h_length, 4);
    assert_int_equal((unsigned char)b[200 - 1], 0xaa);    /* past the span: untouched */

    /* The key: buflen, the buffer's alignment, the name, the call. */
    g.buflen = 201;
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 0);
    g = byname_r("www.example", &got, b + 8, 200, &gres, &gherr);
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 0);
    g = byname_r("www.example", &got, b + 16, 200, &gres, &gherr);
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 1);
    g = byname_r("WWW.example", &got, b, 200, &gres, &gherr);
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 0);
    g = byname_r("www.example", &got, b, 200, &gres, &gherr);
    g.form = HOSTENT_BYNAME2;
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 0);
    g.reentrant = 0;
    g.form = HOSTENT_BYNAME;
    assert_int_equal(memo_hostent_get_r(&get, &g, &rc), 0);
}

static void test_memo_hostent_r_failures(void **state)
{
    _Alignas(16) char a[64];
    struct hostent he, *res = NULL;
    int herr = NETDB_INTERNAL, rc = -1;
    struct memo_call mc = mcall(T0, 1, T0 + 1000, 100), get = mcall(T0, 1, 0, 0);

    /* ERANGE for this buflen: replayed with errno, *result and *h_errnop. */
    struct hostent_call c = byname_r("big.example", &he, a, 64, &res, &herr);
    mc.herrnop = NETDB_INTERNAL;
    memo_hostent_put_r(&mc, &c, ERANGE, ERANGE);
    res = &he;
    herr = 0;
    errno = 0;
    h_errno = 777;
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 1);
    assert_int_equal(rc, ERANGE);
    assert_int_equal(errno, ERANGE);
    assert_null(res);
    assert_int_equal(herr, NETDB_INTERNAL);
    assert_int_equal(h_errno, 777);      /* the call left it alone (MEMO_UNTOUCHED) */

    /* errno not equal to the return value: the caller's errno passed through
     * (gethostbyaddr_r of ::, say), not the data's: not kept. */
    c = byname_r("odd.example", &he, a, 64, &res, &herr);
    res = NULL;
    memo_hostent_put_r(&mc, &c, ENOENT, EDOM);
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 0);
    /* A passing failure is not kept. */
    c = byname_r("again.example", &he, a, 64, &res, &herr);
    mc.herrnop = TRY_AGAIN;
    memo_hostent_put_r(&mc, &c, EAGAIN, EAGAIN);
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 0);
    /* Without an out-parameter (glibc may succeed without writing it; a
     * replay would write it): not kept. */
    mc.herrnop = HOST_NOT_FOUND;
    c = byname_r("null.example", &he, a, 64, &res, NULL);
    memo_hostent_put_r(&mc, &c, 0, 0);
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 0);
    /* Nor is anything the note said not to keep. */
    mc.herrnop = HOST_NOT_FOUND;
    mc.expire_ms = 0;
    c = byname_r("nx.example", &he, a, 64, &res, &herr);
    memo_hostent_put_r(&mc, &c, 0, 0);
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 0);
}

static void test_memo_hostent_outside_buffer(void **state)
{
    _Alignas(16) char a[256];
    static char elsewhere[] = "elsewhere.example";
    struct hostent he, *res = &he;
    int herr = 0, rc;
    struct memo_call mc = mcall(T0, 1, T0 + 1000, 100), get = mcall(T0, 1, 0, 0);
    hostent_in(&he, a, "www.example");
    he.h_name = elsewhere;               /* not in the caller's buffer */
    struct hostent_call c = byname_r("www.example", &he, a, sizeof a, &res, &herr);
    memo_hostent_put_r(&mc, &c, 0, 0);
    assert_int_equal(memo_hostent_get_r(&get, &c, &rc), 0);
}

static void *other_thread_get(void *arg)
{
    struct hostent_call *c = arg;
    struct memo_call get = mcall(T0, 1, 0, 0);
    struct hostent *h = NULL;
    if (memo_hostent_get(&get, c, &h) != 1)
        return NULL;
    return h;
}

static void test_memo_hostent_static(void **state)
{
    static _Alignas(16) char glibc_buffer[256];
    struct hostent he, *h = NULL, *h2 = NULL;
    struct memo_call mc = mcall(T0, 1, T0 + 1000, 100), get = mcall(T0, 1, 0, 0);
    struct hostent_call c = { .form = HOSTENT_BYNAME2, .name = "www.example", .af = AF_INET };
    hostent_in(&he, glibc_buffer + 8, "www.example");
    memo_hostent_put(&mc, &c, &he, 0);
    assert_int_equal(memo_hostent_get(&get, &c, &h), 1);
    assert_non_null(h);
    assert_ptr_not_equal(h, &he);
    assert_string_equal(h->h_name, "www.example");
    assert_string_equal(h->h_aliases[0], "alias.example");
    assert_memory_equal(h->h_addr_list[0], "\xc0\x00\x02\x0a", 4);
    assert_null(h->h_addr_list[2]);
    /* Pointer arrays keep glibc's alignment. */
    assert_int_equal((uintptr_t)h->h_aliases % 16, (uintptr_t)he.h_aliases % 16);
    /* Storage per thread: another thread's result is its own. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread_get, &c), 0);
    assert_int_equal(pthread_join(t, (void **)&h2), 0);
    assert_non_null(h2);
    assert_ptr_not_equal(h2, h);
    /* A failure: NULL, with errno and h_errno as the call left them. */
    c.name = "nx.example";
    mc.herrno.global = HOST_NOT_FOUND;
    memo_hostent_put(&mc, &c, NULL, 0);
    h_errno = 777;
    errno = EDOM;
    assert_int_equal(memo_hostent_get(&get, &c, &h), 1);
    assert_null(h);
    assert_int_equal(h_errno, HOST_NOT_FOUND);
    assert_int_equal(errno, 0);
}

static void test_memo_nameinfo(void **state)
{
    struct sockaddr_in sin;
    char host[64], serv[16];
    int rc = -1;
    struct memo_call mc = mcall(T0, 1, T0 + 1000, 100), get = mcall(T0, 1, 0, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr);
    struct nameinfo_call c = { (struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv,
                               sizeof serv, 0 };
    strcpy(host, "www.example");
    strcpy(serv, "http");
    memo_nameinfo_put(&mc, &c, 0);
    memset(host, '#', sizeof host);
    memset(serv, '#', sizeof serv);
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 1);
    assert_int_equal(rc, 0);
    assert_string_equal(host, "www.example");
    assert_string_equal(serv, "http");
    assert_int_equal(host[12], '#');     /* exactly the string and its NUL */
    /* Every length and the flags are part of the key. */
    c.hostlen = 63;
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 0);
    c.hostlen = sizeof host;
    c.flags = NI_NAMEREQD;
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 0);
    c.flags = 0;
    c.serv = NULL;
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 0);
    /* EAI_OVERFLOW may have written part of a buffer: not kept. */
    c.serv = serv;
    c.servlen = 3;
    memo_nameinfo_put(&mc, &c, EAI_OVERFLOW);
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 0);
    /* EAI_NONAME writes nothing: kept. */
    c.flags = NI_NAMEREQD;
    c.servlen = sizeof serv;
    memo_nameinfo_put(&mc, &c, EAI_NONAME);
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 1);
    assert_int_equal(rc, EAI_NONAME);
    /* Other families are not memoised (glibc may read past the length). */
    struct sockaddr_storage un;
    memset(&un, 0, sizeof un);
    un.ss_family = AF_UNIX;
    c.sa = (struct sockaddr *)&un;
    c.salen = sizeof un;
    c.flags = 0;
    memo_nameinfo_put(&mc, &c, 0);
    assert_int_equal(memo_nameinfo_get(&get, &c, &rc), 0);
}

/* Keys of different kinds never meet, even with the same bytes after the kind. */
static void test_memo_kinds(void **state)
{
    struct addrinfo h = hints_of(AF_INET, SOCK_STREAM, 0), *res = NULL;
    struct addrinfo *list = node(0, AF_INET, SOCK_STREAM, IPPROTO_TCP, "192.0.2.1", 0);
    struct hostent *he = NULL;
    int rc;
    memo_store("k.example", NULL, &h, 0, list, T0 + 1000, 1, 100);
    struct memo_call get = mcall(T0, 1, 0, 0);
    struct hostent_call c = { .form = HOSTENT_BYNAME, .name = "k.example", .af = AF_INET };
    assert_int_equal(memo_hostent_get(&get, &c, &he), 0);
    assert_int_equal(memo_lookup("k.example", NULL, &h, T0, 1, &rc, &res), 1);
    freeaddrinfo(res);
    glibc_free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_positive),
        cmocka_unit_test(test_life_cname_chain),
        cmocka_unit_test(test_life_clamps),
        cmocka_unit_test(test_life_ttl_top_bit),
        cmocka_unit_test(test_life_nxdomain),
        cmocka_unit_test(test_life_nodata),
        cmocka_unit_test(test_life_negative_without_soa),
        cmocka_unit_test(test_life_cname_chain_without_type),
        cmocka_unit_test(test_life_nxdomain_after_cname),
        cmocka_unit_test(test_life_uncacheable),
        cmocka_unit_test_setup(test_fresh_then_expired, cache_setup),
        cmocka_unit_test_setup(test_stale_only_within_max_stale, cache_setup),
        cmocka_unit_test_setup(test_serve_stale_off, cache_setup),
        cmocka_unit_test_setup(test_stale_window, cache_setup),
        cmocka_unit_test_setup(test_refresh_replaces, cache_setup),
        cmocka_unit_test_setup(test_keys_case_and_trailing_dot, cache_setup),
        cmocka_unit_test_setup(test_put_rejects, cache_setup),
        cmocka_unit_test_setup(test_server_sets, cache_setup),
        cmocka_unit_test_setup(test_disabled, cache_setup),
        cmocka_unit_test_setup(test_eviction_bound, cache_setup),
        cmocka_unit_test_setup(test_eviction_bound_any_max_entries, cache_setup),
        cmocka_unit_test_setup(test_eviction_lru, cache_setup),
        cmocka_unit_test_setup(test_flight_waiters_share_the_leader, cache_setup),
        cmocka_unit_test_setup(test_flight_deadline, cache_setup),
        cmocka_unit_test_setup(test_flight_keys, cache_setup),
        cmocka_unit_test_setup(test_fork_child_keeps_entries_drops_flights, cache_setup),
        cmocka_unit_test_setup(test_memo_roundtrip, cache_setup),
        cmocka_unit_test_setup(test_memo_expiry_and_generation, cache_setup),
        cmocka_unit_test_setup(test_memo_keys, cache_setup),
        cmocka_unit_test_setup(test_memo_negative_and_replace, cache_setup),
        cmocka_unit_test_setup(test_memo_limits, cache_setup),
        cmocka_unit_test_setup(test_memo_bound, cache_setup),
        cmocka_unit_test_setup(test_memo_hostent_r, cache_setup),
        cmocka_unit_test_setup(test_memo_hostent_r_failures, cache_setup),
        cmocka_unit_test_setup(test_memo_hostent_outside_buffer, cache_setup),
        cmocka_unit_test_setup(test_memo_hostent_static, cache_setup),
        cmocka_unit_test_setup(test_memo_nameinfo, cache_setup),
        cmocka_unit_test_setup(test_memo_kinds, cache_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
