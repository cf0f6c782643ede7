/* transport — c-ares driving and the server-selection strategies.
 *
 * Each server gets its own c-ares channel configured with exactly one
 * server, one try (ARES_OPT_TRIES = 1) and our timeout (ARES_OPT_TIMEOUTMS):
 * otherwise c-ares 1.18.1 waits 5 s, doubling each round, over 4 tries
 * (ares_private.h DEFAULT_TIMEOUT and DEFAULT_TRIES, ares_process.c
 * ares__send_query). We count tries, choose servers and enforce the lookup
 * deadline ourselves.
 *
 * Channels are pooled per (server, timeout) and checked out for the length
 * of one lookup, because a c-ares 1.18 channel is not thread-safe. The pool
 * lock is held only to push or pop, never across I/O.
 *
 * Sockets: c-ares opens, connects, reads, writes and closes them through
 * our socket functions (ares_set_socket_functions), which record each one
 * with its identity (fdkeep.h). A pooled channel keeps sockets across calls
 * while queries of ended lookups (orphans) still run; before such a channel
 * is polled or processed again it is vetted, and one whose socket the
 * program closed or reused is destroyed without closing that number. */
#include "dnsf/transport.h"

#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/confsnap.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/fdkeep.h"
#include "dnsf/health.h"
#include "dnsf/log.h"

/* ---- how each reply travelled ---------------------------------------------
 *
 * glibc's res_query treats a reply longer than the caller's buffer by how it
 * came (res_send.c): from a UDP datagram it keeps what fits and returns that
 * length (send_dg); over TCP, asked after the server set TC, it keeps what
 * fits, sets TC in the copy and returns the full length (send_vc). c-ares
 * 1.18.1 reads at most 4097 octets of a datagram and goes to TCP on TC *or*
 * on a datagram longer than 512 octets (ares_process.c, read_udp_packets and
 * process_answer), where glibc keeps the datagram. So we read for c-ares
 * (ares_set_socket_functions) and note, per channel, the transport of the
 * latest read (a reply's callback runs right after the read that completed
 * it) and the TC bit of each UDP reply c-ares sends to TCP. */
#define WIRE_NOTES 8
struct wire {
    int last_tcp;                  /* the latest read was on a TCP socket */
    struct { uint16_t id; uint8_t used, tc; } to_tcp[WIRE_NOTES];
    unsigned next;
};

/* ---- the channel pool --------------------------------------------------- */

/* c-ares 1.18.1 keeps at most one UDP and one TCP socket per server
 * (struct server_state: udp_socket, tcp_socket) and closes one before it
 * opens its replacement; each channel has one server. */
#define CHAN_MAX_SOCKS 4

struct chan {
    ares_channel ch;
    struct sockaddr_storage addr;
    int timeout_ms;
    unsigned gen;                  /* pool generation; bumped in a forked child */
    int orphans;                   /* queries left running by ended lookups */
    struct wire wire;              /* written only by the thread holding it */
    struct chan *next;             /* in pool_idle */
    struct chan *all_next;         /* in pool_all */
    /* The sockets c-ares holds for this channel, written by the socket
     * functions on the thread that has the channel checked out. */
    struct fd_ident socks[CHAN_MAX_SOCKS];
    int nsocks;
    int sock_errno;                /* a socket() of ours failed: the query's end is ours */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chan *pool_idle;
static struct chan *pool_all;      /* every channel, idle or checked out (for fork) */
static unsigned pool_gen;
/* More idle channels than this are destroyed rather than kept. */
#define POOL_MAX_IDLE 64

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_ready;
static void ares_global_init(void)
{
    /* ares_library_init is a plain counter in c-ares 1.18.1 (ares_library_init.c:
     * ares_initialized++ without a lock), so it is called once, here. */
    ares_ready = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
}

/* ---- the socket functions (ares_set_socket_functions) ------------------- */

static struct fd_ident *sock_find(struct chan *c, ares_socket_t fd)
{
    for (int i = 0; i < c->nsocks; i++)
        if (c->socks[i].fd == fd)
            return &c->socks[i];
    return NULL;
}

static void sock_forget(struct chan *c, struct fd_ident *s)
{
    *s = c->socks[--c->nsocks];
}

/* c-ares leaves a socket made by our function as it is (configure_socket
 * returns early, TCP_NODELAY is not set): it must be non-blocking and
 * close-on-exec (our sockets must not leak into programs the host execs)
 * from the start. A failure here is ours, not the server's. */
static ares_socket_t sock_open(int domain, int type, int protocol, void *arg)
{
    struct chan *c = arg;
    int fd = -1;
    if (c->nsocks < CHAN_MAX_SOCKS)
        fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    else
        errno = ENOBUFS;        /* our record is full: c-ares changed its ways */
    if (fd >= 0 && type == SOCK_STREAM) {
        int one = 1;     /* as c-ares does for its own: one query, one reply */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (fd >= 0 && fdkeep_take(fd, &c->socks[c->nsocks]) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        c->sock_errno = errno;
        fdkeep_shortage(errno);
        return ARES_SOCKET_BAD;
    }
    c->nsocks++;
    return fd;
}

/* Close FD only if it is a socket of this channel that is still ours. */
static int sock_close(ares_socket_t fd, void *arg)
{
    struct chan *c = arg;
    struct fd_ident *s = sock_find(c, fd);
    if (s != NULL) {
        fdkeep_close(s);
        sock_forget(c, s);
    }
    return 0;
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *arg)
{
    (void)arg;
    return connect(fd, sa, len);
}

/* c-ares reads TCP with FROM NULL and UDP with FROM set. A datagram longer
 * than LEN is cut to LEN, as recvfrom does, but MSG_TRUNC tells us its real
 * length; one that c-ares will retry over TCP (TC set, or over 512 octets:
 * process_answer) is noted with its TC bit. */
static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
    struct wire *w = &((struct chan *)arg)->wire;
    if (from == NULL) {
        ssize_t n = recv(fd, buf, len, flags);
        if (n > 0)
            w->last_tcp = 1;
        return n;
    }
    ssize_t n = recvfrom(fd, buf, len, flags | MSG_TRUNC, from, fromlen);
    if (n < 0)
        return n;
    w->last_tcp = 0;
    size_t got = (size_t)n > len ? len : (size_t)n;
    struct dnsmsg m;
    if (dnsmsg_init(&m, buf, got) == 0 && (dnsmsg_tc(&m) || n > 512)) {
        unsigned i = w->next++ % WIRE_NOTES;
        w->to_tcp[i].used = 1;
        w->to_tcp[i].id = m.id;
        w->to_tcp[i].tc = (uint8_t)dnsmsg_tc(&m);
    }
    return (ares_ssize_t)got;
}

/* MSG_NOSIGNAL: a TCP server that closed its end must not SIGPIPE the host
 * (c-ares's own writev would). */
static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *arg)
{
    (void)arg;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = (struct iovec *)iov;
    m.msg_iovlen = (size_t)n;
    return sendmsg(fd, &m, MSG_NOSIGNAL);
}

