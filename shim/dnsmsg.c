/* dnsmsg — bounds-checked reading of DNS messages (RFC 1035 §4).
 * The checks mirror glibc 2.36's ns_rr_cursor.c and ns_name.c, so that a
 * reply glibc rejects is rejected here too, and vice versa. */
#include "dnsf/dnsmsg.h"

#include <string.h>

#include "dnsf/strutil.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Length of an uncompressed name at P, or -1 (RFC 1035 §3.1: labels ≤ 63,
 * names ≤ 255 octets). The question name must not be compressed. */
static int name_length_uncompressed(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *start = p;
    for (;;) {
        if (p >= end)
            return -1;
        uint8_t n = *p++;
        if (n == 0)
            break;
        if (n > 63 || end - p < n)
            return -1;
        p += n;
        if (p - start > DNSMSG_MAXCDNAME)
            return -1;
    }
    return p - start > DNSMSG_MAXCDNAME ? -1 : (int)(p - start);
}

int dnsmsg_init(struct dnsmsg *m, const uint8_t *buf, size_t len)
{
    memset(m, 0, sizeof *m);
    if (buf == NULL || len < DNSMSG_HFIXEDSZ)
        return -1;
    m->begin = buf;
    m->end = buf + len;
    m->id = get16(buf);
    m->flags = get16(buf + 2);
    m->qdcount = get16(buf + 4);
    m->ancount = get16(buf + 6);
    m->nscount = get16(buf + 8);
    m->arcount = get16(buf + 10);
    if (m->qdcount != 1)
        return -1;
    const uint8_t *p = buf + DNSMSG_HFIXEDSZ;
    int n = name_length_uncompressed(p, m->end);
    if (n < 0 || m->end - (p + n) < 4)
        return -1;
    m->qname = p;
    p += n;
    m->qtype = get16(p);
    m->qclass = get16(p + 2);
    m->cur = p + 4;
    return 0;
}

int dnsmsg_header_rcode(const uint8_t *pkt, int len)
{
    return pkt != NULL && len >= DNSMSG_HFIXEDSZ ? pkt[3] & 0xf : -1;
}

/* ANCOUNT of PKT, or -1 when LEN is shorter than a header. */
static int header_ancount(const uint8_t *pkt, int len)
{
    return pkt != NULL && len >= DNSMSG_HFIXEDSZ ? get16(pkt + 6) : -1;
}

int dnsmsg_has_answers(const uint8_t *pkt, int len)
{
    return dnsmsg_header_rcode(pkt, len) == DNS_R_NOERROR && header_ancount(pkt, len) > 0;
}

int dnsmsg_answers_question(const struct dnsmsg *m, const uint8_t *qwire, uint16_t qtype)
{
    return m->qtype == qtype && m->qclass == DNS_C_IN && dnsmsg_name_equal(m->qname, qwire);
}

int dnsmsg_records_whole(const struct dnsmsg *m)
{
    struct dnsmsg c = *m;
    struct dnsmsg_rr rr;
    unsigned total = (unsigned)c.ancount + c.nscount + c.arcount;
    for (unsigned i = 0; i < total && !dnsmsg_at_end(&c); i++)
        if (dnsmsg_next_rr(&c, &rr) < 0)
            return 0;
    return 1;
}

void dnsmsg_clear_rcode(uint8_t *buf, int len)
{
    if (len >= 4)
        buf[3] &= 0xf0;
}

void dnsmsg_set_tc(uint8_t *buf, int len)
{
    if (len >= 3)
        buf[2] |= 0x02;
}

int dnsmsg_unpack_name(const struct dnsmsg *m, const uint8_t *src, uint8_t *out)
{
    const uint8_t *p = src;
    int consumed = -1;             /* set at the first compression pointer */
    size_t outlen = 0;
    size_t checked = 0, span = (size_t)(m->end - m->begin);

    if (src < m->begin || src >= m->end)
        return -1;
    for (;;) {
        if (p >= m->end)
            return -1;
        uint8_t n = *p;
        if ((n & 0xc0) == 0xc0) {
            /* RFC 1035 §4.1.4: a pointer to an earlier occurrence. */
            if (m->end - p < 2)
                return -1;
            size_t off = (size_t)(n & 0x3f) << 8 | p[1];
            if (consumed < 0)
                consumed = (int)(p + 2 - src);
            if (off >= span)
                return -1;          /* outside the message */
            /* A loop, as glibc's ns_name_unpack decides it: once the octets
             * read (labels and pointers) reach the message's length. */
            checked += 2;
            if (checked >= span)
                return -1;
            p = m->begin + off;
            continue;
        }
        if (n & 0xc0)
            return -1;              /* RFC 6891 §5: extended label types are gone */
        if (outlen + 1 + n > DNSMSG_MAXCDNAME)
            return -1;
        if (m->end - (p + 1) < n)
            return -1;
        memcpy(out + outlen, p, (size_t)n + 1);
        outlen += (size_t)n + 1;
        p += (size_t)n + 1;
        if (n == 0)
            break;
        checked += (size_t)n + 1;
    }
    return consumed >= 0 ? consumed : (int)(p - src);
}

