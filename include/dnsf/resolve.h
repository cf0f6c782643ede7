/* resolve — glibc's res_search/res_query semantics over our transport.
 *
 * Mirrors glibc 2.36 resolv/res_query.c: the ndots rule, the search list,
 * RES_DEFNAMES/RES_DNSRCH/RES_NOTLDQUERY, HOSTALIASES, and the h_errno each
 * outcome leaves; so nss lookups built on it fail exactly where glibc's do.
 * Unlike glibc, the whole search (every suffix, server and try) shares one
 * deadline (config deadline_ms). */
#ifndef DNSF_RESOLVE_H
#define DNSF_RESOLVE_H

#include <resolv.h>
#include <stdint.h>
#include "dnsf/cache.h"
#include "dnsf/config.h"
#include "dnsf/failopen.h"
#include "dnsf/resconf.h"
#include "dnsf/transport.h"

/* Everything one lookup needs, fixed at its start. Settings are read from
 * ask.cfg where they are used; what is here besides is what the lookup
 * takes from elsewhere: resolv.conf's servers (unless the config names
 * some), and the search rules: the config's ndots and search list, else
 * resolv.conf's, or (res_* calls, rawquery.c) the program's own resolver
 * state. */
struct resolve_ctx {
    struct transport_ask ask;      /* the config, and the servers asked */
    uint64_t server_set;           /* ask.servers' identity: the cache partition */
    int ndots, nsearch;
    const char *search[RESCONF_MAXDNSRCH];
    unsigned long options;         /* RES_* */
    /* If set, called with each negative reply (NXDOMAIN, NODATA) that ends
     * a query, and its transport (struct dnsf_reply's via_tcp): glibc leaves
     * each one in the res_query caller's buffer in turn, so after a failed
     * search the buffer holds the last one written over the earlier ones.
     * UNDER, when not NULL, is the A reply that glibc's no-aaaa emulation
     * received and then cut down to PKT (it stays in the buffer behind PKT). */
    void (*on_negative)(void *arg, const uint8_t *pkt, int len, int via_tcp,
                        const uint8_t *under, int under_len);
    void *on_negative_arg;
    uint64_t deadline_ms;          /* absolute, clock_now_ms() based */
};

/* glibc's T_QUERY_A_AND_AAAA: both families, two parallel queries. */
#define RESOLVE_A_AND_AAAA 0xffff

struct resolve_answer {
    int nq;
    struct dnsf_reply r[2];        /* r[0]: A (or the single type), r[1]: AAAA */
};

/* Build CTX from the config CFG and the resolv.conf snapshot RC (both
 * outlive CTX; CFG is not held: ask.cfg_held is 0, state_lookup_ctx sets
 * it for a snapshot it holds). */
void resolve_ctx_init(struct resolve_ctx *ctx, const struct dnsf_config *cfg,
                      const struct resconf *rc);

/* res_search: return 0 with OUT holding the replies, -1 with *ERR (an errno
 * value, as glibc leaves it) set, or DNSF_FAIL_OPEN when something internal
 * failed (the caller lets libc answer).
 * *HERRNO, after 0 and -1 alike, is what glibc's res_* code leaves in
 * h_errno: the value of its last RES_SET_H_ERRNO (resolv/res_query.c), or -1
 * when it set none. res_search sets HOST_NOT_FOUND before it asks anything
 * and each failed candidate sets its own, so a success found down the search
 * list leaves the last failure's value (NO_DATA, TRY_AGAIN) or
 * HOST_NOT_FOUND; res_query sets nothing on success. The caller publishes it
 * with resolve_set_h_errno where glibc's caller of res_* would see it. */
int resolve_search(const struct resolve_ctx *ctx, const char *name, uint16_t qtype,
                   struct resolve_answer *out, int *herrno, int *err);
/* res_query: the same for one exact name, no search list. */
int resolve_query(const struct resolve_ctx *ctx, const char *name, uint16_t qtype,
                  struct resolve_answer *out, int *herrno, int *err);

/* NAME, or NAME.DOMAIN when DOMAIN is not NULL, with glibc's length limits
 * (resolv/res_query.c, __res_context_querydomain): return the name to ask,
 * NAME itself or BUF (NS_MAXDNAME bytes) holding the joined name, or NULL
 * where glibc fails with NO_RECOVERY. STRIP_DOT: without DOMAIN, one
 * trailing dot of NAME is dropped. res_search's candidates (resolve.c) keep
 * it, as glibc does; res_nquerydomain (rawquery.c) has always dropped it.
 * That is a difference from glibc 2.36, whose res_nquerydomain keeps the dot
 * (Debian 2.36-9+deb12u14, measured: "x.." fails with NO_RECOVERY, "a\."
 * is sent), kept explicit here until it is decided. */
const char *resolve_join_domain(const char *name, const char *domain, int strip_dot,
                                char *buf);

/* glibc's RES_SET_H_ERRNO (include/resolv.h): H into STATP->res_h_errno and
 * into the calling thread's h_errno. H < 0 (nothing was set) changes
 * neither. */
void resolve_set_h_errno(res_state statp, int h);
void resolve_answer_free(struct resolve_answer *a);

/* Would NAME be routed by a `domains` entry of CTX's config (route.h): the
 * name as given, or with SEARCH, any of its search-list candidates? For
 * counting the calls handed to glibc (stats.h). */
int resolve_routed(const struct resolve_ctx *ctx, const char *name, int search);

/* HOSTALIASES (glibc res_hostalias): the alias for NAME, or NULL. */
const char *resolve_hostalias(const struct resolve_ctx *ctx, const char *name,
                              char *buf, size_t buflen);

#endif