static const struct ares_socket_functions sock_funcs = {
    sock_open, sock_close, sock_connect, sock_recvfrom, sock_sendv,
};

/* Would glibc have read the reply M, just delivered on W's channel, over
 * TCP? Only if it came over TCP after a UDP reply with TC; after an
 * oversized datagram without TC, glibc keeps the datagram. */
static int wire_via_tcp(struct wire *w, const struct dnsmsg *m)
{
    if (!w->last_tcp)
        return 0;
    for (unsigned i = 0; i < WIRE_NOTES; i++)
        if (w->to_tcp[i].used && w->to_tcp[i].id == m->id) {
            w->to_tcp[i].used = 0;
            return w->to_tcp[i].tc;
        }
    return 1;
}

/* 1 if every socket C holds is still ours. Otherwise the lost ones are
 * forgotten (so c-ares's close will not touch their numbers) and the
 * channel must be destroyed before c-ares reads or polls anything. */
static int chan_vet(struct chan *c)
{
    int ok = 1;
    for (int i = 0; i < c->nsocks;)
        if (fdkeep_ours(&c->socks[i]))
            i++;
        else {
            sock_forget(c, &c->socks[i]);
            ok = 0;
        }
    return ok;
}

/* A query ended with STATUS on C: the errno of our failed socket() if that
 * was the cause (c-ares then ends the query as if the server refused), not
 * the server; else 0. */
static int chan_local_failure(struct chan *c, int status)
{
    int err = c->sock_errno;
    if (err == 0 || status == ARES_SUCCESS)
        return 0;
    c->sock_errno = 0;
    return err;
}

/* S as c-ares must be told it. "nameserver 0.0.0.0" (or ::) reaches this
 * host: Linux connects a socket not bound to an address to 127.0.0.1 (or
 * ::1) instead, and replies come from there. glibc accepts them (res_send.c,
 * res_ourserver_p: an INADDR_ANY or in6addr_any server matches any reply
 * address); c-ares 1.18.1 drops a reply whose source is not the configured
 * server (ares_process.c, same_address). So c-ares gets the address the
 * kernel would connect to; health and the pool keep S as configured. */
static void server_node(const struct dnsf_server *s, struct ares_addr_port_node *node)
{
    memset(node, 0, sizeof *node);
    if (s->addr.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&s->addr;
        node->family = AF_INET;
        memcpy(&node->addr.addr4, &in->sin_addr, sizeof in->sin_addr);
        if (in->sin_addr.s_addr == htonl(INADDR_ANY))
            node->addr.addr4.s_addr = htonl(INADDR_LOOPBACK);
        node->udp_port = node->tcp_port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s->addr;
        node->family = AF_INET6;
        memcpy(&node->addr.addr6, &in6->sin6_addr, sizeof in6->sin6_addr);
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
            memcpy(&node->addr.addr6, &in6addr_loopback, sizeof in6addr_loopback);
        node->udp_port = node->tcp_port = ntohs(in6->sin6_port);
    }
}

static struct chan *chan_create(const struct dnsf_server *s, int timeout_ms)
{
    pthread_once(&ares_once, ares_global_init);
    if (!ares_ready)
        return NULL;
    struct chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS
             | ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SORTLIST | ARES_OPT_SERVERS
             | ARES_OPT_NOROTATE;
    /* NOCHECKRESP: hand SERVFAIL/REFUSED to us, we decide what is usable.
     * NOALIASES: never read HOSTALIASES, which c-ares 1.18.1 finds by plain
     * getenv (setuid programs included) and reads with ares__read_line, the
     * code of CVE-2024-25629 (an out-of-bounds read), unpatched in Debian's
     * 1.18.1-3.
     * NOSEARCH: search lists are applied by resolve.c, as glibc does. */
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOALIASES | ARES_FLAG_NOSEARCH;
    o.timeout = timeout_ms;
    o.tries = 1;
    o.ndots = 1;
    o.ndomains = 0;
    o.lookups = (char *)"b";
    o.nsort = 0;
    o.nservers = 0;
    if (ares_init_options(&c->ch, &o, mask) != ARES_SUCCESS) {
        free(c);
        return NULL;
    }
    struct ares_addr_port_node node;
    server_node(s, &node);
    if (ares_set_servers_ports(c->ch, &node) != ARES_SUCCESS) {
        ares_destroy(c->ch);
        free(c);
        return NULL;
    }
    ares_set_socket_functions(c->ch, &sock_funcs, c);
    memcpy(&c->addr, &s->addr, sizeof c->addr);
    c->timeout_ms = timeout_ms;
    pthread_mutex_lock(&pool_lock);
    c->all_next = pool_all;
    pool_all = c;
    pthread_mutex_unlock(&pool_lock);
    return c;
}

