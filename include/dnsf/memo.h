/* memo — finished getaddrinfo results, for sub-microsecond repeats.
 *
 * glibc's own per-call work (reading /etc/hosts, the RFC 6724 sort with a
 * netlink dump and a socket per address) costs 40-55 us for AF_UNSPEC even
 * when the DNS answer is cached. The memo keeps the finished, sorted list
 * and hands out copies. It is derived data only: each entry lives no longer
 * than the DNS answers it was built from (the answer cache's expiry), and
 * every entry is dropped when anything else the result depends on changes
 * (generation: /etc/hosts, resolv.conf, gai.conf, nsswitch.conf, and the
 * host's addresses and routes, see state.h).
 *
 * Copies are built exactly in glibc's layout (one malloc per node with its
 * sockaddr behind it, ai_canonname separately), so libc's own freeaddrinfo
 * frees them correctly, even when the host calls it directly. */
#ifndef DNSF_MEMO_H
#define DNSF_MEMO_H

#include <netdb.h>
#include <stdint.h>

/* Return 1 and set *RC and *RES (a fresh copy; NULL when *RC != 0) on a hit
 * that is still valid at NOW_MS in generation GEN; 0 on a miss. */
int memo_lookup(const char *node, const char *service, const struct addrinfo *hints,
                uint64_t now_ms, uint64_t gen, int *rc, struct addrinfo **res);
/* Remember the outcome RC/RES of a call until EXPIRE_MS, in generation GEN. */
void memo_store(const char *node, const char *service, const struct addrinfo *hints, int rc,
                const struct addrinfo *res, uint64_t expire_ms, uint64_t gen, int max_entries);
void memo_flush(void);
void memo_fork_child(void);

#endif
