/* transport — one lookup's queries: sending them, the lookup deadline,
 * and what each reply means for the answer and for health. Which server
 * to ask next and when (the strategies, tries, hedging, held servers) is
 * strategy.c's, over the lookup state of lookup.h. The channels it asks
 * through, and their sockets, are chanpool.c's. */
#include "dnsf/transport.h"

#include <ares.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/chanpool.h"
#include "dnsf/clock.h"
#include "dnsf/confsnap.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/health.h"
#include "dnsf/log.h"
#include "dnsf/lookup.h"
#include "dnsf/route.h"
#include "dnsf/shstate.h"
#include "dnsf/stats.h"

void dnsf_reply_free(struct dnsf_reply *r)
{
    free(r->pkt);
    r->pkt = NULL;
    r->len = 0;
}

/* ---- one lookup ----------------------------------------------------------- */

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
    int unanswered;                /* its lookup left it unanswered (shstate_unanswered) */
    struct shstate *shared;        /* the lookup's (transport_ask) */
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

/* Classify a finished query: 0 usable, else the health outcome. */
static enum health_outcome classify(int status, const unsigned char *reply, int len,
                                    const uint8_t *qwire, uint16_t qtype, int *rcode)
{
    *rcode = -1;
    if (reply != NULL && len > 0) {
        struct dnsmsg m;
        if (dnsmsg_init(&m, reply, (size_t)len) == 0 && dnsmsg_is_response(&m)
            && (qwire == NULL || dnsmsg_answers_question(&m, qwire, qtype))
            && dnsmsg_records_whole(&m)) {
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

/* One finished query of QR's to health: this process's (health_report)
 * and the host's (shstate_report, shstate.h step 5), with the same
 * arguments. */
static void report(const struct query *qr, enum health_outcome o, uint32_t rtt_us, int rtt_valid,
                   const struct dnsf_config *cfg, uint64_t now_ms)
{
    health_report(qr->slot, o, rtt_us, rtt_valid, qr->t0_us / 1000, cfg, now_ms);
    shstate_report(qr->shared, (const struct sockaddr *)&qr->chan->addr, o, rtt_us, rtt_valid,
                   qr->t0_us / 1000, cfg, now_ms);
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
            report(qr, o, 0, qr->lost_race ? -1 : 0, qr->cfg, clock_now_ms());
        else if (!qr->lost_race && o != HEALTH_LOCAL) {
            /* Published as unanswered already: the host's state judges it. */
            health_report(qr->slot, o, 0, -1, qr->t0_us / 1000, qr->cfg, clock_now_ms());
            if (!qr->unanswered)
                shstate_report(qr->shared, (const struct sockaddr *)&qr->chan->addr, o, 0, -1,
                               qr->t0_us / 1000, qr->cfg, clock_now_ms());
        }
    }
    orphan_free(qr);
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
        report(qr, o, rtt_us, o == HEALTH_OK ? 1 : -1, lk->cfg, now_us / 1000);
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
                      && chan_via_tcp(qr->chan, &m);
            r->status = REPLY_OK;
            r->rcode = rcode;
            r->server = qr->si;
            r->latency_us = rtt_us;
        }
        q->done = 1;
        /* RFC 8305 §3: once one family has addresses, wait a short while for
         * the other, no more. A NODATA does not count: the other family may
         * be all there is. */
        if (lk->grace_ms == 0 && dnsmsg_has_answers(reply, len))
            lk->grace_ms = now_us / 1000 + HEALTH_FAMILY_GRACE_MS;
        break;
    }
    case HEALTH_TIMEOUT:
        LOGD("%s: %s type %u timeout after %.1f ms", srv->text, lk->name, q->qtype, rtt_us / 1000.0);
        q->saw_timeout = 1;
        strategy_server_failed(lk, q, qr->si, 1);
        break;
    case HEALTH_UNREACHABLE:
        /* One ICMP error reaches one of the queries sharing the socket;
         * the server is unreachable for all of them (handled after
         * ares_process_fd returns, where cancelling is safe). */
        LOGD("%s: %s type %u unreachable (ICMP)", srv->text, lk->name, q->qtype);
        q->saw_refused = 1;
        strategy_server_failed(lk, q, qr->si, 0);
        lk->unreachable[qr->si] = 1;
        break;
    default:
        /* glibc moves on at once on SERVFAIL, NOTIMP and REFUSED; so do
         * we, and on FORMERR and garbage, which another server may not send. */
        LOGD("%s: %s type %u %s%d", srv->text, lk->name, q->qtype,
             rcode >= 0 ? "rcode " : "malformed reply / ", rcode >= 0 ? rcode : status);
        q->saw_error = 1;
        q->last_rcode = rcode;
        strategy_server_failed(lk, q, qr->si, 0);
        break;
    }
    free(qr);
}