/* Destroy C (not in pool_idle). Its queries end with ARES_EDESTRUCTION;
 * its sockets are closed where still ours. */
static void chan_destroy(struct chan *c)
{
    pthread_mutex_lock(&pool_lock);
    for (struct chan **pp = &pool_all; *pp != NULL; pp = &(*pp)->all_next)
        if (*pp == c) {
            *pp = c->all_next;
            break;
        }
    pthread_mutex_unlock(&pool_lock);
    ares_destroy(c->ch);
    free(c);
}


static struct chan *chan_checkout(const struct dnsf_server *s, int timeout_ms)
{
    struct chan *found = NULL, *stale = NULL;
    pthread_mutex_lock(&pool_lock);
    for (struct chan **pp = &pool_idle; *pp != NULL;) {
        struct chan *c = *pp;
        if (c->gen != pool_gen) {          /* inherited across fork */
            *pp = c->next;
            c->next = stale;
            stale = c;
            continue;
        }
        if (found == NULL && c->timeout_ms == timeout_ms
            && config_same_addr((const struct sockaddr *)&c->addr,
                                (const struct sockaddr *)&s->addr)) {
            *pp = c->next;
            found = c;
            continue;
        }
        pp = &c->next;
    }
    unsigned gen = pool_gen;
    pthread_mutex_unlock(&pool_lock);
    while (stale != NULL) {
        struct chan *n = stale->next;
        chan_destroy(stale);               /* its sockets were closed at fork */
        stale = n;
    }
    if (found != NULL && !chan_vet(found)) {
        chan_destroy(found);
        found = NULL;
    }
    if (found == NULL && (found = chan_create(s, timeout_ms)) != NULL)
        found->gen = gen;
    if (found != NULL)
        found->sock_errno = 0;
    return found;
}

static void chan_checkin(struct chan *c)
{
    int keep;
    pthread_mutex_lock(&pool_lock);
    int n = 0;
    for (struct chan *p = pool_idle; p != NULL; p = p->next)
        n++;
    keep = c->gen == pool_gen && n < POOL_MAX_IDLE;
    if (keep) {
        c->next = pool_idle;
        pool_idle = c;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!keep)
        chan_destroy(c);
}

void transport_fork_child(void)
{
    /* Another parent thread may have held the lock at fork time. Every
     * socket is shared with the parent: it is closed here (where the
     * number is still ours), so the child never reads replies meant for the
     * parent nor holds the parent's sockets. Channels checked out by parent
     * threads are abandoned (those threads do not exist here); idle ones
     * are destroyed on next checkout. */
    pthread_mutex_init(&pool_lock, NULL);
    pool_gen++;
    for (struct chan *c = pool_all; c != NULL; c = c->all_next) {
        for (int i = 0; i < c->nsocks && i < CHAN_MAX_SOCKS; i++)
            fdkeep_close(&c->socks[i]);
        c->nsocks = 0;
    }
}

void transport_release_idle(void)
{
    pthread_mutex_lock(&pool_lock);
    struct chan *c = pool_idle;
    pool_idle = NULL;
    pthread_mutex_unlock(&pool_lock);
    while (c != NULL) {
        struct chan *n = c->next;
        chan_destroy(c);
        c = n;
    }
}

void dnsf_reply_free(struct dnsf_reply *r)
{
    free(r->pkt);
    r->pkt = NULL;
    r->len = 0;
}

/* ---- one lookup ----------------------------------------------------------- */

enum srv_state { SRV_IDLE = 0, SRV_INFLIGHT, SRV_FINAL };

struct qstate {
    uint16_t qtype;
    int done;
    uint64_t hedge_due_ms;         /* its newest query has had its hedge delay */
    enum srv_state st[DNSF_MAX_SERVERS];
    int tries[DNSF_MAX_SERVERS];   /* tries started per server */
    int saw_timeout, saw_refused, saw_error, last_rcode;
};

struct query;

struct lookup {
    const struct transport_ask *ask;
    const struct dnsf_config *cfg; /* ask->cfg: read in place */
    struct health_plan hp;
    const char *name;              /* as c-ares reads it (dnsmsg_name_cares) */
    const uint8_t *qwire;          /* the same name in wire form */
    int nq;
    struct qstate q[2];
    struct dnsf_reply *out;
    struct chan *ch[DNSF_MAX_SERVERS];
    int inflight[DNSF_MAX_SERVERS];
    struct query *queries;         /* in flight, for this lookup */
    uint64_t start_ms, deadline_ms, grace_ms;
    /* Hedge: one window for the lookup, so its A and AAAA queries hedge on
     * one decision (health.h, the hedge budget). */
    int window;                    /* servers allowed to be active per qtype */
    uint64_t recheck_at_ms;        /* after a denied hedge: when to ask again */
    int recheck_ms;                /* the interval that led there */
    int tokens;                    /* budget tokens taken */
    int internal_error;
    int sock_errno;                /* a socket() of ours failed (internal_error) */
    unsigned events;               /* bumped by every callback */
    int probe_si;                  /* server probed for q[0], or -1 */
    int unreachable[DNSF_MAX_SERVERS];
};

