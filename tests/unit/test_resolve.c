/* test_resolve — resolve_search: glibc 2.36 res_search semantics (ndots, the
 * trailing dot, RES_DEFNAMES / RES_DNSRCH / RES_NOTLDQUERY, search order,
 * and which h_errno wins) over our transport.
 *
 * A small UDP responder runs in a thread on 127.0.0.1 (ephemeral port). It
 * answers from a table (NXDOMAIN for unknown names) and records the
 * question names it receives, in order. Each search case is checked twice
 * against the same expectation: once through resolve_search, and once
 * through glibc's own res_nsearch pointed at the responder (legacy _res
 * fields, which glibc 2.36 still honours), so the expectations are glibc's
 * behaviour, not a reading of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsf/cache.h"
#include "dnsf/chanpool.h"
#include "dnsf/clock.h"
#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/health.h"
#include "dnsf/resolve.h"
#include "dnsf/transport.h"
#include "dnspkt.h"

/* ---- the responder ------------------------------------------------------ */

enum action { ACT_NXDOMAIN = 0, ACT_ANSWER, ACT_NODATA, ACT_SERVFAIL, ACT_DROP };

struct rec {
    const char *name;
    enum action act;
    const char *a, *aaaa;          /* ACT_ANSWER: the address records there are */
};

static const struct rec table[] = {
    { "www.s2.test", ACT_ANSWER, "192.0.2.2", NULL },
    { "www.s1.test", ACT_NODATA, NULL, NULL },
    { "nd.s1.test", ACT_NODATA, NULL, NULL },
    { "a.b.s1.test", ACT_NODATA, NULL, NULL },
    { "x.nd", ACT_NODATA, NULL, NULL },
    { "deep.host.s1.test", ACT_ANSWER, "192.0.2.34", NULL },
    { "sf.s1.test", ACT_SERVFAIL, NULL, NULL },
    { "sf2.s1.test", ACT_SERVFAIL, NULL, NULL },
    { "sf2.s2.test", ACT_ANSWER, "192.0.2.43", NULL },
    { "to.s1.test", ACT_DROP, NULL, NULL },
    { "sfonly.test", ACT_SERVFAIL, NULL, NULL },
    { "dual.s1.test", ACT_ANSWER, "192.0.2.40", "2001:db8::40" },
    { "v4.s1.test", ACT_ANSWER, "192.0.2.41", NULL },
    { "plain.test", ACT_ANSWER, "192.0.2.42", NULL },
};