int lookup_launch(struct lookup *lk, int qi, int si, const char *why)
{
    struct qstate *q = &lk->q[qi];
    if (lk->ch[si] == NULL) {
        lk->ch[si] = chan_checkout(&lk->ask->servers[si],
                                   route_timeout_ms(lk->cfg, lk->ask->route));
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
    qr->shared = lk->ask->shared;
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

int lookup_all_done(const struct lookup *lk)
{
    for (int i = 0; i < lk->nq; i++)
        if (!lk->q[i].done)
            return 0;
    return 1;
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

static void wait_and_process(struct lookup *lk, uint64_t now)
{
    struct chan *active[DNSF_MAX_SERVERS];
    uint64_t wake = lk->deadline_ms;

    if (lk->grace_ms && lk->grace_ms < wake)
        wake = lk->grace_ms;
    if (strategy_wake(lk) < wake)
        wake = strategy_wake(lk);
    for (int si = 0; si < lk->ask->nservers; si++)
        active[si] = lk->inflight[si] > 0 ? lk->ch[si] : NULL;
    if (chan_wait(active, lk->ask->nservers, now, wake) < 0)
        lk->internal_error = 1;
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
            report(qr, HEALTH_LOST_RACE, (uint32_t)waited_us, 1, lk->cfg, now_us / 1000);
            qr->lost_race = 1;
        } else if (answered) {
            /* Too soon to call it lost; this process may exit before it
             * ends: later lookups, here or in any process, judge it. */
            shstate_unanswered(qr->shared, (const struct sockaddr *)&qr->chan->addr,
                               qr->t0_us / 1000, now_us / 1000);
            qr->unanswered = 1;
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
        stats_handoff(HANDOFF_INTERNAL, ask->route != NULL);
        return DNSF_FAIL_OPEN;
    }
    /* c-ares 1.18.1's ares_query takes text: made once, from the wire form,
     * the way c-ares reads it back, so the query carries exactly the name
     * asked for. A name c-ares cannot carry (an octet 0): glibc sends it. */
    if (dnsmsg_name_cares(name->wire, qname, sizeof qname) < 0) {
        for (int i = 0; i < nq; i++)
            out[i].status = REPLY_INTERNAL;
        stats_handoff(HANDOFF_INTERNAL, ask->route != NULL);
        return DNSF_FAIL_OPEN;
    }

    chanpool_drain_orphans();
    lk.ask = ask;
    lk.cfg = ask->cfg;
    lk.name = qname;
    lk.qwire = name->wire;
    lk.nq = nq;
    lk.out = out;
    lk.start_ms = clock_now_ms();
    lk.deadline_ms = deadline_ms;
    health_plan(ask->servers, ask->nservers, ask->cfg, ask->route, ask->shared, lk.start_ms,
                &lk.hp);
    strategy_start(&lk);
    for (int i = 0; i < nq; i++) {
        lk.q[i].qtype = qtypes[i];
        lk.q[i].hedge_due_ms = UINT64_MAX;
        out[i].server = -1;
    }
    for (int si = 0; si < ask->nservers; si++)
        if (lk.hp.down[si] || lk.hp.held[si])
            health_count(lk.hp.slot[si], 0, 1, 0);
    /* A probe goes out alongside the real query and is never waited for. */
    lk.probe_si = -1;
    if (lk.hp.probe >= 0 && lookup_launch(&lk, 0, lk.hp.probe, "probe") == 0)
        lk.probe_si = lk.hp.probe;

    for (;;) {
        uint64_t now = clock_now_ms();
        unsigned seen;
        do {                       /* a failure can start the next try at once */
            seen = lk.events;
            fail_unreachable(&lk);
            for (int i = 0; i < nq; i++)
                strategy_pump(&lk, i);
            strategy_hedge(&lk, now);
            strategy_release_held(&lk, now);
        } while (seen != lk.events && !lk.internal_error);
        if (lk.grace_ms && now >= lk.grace_ms)
            for (int i = 0; i < nq; i++)
                if (!lk.q[i].done) {
                    LOGD("%s: type %u still unanswered %d ms after the other family; "
                         "not waiting longer", qname, lk.q[i].qtype, HEALTH_FAMILY_GRACE_MS);
                    lk.q[i].done = 1;
                    lk.q[i].saw_timeout = 1;
                }
        if (lookup_all_done(&lk) || lk.internal_error)
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
        stats_handoff(lk.sock_errno != 0 ? HANDOFF_NO_FDS : HANDOFF_INTERNAL, ask->route != NULL);
        return DNSF_FAIL_OPEN;
    }
    return 0;
}
