/* transport — c-ares driving and the server-selection strategies.
 *
 * Each server gets its own c-ares channel configured with exactly one
 * server, one try (ARES_OPT_TRIES = 1) and our timeout (ARES_OPT_TIMEOUTMS):
 * FACTS.md, c-ares 1.18 otherwise uses 5 s doubling over 4 tries. We count
 * tries, choose servers and enforce the lookup deadline ourselves.
 *
 * Channels are pooled per (server, timeout) and checked out for the length
 * of one lookup, because a c-ares 1.18 channel is not thread-safe. The pool
 * lock is held only to push or pop, never across I/O. */
#include "dnsf/transport.h"

#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsf/clock.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"

/* ---- the channel pool --------------------------------------------------- */

struct chan {
    ares_channel ch;
    struct sockaddr_storage addr;
    int timeout_ms;
    unsigned gen;                  /* pool generation; bumped in a forked child */
    struct chan *next;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chan *pool_idle;
static unsigned pool_gen;
/* More idle channels than this are destroyed rather than kept. */
#define POOL_MAX_IDLE 64

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_ready;
static void ares_global_init(void)
{
    /* FACTS.md: ares_library_init is a plain counter, so call it once. */
    ares_ready = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
}

static int sock_cloexec(ares_socket_t fd, int type, void *data)
{
    (void)type, (void)data;
    /* Our sockets must not leak into programs the host execs. */
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    return ARES_SUCCESS;
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
     * NOALIASES: never read HOSTALIASES (FACTS.md, CVE-2024-25629).
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
    memset(&node, 0, sizeof node);
    if (s->addr.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&s->addr;
        node.family = AF_INET;
        memcpy(&node.addr.addr4, &in->sin_addr, sizeof in->sin_addr);
        node.udp_port = node.tcp_port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s->addr;
        node.family = AF_INET6;
        memcpy(&node.addr.addr6, &in6->sin6_addr, sizeof in6->sin6_addr);
        node.udp_port = node.tcp_port = ntohs(in6->sin6_port);
    }
    if (ares_set_servers_ports(c->ch, &node) != ARES_SUCCESS) {
        ares_destroy(c->ch);
        free(c);
        return NULL;
    }
    ares_set_socket_callback(c->ch, sock_cloexec, NULL);
    memcpy(&c->addr, &s->addr, sizeof c->addr);
    c->timeout_ms = timeout_ms;
    return c;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
    return memcmp(a, b, sizeof(struct sockaddr_in6)) == 0;
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
        if (found == NULL && c->timeout_ms == timeout_ms && same_addr(&c->addr, &s->addr)) {
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
        ares_destroy(stale->ch);           /* closes only this process's fds */
        free(stale);
        stale = n;
    }
    if (found == NULL && (found = chan_create(s, timeout_ms)) != NULL)
        found->gen = gen;
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
    if (!keep) {
        ares_destroy(c->ch);
        free(c);
    }
}

void transport_fork_child(void)
{
    /* Another parent thread may have held the lock at fork time. Channels
     * checked out by parent threads are abandoned: those threads do not
     * exist here. Idle ones are destroyed on next checkout, so the child
     * never reads replies meant for the parent on a shared socket. */
    pthread_mutex_init(&pool_lock, NULL);
    pool_gen++;
}

void transport_shutdown(void)
{
    pthread_mutex_lock(&pool_lock);
    struct chan *c = pool_idle;
    pool_idle = NULL;
    pthread_mutex_unlock(&pool_lock);
    while (c != NULL) {
        struct chan *n = c->next;
        ares_destroy(c->ch);
        free(c);
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
    int window;                    /* how many servers may be active (hedge) */
    uint64_t next_hedge_ms;
    enum srv_state st[DNSF_MAX_SERVERS];
    int tries[DNSF_MAX_SERVERS];   /* tries started per server */
    int saw_timeout, saw_refused, saw_error, last_rcode;
};

struct lookup {
    const struct transport_plan *plan;
    const char *name;              /* without a trailing dot */
    int nq;
    struct qstate q[2];
    struct dnsf_reply *out;
    struct chan *ch[DNSF_MAX_SERVERS];
    int inflight[DNSF_MAX_SERVERS];
    uint64_t start_ms, deadline_ms;
    int internal_error;
};

struct probe {
    struct lookup *lk;
    int qi, si;
    uint64_t t0_us;
};

static int question_matches(const struct dnsmsg *m, const char *name, uint16_t qtype)
{
    char got[DNSMSG_MAXDNAME];
    if (m->qtype != qtype || m->qclass != DNS_C_IN)
        return 0;
    if (dnsmsg_name_ntop(m->qname, got, sizeof got) < 0)
        return 0;
    return strcasecmp(got, name) == 0 || (strcmp(got, ".") == 0 && name[0] == 0);
}

static void server_failed(struct qstate *q, int si, int retryable, int attempts)
{
    q->st[si] = retryable && q->tries[si] < attempts ? SRV_IDLE : SRV_FINAL;
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct probe *p = arg;
    struct lookup *lk = p->lk;
    struct qstate *q = &lk->q[p->qi];
    const struct dnsf_server *srv = &lk->plan->servers[p->si];
    uint64_t rtt_us = clock_now_us() - p->t0_us;
    (void)timeouts;

    lk->inflight[p->si]--;
    if (q->st[p->si] == SRV_INFLIGHT)
        q->st[p->si] = SRV_IDLE;
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION || q->done) {
        free(p);
        return;
    }
    if (abuf != NULL && alen > 0) {
        struct dnsmsg m;
        if (dnsmsg_init(&m, abuf, (size_t)alen) == 0 && dnsmsg_is_response(&m)
            && question_matches(&m, lk->name, q->qtype)) {
            int rcode = dnsmsg_rcode(&m);
            LOGD("%s %s type %u: rcode %d in %.1f ms", srv->text, lk->name, q->qtype, rcode,
                 rtt_us / 1000.0);
            if (rcode == DNS_R_NOERROR || rcode == DNS_R_NXDOMAIN) {
                struct dnsf_reply *r = &lk->out[p->qi];
                r->pkt = malloc((size_t)alen);
                if (r->pkt == NULL) {
                    lk->internal_error = 1;
                } else {
                    memcpy(r->pkt, abuf, (size_t)alen);
                    r->len = alen;
                    r->status = REPLY_OK;
                    r->rcode = rcode;
                    r->server = p->si;
                    r->latency_us = (uint32_t)rtt_us;
                }
                q->done = 1;
                free(p);
                return;
            }
            /* RFC 1035 §4.1.1 error rcodes: glibc moves on to the next
             * server at once on SERVFAIL, NOTIMP and REFUSED; so do we,
             * and on FORMERR too, since another server may parse us. */
            q->saw_error = 1;
            q->last_rcode = rcode;
        } else {
            LOGD("%s %s type %u: malformed reply (%d bytes)", srv->text, lk->name, q->qtype, alen);
            q->saw_error = 1;
            q->last_rcode = -1;
        }
        server_failed(q, p->si, 0, lk->plan->attempts);
    } else if (status == ARES_ETIMEOUT) {
        LOGD("%s %s type %u: timeout after %.1f ms", srv->text, lk->name, q->qtype, rtt_us / 1000.0);
        q->saw_timeout = 1;
        server_failed(q, p->si, 1, lk->plan->attempts);
    } else if (status == ARES_ECONNREFUSED) {
        LOGD("%s %s type %u: unreachable", srv->text, lk->name, q->qtype);
        q->saw_refused = 1;
        server_failed(q, p->si, 0, lk->plan->attempts);
    } else {
        LOGD("%s %s type %u: %s", srv->text, lk->name, q->qtype, ares_strerror(status));
        q->saw_error = 1;
        q->last_rcode = -1;
        server_failed(q, p->si, 0, lk->plan->attempts);
    }
    free(p);
}

static int launch(struct lookup *lk, int qi, int si)
{
    struct qstate *q = &lk->q[qi];
    if (lk->ch[si] == NULL) {
        lk->ch[si] = chan_checkout(&lk->plan->servers[si], lk->plan->timeout_ms);
        if (lk->ch[si] == NULL) {
            lk->internal_error = 1;
            return -1;
        }
    }
    struct probe *p = malloc(sizeof *p);
    if (p == NULL) {
        lk->internal_error = 1;
        return -1;
    }
    p->lk = lk;
    p->qi = qi;
    p->si = si;
    p->t0_us = clock_now_us();
    q->st[si] = SRV_INFLIGHT;
    q->tries[si]++;
    lk->inflight[si]++;
    LOGD("ask %s for %s type %u (try %d, +%llu ms)", lk->plan->servers[si].text, lk->name,
         q->qtype, q->tries[si], (unsigned long long)(clock_now_ms() - lk->start_ms));
    /* The callback may run synchronously (e.g. out of memory); it frees P. */
    ares_query(lk->ch[si]->ch, lk->name, DNS_C_IN, q->qtype, on_reply, p);
    return 0;
}

/* Start whatever the strategy wants running now, for one qtype. */
static void pump_one(struct lookup *lk, int qi, uint64_t now)
{
    struct qstate *q = &lk->q[qi];
    const struct transport_plan *pl = lk->plan;
    int want;

    if (q->done)
        return;
    switch (pl->strategy) {
    case STRATEGY_RACE:
        want = pl->nservers;
        break;
    case STRATEGY_HEDGE:
        while (now >= q->next_hedge_ms && q->window < pl->nservers) {
            q->window++;
            q->next_hedge_ms += (uint64_t)(pl->hedge_min_ms > 0 ? pl->hedge_min_ms : 1);
        }
        want = q->window;
        break;
    default:
        want = 1;
        break;
    }
    /* The first WANT servers that have not failed for good are active. */
    int active = 0, any_open = 0;
    for (int si = 0; si < pl->nservers && active < want; si++) {
        if (q->st[si] == SRV_FINAL)
            continue;
        any_open = 1;
        active++;
        if (q->st[si] == SRV_IDLE && launch(lk, qi, si) < 0)
            return;
    }
    for (int si = 0; si < pl->nservers; si++)
        if (q->st[si] != SRV_FINAL)
            any_open = 1;
    if (!any_open)
        q->done = 1;               /* every server failed: q->saw_* say how */
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

static void wait_and_process(struct lookup *lk, uint64_t now)
{
    struct pollfd pfd[MAXPFD];
    int owner[MAXPFD];
    int npfd = 0;
    uint64_t wake = lk->deadline_ms;

    for (int i = 0; i < lk->nq; i++)
        if (!lk->q[i].done && lk->plan->strategy == STRATEGY_HEDGE
            && lk->q[i].window < lk->plan->nservers && lk->q[i].next_hedge_ms < wake)
            wake = lk->q[i].next_hedge_ms;
    for (int si = 0; si < lk->plan->nservers; si++) {
        if (lk->ch[si] == NULL || lk->inflight[si] == 0)
            continue;
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(lk->ch[si]->ch, socks, ARES_GETSOCK_MAXNUM);
        for (int k = 0; k < ARES_GETSOCK_MAXNUM && npfd < MAXPFD; k++) {
            short ev = 0;
            if (ARES_GETSOCK_READABLE(bits, k))
                ev |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, k))
                ev |= POLLOUT;
            if (ev == 0)
                continue;
            pfd[npfd].fd = socks[k];
            pfd[npfd].events = ev;
            pfd[npfd].revents = 0;
            owner[npfd++] = si;
        }
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
    for (int k = 0; k < npfd && n > 0; k++) {
        if (pfd[k].revents == 0)
            continue;
        struct chan *c = lk->ch[owner[k]];
        ares_socket_t rfd = pfd[k].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = pfd[k].revents & (POLLOUT | POLLERR) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_process_fd(c->ch, rfd, wfd);
    }
    /* Let every channel notice its timeouts. */
    for (int si = 0; si < lk->plan->nservers; si++)
        if (lk->ch[si] != NULL && lk->inflight[si] > 0)
            ares_process_fd(lk->ch[si]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int transport_query(const struct transport_plan *plan, const char *name,
                    const uint16_t *qtypes, int nq, struct dnsf_reply *out)
{
    struct lookup lk;
    char qname[DNSMSG_MAXDNAME];
    size_t n = strlen(name);

    memset(&lk, 0, sizeof lk);
    memset(out, 0, sizeof *out * (size_t)nq);
    if (nq < 1 || nq > 2 || plan->nservers < 1 || n >= sizeof qname) {
        for (int i = 0; i < nq && i < 2; i++)
            out[i].status = REPLY_INTERNAL;
        return -1;
    }
    /* c-ares wants no trailing dot; the root stays "". */
    memcpy(qname, name, n + 1);
    if (n > 0 && qname[n - 1] == '.' && !(n > 1 && qname[n - 2] == '\\'))
        qname[n - 1] = 0;

    lk.plan = plan;
    lk.name = qname;
    lk.nq = nq;
    lk.out = out;
    lk.start_ms = clock_now_ms();
    lk.deadline_ms = lk.start_ms + (uint64_t)plan->deadline_ms;
    for (int i = 0; i < nq; i++) {
        lk.q[i].qtype = qtypes[i];
        lk.q[i].window = 1;
        lk.q[i].next_hedge_ms = lk.start_ms + (uint64_t)(plan->hedge_min_ms > 0 ? plan->hedge_min_ms : 1);
        out[i].server = -1;
    }

    for (;;) {
        uint64_t now = clock_now_ms();
        for (int i = 0; i < nq; i++)
            pump_one(&lk, i, now);
        if (all_done(&lk) || lk.internal_error)
            break;
        if (now >= lk.deadline_ms) {
            LOGD("%s: deadline of %d ms reached", qname, plan->deadline_ms);
            for (int i = 0; i < nq; i++)
                lk.q[i].saw_timeout |= !lk.q[i].done;
            break;
        }
        wait_and_process(&lk, now);
        if (lk.internal_error)
            break;
    }
    /* Cancel the losers (race, hedge) and give the channels back. The
     * cancel callbacks free their probes. */
    for (int si = 0; si < plan->nservers; si++) {
        if (lk.ch[si] == NULL)
            continue;
        if (lk.inflight[si] > 0)
            ares_cancel(lk.ch[si]->ch);
        chan_checkin(lk.ch[si]);
    }
    finish_failures(&lk);
    if (lk.internal_error) {
        for (int i = 0; i < nq; i++) {
            dnsf_reply_free(&out[i]);
            out[i].status = REPLY_INTERNAL;
        }
        return -1;
    }
    return 0;
}
