/* strutil — two byte-level helpers the cache, the memo, the hosts index and
 * the DNS parser all need, kept in one place. */
#ifndef DNSF_STRUTIL_H
#define DNSF_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

/* DNS names compare case-insensitively in ASCII only (RFC 4343 §3): a
 * locale's tolower() must not be used for them. */
static inline uint8_t dnsf_ascii_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* FNV-1a: start from DNSF_FNV1A_INIT and fold in N bytes at P. */
#define DNSF_FNV1A_INIT 2166136261u
static inline uint32_t dnsf_fnv1a(uint32_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
    return h;
}

#endif