int dnsmsg_next_rr(struct dnsmsg *m, struct dnsmsg_rr *rr)
{
    int n = dnsmsg_unpack_name(m, m->cur, rr->name);
    if (n < 0) {
        m->cur = m->end;
        return -1;
    }
    const uint8_t *p = m->cur + n;
    if (m->end - p < 10) {
        m->cur = m->end;
        return -1;
    }
    rr->type = get16(p);
    rr->rclass = get16(p + 2);
    rr->ttl = get32(p + 4);
    rr->rdlength = get16(p + 8);
    p += 10;
    if (m->end - p < rr->rdlength) {
        m->cur = m->end;
        return -1;
    }
    rr->rdata = p;
    m->cur = p + rr->rdlength;
    return 0;
}

size_t dnsmsg_name_len(const uint8_t *wire)
{
    size_t n = 0;
    while (wire[n] != 0)
        n += (size_t)wire[n] + 1;
    return n + 1;
}

static int special(uint8_t c)
{
    /* RFC 1035 §5.1: characters with a meaning in master files. */
    return c == '"' || c == '.' || c == ';' || c == '\\' || c == '(' || c == ')'
        || c == '@' || c == '$';
}

int dnsmsg_name_ntop(const uint8_t *wire, char *out, size_t outlen)
{
    size_t o = 0;
    const uint8_t *p = wire;

    if (*p == 0) {
        if (outlen < 2)
            return -1;
        out[0] = '.';
        out[1] = 0;
        return 1;
    }
    while (*p != 0) {
        uint8_t n = *p++;
        if (n > 63)
            return -1;
        if (p != wire + 1) {
            if (o + 1 >= outlen)
                return -1;
            out[o++] = '.';
        }
        for (uint8_t i = 0; i < n; i++, p++) {
            uint8_t c = *p;
            size_t need = special(c) ? 2 : (c > 0x20 && c < 0x7f) ? 1 : 4;
            if (o + need >= outlen)
                return -1;
            if (need == 2) {
                out[o++] = '\\';
                out[o++] = (char)c;
            } else if (need == 1) {
                out[o++] = (char)c;
            } else {
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            }
        }
    }
    out[o] = 0;
    return (int)o;
}

int dnsmsg_name_equal(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b)
            return 0;
        uint8_t n = *a;
        if (n == 0)
            return 1;
        a++, b++;
        for (uint8_t i = 0; i < n; i++)
            if (dnsf_ascii_lower(a[i]) != dnsf_ascii_lower(b[i]))
                return 0;
        a += n, b += n;
    }
}

int dnsmsg_binary_hnok(const uint8_t *wire)
{
    if (wire[0] > 0 && wire[1] == '-')
        return 0;
    for (const uint8_t *p = wire; *p != 0; p += *p + 1)
        for (uint8_t i = 1; i <= *p; i++) {
            uint8_t c = p[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || c == '-' || c == '_'))
                return 0;
        }
    return 1;
}

long dnsmsg_negative_ttl(struct dnsmsg *m)
{
    struct dnsmsg_rr rr;
    unsigned total = (unsigned)m->ancount + m->nscount;
    for (unsigned i = 0; i < total; i++) {
        if (dnsmsg_next_rr(m, &rr) < 0)
            return -1;
        if (i < m->ancount || rr.type != DNS_T_SOA)
            continue;
        /* SOA RDATA: MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM. */
        uint8_t tmp[DNSMSG_MAXCDNAME];
        const uint8_t *p = rr.rdata, *end = rr.rdata + rr.rdlength;
        for (int k = 0; k < 2; k++) {
            int n = dnsmsg_unpack_name(m, p, tmp);
            if (n < 0 || p + n > end)
                return -1;
            p += n;
        }
        if (end - p < 20)
            return -1;
        uint32_t minimum = get32(p + 16);
        /* RFC 2308 §5: the lesser of the SOA's own TTL and its MINIMUM. */
        return (long)(rr.ttl < minimum ? rr.ttl : minimum);
    }
    return -1;
}

