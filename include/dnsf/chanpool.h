/* chanpool — the c-ares channels transport.c asks through, pooled.
 *
 * Each server gets its own c-ares channel configured with exactly one
 * server, one try (ARES_OPT_TRIES = 1) and our timeout (ARES_OPT_TIMEOUTMS):
 * otherwise c-ares 1.18.1 waits 5 s, doubling each round, over 4 tries
 * (ares_private.h DEFAULT_TIMEOUT and DEFAULT_TRIES, ares_process.c
 * ares__send_query). strategy.c counts tries and chooses servers;
 * transport.c enforces the lookup deadline.
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
#ifndef DNSF_CHANPOOL_H
#define DNSF_CHANPOOL_H

#include <ares.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/fdkeep.h"

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

/* c-ares 1.18.1 keeps at most one UDP and one TCP socket per server
 * (struct server_state: udp_socket, tcp_socket) and closes one before it
 * opens its replacement; each channel has one server. */
#define CHAN_MAX_SOCKS 4

/* One channel. Between chan_checkout and chan_checkin it belongs to one
 * thread, which may use CH (ares_query, ares_cancel) and count ORPHANS;
 * the rest is the pool's. */
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

/* A channel for server S with TIMEOUT_MS per try: an idle one from the
 * pool (vetted: every socket it keeps is still ours), else a new one;
 * NULL when c-ares cannot make one. */
struct chan *chan_checkout(const struct dnsf_server *s, int timeout_ms);
/* Give C back to the pool (or destroy it: from before a fork, or the pool
 * is full). Its orphans go on running in it. */
void chan_checkin(struct chan *c);
/* A query ended with STATUS on C: the errno of our failed socket() if that
 * was the cause (c-ares then ends the query as if the server refused), not
 * the server; else 0. */
int chan_local_failure(struct chan *c, int status);
/* Would glibc have read the reply M, just delivered on C, over TCP? Only
 * if it came over TCP after a UDP reply with TC; after an oversized
 * datagram without TC, glibc keeps the datagram. */
int chan_via_tcp(struct chan *c, const struct dnsmsg *m);
/* Wait on the sockets of CHANS[0..N-1] (NULL entries skipped) until one is
 * ready, a channel's own next timeout, or WAKE_MS (clock_now_ms; NOW_MS is
 * the current time), whichever comes first; then let c-ares process what is
 * ready and notice every timeout. Callbacks run from here. Return 0, or -1
 * when poll failed (other than EINTR). */
int chan_wait(struct chan *const *chans, int n, uint64_t now_ms, uint64_t wake_ms);

/* Process replies that arrived for orphans in idle pooled channels, without
 * waiting, so a recovered server is noticed on the next lookup. */
void chanpool_drain_orphans(void);
/* After fork, in the child: close the sockets shared with the parent and
 * forget the channels that hold them. */
void chanpool_fork_child(void);
/* Destroy idle channels, and with them the sockets that queries of ended
 * lookups keep open: on a descriptor shortage, and at exit (so leak
 * checkers see a clean heap). */
void chanpool_release_idle(void);

#endif
