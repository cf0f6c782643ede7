/* fuzz_dnsmsg -- the DNS reply parser (shim/dnsmsg.c) on arbitrary replies.
 *
 * The input is one DNS message. Besides "no crash, no sanitizer report",
 * it checks what dnsmsg promises:
 *   - every name it decompresses (question, owners, names in CNAME, PTR,
 *     NS and SOA data) is the name glibc's ns_name_unpack reads at the same
 *     place, with the same length consumed, and either both reject the
 *     place or neither does (dnsmsg mirrors resolv/ns_name.c);
 *   - its presentation form is byte for byte glibc's ns_name_ntop, reads
 *     back to the same wire name through dnsmsg_name_pton, and glibc's
 *     res_hnok agrees with dnsmsg_binary_hnok;
 *   - the NODATA reply made from it (no-aaaa) parses, with the new type
 *     and no records; a question respelt in another case is written over.
 */
#include <arpa/nameser.h>
#include <resolv.h>

#include "dnsf/dnsmsg.h"
#include "fuzz.h"

/* Wire name at P (glibc's ns_name_unpack into a generous buffer); return the
 * octets consumed at P or -1. */
static int glibc_unpack(const struct dnsmsg *m, const uint8_t *p, uint8_t *out, size_t outlen)
{
    return ns_name_unpack(m->begin, m->end, p, out, outlen);
}

static void check_name_forms(const uint8_t *wire)
{
    size_t len = dnsmsg_name_len(wire);
    FUZZ_CHECK(len >= 1 && len <= DNSMSG_MAXCDNAME, "name of %zu octets", len);

    char text[DNSMSG_MAXDNAME], gtext[DNSMSG_MAXDNAME + 16];
    int t = dnsmsg_name_ntop(wire, text, sizeof text);
    FUZZ_CHECK(t >= 0 && (size_t)t == strlen(text), "ntop returned %d", t);
    int g = ns_name_ntop(wire, gtext, sizeof gtext);
    FUZZ_CHECK(g >= 0 && strcmp(text, gtext) == 0, "ntop: ours \"%s\", glibc's \"%s\" (%d)",
               text, gtext, g);

    uint8_t back[DNSMSG_MAXCDNAME];
    int b = dnsmsg_name_pton(text, back);
    FUZZ_CHECK(b == (int)len && memcmp(back, wire, len) == 0,
               "\"%s\" read back as %d octets, want %zu", text, b, len);
    FUZZ_CHECK(dnsmsg_text_wire_len(text) == (int)len, "wire length of \"%s\"", text);

    /* glibc's res_hnok reads the text and applies binary_hnok to it. */
    FUZZ_CHECK(!res_hnok(text) == !dnsmsg_binary_hnok(wire), "hnok of \"%s\": glibc %d, ours %d",
               text, res_hnok(text), dnsmsg_binary_hnok(wire));
}

/* Decompress at P both ways and compare; return our result. */
static int unpack_both(const struct dnsmsg *m, const uint8_t *p, uint8_t *out)
{
    uint8_t gout[NS_MAXCDNAME + 64];
    int ours = dnsmsg_unpack_name(m, p, out);
    int theirs = glibc_unpack(m, p, gout, sizeof gout);
    /* glibc takes dstsiz - 1 octets at most before the root: with a buffer
     * of NS_MAXCDNAME (what its callers pass) it accepts names of at most
     * 255 octets, like dnsmsg; ours is the bound, so a longer glibc result
     * only confirms that the name was too long. */
    if (theirs >= 0 && dnsmsg_name_len(gout) > DNSMSG_MAXCDNAME)
        theirs = -1;
    FUZZ_CHECK((ours < 0) == (theirs < 0), "unpack at offset %td: ours %d, glibc %d",
               p - m->begin, ours, theirs);
    if (ours >= 0) {
        size_t len = dnsmsg_name_len(out);
        FUZZ_CHECK(ours == theirs && len == dnsmsg_name_len(gout) && memcmp(out, gout, len) == 0,
                   "unpack at offset %td: consumed %d vs %d", p - m->begin, ours, theirs);
        check_name_forms(out);
    }
    return ours;
}