/* One query in flight: one qtype asked of one server (a health probe is
 * one too). While its lookup runs, LK points to it; when the lookup ends
 * first, LK is NULL and the query is an orphan: it stays in the pooled
 * channel and reports to health whenever a later lookup processes that
 * channel. That is how a probe never delays an answer yet still tells us
 * that a server came back. */
struct query {
    struct lookup *lk;
    struct chan *chan;
    struct query *next;
    int qi, si, slot;
    int lost_race;                 /* already reported as a lost race */
    uint64_t t0_us;
    /* An orphan's config (transport.h, struct transport_ask): the one its
     * lookup asked under, with a reference of its own when CFG_HELD. */
    const struct dnsf_config *cfg;
    int cfg_held;
};

static void unlink_query(struct lookup *lk, struct query *qr)
{
    for (struct query **pp = &lk->queries; *pp != NULL; pp = &(*pp)->next)
        if (*pp == qr) {
            *pp = qr->next;
            return;
        }
}

/* The reply answers the question we asked: compared in wire form, so
 * escaped names match, case-insensitively (RFC 4343). */
static int question_matches(const struct dnsmsg *m, const uint8_t *qwire, uint16_t qtype)
{
    return m->qtype == qtype && m->qclass == DNS_C_IN && dnsmsg_name_equal(m->qname, qwire);
}

/* Every record the reply holds can be read: a reply cut inside a record is
 * garbage, and must not win over a server that answers properly. A reply
 * that ends cleanly after a record, before all that its section counts
 * promise, is whole: broken proxies strip a record (an EDNS OPT RR, say)
 * and leave ARCOUNT alone. glibc takes such a reply (res_send checks only
 * the header and question; nss_dns reads only the answer section, and a
 * missing answer record makes it NO_RECOVERY there, not a server failure),
 * so we hand it on too, and answer.c then does what glibc's nss_dns does. */
static int records_parse(const struct dnsmsg *m)
{
    struct dnsmsg c = *m;
    struct dnsmsg_rr rr;
    unsigned total = (unsigned)c.ancount + c.nscount + c.arcount;
    for (unsigned i = 0; i < total && !dnsmsg_at_end(&c); i++)
        if (dnsmsg_next_rr(&c, &rr) < 0)
            return 0;
    return 1;
}

/* A reply with at least one answer record (not NODATA, not NXDOMAIN). */
static int has_answers(const unsigned char *reply, int len)
{
    return dnsmsg_header_rcode(reply, len) == DNS_R_NOERROR
        && dnsmsg_header_ancount(reply, len) > 0;
}

/* Classify a finished query: 0 usable, else the health outcome. */
static enum health_outcome classify(int status, const unsigned char *reply, int len,
                                    const uint8_t *qwire, uint16_t qtype, int *rcode)
{
    *rcode = -1;
    if (reply != NULL && len > 0) {
        struct dnsmsg m;
        if (dnsmsg_init(&m, reply, (size_t)len) == 0 && dnsmsg_is_response(&m)
            && (qwire == NULL || question_matches(&m, qwire, qtype)) && records_parse(&m)) {
            *rcode = dnsmsg_rcode(&m);
            /* Usable: NOERROR (with data or NODATA) or NXDOMAIN. NXDOMAIN is
             * an answer, never a reason to fail over (split horizon). */
            if (*rcode == DNS_R_NOERROR || *rcode == DNS_R_NXDOMAIN)
                return HEALTH_OK;
        }
        return HEALTH_ERROR;       /* SERVFAIL, REFUSED, FORMERR, NOTIMP, garbage */
    }
    if (status == ARES_ETIMEOUT)
        return HEALTH_TIMEOUT;
    if (status == ARES_ECONNREFUSED)
        return HEALTH_UNREACHABLE;
    if (status == ARES_EBADNAME || status == ARES_EBADQUERY || status == ARES_ENOMEM)
        return HEALTH_LOCAL;       /* our side: no server's fault */
    return HEALTH_ERROR;
}

/* The orphan QR is over: give back its config reference and free it. */
static void orphan_free(struct query *qr)
{
    if (qr->cfg_held)
        confsnap_release(qr->cfg);
    free(qr);
}

static void on_orphan(struct query *qr, int status, const unsigned char *reply, int len)
{
    int rcode;
    qr->chan->orphans--;
    if (status != ARES_ECANCELLED && status != ARES_EDESTRUCTION
        && !chan_local_failure(qr->chan, status)) {
        enum health_outcome o = classify(status, reply, len, NULL, 0, &rcode);
        /* A lost race was counted when its lookup ended; only an answer
         * (the server works after all) changes anything now. Its RTT is
         * unknown: the reply may have waited in the socket buffer. */
        if (o == HEALTH_OK)
            health_report(qr->slot, o, 0, qr->lost_race ? -1 : 0, qr->t0_us / 1000, qr->cfg,
                          clock_now_ms());
        else if (!qr->lost_race && o != HEALTH_LOCAL)
            health_report(qr->slot, o, 0, -1, qr->t0_us / 1000, qr->cfg, clock_now_ms());
    }
    orphan_free(qr);
}

