/* dnspkt — a tiny DNS message builder for the unit tests.
 *
 * Test code only: it writes whatever it is told, malformed or not, so that
 * the tests can hand the parser exactly the bytes they mean. Names are given
 * dotted ("www.example.com", "" or "." for the root) with no escapes; raw
 * labels and compression pointers are written with pkt_label and pkt_ptr. */
#ifndef DNSF_TEST_DNSPKT_H
#define DNSF_TEST_DNSPKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKT_MAX 8192
/* QR, RD, RA: what a recursive resolver's reply carries. */
#define PKT_RESPONSE 0x8180u

struct pkt {
    uint8_t b[PKT_MAX];
    size_t n;
};

static inline void pkt_room(const struct pkt *p, size_t more)
{
    if (p->n + more > PKT_MAX) {
        fprintf(stderr, "dnspkt: packet larger than %d bytes\n", PKT_MAX);
        abort();
    }
}
static inline void pkt_init(struct pkt *p) { p->n = 0; }
static inline void pkt_u8(struct pkt *p, unsigned v)
{
    pkt_room(p, 1);
    p->b[p->n++] = (uint8_t)v;
}
static inline void pkt_u16(struct pkt *p, unsigned v)
{
    pkt_u8(p, v >> 8 & 0xff);
    pkt_u8(p, v & 0xff);
}
static inline void pkt_u32(struct pkt *p, uint32_t v)
{
    pkt_u16(p, v >> 16);
    pkt_u16(p, v & 0xffff);
}
static inline void pkt_bytes(struct pkt *p, const void *d, size_t len)
{
    pkt_room(p, len);
    memcpy(p->b + p->n, d, len);
    p->n += len;
}
static inline void pkt_set16(struct pkt *p, size_t off, unsigned v)
{
    p->b[off] = (uint8_t)(v >> 8);
    p->b[off + 1] = (uint8_t)v;
}
/* One label: its length octet (any value, even an invalid one) and LEN bytes. */
static inline void pkt_label(struct pkt *p, unsigned lenbyte, const void *d, size_t len)
{
    pkt_u8(p, lenbyte);
    pkt_bytes(p, d, len);
}
/* RFC 1035 §4.1.4 compression pointer to OFF. */
static inline void pkt_ptr(struct pkt *p, unsigned off) { pkt_u16(p, 0xc000u | off); }
/* The labels of a dotted name, without the terminating root label. */
static inline void pkt_labels(struct pkt *p, const char *name)
{
    while (*name != 0 && strcmp(name, ".") != 0) {
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : strlen(name);
        pkt_label(p, (unsigned)len, name, len);
        name += len;
        if (*name == '.')
            name++;
    }
}
/* A whole uncompressed name. */
static inline void pkt_name(struct pkt *p, const char *name)
{
    pkt_labels(p, name);
    pkt_u8(p, 0);
}
static inline void pkt_header(struct pkt *p, unsigned id, unsigned flags, unsigned qd,
                              unsigned an, unsigned ns, unsigned ar)
{
    pkt_u16(p, id);
    pkt_u16(p, flags);
    pkt_u16(p, qd);
    pkt_u16(p, an);
    pkt_u16(p, ns);
    pkt_u16(p, ar);
}
static inline void pkt_question(struct pkt *p, const char *name, unsigned type, unsigned cls)
{
    pkt_name(p, name);
    pkt_u16(p, type);
    pkt_u16(p, cls);
}
/* Start a record whose owner has already been written; return the offset of
 * RDLENGTH, to be filled in by pkt_rr_end. */
static inline size_t pkt_rr_meta(struct pkt *p, unsigned type, unsigned cls, uint32_t ttl)
{
    pkt_u16(p, type);
    pkt_u16(p, cls);
    pkt_u32(p, ttl);
    size_t at = p->n;
    pkt_u16(p, 0);
    return at;
}
static inline size_t pkt_rr(struct pkt *p, const char *owner, unsigned type, unsigned cls,
                            uint32_t ttl)
{
    pkt_name(p, owner);
    return pkt_rr_meta(p, type, cls, ttl);
}
static inline void pkt_rr_end(struct pkt *p, size_t at) { pkt_set16(p, at, (unsigned)(p->n - at - 2)); }

/* Common records, class IN. OWNER NULL means "a pointer to the question
 * name" (offset 12), as every real server writes it. */
static inline void pkt_owner(struct pkt *p, const char *owner)
{
    if (owner == NULL)
        pkt_ptr(p, 12);
    else
        pkt_name(p, owner);
}
static inline void pkt_rr_a(struct pkt *p, const char *owner, uint32_t ttl, const char *addr)
{
    uint8_t a[4];
    if (inet_pton(AF_INET, addr, a) != 1)
        abort();
    pkt_owner(p, owner);
    size_t at = pkt_rr_meta(p, 1, 1, ttl);
    pkt_bytes(p, a, 4);
    pkt_rr_end(p, at);
}
static inline void pkt_rr_aaaa(struct pkt *p, const char *owner, uint32_t ttl, const char *addr)
{
    uint8_t a[16];
    if (inet_pton(AF_INET6, addr, a) != 1)
        abort();
    pkt_owner(p, owner);
    size_t at = pkt_rr_meta(p, 28, 1, ttl);
    pkt_bytes(p, a, 16);
    pkt_rr_end(p, at);
}
/* A record whose RDATA is one uncompressed name (CNAME, PTR, NS). */
static inline void pkt_rr_dname(struct pkt *p, const char *owner, unsigned type, uint32_t ttl,
                                const char *target)
{
    pkt_owner(p, owner);
    size_t at = pkt_rr_meta(p, type, 1, ttl);
    pkt_name(p, target);
    pkt_rr_end(p, at);
}
static inline void pkt_rr_soa(struct pkt *p, const char *owner, uint32_t ttl, const char *mname,
                              const char *rname, uint32_t minimum)
{
    pkt_owner(p, owner);
    size_t at = pkt_rr_meta(p, 6, 1, ttl);
    pkt_name(p, mname);
    pkt_name(p, rname);
    pkt_u32(p, 2024010101);      /* SERIAL */
    pkt_u32(p, 3600);            /* REFRESH */
    pkt_u32(p, 900);             /* RETRY */
    pkt_u32(p, 604800);          /* EXPIRE */
    pkt_u32(p, minimum);
    pkt_rr_end(p, at);
}

/* Wire form of a dotted name into OUT (at least 256 bytes); return its length. */
static inline size_t wire_name(uint8_t *out, const char *name)
{
    struct pkt p;
    pkt_init(&p);
    pkt_name(&p, name);
    memcpy(out, p.b, p.n);
    return p.n;
}

#endif