#define MAXLOG 64
static struct {
    int fd;
    struct dnsf_server server;     /* 127.0.0.1:PORT */
    pthread_t thread;
    int stop;
    pthread_mutex_t lock;
    int nlog;
    char log[MAXLOG][DNSMSG_MAXDNAME];
    unsigned logtype[MAXLOG];
} rsp = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static const struct rec *lookup_rec(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* Parse a query's single question: NAME (dotted, "" for the root), QTYPE and
 * where the question ends. Return 0 or -1. Test code: uncompressed only. */
static int parse_query(const uint8_t *b, size_t n, char *name, size_t namelen, unsigned *qtype,
                       size_t *qend)
{
    size_t p = 12, o = 0;
    if (n < 12 || b[4] != 0 || b[5] != 1)
        return -1;
    for (;;) {
        if (p >= n)
            return -1;
        unsigned l = b[p++];
        if (l == 0)
            break;
        if (l > 63 || p + l > n || o + l + 2 > namelen)
            return -1;
        if (o > 0)
            name[o++] = '.';
        memcpy(name + o, b + p, l);
        o += l;
        p += l;
    }
    name[o] = 0;
    if (p + 4 > n)
        return -1;
    *qtype = (unsigned)(b[p] << 8 | b[p + 1]);
    *qend = p + 4;
    return 0;
}

static void answer_query(const uint8_t *q, size_t n, const struct sockaddr *from, socklen_t fromlen)
{
    char name[DNSMSG_MAXDNAME];
    unsigned qtype;
    size_t qend;
    if (parse_query(q, n, name, sizeof name, &qtype, &qend) < 0)
        return;
    pthread_mutex_lock(&rsp.lock);
    if (rsp.nlog < MAXLOG) {
        snprintf(rsp.log[rsp.nlog], sizeof rsp.log[0], "%s", name);
        rsp.logtype[rsp.nlog++] = qtype;
    }
    pthread_mutex_unlock(&rsp.lock);

    const struct rec *r = lookup_rec(name);
    enum action act = r ? r->act : ACT_NXDOMAIN;
    if (act == ACT_DROP)
        return;
    unsigned rcode = act == ACT_NXDOMAIN ? 3 : act == ACT_SERVFAIL ? 2 : 0;
    const char *addr = NULL;
    if (act == ACT_ANSWER)
        addr = qtype == DNS_T_A ? r->a : qtype == DNS_T_AAAA ? r->aaaa : NULL;

    static __thread struct pkt p;
    pkt_init(&p);
    pkt_u16(&p, (unsigned)(q[0] << 8 | q[1]));                      /* ID */
    pkt_u16(&p, 0x8080u | (q[2] & 0x01u) << 8 | rcode);             /* QR, RD echoed, RA */
    pkt_u16(&p, 1);
    pkt_u16(&p, addr ? 1 : 0);
    pkt_u16(&p, addr ? 0 : 1);
    pkt_u16(&p, 0);
    pkt_bytes(&p, q + 12, qend - 12);
    if (addr != NULL) {
        if (qtype == DNS_T_A)
            pkt_rr_a(&p, NULL, 300, addr);
        else
            pkt_rr_aaaa(&p, NULL, 300, addr);
    } else {
        /* RFC 2308: negative answers carry the SOA. */
        pkt_rr_soa(&p, "test", 3600, "ns.test", "hostmaster.test", 300);
    }
    sendto(rsp.fd, p.b, p.n, 0, from, fromlen);
}

static void *responder_main(void *arg)
{
    (void)arg;
    uint8_t buf[4096];
    while (!__atomic_load_n(&rsp.stop, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd = { rsp.fd, POLLIN, 0 };
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(rsp.fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        if (n > 0)
            answer_query(buf, (size_t)n, (struct sockaddr *)&from, fromlen);
    }
    return NULL;
}

/* A UDP socket on 127.0.0.1 with an ephemeral port; *PORT gets the port. */
static int udp_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0
        || getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(sin.sin_port);
    return fd;
}

static int server_for_port(uint16_t port, struct dnsf_server *s)
{
    char text[32];
    snprintf(text, sizeof text, "127.0.0.1:%u", port);
    return config_parse_server(text, s);
}

static int group_setup(void **state)
{
    (void)state;
    uint16_t port;
    unsetenv("HOSTALIASES");
    rsp.fd = udp_socket(&port);
    if (rsp.fd < 0 || server_for_port(port, &rsp.server) < 0)
        return -1;
    return pthread_create(&rsp.thread, NULL, responder_main, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    __atomic_store_n(&rsp.stop, 1, __ATOMIC_RELEASE);
    pthread_join(rsp.thread, NULL);
    close(rsp.fd);
    chanpool_release_idle();
    return 0;
}

static void log_clear(void)
{
    pthread_mutex_lock(&rsp.lock);
    rsp.nlog = 0;
    pthread_mutex_unlock(&rsp.lock);
}

/* Each test starts with no server history and a full hedge budget. */
static int test_setup(void **state)
{
    (void)state;
    health_reset();
    log_clear();
    return 0;
}

/* "name, name, ..." of the queries seen since the last log_clear. */
static const char *log_text(char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
    pthread_mutex_lock(&rsp.lock);
    for (int i = 0; i < rsp.nlog && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", rsp.log[i]);
    pthread_mutex_unlock(&rsp.lock);
    return out;
}

/* ---- building a lookup ---------------------------------------------------- */

/* The config every lookup here reads (the cache off); it lives as long as
 * the process, so queries left running may read it after their lookup. */
static struct dnsf_config cfg;

static void ctx_make(struct resolve_ctx *ctx, const struct dnsf_server *server, int ndots,
                     unsigned long options, const char *const *search, int nsearch)
{
    memset(ctx, 0, sizeof *ctx);
    memset(&cfg, 0, sizeof cfg);
    ctx->ask.cfg = &cfg;
    ctx->ask.servers = server;
    ctx->ask.nservers = 1;
    cfg.strategy = STRATEGY_SEQUENCE;
    cfg.timeout_ms = 500;
    cfg.attempts = 1;
    cfg.deadline_ms = 3000;
    cfg.hedge_min_ms = 10;
    cfg.hedge_max_ms = 200;
    cfg.health.fail_threshold = 3;
    cfg.health.probe_interval_ms = 1000;
    cfg.health.max_down_ms = 30000;
    ctx->ndots = ndots;
    ctx->nsearch = nsearch;
    for (int i = 0; i < nsearch; i++)
        ctx->search[i] = search[i];
    ctx->options = options;
    ctx->deadline_ms = clock_now_ms() + 3000;
}

static const char *herrno_name(int h)
{
    switch (h) {
    case NETDB_SUCCESS: return "NETDB_SUCCESS";
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    case NETDB_INTERNAL: return "NETDB_INTERNAL";
    default: return "?";
    }
}

/* The first A address in reply R, as text. */
static const char *reply_a(const struct dnsf_reply *r)
{
    static char text[INET6_ADDRSTRLEN];
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    if (r->pkt == NULL || dnsmsg_init(&m, r->pkt, (size_t)r->len) < 0)
        return "<no reply>";
    for (int i = 0; i < m.ancount; i++) {
        if (dnsmsg_next_rr(&m, &rr) < 0)
            break;
        if (rr.type == DNS_T_A && rr.rdlength == 4)
            return inet_ntop(AF_INET, rr.rdata, text, sizeof text);
        if (rr.type == DNS_T_AAAA && rr.rdlength == 16)
            return inet_ntop(AF_INET6, rr.rdata, text, sizeof text);
    }
    return "<no address>";
}

/* ---- the search cases ------------------------------------------------------ */

#define DEF (RES_DEFNAMES | RES_DNSRCH)
#define S1 "s1.test"
#define S2 "s2.test"

struct scase {
    const char *title;
    const char *name;
    int ndots;
    unsigned long options;
    const char *search[6];
    int nsearch;
    int want_ok;                   /* 1: an answer (then WANT_ADDR), 0: failure */
    int want_herrno;               /* what res_search leaves in h_errno, success or not */
    const char *want_addr;
    const char *want_queries;      /* the responder's log, in order */
};

static const struct scase cases[] = {
    { "no dot, ndots 1: the search list first, up to the first answer",
      "www", 1, DEF, { S1, S2 }, 2, 1, NO_DATA, "192.0.2.2", "www.s1.test, www.s2.test" },
    { "nothing anywhere: every domain, then the name as is",
      "nothere", 1, DEF, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL,
      "nothere.s1.test, nothere.s2.test, nothere" },
    { "a NODATA on the way beats the NXDOMAINs after it",
      "nd", 1, DEF, { S1, S2 }, 2, 0, NO_DATA, NULL, "nd.s1.test, nd.s2.test, nd" },
    { "dots >= ndots: as is first; its NXDOMAIN beats a later NODATA",
      "a.b", 1, DEF, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL, "a.b, a.b.s1.test, a.b.s2.test" },
    { "dots >= ndots: the as-is NODATA beats later NXDOMAINs",
      "x.nd", 1, DEF, { S1, S2 }, 2, 0, NO_DATA, NULL, "x.nd, x.nd.s1.test, x.nd.s2.test" },
    { "ndots 2: a one-dot name is searched first",
      "deep.host", 2, DEF, { S1, S2 }, 2, 1, HOST_NOT_FOUND, "192.0.2.34",
      "deep.host.s1.test" },
    { "ndots 1: the same name is tried as is first",
      "deep.host", 1, DEF, { S1, S2 }, 2, 1, HOST_NOT_FOUND, "192.0.2.34",
      "deep.host, deep.host.s1.test" },
    { "ndots 0: even a dotless name is tried as is first",
      "www", 0, DEF, { S1, S2 }, 2, 1, NO_DATA, "192.0.2.2", "www, www.s1.test, www.s2.test" },
    { "trailing dot: as is only",
      "www.s2.test.", 1, DEF, { S1, S2 }, 2, 1, HOST_NOT_FOUND, "192.0.2.2", "www.s2.test" },
    { "trailing dot: a failure is final, no search",
      "nothere.", 1, DEF, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL, "nothere" },
    { "no RES_DEFNAMES: a dotless name is not searched",
      "www", 1, RES_DNSRCH, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL, "www" },
    { "RES_DEFNAMES without RES_DNSRCH: the first domain only",
      "www", 1, RES_DEFNAMES, { S1, S2 }, 2, 0, NO_DATA, NULL, "www.s1.test, www" },
    { "no RES_DNSRCH: a dotted name is not searched",
      "a.b", 1, RES_DEFNAMES, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL, "a.b" },
    { "RES_NOTLDQUERY: a dotless name is never tried as is",
      "nothere", 1, DEF | RES_NOTLDQUERY, { S1, S2 }, 2, 0, HOST_NOT_FOUND, NULL,
      "nothere.s1.test, nothere.s2.test" },
    { "RES_NOTLDQUERY does not stop a dotted name",
      "a.b", 2, DEF | RES_NOTLDQUERY, { S1, S2 }, 2, 0, NO_DATA, NULL,
      "a.b.s1.test, a.b.s2.test, a.b" },
    { "the root on the search list stands for the as-is query",
      "nothere", 1, DEF, { ".", S1 }, 2, 0, HOST_NOT_FOUND, NULL, "nothere, nothere.s1.test" },
    { "a leading dot on a search domain is dropped",
      "www", 1, DEF, { "." S2 }, 1, 1, HOST_NOT_FOUND, "192.0.2.2", "www.s2.test" },
    { "an empty search list: as is only",
      "www", 1, DEF, { NULL }, 0, 0, HOST_NOT_FOUND, NULL, "www" },
    { "SERVFAIL in the list: go on, TRY_AGAIN at the end",
      "sf", 1, DEF, { S1, S2 }, 2, 0, TRY_AGAIN, NULL, "sf.s1.test, sf.s2.test, sf" },
    { "SERVFAIL, then an answer further down",
      "sf2", 1, DEF, { S1, S2 }, 2, 1, TRY_AGAIN, "192.0.2.43", "sf2.s1.test, sf2.s2.test" },
};

/* No h_errno value: set before a call, so that "left alone" shows. */
#define HERR_SENTINEL 777

/* glibc's own res_nsearch on the same case and server. *HERR is what it
 * left in the state's res_h_errno, which RES_SET_H_ERRNO keeps equal to the
 * thread's h_errno (checked here). */
static int glibc_search(const struct scase *c, const struct dnsf_server *server, int *herr,
                        int *err)
{
    struct __res_state st;
    unsigned char ans[4096];
    memset(&st, 0, sizeof st);
    memset(ans, 0, sizeof ans);        /* res_search reads the rcode of a stale buffer */
    st._vcsock = -1;
    st.options = RES_INIT | RES_RECURSE | c->options;
    st.retrans = 1;
    st.retry = 1;
    st.nscount = 1;
    memcpy(&st.nsaddr_list[0], &server->addr, sizeof(struct sockaddr_in));
    st.ndots = (unsigned)c->ndots;
    for (int i = 0; i < c->nsearch; i++)
        st.dnsrch[i] = (char *)c->search[i];
    st.dnsrch[c->nsearch] = NULL;
    errno = 0;
    h_errno = st.res_h_errno = HERR_SENTINEL;
    int n = res_nsearch(&st, c->name, C_IN, T_A, ans, sizeof ans);
    *err = errno;
    *herr = st.res_h_errno;
    assert_int_equal(h_errno, st.res_h_errno);
    res_nclose(&st);
    return n < 0 ? -1 : 0;
}

static void check_outcome(const char *who, const struct scase *c, int ok, int herr,
                          const char *addr)
{
    char log[2048];
    log_text(log, sizeof log);
    if (strcmp(log, c->want_queries) != 0)
        fail_msg("%s, %s: \"%s\" asked [%s], want [%s]", who, c->title, c->name, log,
                 c->want_queries);
    if (ok != c->want_ok)
        fail_msg("%s, %s: \"%s\" %s, want %s (h_errno %s)", who, c->title, c->name,
                 ok ? "succeeded" : "failed", c->want_ok ? "success" : "failure",
                 herrno_name(herr));
    if (herr != c->want_herrno)
        fail_msg("%s, %s: \"%s\" %s, h_errno %s, want %s", who, c->title, c->name,
                 ok ? "succeeded" : "failed", herrno_name(herr), herrno_name(c->want_herrno));
    if (ok && addr != NULL && strcmp(addr, c->want_addr) != 0)
        fail_msg("%s, %s: \"%s\" answered %s, want %s", who, c->title, c->name, addr,
                 c->want_addr);
}

static void run_case(const struct scase *c, int with_glibc)
{
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = HERR_SENTINEL, err = -1;

    health_reset();
    log_clear();
    ctx_make(&ctx, &rsp.server, c->ndots, c->options, c->search, c->nsearch);
    int rc = resolve_search(&ctx, c->name, DNS_T_A, &ans, &herr, &err);
    assert_int_not_equal(rc, -2);
    check_outcome("resolve_search", c, rc == 0, herr, rc == 0 ? reply_a(&ans.r[0]) : NULL);
    if (rc == 0) {
        assert_int_equal(ans.nq, 1);
        assert_int_equal(ans.r[0].status, REPLY_OK);
        resolve_answer_free(&ans);
    }

    if (!with_glibc)
        return;
    log_clear();
    rc = glibc_search(c, &rsp.server, &herr, &err);
    check_outcome("glibc res_nsearch", c, rc == 0, herr, NULL);
}

/* One cmocka test per case, so a failure names its case. */
#define CASE_TEST(i)                                                                    \
    static void test_search_case_##i(void **state)                                      \
    {                                                                                   \
        (void)state;                                                                    \
        run_case(&cases[i], 1);                                                         \
    }
CASE_TEST(0)
CASE_TEST(1)
CASE_TEST(2)
CASE_TEST(3)
CASE_TEST(4)
CASE_TEST(5)
CASE_TEST(6)
CASE_TEST(7)
CASE_TEST(8)
CASE_TEST(9)
CASE_TEST(10)
CASE_TEST(11)
CASE_TEST(12)
CASE_TEST(13)
CASE_TEST(14)
CASE_TEST(15)
CASE_TEST(16)
CASE_TEST(17)
CASE_TEST(18)
CASE_TEST(19)

static void test_case_table_size(void **state)
{
    (void)state;
    /* Keep CASE_TEST and the table in step. */
    assert_int_equal(sizeof cases / sizeof cases[0], 20);
}

/* A timeout ends the walk down the list (TRY_AGAIN without SERVFAIL); the
 * as-is query still follows, and its answer is the h_errno. glibc waits 1 s
 * (RES_TIMEOUT's unit), we wait 500 ms. */
static void test_search_timeout_stops_list(void **state)
{
    (void)state;
    static const struct scase c = {
        "a timeout stops the search list", "to", 1, DEF, { S1, S2 }, 2, 0, HOST_NOT_FOUND,
        NULL, "to.s1.test, to",
    };
    run_case(&c, 1);
}

/* ---- names glibc cannot even ask for ---------------------------------------- */

/* 4 × (1 + 63) + 1 = 257 octets in wire form: longer than RFC 1035
 * allows, though short as text. glibc's res_mkquery cannot encode it, so
 * __res_context_query sets NO_RECOVERY without sending anything, and the
 * search stops there. */
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
static const struct scase too_long = {
    "a search name longer than 255 octets", L63, 1, DEF | RES_NOTLDQUERY,
    { L63 "." L63 "." L63 }, 1, 0, NO_RECOVERY, NULL, "",
};

static void test_search_name_too_long(void **state)
{
    (void)state;
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    char log[256];
    assert_int_equal(strlen(too_long.search[0]), 191);

    /* glibc: NO_RECOVERY at once, nothing sent. */
    assert_int_equal(glibc_search(&too_long, &rsp.server, &herr, &err), -1);
    assert_int_equal(herr, NO_RECOVERY);
    assert_string_equal(log_text(log, sizeof log), "");

    /* Us: the same, and without waiting for anything (c-ares refuses the
     * name inside ares_query, before any socket is used). */
    ctx_make(&ctx, &rsp.server, too_long.ndots, too_long.options, too_long.search,
             too_long.nsearch);
    uint64_t t0 = clock_now_ms();
    int rc = resolve_search(&ctx, too_long.name, DNS_T_A, &ans, &herr, &err);
    unsigned long long took = clock_now_ms() - t0;
    log_text(log, sizeof log);
    if (rc != -1 || herr != NO_RECOVERY || took > 200 || log[0] != 0)
        fail_msg("resolve_search: rc %d, h_errno %s, errno %d after %llu ms, asked [%s]; "
                 "glibc: rc -1, NO_RECOVERY at once, nothing asked",
                 rc, herrno_name(herr), err, took, log);
}

/* Such a name says nothing about the server: it must not count against it. */
static void test_bad_name_is_not_a_server_failure(void **state)
{
    (void)state;
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr, err;
    for (int i = 0; i < 3; i++) {              /* fail_threshold */
        ctx_make(&ctx, &rsp.server, too_long.ndots, too_long.options, too_long.search,
                 too_long.nsearch);
        ctx.deadline_ms = clock_now_ms() + 300;  /* keep a slow failure short */
        assert_int_equal(resolve_search(&ctx, too_long.name, DNS_T_A, &ans, &herr, &err), -1);
    }
    struct health_plan hp;
    health_plan(&rsp.server, 1, &cfg, NULL, NULL, clock_now_ms(), &hp);
    if (hp.slot[0] >= 0) {
        char name[64];
        struct health_counters hc;
        int down = 0, fails = 0;
        double srtt;
        assert_int_equal(health_snapshot(hp.slot[0], name, sizeof name, &hc, &down, &fails,
                                         &srtt), 0);
        if (down || fails)
            fail_msg("3 over-long names marked %s %s (%d failures, %llu errors)", name,
                     down ? "down" : "suspect", fails, (unsigned long long)hc.errors);
    }
}

/* ---- answers ------------------------------------------------------------------- */

static void test_search_a_and_aaaa(void **state)
{
    (void)state;
    static const char *const search[] = { S1 };
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    char log[1024];

    ctx_make(&ctx, &rsp.server, 1, DEF, search, 1);
    assert_int_equal(resolve_search(&ctx, "dual", RESOLVE_A_AND_AAAA, &ans, &herr, &err), 0);
    assert_int_equal(ans.nq, 2);
    assert_int_equal(ans.r[0].status, REPLY_OK);
    assert_int_equal(ans.r[1].status, REPLY_OK);
    assert_string_equal(reply_a(&ans.r[0]), "192.0.2.40");
    assert_string_equal(reply_a(&ans.r[1]), "2001:db8::40");
    resolve_answer_free(&ans);
    /* Both types asked, for the one name. */
    pthread_mutex_lock(&rsp.lock);
    int n = rsp.nlog, a = 0, aaaa = 0;
    for (int i = 0; i < n; i++) {
        assert_string_equal(rsp.log[i], "dual.s1.test");
        a += rsp.logtype[i] == DNS_T_A;
        aaaa += rsp.logtype[i] == DNS_T_AAAA;
    }
    pthread_mutex_unlock(&rsp.lock);
    assert_int_equal(a, 1);
    assert_int_equal(aaaa, 1);

    /* A only: the AAAA NODATA does not make it a failure. */
    log_clear();
    ctx_make(&ctx, &rsp.server, 1, DEF, search, 1);
    assert_int_equal(resolve_search(&ctx, "v4", RESOLVE_A_AND_AAAA, &ans, &herr, &err), 0);
    assert_string_equal(reply_a(&ans.r[0]), "192.0.2.41");
    resolve_answer_free(&ans);

    /* Neither: NXDOMAIN for both types of every name. */
    log_clear();
    ctx_make(&ctx, &rsp.server, 1, DEF, search, 1);
    assert_int_equal(resolve_search(&ctx, "nothere", RESOLVE_A_AND_AAAA, &ans, &herr, &err), -1);
    assert_int_equal(herr, HOST_NOT_FOUND);
    log_text(log, sizeof log);
    assert_string_equal(log, "nothere.s1.test, nothere.s1.test, nothere, nothere");
}

static void test_query_no_search(void **state)
{
    (void)state;
    static const char *const search[] = { S1, S2 };
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    char log[1024];
    ctx_make(&ctx, &rsp.server, 1, DEF, search, 2);
    assert_int_equal(resolve_query(&ctx, "www", DNS_T_A, &ans, &herr, &err), -1);
    assert_int_equal(herr, HOST_NOT_FOUND);
    assert_string_equal(log_text(log, sizeof log), "www");
    log_clear();
    herr = HERR_SENTINEL;
    assert_int_equal(resolve_query(&ctx, "plain.test", DNS_T_A, &ans, &herr, &err), 0);
    assert_string_equal(reply_a(&ans.r[0]), "192.0.2.42");
    resolve_answer_free(&ans);
    /* res_query sets no h_errno on success. */
    assert_int_equal(herr, -1);
}

/* RES_SET_H_ERRNO: both the state's copy and the thread's h_errno; a
 * value below 0 (nothing set) touches neither. */
static void test_set_h_errno(void **state)
{
    (void)state;
    struct __res_state st;
    memset(&st, 0, sizeof st);
    h_errno = st.res_h_errno = HERR_SENTINEL;
    resolve_set_h_errno(&st, -1);
    assert_int_equal(h_errno, HERR_SENTINEL);
    assert_int_equal(st.res_h_errno, HERR_SENTINEL);
    resolve_set_h_errno(&st, NO_DATA);
    assert_int_equal(h_errno, NO_DATA);
    assert_int_equal(st.res_h_errno, NO_DATA);
}

static void test_hostaliases(void **state)
{
    (void)state;
    static const char *const search[] = { S1, S2 };
    char path[] = "/tmp/dnsf-test-hostaliases-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "other something.else\nMyAlias   plain.test  trailing\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    setenv("HOSTALIASES", path, 1);

    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    char log[1024];
    /* A dotless name with an alias: res_query on the alias, no search; its
     * success leaves the HOST_NOT_FOUND res_search set first, as glibc's. */
    static const struct scase alias = { "HOSTALIASES", "myalias", 1, DEF, { S1, S2 }, 2, 1,
                                        HOST_NOT_FOUND, "192.0.2.42", "plain.test" };
    run_case(&alias, 1);

    /* RES_NOALIASES turns it off. */
    log_clear();
    ctx_make(&ctx, &rsp.server, 1, DEF | RES_NOALIASES, search, 2);
    assert_int_equal(resolve_search(&ctx, "myalias", DNS_T_A, &ans, &herr, &err), -1);
    assert_string_equal(log_text(log, sizeof log), "myalias.s1.test, myalias.s2.test, myalias");

    unsetenv("HOSTALIASES");
    unlink(path);
}

/* ---- failures of the server itself ------------------------------------------- */

static void test_server_never_answers(void **state)
{
    (void)state;
    uint16_t port;
    struct dnsf_server silent;
    int fd = udp_socket(&port);                 /* bound, never read */
    assert_true(fd >= 0);
    assert_int_equal(server_for_port(port, &silent), 0);

    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    ctx_make(&ctx, &silent, 1, DEF, NULL, 0);
    uint64_t t0 = clock_now_ms();
    assert_int_equal(resolve_search(&ctx, "a.example", DNS_T_A, &ans, &herr, &err), -1);
    uint64_t took = clock_now_ms() - t0;
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(err, ETIMEDOUT);
    if (took < 450 || took > 3000 + 200)
        fail_msg("a 500 ms timeout took %llu ms", (unsigned long long)took);

    /* glibc: the same h_errno and errno. */
    static const struct scase c = { "silent", "a.example", 1, DEF, { NULL }, 0, 0, TRY_AGAIN,
                                    NULL, "" };
    int gerr;
    assert_int_equal(glibc_search(&c, &silent, &herr, &gerr), -1);
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(gerr, ETIMEDOUT);
    close(fd);
}

static void test_deadline_bounds_the_whole_search(void **state)
{
    (void)state;
    static const char *const search[] = { "s1.test", "s2.test", "s3.test", "s4.test",
                                          "s5.test", "s6.test" };
    uint16_t port;
    struct dnsf_server silent;
    int fd = udp_socket(&port);
    assert_true(fd >= 0);
    assert_int_equal(server_for_port(port, &silent), 0);

    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    ctx_make(&ctx, &silent, 1, DEF, search, 6);
    cfg.attempts = 10;                          /* 10 × 500 ms would be 5 s per name */
    ctx.deadline_ms = clock_now_ms() + 1200;
    uint64_t t0 = clock_now_ms();
    assert_int_equal(resolve_search(&ctx, "a.b", DNS_T_A, &ans, &herr, &err), -1);
    uint64_t took = clock_now_ms() - t0;
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(err, ETIMEDOUT);
    if (took > 1200 + 200)
        fail_msg("a 1200 ms deadline took %llu ms", (unsigned long long)took);

    /* A deadline already past: nothing is sent. */
    ctx_make(&ctx, &rsp.server, 1, DEF, search, 6);
    ctx.deadline_ms = clock_now_ms() - 1;
    log_clear();
    assert_int_equal(resolve_search(&ctx, "www", DNS_T_A, &ans, &herr, &err), -1);
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(err, ETIMEDOUT);
    usleep(50 * 1000);
    char log[256];
    assert_string_equal(log_text(log, sizeof log), "");
    close(fd);
}

static void test_connection_refused(void **state)
{
    (void)state;
    static const char *const search[] = { S1, S2 };
    uint16_t port;
    struct dnsf_server dead;
    int fd = udp_socket(&port);
    assert_true(fd >= 0);
    close(fd);                                  /* nothing listens there now: ICMP */
    assert_int_equal(server_for_port(port, &dead), 0);

    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    ctx_make(&ctx, &dead, 1, DEF, search, 2);
    uint64_t t0 = clock_now_ms();
    assert_int_equal(resolve_search(&ctx, "a.b", DNS_T_A, &ans, &herr, &err), -1);
    uint64_t took = clock_now_ms() - t0;
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(err, ECONNREFUSED);
    if (took > 400)
        fail_msg("an ICMP-refused server took %llu ms (no timeout should be waited)",
                 (unsigned long long)took);

    static const struct scase c = { "refused", "a.b", 1, DEF, { S1, S2 }, 2, 0, TRY_AGAIN,
                                    NULL, "" };
    int gerr;
    assert_int_equal(glibc_search(&c, &dead, &herr, &gerr), -1);
    assert_int_equal(herr, TRY_AGAIN);
    assert_int_equal(gerr, ECONNREFUSED);
}

static void test_servfail_only_server(void **state)
{
    (void)state;
    static const struct scase c = { "SERVFAIL from the only server", "sfonly.test", 1, DEF,
                                    { NULL }, 0, 0, TRY_AGAIN, NULL, "sfonly.test" };
    run_case(&c, 1);

    /* And through resolve_query: TRY_AGAIN, errno as glibc's res_send
     * leaves it when a server did answer (ETIMEDOUT, "no answer"). */
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, err = -1;
    ctx_make(&ctx, &rsp.server, 1, DEF, NULL, 0);
    assert_int_equal(resolve_query(&ctx, "sfonly.test", DNS_T_A, &ans, &herr, &err), -1);
    assert_int_equal(herr, TRY_AGAIN);
    int gherr, gerr;
    assert_int_equal(glibc_search(&c, &rsp.server, &gherr, &gerr), -1);
    assert_int_equal(err, gerr);
}

/* The one NAME.DOMAIN join (resolve_join_domain), as each of its callers
 * uses it: res_search's candidates keep a trailing dot (glibc's
 * __res_context_querydomain), res_nquerydomain drops one (rawquery.c). */
static void test_join_domain_trailing_dot(void **state)
{
    (void)state;
    char buf[NS_MAXDNAME], big[NS_MAXDNAME + 1];
    const char *kept = "a.b.";
    /* res_search: the name as it is, dot and all. */
    assert_ptr_equal(resolve_join_domain(kept, NULL, 0, buf), kept);
    assert_string_equal(resolve_join_domain("x..", NULL, 0, buf), "x..");
    assert_string_equal(resolve_join_domain("a\\.", NULL, 0, buf), "a\\.");
    assert_string_equal(resolve_join_domain("www", "s1.test.", 0, buf), "www.s1.test.");
    assert_string_equal(resolve_join_domain("www.", "s1.test", 0, buf), "www..s1.test");
    /* res_nquerydomain: one trailing dot dropped, only without a domain. */
    assert_string_equal(resolve_join_domain(kept, NULL, 1, buf), "a.b");
    assert_string_equal(resolve_join_domain("x..", NULL, 1, buf), "x.");
    assert_string_equal(resolve_join_domain("a\\.", NULL, 1, buf), "a\\");
    assert_string_equal(resolve_join_domain(".", NULL, 1, buf), "");
    assert_string_equal(resolve_join_domain("plain", NULL, 1, buf), "plain");
    assert_string_equal(resolve_join_domain("www", "s1.test.", 1, buf), "www.s1.test.");
    /* glibc's limits, the same for both: "" wraps, and MAXDNAME. */
    for (int strip = 0; strip < 2; strip++) {
        assert_null(resolve_join_domain("", NULL, strip, buf));
        memset(big, 'a', NS_MAXDNAME - 1);
        big[NS_MAXDNAME - 1] = 0;                 /* 1024 octets: n - 1 < 1024 */
        assert_non_null(resolve_join_domain(big, NULL, strip, buf));
        big[NS_MAXDNAME - 1] = 'a';
        big[NS_MAXDNAME] = 0;                     /* 1025 */
        assert_null(resolve_join_domain(big, NULL, strip, buf));
        big[NS_MAXDNAME - 4] = 0;                 /* 1021 + 1 + 3 = 1025 */
        assert_null(resolve_join_domain(big, "abc", strip, buf));
        assert_non_null(resolve_join_domain(big, "ab", strip, buf));
    }
}

/* ---- domains: a routed name is never answered from another server set ---- */

/* plain.test is first asked, and cached (fresh and stale-servable), with
 * the responder; then a `domains` entry routes plain.test to a server that
 * never answers. The lookup must fail (route.h: no leak, also not through a
 * cached answer of another set) and the responder must not be asked; an
 * unrouted name still is. */
static void test_routed_name_never_served_from_another_set(void **state)
{
    (void)state;
    uint16_t port;
    struct dnsf_server silent;
    int fd = udp_socket(&port);                 /* bound, never read */
    assert_true(fd >= 0);
    assert_int_equal(server_for_port(port, &silent), 0);
    char conf[256], err[256], logbuf[512];
    snprintf(conf, sizeof conf,
             "domains = ( { suffix = [ \"plain.test\" ]; nameservers = [ \"%s\" ]; } );",
             silent.text);
    static struct dnsf_config routed;
    struct dnsf_identity id = { .progname = "test_resolve" };
    assert_int_equal(config_load_buffer(conf, strlen(conf), "routed", &id, &routed, err,
                                        sizeof err), 0);

    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herr = -1, e = -1;
    cache_flush();
    ctx_make(&ctx, &rsp.server, 1, DEF, NULL, 0);
    cfg.cache = (struct dnsf_cache_config){ .enabled = 1, .max_entries = 100, .max_ttl = 86400,
                                            .negative_max_ttl = 300, .serve_stale = 1,
                                            .max_stale = 86400 };
    assert_int_equal(resolve_query(&ctx, "plain.test", DNS_T_A, &ans, &herr, &e), 0);
    resolve_answer_free(&ans);

    cfg.domains = routed.domains;               /* now plain.test is routed */
    log_clear();
    ctx.deadline_ms = clock_now_ms() + 3000;
    assert_int_equal(resolve_query(&ctx, "plain.test", DNS_T_A, &ans, &herr, &e), -1);
    assert_int_equal(herr, TRY_AGAIN);
    assert_string_equal(log_text(logbuf, sizeof logbuf), "");
    assert_int_equal(resolve_query(&ctx, "v4.s1.test", DNS_T_A, &ans, &herr, &e), 0);
    assert_string_equal(reply_a(&ans.r[0]), "192.0.2.41");
    resolve_answer_free(&ans);
    assert_string_equal(log_text(logbuf, sizeof logbuf), "v4.s1.test");
    memset(&cfg.domains, 0, sizeof cfg.domains);
    cache_flush();
    close(fd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, test_setup)
    const struct CMUnitTest tests[] = {
        T(test_case_table_size),
        T(test_search_case_0), T(test_search_case_1), T(test_search_case_2),
        T(test_search_case_3), T(test_search_case_4), T(test_search_case_5),
        T(test_search_case_6), T(test_search_case_7), T(test_search_case_8),
        T(test_search_case_9), T(test_search_case_10), T(test_search_case_11),
        T(test_search_case_12), T(test_search_case_13), T(test_search_case_14),
        T(test_search_case_15), T(test_search_case_16), T(test_search_case_17),
        T(test_search_case_18), T(test_search_case_19),
        T(test_search_timeout_stops_list),
        T(test_search_name_too_long),
        T(test_bad_name_is_not_a_server_failure),
        T(test_search_a_and_aaaa),
        T(test_query_no_search),
        T(test_set_h_errno),
        T(test_hostaliases),
        T(test_server_never_answers),
        T(test_deadline_bounds_the_whole_search),
        T(test_connection_refused),
        T(test_servfail_only_server),
        T(test_join_domain_trailing_dot),
        T(test_routed_name_never_served_from_another_set),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
