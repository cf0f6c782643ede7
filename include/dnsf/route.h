/* route — which nameservers a name belongs to (`domains`, per suffix).
 *
 * The table is part of the config snapshot (struct dnsf_domains in
 * config.h, built by confdomains.c) and immutable: a lookup that holds the
 * snapshot may keep the entry and its servers until it releases it.
 *
 * Matching: the longest configured suffix that the name ends with on a
 * label boundary wins ("a.corp.example" is under "corp.example",
 * "xcorp.example" is not), compared label by label in ASCII case-insensitive
 * form (RFC 4343). Reverse names are names like any other: "10.in-addr.arpa"
 * routes 10.0.0.0/8's PTR queries, "8.b.d.0.1.0.0.2.ip6.arpa" 2001:db8::/32's.
 * Cost: O(labels) hash probes on a table built at load, no allocation, no
 * lock: a few hundred nanoseconds per name, and one load when the table is
 * empty (no `domains`).
 *
 * How the lookup engine must use it (the contract for the wiring):
 *   - Route the FQDN actually sent, once per candidate: each name res_search
 *     builds from the search list (resolve.c's querydomain step), the name as
 *     given, reverse names (gethostbyaddr, getnameinfo), and res_query /
 *     res_search / res_querydomain of any type (an MX under a routed suffix
 *     goes to that domain's servers).
 *   - A routed candidate is asked only route_servers(cfg, d)[0 .. d->nservers)
 *     with d's strategy, timeout_ms, attempts and hedge bounds, within the
 *     lookup's own deadline_ms (the config's). If every one of them fails, the
 *     candidate fails as glibc's would after its servers failed (TRY_AGAIN /
 *     the deadline); it is never retried on the config's or resolv.conf's
 *     servers: no leak, also not by serving a cached answer from another set.
 *   - An unrouted candidate (NULL) never goes to a domain's servers: it uses
 *     the config's nameservers (or resolv.conf's) as today.
 *   - The cache partition (resolve_ctx.server_set) of a routed candidate is
 *     server_set_id(route_servers(cfg, d), d->nservers): the domain's set, so
 *     answers from the domain's servers and from the default set never mix.
 *   - Health is per server address (health.c's slots), so a server named in
 *     two lists, or in a list and the top level, shares one health record.
 *   - Every path that hands a call to glibc (fail-open, res_* with the
 *     program's own servers, RES_USEVC, EDNS, no descriptors left) goes to
 *     resolv.conf's servers: those hand-offs are counted (stats.h).
 * Where it is done: resolve.c (route_candidate) for every candidate;
 * transport.c, strategy.c and health.c read the entry's settings through
 * the accessors below. */
#ifndef DNSF_ROUTE_H
#define DNSF_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsf/config.h"
#include "dnsf/strutil.h"

/* The entry for the wire-form name WIRE (uncompressed, as dnsmsg_name_pton
 * writes it; any case), or NULL when no suffix matches. */
const struct dnsf_domain *route_lookup(const struct dnsf_config *c, const uint8_t *wire);

/* The same for NAME in presentation form, as the engine's candidates are:
 * any case, with or without a trailing dot, escapes as ns_name_pton reads
 * them ("a\.b" is one label). NULL also when NAME cannot be a domain name
 * (dnsmsg_name_pton refuses it): such a name cannot be sent either. */
const struct dnsf_domain *route_lookup_text(const struct dnsf_config *c, const char *name);

/* For people (dnsfailover resolve): the list the wire-form NAME is asked
 * of under C, written into BUF ("domains[0]: 10.1.2.3:53, 10.1.2.4:53
 * (strategy sequence)", or "the default list"). Return its entry, NULL for
 * the default list. */
const struct dnsf_domain *route_describe(const struct dnsf_config *c, const uint8_t *wire,
                                         char *buf, size_t len);

/* The nameservers of entry D of C's table: D->nservers of them, in the
 * configured order, valid while C is held. */
static inline const struct dnsf_server *route_servers(const struct dnsf_config *c,
                                                      const struct dnsf_domain *d)
{
    return &c->domains.servers[d->first_server];
}

/* The settings a `domains` entry may set, in effect for a lookup that D
 * routes (NULL: an unrouted one) under C: D's (confdomains.c filled in C's
 * where the entry sets none), else C's own. Read where each is used; the
 * lookup's deadline_ms and health.* are always C's. */
static inline enum dnsf_strategy route_strategy(const struct dnsf_config *c,
                                                const struct dnsf_domain *d)
{
    return d != NULL ? d->strategy : c->strategy;
}
static inline int route_timeout_ms(const struct dnsf_config *c, const struct dnsf_domain *d)
{
    return d != NULL ? d->timeout_ms : c->timeout_ms;
}
static inline int route_attempts(const struct dnsf_config *c, const struct dnsf_domain *d)
{
    return d != NULL ? d->attempts : c->attempts;
}
static inline int route_hedge_min_ms(const struct dnsf_config *c, const struct dnsf_domain *d)
{
    return d != NULL ? d->hedge_min_ms : c->hedge_min_ms;
}
static inline int route_hedge_max_ms(const struct dnsf_config *c, const struct dnsf_domain *d)
{
    return d != NULL ? d->hedge_max_ms : c->hedge_max_ms;
}

/* One label (length octet, then its octets, folded to lower case) into the
 * hash H. A suffix's hash folds its labels from the last (the TLD) to the
 * first, starting at DNSF_FNV1A_INIT, so that a lookup walking a name from
 * its right end has every suffix's hash on the way. */
static inline uint32_t route_fold_label(uint32_t h, const uint8_t *label)
{
    h = (h ^ label[0]) * 16777619u;
    for (unsigned i = 1; i <= label[0]; i++)
        h = (h ^ dnsf_ascii_lower(label[i])) * 16777619u;
    return h;
}

/* The hash of the whole wire-form name WIRE as a suffix; *LABELS gets its
 * label count. For confdomains.c, which builds the table. */
uint32_t route_suffix_hash(const uint8_t *wire, int *labels);

/* Fill the hash slots of T from T->s[0 .. T->nsuffixes). */
void route_index(struct dnsf_domains *t);

#endif
