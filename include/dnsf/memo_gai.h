/* memo_gai — getaddrinfo results in the memo (memo.h).
 *
 * Key: everything that can change the result (node, service, the hints or
 * their absence). Value: the return value, what the call left in h_errno,
 * and the list: its nodes' fields and addresses and the first node's
 * canonical name. Hits are built exactly in glibc's allocation layout (one
 * malloc per node with its sockaddr behind it, ai_canonname separately), so
 * libc's own freeaddrinfo frees them correctly, even when the host calls it
 * directly. */
#ifndef DNSF_MEMO_GAI_H
#define DNSF_MEMO_GAI_H

#include <netdb.h>

#include "dnsf/memo.h"

/* On a hit: return 1 with *RC, *RES (a fresh copy; left alone when *RC != 0,
 * as glibc leaves it) and h_errno as the real call left them. 0: a miss. */
int memo_gai_get(const struct memo_call *mc, const char *node, const char *service,
                 const struct addrinfo *hints, int *rc, struct addrinfo **res);
/* Keep the outcome RC/RES of a real call (when MC allows, and only
 * outcomes that depend on the data, not on a passing failure). */
void memo_gai_put(const struct memo_call *mc, const char *node, const char *service,
                  const struct addrinfo *hints, int rc, const struct addrinfo *res);

#endif
