/* serverset — the identity of a set of nameservers (contract in serverset.h). */
#include "dnsf/serverset.h"

#include <string.h>

#include "dnsf/strutil.h"

/* 64 bits of hash over the fields config_same_addr compares; sin_zero and
 * sin6_flowinfo may be uninitialised in addresses glibc filled in. */
static uint64_t server_hash(const struct dnsf_server *s)
{
    uint8_t b[2 + 2 + 16 + 4];
    size_t n;
    const struct sockaddr *sa = (const struct sockaddr *)&s->addr;

    memset(b, 0, sizeof b);
    memcpy(b, &sa->sa_family, 2);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        memcpy(b + 2, &in->sin_port, 2);
        memcpy(b + 4, &in->sin_addr, 4);
        n = 8;
    } else {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        memcpy(b + 2, &in6->sin6_port, 2);
        memcpy(b + 4, &in6->sin6_addr, 16);
        memcpy(b + 20, &in6->sin6_scope_id, 4);
        n = sizeof b;
    }
    /* Two FNV-1a runs from different starting points make 64 bits. */
    return (uint64_t)dnsf_fnv1a(DNSF_FNV1A_INIT, b, n) << 32
         | dnsf_fnv1a(DNSF_FNV1A_INIT ^ 0x9e3779b9u, b, n);
}

uint64_t server_set_id(const struct dnsf_server *servers, int n)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += server_hash(&servers[i]);     /* a sum does not see the order */
    return sum != 0 ? sum : 1;
}