int dnsmsg_name_pton(const char *text, uint8_t *wire)
{
    /* The escapes res_mkquery's ns_name_pton reads: \X and \DDD. */
    size_t o = 0, lab = 0;
    const char *p = text;
    if (p[0] == '.' && p[1] == 0) {
        wire[0] = 0;
        return 1;
    }
    wire[0] = 0;
    while (*p != 0) {
        if (*p == '.') {
            if (wire[lab] == 0)
                return -1;
            lab = ++o;
            if (lab >= DNSMSG_MAXCDNAME)
                return -1;
            wire[lab] = 0;
            p++;
            continue;
        }
        unsigned c;
        if (*p == '\\') {
            if (p[1] >= '0' && p[1] <= '9') {
                /* A digit begins \DDD: fewer digits is an error, as in
                 * ns_name_pton, not a literal digit. */
                if (!(p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9'))
                    return -1;
                c = (unsigned)(p[1] - '0') * 100 + (unsigned)(p[2] - '0') * 10 + (unsigned)(p[3] - '0');
                if (c > 255)
                    return -1;
                p += 4;
            } else if (p[1] != 0) {
                c = (unsigned char)p[1];
                p += 2;
            } else
                return -1;
        } else
            c = (unsigned char)*p++;
        if (wire[lab] == 63 || o + 2 >= DNSMSG_MAXCDNAME)
            return -1;
        wire[++o] = (uint8_t)c;
        wire[lab]++;
    }
    if (wire[lab] != 0) {              /* close the last label */
        if (o + 1 >= DNSMSG_MAXCDNAME)
            return -1;
        wire[++o] = 0;
    }
    return (int)o + 1;
}

int dnsmsg_name_init(struct dnsmsg_name *n, const char *text)
{
    n->text = text;
    n->len = dnsmsg_name_pton(text, n->wire);
    if (n->len < 0)
        return -1;
    for (int i = 0; i < n->len; i++)
        n->lower[i] = dnsf_ascii_lower(n->wire[i]);
    n->hash = dnsf_fnv1a(DNSF_FNV1A_INIT, n->lower, (size_t)n->len);
    return 0;
}

int dnsmsg_text_wire_len(const char *text)
{
    uint8_t wire[DNSMSG_MAXCDNAME];
    return dnsmsg_name_pton(text, wire);
}

int dnsmsg_make_nodata(const uint8_t *pkt, int len, uint16_t qtype, uint8_t *out, int outlen)
{
    struct dnsmsg m;
    if (dnsmsg_init(&m, pkt, (size_t)len) < 0)
        return -1;
    int n = (int)(m.cur - m.begin);            /* header + question */
    if (n > outlen)
        return -1;
    memcpy(out, pkt, (size_t)n);
    memset(out + 6, 0, 6);                     /* ANCOUNT, NSCOUNT, ARCOUNT */
    out[n - 4] = (uint8_t)(qtype >> 8);        /* QTYPE, just before QCLASS */
    out[n - 3] = (uint8_t)qtype;
    return n;
}

int dnsmsg_name_cares(const uint8_t *wire, char *out, size_t outlen)
{
    /* c-ares 1.18's ares_create_query reads only "\X" escapes (X taken
     * literally); so escape just '.' and '\' and copy every other octet.
     * It reads a C string: an octet 0 would end the name there. */
    size_t o = 0;
    const uint8_t *p = wire;
    while (*p != 0) {
        uint8_t n = *p++;
        if (o > 0) {
            if (o + 1 >= outlen)
                return -1;
            out[o++] = '.';
        }
        for (uint8_t i = 0; i < n; i++, p++) {
            if (o + 3 >= outlen || *p == 0)
                return -1;
            if (*p == '.' || *p == '\\')
                out[o++] = '\\';
            out[o++] = (char)*p;
        }
    }
    out[o] = 0;
    return (int)o;
}

void dnsmsg_set_qname_spelling(uint8_t *pkt, int len, const uint8_t *wire)
{
    struct dnsmsg m;
    if (dnsmsg_init(&m, pkt, (size_t)len) < 0)
        return;
    size_t n = dnsmsg_name_len(m.qname);
    if (n == dnsmsg_name_len(wire) && dnsmsg_name_equal(m.qname, wire))
        memcpy(pkt + DNSMSG_HFIXEDSZ, wire, n);   /* same length, case only */
}