static void server_failed(struct lookup *lk, struct qstate *q, int si, int retryable)
{
    /* A retry to the same server is speculative load: it needs budget. */
    if (retryable && q->tries[si] < lk->cfg->attempts && health_budget_take()) {
        lk->tokens++;
        q->st[si] = SRV_IDLE;
    } else
        q->st[si] = SRV_FINAL;
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *reply, int len)
{
    struct query *qr = arg;
    struct lookup *lk = qr->lk;
    (void)timeouts;

    if (lk == NULL) {
        on_orphan(qr, status, reply, len);
        return;
    }
    unlink_query(lk, qr);
    lk->events++;
    struct qstate *q = &lk->q[qr->qi];
    const struct dnsf_server *srv = &lk->ask->servers[qr->si];
    uint64_t now_us = clock_now_us();
    uint32_t rtt_us = (uint32_t)(now_us - qr->t0_us);
    int rcode;

    lk->inflight[qr->si]--;
    if (q->st[qr->si] == SRV_INFLIGHT)
        q->st[qr->si] = SRV_IDLE;
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
        free(qr);
        return;
    }
    int err = chan_local_failure(qr->chan, status);
    if (err != 0) {
        /* We could not get a socket (EMFILE, ...): not the server's fault,
         * and glibc may still manage: fail open. */
        LOGI("%s: %s type %u: no socket (%s); handing the lookup to glibc", srv->text,
             lk->name, q->qtype, strerror(err));
        q->st[qr->si] = SRV_FINAL;
        lk->internal_error = 1;
        lk->sock_errno = err;
        free(qr);
        return;
    }
    enum health_outcome o = classify(status, reply, len, lk->qwire, q->qtype, &rcode);
    if (o != HEALTH_LOCAL)
        health_report(qr->slot, o, rtt_us, o == HEALTH_OK ? 1 : -1, qr->t0_us / 1000, lk->cfg,
                      now_us / 1000);
    if (q->done) {                 /* the other family's grace ended it */
        free(qr);
        return;
    }
    switch (o) {
    case HEALTH_OK: {
        LOGD("%s: %s type %u rcode %d in %.1f ms (winner)", srv->text, lk->name, q->qtype, rcode,
             rtt_us / 1000.0);
        struct dnsf_reply *r = &lk->out[qr->qi];
        r->pkt = malloc((size_t)len);
        if (r->pkt == NULL) {
            lk->internal_error = 1;
        } else {
            struct dnsmsg m;
            memcpy(r->pkt, reply, (size_t)len);
            r->len = len;
            /* classify has parsed it already: this cannot fail. */
            r->via_tcp = dnsmsg_init(&m, reply, (size_t)len) == 0
                      && wire_via_tcp(&qr->chan->wire, &m);
            r->status = REPLY_OK;
            r->rcode = rcode;
            r->server = qr->si;
            r->latency_us = rtt_us;
        }
        q->done = 1;
        /* RFC 8305 §3: once one family has addresses, wait a short while for
         * the other, no more. A NODATA does not count: the other family may
         * be all there is. */
        if (lk->grace_ms == 0 && has_answers(reply, len))
            lk->grace_ms = now_us / 1000 + HEALTH_FAMILY_GRACE_MS;
        break;
    }
    case HEALTH_TIMEOUT:
        LOGD("%s: %s type %u timeout after %.1f ms", srv->text, lk->name, q->qtype, rtt_us / 1000.0);
        q->saw_timeout = 1;
        server_failed(lk, q, qr->si, 1);
        break;
    case HEALTH_UNREACHABLE:
        /* One ICMP error reaches one of the queries sharing the socket;
         * the server is unreachable for all of them (handled after
         * ares_process_fd returns, where cancelling is safe). */
        LOGD("%s: %s type %u unreachable (ICMP)", srv->text, lk->name, q->qtype);
        q->saw_refused = 1;
        server_failed(lk, q, qr->si, 0);
        lk->unreachable[qr->si] = 1;
        break;
    default:
        /* glibc moves on at once on SERVFAIL, NOTIMP and REFUSED; so do
         * we, and on FORMERR and garbage, which another server may not send. */
        LOGD("%s: %s type %u %s%d", srv->text, lk->name, q->qtype,
             rcode >= 0 ? "rcode " : "malformed reply / ", rcode >= 0 ? rcode : status);
        q->saw_error = 1;
        q->last_rcode = rcode;
        server_failed(lk, q, qr->si, 0);
        break;
    }
    free(qr);
}

static int launch(struct lookup *lk, int qi, int si, const char *why)
{
    struct qstate *q = &lk->q[qi];
    if (lk->ch[si] == NULL) {
        lk->ch[si] = chan_checkout(&lk->ask->servers[si], lk->cfg->timeout_ms);
        if (lk->ch[si] == NULL) {
            lk->internal_error = 1;
            return -1;
        }
    }
    struct query *qr = calloc(1, sizeof *qr);
    if (qr == NULL) {
        lk->internal_error = 1;
        return -1;
    }
    qr->lk = lk;
    qr->chan = lk->ch[si];
    qr->qi = qi;
    qr->si = si;
    qr->slot = lk->hp.slot[si];
    qr->t0_us = clock_now_us();
    qr->next = lk->queries;
    lk->queries = qr;
    q->st[si] = SRV_INFLIGHT;
    q->tries[si]++;
    lk->inflight[si]++;
    health_count(qr->slot, 0, 0, 1);
    LOGD("ask %s for %s type %u (%s, try %d, +%llu ms)", lk->ask->servers[si].text, lk->name,
         q->qtype, why, q->tries[si], (unsigned long long)(clock_now_ms() - lk->start_ms));
    /* The callback may run synchronously (e.g. out of memory). */
    ares_query(lk->ch[si]->ch, lk->name, DNS_C_IN, q->qtype, on_reply, qr);
    return 0;
}

/* Queries of qtype QI in flight (a probe runs beside the strategy, never
 * in its place, so it does not count) and usable servers not yet asked. */