static void walk_records(struct dnsmsg *m)
{
    unsigned total = (unsigned)m->ancount + m->nscount + m->arcount;
    for (unsigned i = 0; i < total; i++) {
        struct dnsmsg_rr rr;
        uint8_t owner[DNSMSG_MAXCDNAME], name[DNSMSG_MAXCDNAME];
        const uint8_t *at = m->cur;
        int before = at < m->end ? unpack_both(m, at, owner) : -1;
        if (dnsmsg_next_rr(m, &rr) < 0) {
            FUZZ_CHECK(m->cur == m->end, "a failed record leaves the cursor at the end");
            return;
        }
        FUZZ_CHECK(before >= 0 && memcmp(owner, rr.name, dnsmsg_name_len(owner)) == 0,
                   "owner name of record %u", i);
        FUZZ_CHECK(rr.rdata >= m->begin && rr.rdata + rr.rdlength <= m->end && m->cur == rr.rdata + rr.rdlength,
                   "record %u's data inside the message", i);
        if (rr.rdlength == 0)
            continue;
        if (rr.type == DNS_T_CNAME || rr.type == DNS_T_PTR || rr.type == DNS_T_NS)
            unpack_both(m, rr.rdata, name);
        else if (rr.type == DNS_T_SOA) {
            int n = unpack_both(m, rr.rdata, name);
            if (n > 0 && n < rr.rdlength)
                unpack_both(m, rr.rdata + n, name);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dnsmsg m;
    if (dnsmsg_init(&m, data, size) < 0)
        return 0;
    FUZZ_CHECK(m.qdcount == 1 && m.qname == data + DNSMSG_HFIXEDSZ && m.cur <= m.end,
               "a parsed header");
    size_t hq = (size_t)(m.cur - m.begin);     /* header and question */
    check_name_forms(m.qname);
    walk_records(&m);

    struct dnsmsg neg;
    dnsmsg_init(&neg, data, size);
    long ttl = dnsmsg_negative_ttl(&neg);
    FUZZ_CHECK(ttl >= -1 && ttl <= (long)UINT32_MAX, "negative TTL %ld", ttl);

    /* no-aaaa: a NODATA reply of exactly the header and question. */
    uint8_t *out = malloc(hq);
    FUZZ_CHECK(out != NULL, "malloc");
    int n = dnsmsg_make_nodata(data, (int)size, DNS_T_AAAA, out, (int)hq);
    FUZZ_CHECK(n == (int)hq, "make_nodata returned %d, want %zu", n, hq);
    struct dnsmsg nd;
    FUZZ_CHECK(dnsmsg_init(&nd, out, (size_t)n) == 0 && nd.qtype == DNS_T_AAAA
                   && nd.ancount == 0 && nd.nscount == 0 && nd.arcount == 0
                   && dnsmsg_rcode(&nd) == dnsmsg_rcode(&m),
               "the NODATA reply parses");
    FUZZ_CHECK(dnsmsg_make_nodata(data, (int)size, DNS_T_AAAA, out, (int)hq - 1) == -1,
               "make_nodata into a buffer one short");
    free(out);

    /* The question in upper case, written over a copy. */
    uint8_t *copy = fuzz_dup(data, size);
    size_t qlen = dnsmsg_name_len(m.qname);
    uint8_t upper[DNSMSG_MAXCDNAME];
    memcpy(upper, m.qname, qlen);
    for (size_t i = 0; i < qlen; i++)
        if (upper[i] >= 'a' && upper[i] <= 'z')
            upper[i] = (uint8_t)(upper[i] - 'a' + 'A');
    FUZZ_CHECK(dnsmsg_name_equal(upper, m.qname), "a name equals its upper case");
    dnsmsg_set_qname_spelling(copy, (int)size, upper);
    FUZZ_CHECK(memcmp(copy + DNSMSG_HFIXEDSZ, upper, qlen) == 0, "respelt question");
    FUZZ_CHECK(memcmp(copy + DNSMSG_HFIXEDSZ + qlen, data + DNSMSG_HFIXEDSZ + qlen,
                      size - DNSMSG_HFIXEDSZ - qlen) == 0, "nothing else changed");
    free(copy);
    return 0;
}
