/* cache — the per-process cache of DNS replies, keyed by the server set
 * and the normalised question: the name in wire form, lower-cased (as a
 * lookup carries it, struct dnsmsg_name, built once), and the type; as
 * c-ares's ares_qcache.c keys its cache.
 *
 * It caches answers, not call results, so every call (getaddrinfo,
 * gethostbyname*, gethostbyaddr, getnameinfo) and every hints combination
 * shares entries, and the result built from a cached reply is built by the
 * same code as an uncached one.
 *
 * Server sets: every entry belongs to the set of servers it came from
 * (serverset.h), and a lookup sees only the entries of the set it asks. So
 * once resolv.conf or the config name other servers, the old answers are
 * never handed out again, neither fresh nor stale; cache_drop_set frees
 * them. A name may have entries from several sets at once (the per-domain
 * server lists of a later design ask different sets side by side).
 *
 * Lifetimes: positive replies live for the smallest TTL in the answer
 * section, CNAME chain included, clamped to [min_ttl, max_ttl]. NXDOMAIN and
 * NODATA live for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), capped by
 * negative_max_ttl; without an SOA they are not cached (RFC 2308 §5).
 * Serve-stale (RFC 8767): when every server fails, an expired entry no
 * older than max_stale is answered, and keeps being answered for
 * CACHE_STALE_TTL_S before the servers are tried again.
 *
 * Concurrency: CACHE_SHARDS independent shards, each with its own mutex and
 * LRU list; no lock is held across I/O. After fork the child keeps the
 * entries but nothing that was in flight. */
#ifndef DNSF_CACHE_H
#define DNSF_CACHE_H

#include <stdint.h>

#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"

#define CACHE_SHARDS 16
/* RFC 8767 §4: "a stale TTL of 30 seconds is RECOMMENDED". */
#define CACHE_STALE_TTL_S 30

enum cache_hit { CACHE_MISS = 0, CACHE_FRESH, CACHE_STALE };

/* Seconds REPLY may be cached under P, or -1 if it must not be: the one
 * place a lifetime is computed (the rules above). cache_put applies it. */
long cache_lifetime(const uint8_t *pkt, int len, uint16_t qtype, const struct dnsf_cache_config *p);

/* Look (SET, NAME, QTYPE) up; NAME's lower-cased form is the key. FRESH: within its lifetime, or inside a stale
 * serving window; *EXPIRE_MS (if not NULL) is when that ends. With ALLOW_STALE, an expired entry no older than
 * max_stale is returned as STALE, and its stale window is opened. On a hit
 * *PKT is a malloc'ed copy (the caller frees it), and *VIA_TCP (if not NULL)
 * the reply's transport as stored (struct dnsf_reply, transport.h). */
enum cache_hit cache_get(const struct dnsf_cache_config *p, uint64_t set,
                         const struct dnsmsg_name *name, uint16_t qtype, uint64_t now_ms,
                         int allow_stale, uint8_t **pkt, int *len, int *via_tcp,
                         uint64_t *expire_ms);
/* Store a usable reply from the servers of SET, and its transport, for its
 * cache_lifetime. Return when it expires (NOW_MS based): how long anything
 * built from it may be kept (the memo, note.h). 0: not stored (the cache is
 * off or holds 0 entries, the reply must not be cached, out of memory);
 * nothing built from it is kept then either. The entry stays only within
 * max_entries (each shard's share; the least recently used go first, and
 * with a share of 0 this one goes at once). */
uint64_t cache_put(const struct dnsf_cache_config *p, uint64_t set,
                   const struct dnsmsg_name *name, uint16_t qtype, const uint8_t *pkt, int len,
                   int via_tcp, uint64_t now_ms);

/* Single-flight: one thread resolves a question while the others wait.
 * Return 1 if the caller leads (it must call cache_flight_end), 0 after the
 * leader finished (look in the cache again), -1 if DEADLINE_MS passed.
 * Callers run with cancellation off (cancel.h): a waiter cancelled in
 * pthread_cond_timedwait would leave holding the shard's lock, and a
 * leader cancelled before cache_flight_end would leave its flight for every
 * later lookup of the name to wait out. */
struct cache_flight;
int cache_flight_begin(const struct dnsmsg_name *name, uint16_t mode, uint64_t deadline_ms,
                       struct cache_flight **leader);
void cache_flight_end(struct cache_flight *f);

struct cache_stats { uint64_t hits, misses, stale, inserts, evictions, entries, bytes; };
void cache_get_stats(struct cache_stats *s);
void cache_flush(void);
/* Drop the entries of server set SET (no longer configured). */
void cache_drop_set(uint64_t set);
void cache_fork_child(void);

#endif