static void count_servers(const struct lookup *lk, int qi, int *inflight, int *idle)
{
    const struct qstate *q = &lk->q[qi];
    *inflight = *idle = 0;
    for (int si = 0; si < lk->ask->nservers; si++) {
        *inflight += q->st[si] == SRV_INFLIGHT && !(qi == 0 && si == lk->probe_si);
        *idle += q->st[si] == SRV_IDLE && !lk->hp.down[si];
    }
}

/* Start whatever the strategy wants running now, for one qtype.
 * Up to WANT servers are in flight at once (sequence 1, race all, hedge the
 * lookup's window, which grows by one per hedge delay: maybe_hedge). A free
 * slot goes to the least-tried usable server, in ranked order: like glibc's
 * rounds, every server gets its first try before any gets a second. */
static void pump_one(struct lookup *lk, int qi)
{
    struct qstate *q = &lk->q[qi];
    enum dnsf_strategy strategy = lk->cfg->strategy;
    int n = lk->ask->nservers, inflight, idle;

    if (q->done)
        return;
    int want = strategy == STRATEGY_RACE ? n : strategy == STRATEGY_HEDGE ? lk->window : 1;
    count_servers(lk, qi, &inflight, &idle);
    int open = inflight + idle;
    if (open == 0) {
        q->done = 1;               /* every server failed: q->saw_* say how */
        return;
    }
    while (inflight < want && idle > 0) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            int si = lk->hp.order[k];
            if (q->st[si] != SRV_IDLE || lk->hp.down[si])
                continue;
            if (best < 0 || q->tries[si] < q->tries[best])
                best = si;
        }
        const char *why = q->tries[best] > 0 ? "retry" : strategy == STRATEGY_RACE ? "race"
                        : inflight > 0 ? "hedge" : "first";
        if (launch(lk, qi, best, why) < 0)
            return;
        if (q->st[best] == SRV_INFLIGHT)
            inflight++;
        idle--;
        /* From the real launch time, rounded up: on a process's first
         * lookup, creating the channel can take milliseconds after NOW. */
        if (strategy == STRATEGY_HEDGE)
            q->hedge_due_ms = (clock_now_us() + 999) / 1000 + (uint64_t)lk->hp.hedge_ms[best];
        if (q->done)
            return;
    }
}

/* Hedge: once a qtype's newest query has had its server's adaptive delay,
 * widen the window by one for every qtype still waiting, if health grants
 * it (failover, or a speculative hedge on a token); else ask again soon. */
static void maybe_hedge(struct lookup *lk, uint64_t now)
{
    int waited[DNSF_MAX_SERVERS], nw = 0, wanted = 0;

    if (lk->cfg->strategy != STRATEGY_HEDGE || now < lk->recheck_at_ms)
        return;
    for (int qi = 0; qi < lk->nq; qi++) {
        int inflight, idle;
        if (lk->q[qi].done || now < lk->q[qi].hedge_due_ms)
            continue;
        count_servers(lk, qi, &inflight, &idle);
        if (idle == 0 || inflight < lk->window) {
            lk->q[qi].hedge_due_ms = UINT64_MAX;     /* nothing to hedge to */
            continue;
        }
        wanted = 1;
        for (int si = 0; si < lk->ask->nservers; si++) {
            int dup = 0;
            if (lk->q[qi].st[si] != SRV_INFLIGHT || (qi == 0 && si == lk->probe_si))
                continue;
            for (int k = 0; k < nw; k++)
                dup |= waited[k] == lk->hp.slot[si];
            if (!dup)
                waited[nw++] = lk->hp.slot[si];
        }
    }
    if (!wanted)
        return;
    enum health_hedge g = health_hedge_grant(waited, nw, lk->start_ms);
    if (g == HEALTH_HEDGE_DENIED) {
        /* Another lookup's evidence may turn this into failover: ask again. */
        lk->recheck_ms = lk->recheck_ms == 0 ? HEALTH_HEDGE_RECHECK_MS
                       : lk->recheck_ms * 2 > HEALTH_UNKNOWN_HEDGE_MS ? HEALTH_UNKNOWN_HEDGE_MS
                       : lk->recheck_ms * 2;
        if (lk->recheck_ms == HEALTH_HEDGE_RECHECK_MS)
            LOGD("%s: hedge denied (budget spent); asking again every few ms", lk->name);
        lk->recheck_at_ms = now + (uint64_t)lk->recheck_ms;
        return;
    }
    LOGD("%s: hedge at +%llu ms (%s)", lk->name, (unsigned long long)(now - lk->start_ms),
         g == HEALTH_HEDGE_FAILOVER ? "failover: the server waited on is failing" : "speculative");
    lk->tokens += g == HEALTH_HEDGE_SPECULATIVE;
    lk->recheck_ms = 0;
    lk->recheck_at_ms = 0;
    lk->window++;
    health_count(lk->hp.slot[lk->hp.order[0]], 1, 0, 0);
    for (int qi = 0; qi < lk->nq; qi++)
        pump_one(lk, qi);                    /* each launch sets its qtype's due time */
}

/* When maybe_hedge next has something to decide (UINT64_MAX: never). */
static uint64_t hedge_wake(const struct lookup *lk)
{
    uint64_t due = UINT64_MAX;
    if (lk->cfg->strategy != STRATEGY_HEDGE)
        return due;
    for (int qi = 0; qi < lk->nq; qi++)
        if (!lk->q[qi].done && lk->q[qi].hedge_due_ms < due)
            due = lk->q[qi].hedge_due_ms;
    return due == UINT64_MAX || due >= lk->recheck_at_ms ? due : lk->recheck_at_ms;
}

