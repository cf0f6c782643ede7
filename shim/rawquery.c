/* rawquery — the res_* API over the engine. */
#include "dnsf/rawquery.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/resolve.h"
#include "dnsf/state.h"
#include "dnsf/stats.h"

/* Options we cannot honour through our transport: pass such calls on. */
#define RAW_PASSTHROUGH_OPTIONS (RES_USEVC | RES_IGNTC | RES_USE_EDNS0 | RES_USE_DNSSEC)


/* Did the program point its resolver state at servers of its own? */
static int own_servers(res_state statp, const struct resconf *rc)
{
    if (statp->nscount != rc->nservers)
        return 1;
    for (int i = 0; i < statp->nscount && i < MAXNS; i++) {
        const struct sockaddr *sa = statp->nsaddr_list[i].sin_family == AF_INET
                                  ? (const struct sockaddr *)&statp->nsaddr_list[i]
                                  : (const struct sockaddr *)statp->_u._ext.nsaddrs[i];
        if (sa == NULL || !config_same_addr(sa, (const struct sockaddr *)&rc->servers[i].addr))
            return 1;
    }
    return 0;
}

int rawquery_copy(const unsigned char *pkt, int len, int via_tcp, unsigned char *answer,
                  int anslen)
{
    if (len <= anslen) {
        memcpy(answer, pkt, (size_t)len);
        return len;
    }
    /* A reply longer than the buffer: from a UDP datagram (of any length:
     * a broken server may send 16 KB without TC) glibc's recvfrom keeps
     * what fits and returns that length; over TCP it keeps what fits, sets
     * TC in the copy, and returns the full length (res_send.c, send_dg and
     * send_vc). */
    memcpy(answer, pkt, (size_t)anslen);
    if (!via_tcp)
        return anslen;
    dnsmsg_set_tc(answer, anslen);
    return len;
}

struct sink {
    unsigned char *answer;
    int anslen;
};

/* Each negative reply lands in the caller's buffer as it arrives. With
 * no-aaaa, glibc zeroes the buffer, receives the A reply into it, and cuts
 * only the header and question to NODATA (__res_handle_no_aaaa). */
static void write_negative(void *arg, const uint8_t *pkt, int len, int via_tcp,
                           const uint8_t *under, int under_len)
{
    struct sink *sk = arg;
    if (under != NULL) {
        memset(sk->answer, 0, (size_t)sk->anslen);
        rawquery_copy(under, under_len, via_tcp, sk->answer, sk->anslen);
    }
    rawquery_copy(pkt, len, via_tcp, sk->answer, sk->anslen);
}

int rawquery_run(res_state statp, enum rawquery_kind kind, const char *name,
                 const char *domain, int class, int type, unsigned char *answer, int anslen)
{
    struct resolve_ctx ctx __attribute__((cleanup(state_lookup_end))) = { 0 };
    struct resconf rc;
    struct resolve_answer ans;
    char joined[NS_MAXDNAME];
    int err = 0, n, herrno = -1;

    if (name == NULL || answer == NULL || anslen < 0 || class != C_IN || type < 0 || type > 65535)
        return DNSF_FAIL_OPEN;
    /* A state never initialised (glibc then fails with ESRCH), one pointing
     * at the program's own servers, RD cleared, or options our transport
     * cannot honour: libc handles it, asking the servers in STATP, never a
     * `domains` entry's (counted: stats.h). */
    if (!(statp->options & RES_INIT))
        return DNSF_FAIL_OPEN;
    if (state_lookup_ctx(&ctx, &rc) < 0)
        return DNSF_FAIL_OPEN;
    /* The program's resolver state, as glibc would use it. */
    ctx.options = statp->options;
    ctx.ndots = statp->ndots;
    ctx.nsearch = 0;
    for (int i = 0; i < RESCONF_MAXDNSRCH && statp->dnsrch[i] != NULL; i++)
        ctx.search[ctx.nsearch++] = statp->dnsrch[i];
    int passthrough = !(statp->options & RES_RECURSE) || (statp->options & RAW_PASSTHROUGH_OPTIONS);
    if (passthrough || own_servers(statp, &rc)) {
        const char *asked = kind != RAW_QUERYDOMAIN ? name
                          : resolve_join_domain(name, domain, 1, joined);
        stats_handoff(passthrough ? HANDOFF_OPTIONS : HANDOFF_OWN_SERVERS,
                      asked != NULL && resolve_routed(&ctx, asked, kind == RAW_SEARCH));
        return DNSF_FAIL_OPEN;
    }
    /* res_send needs room for at least a header (res_send.c); the rcode
     * was cleared before it looked. */
    if (anslen < HFIXEDSZ) {
        if (kind != RAW_QUERYDOMAIN)
            dnsmsg_clear_rcode(answer, anslen);
        resolve_set_h_errno(statp, TRY_AGAIN);
        errno = EINVAL;
        return -1;
    }
    struct sink sk = { answer, anslen };
    /* __res_context_query clears the rcode in the caller's buffer first
     * (after querydomain's own length checks, which fail before it). */
    ctx.on_negative = write_negative;
    ctx.on_negative_arg = &sk;
    switch (kind) {
    case RAW_QUERY:
        dnsmsg_clear_rcode(answer, anslen);
        n = resolve_query(&ctx, name, (uint16_t)type, &ans, &herrno, &err);
        break;
    case RAW_SEARCH:
        dnsmsg_clear_rcode(answer, anslen);
        n = resolve_search(&ctx, name, (uint16_t)type, &ans, &herrno, &err);
        break;
    default: {
        /* res_nquerydomain: NAME.DOMAIN, or NAME without one trailing dot. */
        const char *longname = resolve_join_domain(name, domain, 1, joined);
        if (longname == NULL) {
            resolve_set_h_errno(statp, NO_RECOVERY);
            return -1;
        }
        dnsmsg_clear_rcode(answer, anslen);
        n = resolve_query(&ctx, longname, (uint16_t)type, &ans, &herrno, &err);
        break;
    }
    }
    if (n == DNSF_FAIL_OPEN)
        return DNSF_FAIL_OPEN;
    /* On success too: res_search leaves what it set on the way. */
    resolve_set_h_errno(statp, herrno);
    if (n < 0) {
        errno = err;               /* 0 after NXDOMAIN/NODATA, as in glibc */
        return -1;
    }
    int ret = rawquery_copy(ans.r[0].pkt, ans.r[0].len, ans.r[0].via_tcp, answer, anslen);
    resolve_answer_free(&ans);
    return ret;
}
