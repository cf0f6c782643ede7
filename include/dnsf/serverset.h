/* serverset — one identity for the set of nameservers a lookup asks.
 *
 * The answer cache keys every entry by (server set, name, type) (cache.h),
 * so an answer is only ever handed out to lookups that ask the servers it
 * came from: once resolv.conf or the config name other servers, the old
 * answers, fresh or stale, are not seen again (glibc follows the new
 * servers from the next lookup; nscd flushes its hosts cache when
 * resolv.conf changes, c-ares its query cache on a server change).
 *
 * The identity ignores the order (a re-ordering asks the same servers, so
 * their answers stay good) and compares what config_same_addr compares:
 * family, address, port, and for IPv6 the scope id. It is never 0. */
#ifndef DNSF_SERVERSET_H
#define DNSF_SERVERSET_H

#include <stdint.h>

#include "dnsf/config.h"

uint64_t server_set_id(const struct dnsf_server *servers, int n);

#endif
