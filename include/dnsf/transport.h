/* transport — ask nameservers one question (one or two qtypes) with c-ares,
 * one channel per server: c-ares 1.18.1 asks a channel's servers one at a
 * time, in order, and keeps no memory of failed ones (ares_process.c,
 * next_server), so we drive the servers ourselves.
 *
 * Contract: transport_query() returns by its deadline, whatever the
 * servers do. For each qtype it delivers either a usable reply (rcode
 * NOERROR or NXDOMAIN, well formed, answering the question asked) or a
 * failure kind. It never holds a lock while waiting for the network.
 * Callers run with cancellation off (cancel.h): c-ares 1.18.1 has no
 * cancellation support, and the channels a lookup has checked out, and
 * its queries' callbacks, point into the lookup's stack frame. */
#ifndef DNSF_TRANSPORT_H
#define DNSF_TRANSPORT_H

#include <stdint.h>
#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/failopen.h"

/* Whom one lookup asks, and the config it reads every setting from, in
 * place (strategy, timeout_ms, attempts, hedge_*, health.*).
 *
 * A query can outlive its lookup (an orphan: it is left running in a pooled
 * channel, and reports to health when its reply or timeout comes). It goes
 * on reading the config it was sent under: when CFG_HELD is 1, CFG is a
 * snapshot the lookup holds (confsnap.h) and each orphan takes a reference
 * of its own (confsnap_retain), given back when the orphan ends: when its
 * reply, timeout or cancellation arrives, or when its channel is destroyed
 * (ares_destroy ends it with ARES_EDESTRUCTION: on a descriptor shortage, at
 * exit, and in a fork child, whose idle channels are destroyed on the next
 * checkout). A channel that another thread of the parent had checked out at
 * fork is abandoned in the child with its queries, so the child keeps those
 * references, and those snapshots, for good: a few kilobytes per thread
 * that was resolving. When CFG_HELD is 0, the caller keeps CFG alive as
 * long as the process runs (the command's config, the unit tests'). */
struct shstate;
struct transport_ask {
    const struct dnsf_config *cfg;
    int cfg_held;
    /* Health shared with the other processes of the host (shstate.h), or
     * NULL. The handle lives as long as the process (state.c), so orphans
     * may keep it. */
    struct shstate *shared;
    const struct dnsf_server *servers;   /* the config's, resolv.conf's, or ROUTE's */
    int nservers;
    /* The `domains` entry whose servers these are (route.h), or NULL. Its
     * strategy, timeout_ms, attempts and hedge bounds are read in place of
     * the config's (route_strategy and the rest); the lookup's deadline and
     * health.* stay the config's. */
    const struct dnsf_domain *route;
};

enum reply_status {
    REPLY_OK = 0,        /* pkt holds a usable reply */
    REPLY_TIMEOUT,       /* some server never answered in time */
    REPLY_CONNREFUSED,   /* every server was unreachable (ICMP) */
    REPLY_ERROR,         /* servers answered SERVFAIL/REFUSED/... or garbage */
    REPLY_INTERNAL,      /* out of memory, c-ares failure: caller fails open */
};

struct dnsf_reply {
    uint8_t *pkt;        /* malloc'ed, owned by the reply */
    int len;
    enum reply_status status;
    int rcode;           /* of pkt, or of the last error reply (-1: garbage) */
    int server;          /* index of the server that answered, or -1 */
    uint32_t latency_us;
    int via_tcp;         /* 1: glibc would have read pkt over TCP, the server
                            having set TC on its UDP reply (res_send.c
                            send_vc); 0: as one UDP datagram, however long
                            (send_dg). rawquery_copy cuts by this. */
};

/* Ask ASK's servers for NAME with each of QTYPES[0..NQ-1] (NQ is 1 or 2),
 * giving up at DEADLINE_MS (clock_now_ms); fill OUT[i]. Return 0, or
 * DNSF_FAIL_OPEN on an internal failure (every OUT is then REPLY_INTERNAL). */
int transport_query(const struct transport_ask *ask, uint64_t deadline_ms,
                    const struct dnsmsg_name *name, const uint16_t *qtypes, int nq,
                    struct dnsf_reply *out);
void dnsf_reply_free(struct dnsf_reply *r);


#endif
