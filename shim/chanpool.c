/* chanpool — the pooled c-ares channels, their sockets, and waiting on
 * them (chanpool.h says why one channel per server, and how sockets are
 * kept). */
#include "dnsf/chanpool.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Guards the three below; held only to push or pop, never across I/O. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/* Idle channels: pushed by chan_checkin, popped by chan_checkout and
 * chanpool_drain_orphans, emptied by chanpool_release_idle. */
static struct chan *pool_idle;
/* Every channel, idle or checked out (for fork): chan_create adds,
 * chan_destroy removes. */
static struct chan *pool_all;
/* Bumped only in a fork child (chanpool_fork_child): channels of an older
 * generation are the parent's. */
static unsigned pool_gen;
/* More idle channels than this are destroyed rather than kept. */
#define POOL_MAX_IDLE 64

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
/* Written once, by ares_global_init under ares_once. */
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

int chan_via_tcp(struct chan *c, const struct dnsmsg *m)
{
    struct wire *w = &c->wire;
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

int chan_local_failure(struct chan *c, int status)
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

struct chan *chan_checkout(const struct dnsf_server *s, int timeout_ms)
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

void chan_checkin(struct chan *c)
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

void chanpool_fork_child(void)
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

void chanpool_release_idle(void)
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

static void process_ready(struct pollfd *pfd, const int *owner, int npfd,
                          struct chan *const *chans)
{
    for (int k = 0; k < npfd; k++) {
        if (pfd[k].revents == 0)
            continue;
        ares_socket_t rfd = pfd[k].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = pfd[k].revents & (POLLOUT | POLLERR) ? pfd[k].fd : ARES_SOCKET_BAD;
        ares_process_fd(chans[owner[k]]->ch, rfd, wfd);
    }
}

int chan_wait(struct chan *const *chans, int n, uint64_t now_ms, uint64_t wake_ms)
{
    struct pollfd pfd[MAXPFD];
    int owner[MAXPFD];
    int npfd = 0;

    for (int i = 0; i < n; i++) {
        if (chans[i] == NULL)
            continue;
        npfd = add_fds(chans[i]->ch, pfd, owner, npfd, i);
        struct timeval tv;
        if (ares_timeout(chans[i]->ch, NULL, &tv) != NULL) {
            uint64_t t = now_ms + (uint64_t)tv.tv_sec * 1000 + (uint64_t)(tv.tv_usec + 999) / 1000;
            if (t < wake_ms)
                wake_ms = t;
        }
    }
    int ms = wake_ms > now_ms ? (int)(wake_ms - now_ms) : 0;
    int ready = poll(pfd, (nfds_t)npfd, ms);
    if (ready < 0 && errno != EINTR)
        return -1;
    if (ready > 0)
        process_ready(pfd, owner, npfd, chans);
    /* Let every channel notice its timeouts. */
    for (int i = 0; i < n; i++)
        if (chans[i] != NULL)
            ares_process_fd(chans[i]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    return 0;
}

void chanpool_drain_orphans(void)
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