/* After a callback saw an ICMP unreachable: fail that server for every
 * query of this lookup at once (glibc moves on at once too). */
static void fail_unreachable(struct lookup *lk)
{
    for (int si = 0; si < lk->ask->nservers; si++) {
        if (!lk->unreachable[si])
            continue;
        lk->unreachable[si] = 0;
        if (lk->ch[si] != NULL && lk->inflight[si] > 0)
            ares_cancel(lk->ch[si]->ch);     /* callbacks free the queries */
        for (int i = 0; i < lk->nq; i++)
            if (!lk->q[i].done && lk->q[i].st[si] != SRV_FINAL) {
                lk->q[i].st[si] = SRV_FINAL;
                lk->q[i].saw_refused = 1;
            }
    }
}

static int all_done(const struct lookup *lk)
{
    for (int i = 0; i < lk->nq; i++)
        if (!lk->q[i].done)
            return 0;
    return 1;
}

static void finish_failures(struct lookup *lk)
{
    for (int i = 0; i < lk->nq; i++) {
        struct dnsf_reply *r = &lk->out[i];
        const struct qstate *q = &lk->q[i];
        if (r->status == REPLY_OK && r->pkt != NULL)
            continue;
        r->server = -1;
        r->rcode = q->last_rcode;
        if (lk->internal_error)
            r->status = REPLY_INTERNAL;
        else if (q->saw_timeout || !q->done)
            r->status = REPLY_TIMEOUT;
        else if (q->saw_error)
            r->status = REPLY_ERROR;
        else
            r->status = REPLY_CONNREFUSED;
    }
}

#define MAXPFD (DNSF_MAX_SERVERS * ARES_GETSOCK_MAXNUM)

/* Add CH's sockets to PFD; return the new count. */
static int add_fds(ares_channel ch, struct pollfd *pfd, int *owner, int npfd, int who)
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    for (int k = 0; k < ARES_GETSOCK_MAXNUM && npfd < MAXPFD; k++) {
        short ev = 0;
        /* c-ares's own macros shift a signed 1 into bit 31 (UB). */
        if ((unsigned)bits & (1u << k))
            ev |= POLLIN;
        if ((unsigned)bits & (1u << (k + ARES_GETSOCK_MAXNUM)))
            ev |= POLLOUT;
        if (ev == 0)
            continue;
        pfd[npfd].fd = socks[k];
        pfd[npfd].events = ev;
        pfd[npfd].revents = 0;
        owner[npfd++] = who;
    }
    return npfd;
}

static void process_ready(struct pollfd *pfd, const int *owner, int npfd, struct chan **chans)
{
    for (int k = 0; k < npfd; k++) {
        if (pfd[k].revents == 0)
            continue;
        ares_socket_t rfd = pfd[k].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = pfd[k].revents & (POLLOUT | POLLERR) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_process_fd(chans[owner[k]]->ch, rfd, wfd);
    }
}

