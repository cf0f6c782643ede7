/* lookup — one transport_query's state, shared by its two halves:
 * transport.c sends the queries, takes the replies and says what each means
 * (for the answer and for health); strategy.c decides which server to ask
 * next and when (sequence, race, hedge, balance, tries, and the servers held
 * back by a shared down mark). Internal to those two files: nothing else
 * sees a lookup. It lives on transport_query's stack and ends with it. */
#ifndef DNSF_LOOKUP_H
#define DNSF_LOOKUP_H

#include <stdint.h>

#include "dnsf/config.h"
#include "dnsf/health.h"
#include "dnsf/transport.h"

enum srv_state { SRV_IDLE = 0, SRV_INFLIGHT, SRV_FINAL };

/* One qtype of the lookup. */
struct qstate {
    uint16_t qtype;
    int done;
    uint64_t hedge_due_ms;         /* its newest query has had its hedge delay */
    enum srv_state st[DNSF_MAX_SERVERS];
    int tries[DNSF_MAX_SERVERS];   /* tries started per server */
    int saw_timeout, saw_refused, saw_error, last_rcode;
};

struct chan;
struct query;                      /* one query in flight (transport.c) */

struct lookup {
    const struct transport_ask *ask;
    const struct dnsf_config *cfg; /* ask->cfg: read in place (through route.h's
                                    * accessors where ask->route may set it) */
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
    /* Servers held back by a shared down mark (health_plan's HELD) are asked
     * last: once every other server has failed, or when the lookup has gone
     * unanswered past the first server's hedge delay (shstate.h: a wrong
     * mark costs at most about one hedge delay). */
    int unheld;                    /* 1: held servers are usable now */
    int unheld_extra;              /* extra servers in flight that allows */
    uint64_t held_due_ms;          /* when they are released (UINT64_MAX: none held) */
};

/* ---- transport.c ---------------------------------------------------------- */

/* Ask server SI for qtype QI now; WHY names the reason in the trace. Return
 * 0, or -1 with LK->internal_error set. The reply may arrive at once, inside
 * this call (c-ares calls back synchronously, e.g. out of memory). */
int lookup_launch(struct lookup *lk, int qi, int si, const char *why);
/* 1 when every qtype of LK is done. */
int lookup_all_done(const struct lookup *lk);

/* ---- strategy.c ----------------------------------------------------------- */

/* Set up LK's strategy state once health_plan has filled LK->hp: a window
 * of one, and when the held servers are released. */
void strategy_start(struct lookup *lk);
/* Start whatever the strategy wants running now for qtype QI. */
void strategy_pump(struct lookup *lk, int qi);
/* Hedge at NOW if a qtype's newest query has waited its hedge delay and
 * health grants it. */
void strategy_hedge(struct lookup *lk, uint64_t now);
/* Release the held servers at NOW if the others are silent past the first
 * server's hedge delay. */
void strategy_release_held(struct lookup *lk, uint64_t now);
/* When strategy_hedge or strategy_release_held next has something to decide
 * (UINT64_MAX: never). */
uint64_t strategy_wake(const struct lookup *lk);
/* Server SI failed for qtype Q: try it again (RETRYABLE, tries left and a
 * budget token) or give it up. */
void strategy_server_failed(struct lookup *lk, struct qstate *q, int si, int retryable);

#endif