static void wait_and_process(struct lookup *lk, uint64_t now)
{
    struct pollfd pfd[MAXPFD];
    int owner[MAXPFD];
    int npfd = 0;
    uint64_t wake = lk->deadline_ms;

    if (lk->grace_ms && lk->grace_ms < wake)
        wake = lk->grace_ms;
    if (hedge_wake(lk) < wake)
        wake = hedge_wake(lk);
    for (int si = 0; si < lk->ask->nservers; si++) {
        if (lk->ch[si] == NULL || lk->inflight[si] == 0)
            continue;
        npfd = add_fds(lk->ch[si]->ch, pfd, owner, npfd, si);
        struct timeval tv;
        if (ares_timeout(lk->ch[si]->ch, NULL, &tv) != NULL) {
            uint64_t t = now + (uint64_t)tv.tv_sec * 1000 + (uint64_t)(tv.tv_usec + 999) / 1000;
            if (t < wake)
                wake = t;
        }
    }
    int ms = wake > now ? (int)(wake - now) : 0;
    int n = poll(pfd, (nfds_t)npfd, ms);
    if (n < 0 && errno != EINTR) {
        lk->internal_error = 1;
        return;
    }
    if (n > 0)
        process_ready(pfd, owner, npfd, lk->ch);
    /* Let every channel notice its timeouts. */
    for (int si = 0; si < lk->ask->nservers; si++)
        if (lk->ch[si] != NULL && lk->inflight[si] > 0)
            ares_process_fd(lk->ch[si]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* Process replies that arrived for orphans in idle pooled channels, without
 * waiting, so a recovered server is noticed on the next lookup. */
static void drain_orphans(void)
{
    struct chan *taken[POOL_MAX_IDLE];
    int nt = 0;
    pthread_mutex_lock(&pool_lock);
    for (struct chan **pp = &pool_idle; *pp != NULL && nt < POOL_MAX_IDLE;) {
        struct chan *c = *pp;
        if (c->orphans > 0 && c->gen == pool_gen) {
            *pp = c->next;
            taken[nt++] = c;
        } else
            pp = &c->next;
    }
    pthread_mutex_unlock(&pool_lock);
    for (int i = 0; i < nt;)             /* the program may have taken a number back */
        if (chan_vet(taken[i]))
            i++;
        else {
            chan_destroy(taken[i]);
            taken[i] = taken[--nt];
        }
    if (nt == 0)
        return;
    struct pollfd pfd[MAXPFD];
    int owner[MAXPFD], npfd = 0;
    for (int i = 0; i < nt; i++)
        npfd = add_fds(taken[i]->ch, pfd, owner, npfd, i);
    if (npfd > 0 && poll(pfd, (nfds_t)npfd, 0) > 0)
        process_ready(pfd, owner, npfd, taken);
    for (int i = 0; i < nt; i++) {
        ares_process_fd(taken[i]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        chan_checkin(taken[i]);
    }
}

/* End the lookup: queries still running become orphans. One that has been
 * waiting longer than its server's hedge delay while another server won is
 * a lost race, a soft failure for that server. */
static void end_lookup(struct lookup *lk)
{
    uint64_t now_us = clock_now_us();
    int answered = 0;
    for (int i = 0; i < lk->nq; i++)
        answered |= lk->out[i].status == REPLY_OK && lk->out[i].pkt != NULL;
    while (lk->queries != NULL) {
        struct query *qr = lk->queries;
        lk->queries = qr->next;
        uint64_t waited_us = now_us - qr->t0_us;
        /* The hedge timer runs on whole milliseconds: allow 1 ms of slack. */
        if (answered && waited_us + 1000 >= (uint64_t)lk->hp.hedge_ms[qr->si] * 1000) {
            health_report(qr->slot, HEALTH_LOST_RACE, (uint32_t)waited_us, 1, qr->t0_us / 1000,
                          lk->cfg, now_us / 1000);
            qr->lost_race = 1;
        }
        qr->lk = NULL;
        qr->cfg = lk->cfg;
        qr->cfg_held = lk->ask->cfg_held;
        if (qr->cfg_held)
            confsnap_retain(qr->cfg);
        qr->chan->orphans++;
    }
    for (int si = 0; si < lk->ask->nservers; si++)
        if (lk->ch[si] != NULL)
            chan_checkin(lk->ch[si]);
}

int transport_query(const struct transport_ask *ask, uint64_t deadline_ms,
                    const struct dnsmsg_name *name, const uint16_t *qtypes, int nq,
                    struct dnsf_reply *out)
{
    struct lookup lk;
    char qname[DNSMSG_MAXDNAME];

    memset(&lk, 0, sizeof lk);
    memset(out, 0, sizeof *out * (size_t)(nq > 0 && nq <= 2 ? nq : 0));
    if (nq < 1 || nq > 2 || ask->nservers < 1 || ask->nservers > DNSF_MAX_SERVERS) {
        for (int i = 0; i < nq && i < 2; i++)
            out[i].status = REPLY_INTERNAL;
        return DNSF_FAIL_OPEN;
    }
    /* c-ares 1.18.1's ares_query takes text: made once, from the wire form,
     * the way c-ares reads it back, so the query carries exactly the name
     * asked for. A name c-ares cannot carry (an octet 0): glibc sends it. */
    if (dnsmsg_name_cares(name->wire, qname, sizeof qname) < 0) {
        for (int i = 0; i < nq; i++)
            out[i].status = REPLY_INTERNAL;
        return DNSF_FAIL_OPEN;
    }

    drain_orphans();
    lk.ask = ask;
    lk.cfg = ask->cfg;
    lk.name = qname;
    lk.qwire = name->wire;
    lk.nq = nq;
    lk.out = out;
    lk.start_ms = clock_now_ms();
    lk.deadline_ms = deadline_ms;
    health_plan(ask->servers, ask->nservers, ask->cfg, lk.start_ms, &lk.hp);
    lk.window = 1;
    for (int i = 0; i < nq; i++) {
        lk.q[i].qtype = qtypes[i];
        lk.q[i].hedge_due_ms = UINT64_MAX;
        out[i].server = -1;
    }
    for (int si = 0; si < ask->nservers; si++)
        if (lk.hp.down[si])
            health_count(lk.hp.slot[si], 0, 1, 0);
    /* A probe goes out alongside the real query and is never waited for. */
    lk.probe_si = -1;
    if (lk.hp.probe >= 0 && launch(&lk, 0, lk.hp.probe, "probe") == 0)
        lk.probe_si = lk.hp.probe;

    for (;;) {
        uint64_t now = clock_now_ms();
        unsigned seen;
        do {                       /* a failure can start the next try at once */
            seen = lk.events;
            fail_unreachable(&lk);
            for (int i = 0; i < nq; i++)
                pump_one(&lk, i);
            maybe_hedge(&lk, now);
        } while (seen != lk.events && !lk.internal_error);
        if (lk.grace_ms && now >= lk.grace_ms)
            for (int i = 0; i < nq; i++)
                if (!lk.q[i].done) {
                    LOGD("%s: type %u still unanswered %d ms after the other family; "
                         "not waiting longer", qname, lk.q[i].qtype, HEALTH_FAMILY_GRACE_MS);
                    lk.q[i].done = 1;
                    lk.q[i].saw_timeout = 1;
                }
        if (all_done(&lk) || lk.internal_error)
            break;
        if (now >= lk.deadline_ms) {
            LOGD("%s: deadline of %llu ms reached", qname,
                 (unsigned long long)(lk.deadline_ms - lk.start_ms));
            for (int i = 0; i < nq; i++)
                lk.q[i].saw_timeout |= !lk.q[i].done;
            break;
        }
        wait_and_process(&lk, now);
        if (lk.internal_error)
            break;
    }
    if (lk.tokens == 0)
        health_budget_earn();
    end_lookup(&lk);
    /* Out of descriptors: the queries this lookup leaves running hold
     * sockets glibc now needs. Give them back too (fdkeep.h). */
    if (lk.sock_errno != 0)
        fdkeep_shortage(lk.sock_errno);
    finish_failures(&lk);
    if (lk.internal_error) {
        for (int i = 0; i < nq; i++) {
            dnsf_reply_free(&out[i]);
            out[i].status = REPLY_INTERNAL;
        }
        return DNSF_FAIL_OPEN;
    }
    return 0;
}
