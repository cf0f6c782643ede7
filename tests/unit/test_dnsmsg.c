/* test_dnsmsg — dnsmsg.c, the one place that parses DNS bytes.
 *
 * The expected results follow glibc 2.36's ns_rr_cursor.c, ns_name.c
 * (ns_name_unpack, ns_name_ntop, ns_samebinaryname) and res_hnok.c, which
 * dnsmsg mirrors, so a reply glibc rejects is rejected here too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsf/dnsmsg.h"
#include "dnspkt.h"

/* ---- helpers ------------------------------------------------------------ */

/* A response with the question NAME/A/IN and no records yet. */
static void reply_start(struct pkt *p, const char *qname, unsigned an, unsigned ns, unsigned ar)
{
    pkt_init(p);
    pkt_header(p, 0x1234, PKT_RESPONSE, 1, an, ns, ar);
    pkt_question(p, qname, DNS_T_A, DNS_C_IN);
}

/* Init a cursor over P, asserting success. */
static void msg_init_ok(struct dnsmsg *m, const struct pkt *p)
{
    assert_int_equal(dnsmsg_init(m, p->b, p->n), 0);
}

/* The presentation form of wire name W. */
static const char *ntop(const uint8_t *w)
{
    static char buf[DNSMSG_MAXDNAME];
    if (dnsmsg_name_ntop(w, buf, sizeof buf) < 0)
        return "<ntop failed>";
    return buf;
}

/* A dotted name with LABELS labels of the given lengths, letters only. */
static char *long_name(char *out, const int *lens, int nlabels)
{
    char *o = out;
    for (int i = 0; i < nlabels; i++) {
        if (i > 0)
            *o++ = '.';
        for (int k = 0; k < lens[i]; k++)
            *o++ = (char)('a' + (i + k) % 26);
    }
    *o = 0;
    return out;
}

/* ---- header and question ------------------------------------------------ */

static void test_init_valid(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    pkt_init(&p);
    pkt_header(&p, 0xbeef, PKT_RESPONSE | DNS_R_NXDOMAIN | 0x0200, 1, 2, 3, 4);
    pkt_question(&p, "www.example.com", DNS_T_AAAA, DNS_C_IN);
    msg_init_ok(&m, &p);
    assert_int_equal(m.id, 0xbeef);
    assert_int_equal(m.qdcount, 1);
    assert_int_equal(m.ancount, 2);
    assert_int_equal(m.nscount, 3);
    assert_int_equal(m.arcount, 4);
    assert_int_equal(m.qtype, DNS_T_AAAA);
    assert_int_equal(m.qclass, DNS_C_IN);
    assert_ptr_equal(m.begin, p.b);
    assert_ptr_equal(m.end, p.b + p.n);
    assert_ptr_equal(m.qname, p.b + 12);
    assert_ptr_equal(m.cur, p.b + p.n);      /* first record starts after the question */
    assert_int_equal(dnsmsg_rcode(&m), DNS_R_NXDOMAIN);
    assert_int_equal(dnsmsg_tc(&m), 1);
    assert_int_equal(dnsmsg_is_response(&m), 1);
    assert_string_equal(ntop(m.qname), "www.example.com");
}

static void test_init_root_question(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    reply_start(&p, "", 0, 0, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_name_len(m.qname), 1);
    assert_string_equal(ntop(m.qname), ".");
}

static void test_init_truncated_header(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    reply_start(&p, "a.example", 0, 0, 0);
    for (size_t len = 0; len < DNSMSG_HFIXEDSZ; len++)
        assert_int_equal(dnsmsg_init(&m, p.b, len), -1);
    assert_int_equal(dnsmsg_init(&m, NULL, 0), -1);
    assert_int_equal(dnsmsg_init(&m, NULL, 100), -1);
}

static void test_init_truncated_question(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    reply_start(&p, "a.example", 0, 0, 0);
    /* Every prefix that cuts the name, QTYPE or QCLASS is rejected. */
    for (size_t len = DNSMSG_HFIXEDSZ; len < p.n; len++)
        assert_int_equal(dnsmsg_init(&m, p.b, len), -1);
    assert_int_equal(dnsmsg_init(&m, p.b, p.n), 0);
}

static void test_init_qdcount_not_one(void **state)
{
    (void)state;
    static const unsigned counts[] = { 0, 2, 0x0101, 0xffff };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        struct pkt p;
        struct dnsmsg m;
        pkt_init(&p);
        pkt_header(&p, 1, PKT_RESPONSE, counts[i], 0, 0, 0);
        pkt_question(&p, "a.example", DNS_T_A, DNS_C_IN);
        pkt_question(&p, "b.example", DNS_T_A, DNS_C_IN);
        assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);
    }
}

static void test_init_question_compressed(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;

    /* A pointer as the whole QNAME (to a name placed after the question). */
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE, 1, 0, 0, 0);
    pkt_ptr(&p, 18);
    pkt_u16(&p, DNS_T_A);
    pkt_u16(&p, DNS_C_IN);
    pkt_name(&p, "example");
    assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);

    /* A label, then a pointer (glibc's __ns_name_length_uncompressed
     * refuses any compression in the question). */
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE, 1, 0, 0, 0);
    pkt_labels(&p, "www");
    pkt_ptr(&p, 22);
    pkt_u16(&p, DNS_T_A);
    pkt_u16(&p, DNS_C_IN);
    pkt_name(&p, "example");
    assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);
}

static void test_init_question_name_255_and_256(void **state)
{
    (void)state;
    char name[300];
    struct pkt p;
    struct dnsmsg m;

    /* 3 × (1+63) + (1+61) + 1 = 255 octets: the longest legal name. */
    static const int ok[] = { 63, 63, 63, 61 };
    reply_start(&p, long_name(name, ok, 4), 0, 0, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_name_len(m.qname), 255);

    /* One octet more. */
    static const int bad[] = { 63, 63, 63, 62 };
    reply_start(&p, long_name(name, bad, 4), 0, 0, 0);
    assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);

    /* Many short labels: 127 × 2 + 1 = 255 passes, 128 × 2 + 1 fails. */
    int ones[128];
    for (int i = 0; i < 128; i++)
        ones[i] = 1;
    reply_start(&p, long_name(name, ones, 127), 0, 0, 0);
    msg_init_ok(&m, &p);
    reply_start(&p, long_name(name, ones, 128), 0, 0, 0);
    assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);
}

static void test_init_question_label_too_long(void **state)
{
    (void)state;
    char label[64];
    memset(label, 'x', sizeof label);
    static const unsigned lenbytes[] = { 64, 0x40 | 5, 0x80 | 5, 0xbf };
    for (size_t i = 0; i < sizeof lenbytes / sizeof lenbytes[0]; i++) {
        struct pkt p;
        struct dnsmsg m;
        pkt_init(&p);
        pkt_header(&p, 1, PKT_RESPONSE, 1, 0, 0, 0);
        pkt_label(&p, lenbytes[i], label, lenbytes[i] == 64 ? 64 : 5);
        pkt_name(&p, "example");
        pkt_u16(&p, DNS_T_A);
        pkt_u16(&p, DNS_C_IN);
        assert_int_equal(dnsmsg_init(&m, p.b, p.n), -1);
    }
    /* 63 is fine. */
    struct pkt p;
    struct dnsmsg m;
    pkt_init(&p);
    pkt_header(&p, 1, PKT_RESPONSE, 1, 0, 0, 0);
    pkt_label(&p, 63, label, 63);
    pkt_name(&p, "example");
    pkt_u16(&p, DNS_T_A);
    pkt_u16(&p, DNS_C_IN);
    msg_init_ok(&m, &p);
}

/* ---- record iteration --------------------------------------------------- */

static void test_next_rr_all_sections(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t w[DNSMSG_MAXCDNAME];

    reply_start(&p, "www.example.com", 2, 1, 1);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 60, "host.example.com");
    pkt_rr_a(&p, "host.example.com", 0xffffffffu, "192.0.2.7");
    pkt_rr_soa(&p, "example.com", 3600, "ns1.example.com", "hostmaster.example.com", 300);
    size_t at = pkt_rr(&p, "extra.example.com", DNS_T_TXT, 3, 5);   /* class CH */
    pkt_label(&p, 2, "hi", 2);
    pkt_rr_end(&p, at);

    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
    assert_int_equal(rr.type, DNS_T_CNAME);
    assert_int_equal(rr.rclass, DNS_C_IN);
    assert_int_equal(rr.ttl, 60);
    assert_string_equal(ntop(rr.name), "www.example.com");       /* decompressed owner */
    assert_int_equal(dnsmsg_unpack_name(&m, rr.rdata, w), (int)rr.rdlength);
    assert_string_equal(ntop(w), "host.example.com");

    assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
    assert_int_equal(rr.type, DNS_T_A);
    assert_int_equal(rr.ttl, 0xffffffffu);                   /* raw, not clamped */
    assert_int_equal(rr.rdlength, 4);
    assert_memory_equal(rr.rdata, "\xc0\x00\x02\x07", 4);

    assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
    assert_int_equal(rr.type, DNS_T_SOA);
    assert_string_equal(ntop(rr.name), "example.com");

    assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
    assert_int_equal(rr.type, DNS_T_TXT);
    assert_int_equal(rr.rclass, 3);
    assert_int_equal(rr.rdlength, 3);
    assert_ptr_equal(m.cur, m.end);

    /* Past the last record: an error, and the cursor stays at the end. */
    assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);
    assert_ptr_equal(m.cur, m.end);
}

static void test_next_rr_truncated(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    struct dnsmsg_rr rr;

    reply_start(&p, "www.example.com", 1, 0, 0);
    size_t rr_start = p.n;
    pkt_rr_a(&p, NULL, 300, "192.0.2.1");
    /* Every cut inside the record: owner, fixed part or RDATA. */
    for (size_t len = rr_start; len < p.n; len++) {
        assert_int_equal(dnsmsg_init(&m, p.b, len), 0);
        assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);
        assert_ptr_equal(m.cur, m.end);
        assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);   /* stays failed */
    }
    /* RDLENGTH one more than what is there. */
    pkt_set16(&p, p.n - 6, 5);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);
    /* RDLENGTH 0 is fine: the record ends right there. */
    pkt_set16(&p, p.n - 6, 0);
    assert_int_equal(dnsmsg_init(&m, p.b, p.n - 4), 0);
    assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
    assert_int_equal(rr.rdlength, 0);
    assert_ptr_equal(m.cur, m.end);
}

static void test_next_rr_bad_owner(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    struct dnsmsg_rr rr;

    reply_start(&p, "www.example.com", 1, 0, 0);
    pkt_ptr(&p, (unsigned)p.n);          /* owner points at itself */
    size_t at = pkt_rr_meta(&p, DNS_T_A, DNS_C_IN, 1);
    pkt_u32(&p, 0);
    pkt_rr_end(&p, at);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);
    assert_ptr_equal(m.cur, m.end);
}

/* ---- name decompression ------------------------------------------------- */

static void test_unpack_uncompressed(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    reply_start(&p, "www.example.com", 0, 0, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, m.qname, w), 17);
    assert_memory_equal(w, m.qname, 17);
}

static void test_unpack_valid_pointer(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];

    reply_start(&p, "www.example.com", 0, 0, 0);
    size_t a = p.n;
    pkt_labels(&p, "mail");
    pkt_ptr(&p, 16);                     /* -> "example.com" inside the question */
    size_t b = p.n;
    pkt_ptr(&p, (unsigned)a);            /* -> "mail" + pointer: a chain of two */
    size_t c = p.n;
    pkt_ptr(&p, 12);                     /* -> the whole question name */
    msg_init_ok(&m, &p);

    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), 7);   /* 5 label + 2 pointer */
    assert_string_equal(ntop(w), "mail.example.com");
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + b, w), 2);
    assert_string_equal(ntop(w), "mail.example.com");
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + c, w), 2);
    assert_string_equal(ntop(w), "www.example.com");
    /* A name starting inside a label reads whatever is there: 'w' (0x77)
     * as a length octet is an extended label type, rejected. */
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + 13, w), -1);
}

static void test_unpack_pointer_to_root(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    reply_start(&p, "example", 0, 0, 0);
    size_t a = p.n;
    pkt_ptr(&p, (unsigned)p.n + 2);      /* forward, to the last byte */
    pkt_u8(&p, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), 2);
    assert_int_equal(w[0], 0);
    assert_string_equal(ntop(w), ".");
}

static void test_unpack_forward_pointer(void **state)
{
    (void)state;
    /* glibc's ns_name_unpack accepts pointers to later offsets (it only
     * bounds them by the message), and so must we. */
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    reply_start(&p, "example", 0, 0, 0);
    size_t a = p.n;
    pkt_labels(&p, "fwd");
    pkt_ptr(&p, (unsigned)(p.n + 2));
    pkt_name(&p, "later.test");
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), 6);
    assert_string_equal(ntop(w), "fwd.later.test");
}

static void test_unpack_pointer_loops(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];

    /* Self-pointer. */
    reply_start(&p, "example", 0, 0, 0);
    size_t self = p.n;
    pkt_ptr(&p, (unsigned)self);
    /* a -> b -> a. */
    size_t a = p.n;
    pkt_ptr(&p, (unsigned)(a + 2));
    size_t b = p.n;
    pkt_ptr(&p, (unsigned)a);
    /* A label, then a pointer back to the label (an infinite name). */
    size_t c = p.n;
    pkt_labels(&p, "x");
    pkt_ptr(&p, (unsigned)c);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + self, w), -1);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + b, w), -1);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + c, w), -1);
}

static void test_unpack_pointer_out_of_range(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];

    reply_start(&p, "example", 0, 0, 0);
    size_t a = p.n;
    pkt_ptr(&p, (unsigned)(p.n + 2));    /* exactly the message length */
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);

    reply_start(&p, "example", 0, 0, 0);
    a = p.n;
    pkt_ptr(&p, 0x3fff);                  /* far beyond */
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);

    /* A pointer cut in half by the end of the message. */
    reply_start(&p, "example", 0, 0, 0);
    a = p.n;
    pkt_u8(&p, 0xc0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);

    /* SRC outside the message. */
    assert_int_equal(dnsmsg_unpack_name(&m, m.end, w), -1);
    assert_int_equal(dnsmsg_unpack_name(&m, m.begin - 1, w), -1);
}

static void test_unpack_extended_label_types(void **state)
{
    (void)state;
    /* RFC 6891 §5: 0b01 and 0b10 label types are not supported. */
    static const unsigned bytes[] = { 0x40, 0x41, 0x80, 0xbf };
    for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
        struct pkt p;
        struct dnsmsg m;
        uint8_t w[DNSMSG_MAXCDNAME];
        reply_start(&p, "example", 0, 0, 0);
        size_t a = p.n;
        pkt_u8(&p, bytes[i]);
        pkt_bytes(&p, "\x01\x02\x03\x04\x00", 5);
        /* and after a good label */
        size_t b = p.n;
        pkt_labels(&p, "ok");
        pkt_u8(&p, bytes[i]);
        pkt_bytes(&p, "\x01\x02\x03\x04\x00", 5);
        msg_init_ok(&m, &p);
        assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);
        assert_int_equal(dnsmsg_unpack_name(&m, p.b + b, w), -1);
    }
}

static void test_unpack_label_past_end(void **state)
{
    (void)state;
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    reply_start(&p, "example", 0, 0, 0);
    size_t a = p.n;
    pkt_u8(&p, 10);
    pkt_bytes(&p, "abc", 3);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);
    /* A label that fills the message exactly, with no root after it. */
    reply_start(&p, "example", 0, 0, 0);
    a = p.n;
    pkt_label(&p, 3, "abc", 3);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), -1);
}

static void test_unpack_name_length_limits(void **state)
{
    (void)state;
    char name[300];
    char label[64];
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    memset(label, 'q', sizeof label);

    /* A 193-octet suffix (3 × 63-octet labels + root) in the question; the
     * record's name adds one label and points to it. */
    static const int tail[] = { 63, 63, 63 };
    reply_start(&p, long_name(name, tail, 3), 0, 0, 0);
    size_t a = p.n;
    pkt_label(&p, 61, label, 61);        /* 62 + 193 = 255: the limit */
    pkt_ptr(&p, 12);
    size_t b = p.n;
    pkt_label(&p, 62, label, 62);        /* 63 + 193 = 256: one too many */
    pkt_ptr(&p, 12);
    size_t c = p.n;                      /* two pointers, 255 in total */
    pkt_label(&p, 30, label, 30);
    pkt_ptr(&p, (unsigned)(c + 33));
    pkt_label(&p, 30, label, 30);
    pkt_ptr(&p, 12);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), 64);
    assert_int_equal(dnsmsg_name_len(w), 255);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + b, w), -1);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + c, w), 33);
    assert_int_equal(dnsmsg_name_len(w), 31 + 31 + 193);

    /* Uncompressed: 255 octets pass, 256 fail. */
    static const int ok[] = { 63, 63, 63, 61 };
    static const int bad[] = { 63, 63, 63, 62 };
    reply_start(&p, "example", 0, 0, 0);
    a = p.n;
    pkt_name(&p, long_name(name, ok, 4));
    b = p.n;
    pkt_name(&p, long_name(name, bad, 4));
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + a, w), 255);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + b, w), -1);
}

static void test_unpack_long_pointer_chain(void **state)
{
    (void)state;
    /* 127 one-letter labels, each followed by a pointer to the next: a
     * legal 255-octet name reached through 126 hops. No loop detector may
     * call this a loop. */
    struct pkt p;
    struct dnsmsg m;
    uint8_t w[DNSMSG_MAXCDNAME];
    reply_start(&p, "example", 0, 0, 0);
    size_t start = p.n;
    for (int i = 0; i < 126; i++) {
        pkt_label(&p, 1, "a", 1);
        pkt_ptr(&p, (unsigned)(p.n + 2));
    }
    pkt_label(&p, 1, "z", 1);
    pkt_u8(&p, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + start, w), 4);
    assert_int_equal(dnsmsg_name_len(w), 255);

    /* One more label makes it 257: rejected for length, whatever the hops. */
    reply_start(&p, "example", 0, 0, 0);
    start = p.n;
    for (int i = 0; i < 127; i++) {
        pkt_label(&p, 1, "a", 1);
        pkt_ptr(&p, (unsigned)(p.n + 2));
    }
    pkt_label(&p, 1, "z", 1);
    pkt_u8(&p, 0);
    msg_init_ok(&m, &p);
    assert_int_equal(dnsmsg_unpack_name(&m, p.b + start, w), -1);
}

/* ---- presentation form -------------------------------------------------- */

static void test_ntop_plain_and_root(void **state)
{
    (void)state;
    uint8_t w[256];
    char out[DNSMSG_MAXDNAME];
    wire_name(w, "www.Example.COM");
    assert_int_equal(dnsmsg_name_ntop(w, out, sizeof out), 15);
    assert_string_equal(out, "www.Example.COM");          /* case kept, no trailing dot */
    w[0] = 0;
    assert_int_equal(dnsmsg_name_ntop(w, out, sizeof out), 1);
    assert_string_equal(out, ".");
}

static void test_ntop_escapes(void **state)
{
    (void)state;
    /* RFC 1035 §5.1 specials get a backslash; bytes outside 0x21..0x7e
     * become \DDD (glibc's special() and printable()). */
#define CASE(label, text) { label, sizeof label - 1, text }
    static const struct { const char *label; size_t len; const char *text; } cases[] = {
        CASE("a.b", "a\\.b"),
        CASE(";", "\\;"),
        CASE("\\", "\\\\"),
        CASE("\"", "\\\""),
        CASE("(", "\\("),
        CASE(")", "\\)"),
        CASE("@", "\\@"),
        CASE("$", "\\$"),
        CASE(" ", "\\032"),
        CASE("\0", "\\000"),
        CASE("\x7f", "\\127"),
        CASE("\xff", "\\255"),
        CASE("\t\n", "\\009\\010"),
        CASE("!#%&*+,/:<=>?[]^_`{|}~-", "!#%&*+,/:<=>?[]^_`{|}~-"),
    };
#undef CASE
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pkt p;
        char out[DNSMSG_MAXDNAME];
        pkt_init(&p);
        pkt_label(&p, (unsigned)cases[i].len, cases[i].label, cases[i].len);
        pkt_name(&p, "test");
        char want[64];
        snprintf(want, sizeof want, "%s.test", cases[i].text);
        assert_int_equal(dnsmsg_name_ntop(p.b, out, sizeof out), (int)strlen(want));
        assert_string_equal(out, want);
    }
}

static void test_ntop_buffer_too_small(void **state)
{
    (void)state;
    uint8_t w[256];
    char out[64];
    wire_name(w, "ab.c");
    for (size_t len = 0; len < 5; len++) {
        memset(out, 'Z', sizeof out);
        assert_int_equal(dnsmsg_name_ntop(w, out, len), -1);
        for (size_t k = len; k < sizeof out; k++)
            assert_int_equal(out[k], 'Z');            /* nothing written past OUTLEN */
    }
    assert_int_equal(dnsmsg_name_ntop(w, out, 5), 4);
    assert_string_equal(out, "ab.c");

    /* An escape must fit whole, with its NUL. */
    struct pkt p;
    pkt_init(&p);
    pkt_label(&p, 1, "\x01", 1);
    pkt_u8(&p, 0);
    assert_int_equal(dnsmsg_name_ntop(p.b, out, 4), -1);
    assert_int_equal(dnsmsg_name_ntop(p.b, out, 5), 4);
    assert_string_equal(out, "\\001");
    pkt_init(&p);
    pkt_label(&p, 1, ".", 1);
    pkt_u8(&p, 0);
    assert_int_equal(dnsmsg_name_ntop(p.b, out, 2), -1);
    assert_int_equal(dnsmsg_name_ntop(p.b, out, 3), 2);

    /* The root needs 2 bytes. */
    w[0] = 0;
    assert_int_equal(dnsmsg_name_ntop(w, out, 1), -1);
    assert_int_equal(dnsmsg_name_ntop(w, out, 0), -1);
    assert_int_equal(dnsmsg_name_ntop(w, out, 2), 1);
}

static void test_ntop_longest_name(void **state)
{
    (void)state;
    /* 255 octets of which 250 are label bytes, all escaped as \DDD: the
     * presentation form is 4 × 251 + 3 dots = 1003 chars < DNSMSG_MAXDNAME. */
    struct pkt p;
    char out[DNSMSG_MAXDNAME];
    uint8_t junk[63];
    memset(junk, 0x01, sizeof junk);
    pkt_init(&p);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 62, junk, 62);
    pkt_u8(&p, 0);
    assert_int_equal(p.n, 256);
    pkt_init(&p);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 63, junk, 63);
    pkt_label(&p, 61, junk, 61);
    pkt_u8(&p, 0);
    assert_int_equal(p.n, 255);
    assert_int_equal(dnsmsg_name_ntop(p.b, out, sizeof out), 4 * 250 + 3);
    assert_int_equal(strlen(out), 4 * 250 + 3);
}

static void test_ntop_rejects_bad_label(void **state)
{
    (void)state;
    uint8_t w[8] = { 0x40, 'a', 0 };
    char out[64];
    assert_int_equal(dnsmsg_name_ntop(w, out, sizeof out), -1);
    uint8_t w2[8] = { 0xc0, 0x0c, 0 };
    assert_int_equal(dnsmsg_name_ntop(w2, out, sizeof out), -1);
}

/* ---- equality, host name syntax, length --------------------------------- */

static void test_name_equal(void **state)
{
    (void)state;
    uint8_t a[256], b[256];
    wire_name(a, "WWW.Example.COM");
    wire_name(b, "www.example.com");
    assert_true(dnsmsg_name_equal(a, b));
    assert_true(dnsmsg_name_equal(b, a));
    wire_name(b, "www.example.co");
    assert_false(dnsmsg_name_equal(a, b));
    wire_name(b, "www.example.com.x");
    assert_false(dnsmsg_name_equal(a, b));
    /* Same bytes, different label boundaries. */
    wire_name(a, "ab.c");
    wire_name(b, "a.bc");
    assert_false(dnsmsg_name_equal(a, b));
    wire_name(a, "");
    wire_name(b, "");
    assert_true(dnsmsg_name_equal(a, b));
    wire_name(b, "a");
    assert_false(dnsmsg_name_equal(a, b));
    assert_false(dnsmsg_name_equal(b, a));

    /* RFC 4343: only ASCII letters fold. '@' (0x40) and '`' (0x60), '['
     * and '{', 0xC1 and 0xE1 differ by 0x20 but are not letters. */
    static const char *const pairs[][2] = {
        { "@", "`" }, { "[", "{" }, { "\xc1", "\xe1" }, { "^", "~" }, { "_", "\x7f" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        wire_name(a, pairs[i][0]);
        wire_name(b, pairs[i][1]);
        assert_false(dnsmsg_name_equal(a, b));
    }
    wire_name(a, "Z");
    wire_name(b, "z");
    assert_true(dnsmsg_name_equal(a, b));
}

static void test_binary_hnok(void **state)
{
    (void)state;
    static const struct { const char *name; int ok; } cases[] = {
        { "www.example.com", 1 },
        { "Under_Score.dnsf.test", 1 },
        { "_leading.dnsf.test", 1 },
        { "a-b.example", 1 },
        { "trailing-.example", 1 },
        { "0123.example", 1 },
        { "-dash.dnsf.test", 0 },         /* leading '-' in the first label */
        { "a.-dash.example", 1 },         /* glibc checks the first label only */
        { "-", 0 },
        { "bad!name.dnsf.test", 0 },
        { "sp ace.example", 0 },
        { "star.*.example", 0 },
        { "x.y/z", 0 },
        { "tilde~.example", 0 },
        { "", 1 },                        /* the root */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t w[256];
        wire_name(w, cases[i].name);
        if (dnsmsg_binary_hnok(w) != cases[i].ok)
            fail_msg("binary_hnok(\"%s\") != %d", cases[i].name, cases[i].ok);
    }
    /* Bytes that cannot be written dotted: a '.' inside a label, 8-bit. */
    struct pkt p;
    pkt_init(&p);
    pkt_label(&p, 3, "a.b", 3);
    pkt_u8(&p, 0);
    assert_false(dnsmsg_binary_hnok(p.b));
    pkt_init(&p);
    pkt_label(&p, 2, "\xc3\xa4", 2);
    pkt_u8(&p, 0);
    assert_false(dnsmsg_binary_hnok(p.b));
    pkt_init(&p);
    pkt_label(&p, 1, "\0", 1);
    pkt_u8(&p, 0);
    assert_false(dnsmsg_binary_hnok(p.b));
}

static void test_name_len(void **state)
{
    (void)state;
    uint8_t w[256];
    assert_int_equal(dnsmsg_name_len((const uint8_t *)""), 1);
    wire_name(w, "www.example.com");
    assert_int_equal(dnsmsg_name_len(w), 17);
}

/* ---- negative TTL (RFC 2308 §5) ----------------------------------------- */

static long negttl(const struct pkt *p)
{
    struct dnsmsg m;
    if (dnsmsg_init(&m, p->b, p->n) < 0)
        return -99;
    return dnsmsg_negative_ttl(&m);
}

static void test_negative_ttl_min_of_ttl_and_minimum(void **state)
{
    (void)state;
    struct pkt p;
    reply_start(&p, "nowhere.example", 0, 1, 0);
    pkt_set16(&p, 2, PKT_RESPONSE | DNS_R_NXDOMAIN);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), 300);

    reply_start(&p, "nowhere.example", 0, 1, 0);
    pkt_rr_soa(&p, "example", 60, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), 60);

    reply_start(&p, "nowhere.example", 0, 1, 0);
    pkt_rr_soa(&p, "example", 0, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), 0);

    /* Full 32-bit values come back unsigned. */
    reply_start(&p, "nowhere.example", 0, 1, 0);
    pkt_rr_soa(&p, "example", 0xffffffffu, "ns1.example", "hostmaster.example", 0xfffffffeu);
    assert_int_equal(negttl(&p), 0xfffffffeL);
}

static void test_negative_ttl_skips_answers_and_other_records(void **state)
{
    (void)state;
    struct pkt p;
    /* NXDOMAIN after a CNAME: the answer section is skipped, an NS comes
     * first in the authority section, then the SOA. */
    reply_start(&p, "dangling.example", 1, 2, 0);
    pkt_set16(&p, 2, PKT_RESPONSE | DNS_R_NXDOMAIN);
    pkt_rr_dname(&p, NULL, DNS_T_CNAME, 30, "nowhere.example");
    pkt_rr_dname(&p, "example", DNS_T_NS, 10, "ns1.example");
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 120);
    assert_int_equal(negttl(&p), 120);

    /* The first SOA wins. */
    reply_start(&p, "x.example", 0, 2, 0);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 77);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 11);
    assert_int_equal(negttl(&p), 77);

    /* A SOA in the additional section is not looked at. */
    reply_start(&p, "x.example", 0, 0, 1);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 77);
    assert_int_equal(negttl(&p), -1);
}

static void test_negative_ttl_no_soa(void **state)
{
    (void)state;
    struct pkt p;
    reply_start(&p, "x.example", 0, 0, 0);
    assert_int_equal(negttl(&p), -1);
    reply_start(&p, "x.example", 0, 1, 0);
    pkt_rr_dname(&p, "example", DNS_T_NS, 10, "ns1.example");
    assert_int_equal(negttl(&p), -1);
    /* A SOA in the answer section does not count. */
    reply_start(&p, "example", 1, 0, 0);
    pkt_rr_soa(&p, NULL, 3600, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), -1);
}

static void test_negative_ttl_compressed_soa(void **state)
{
    (void)state;
    struct pkt p;
    reply_start(&p, "x.example", 0, 1, 0);
    pkt_ptr(&p, 14);                      /* "example" */
    size_t at = pkt_rr_meta(&p, DNS_T_SOA, DNS_C_IN, 900);
    pkt_labels(&p, "ns1");
    pkt_ptr(&p, 14);
    pkt_labels(&p, "hostmaster");
    pkt_ptr(&p, 14);
    for (int i = 0; i < 4; i++)
        pkt_u32(&p, 1);
    pkt_u32(&p, 1800);
    pkt_rr_end(&p, at);
    assert_int_equal(negttl(&p), 900);
}

static void test_negative_ttl_malformed_soa(void **state)
{
    (void)state;
    struct pkt p;

    /* MINIMUM cut off: 3 of its 4 octets. */
    reply_start(&p, "x.example", 0, 1, 0);
    size_t at = pkt_rr(&p, "example", DNS_T_SOA, DNS_C_IN, 3600);
    pkt_name(&p, "ns1.example");
    pkt_name(&p, "hostmaster.example");
    for (int i = 0; i < 4; i++)
        pkt_u32(&p, 1);
    pkt_u16(&p, 0);
    pkt_u8(&p, 5);                                  /* 3 of MINIMUM's 4 octets */
    pkt_rr_end(&p, at);
    assert_int_equal(negttl(&p), -1);

    /* MNAME longer than RDLENGTH (it runs into the next record). */
    reply_start(&p, "x.example", 0, 2, 0);
    at = pkt_rr(&p, "example", DNS_T_SOA, DNS_C_IN, 3600);
    pkt_labels(&p, "ns1");
    pkt_set16(&p, at, 4);                           /* RDLENGTH covers "3ns1" only */
    pkt_name(&p, "example");                         /* ...the rest of the name */
    pkt_rr_meta(&p, DNS_T_NS, DNS_C_IN, 1);
    assert_int_equal(negttl(&p), -1);

    /* RDLENGTH 0. */
    reply_start(&p, "x.example", 0, 1, 0);
    at = pkt_rr(&p, "example", DNS_T_SOA, DNS_C_IN, 3600);
    pkt_rr_end(&p, at);
    assert_int_equal(negttl(&p), -1);

    /* MNAME with a pointer loop. */
    reply_start(&p, "x.example", 0, 1, 0);
    at = pkt_rr(&p, "example", DNS_T_SOA, DNS_C_IN, 3600);
    pkt_ptr(&p, (unsigned)p.n);
    for (int i = 0; i < 6; i++)
        pkt_u32(&p, 1);
    pkt_rr_end(&p, at);
    assert_int_equal(negttl(&p), -1);

    /* A malformed record before the SOA ends the walk. */
    reply_start(&p, "x.example", 1, 1, 0);
    at = pkt_rr(&p, "x.example", DNS_T_A, DNS_C_IN, 1);
    pkt_u32(&p, 0);
    pkt_set16(&p, at, 200);                         /* RDLENGTH past the end */
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), -1);

    /* Counts that promise more records than there are. */
    reply_start(&p, "x.example", 3, 1, 0);
    pkt_rr_soa(&p, "example", 3600, "ns1.example", "hostmaster.example", 300);
    assert_int_equal(negttl(&p), -1);
}

/* ---- deterministic fuzzing ---------------------------------------------- */

static uint64_t rng_state;
static uint32_t rng(void)
{
    /* xorshift64*: small, fast, reproducible across platforms. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static size_t seed_packets(struct pkt *seeds)
{
    size_t n = 0;
    struct pkt *p;

    p = &seeds[n++];                                    /* A + AAAA, compressed */
    reply_start(p, "www.example.com", 3, 0, 0);
    pkt_rr_a(p, NULL, 300, "192.0.2.10");
    pkt_rr_a(p, NULL, 300, "192.0.2.11");
    pkt_rr_aaaa(p, NULL, 600, "2001:db8::10");

    p = &seeds[n++];                                    /* CNAME chain */
    reply_start(p, "alias1.example.com", 3, 0, 0);
    pkt_ptr(p, 12);
    size_t at = pkt_rr_meta(p, DNS_T_CNAME, DNS_C_IN, 60);
    pkt_labels(p, "alias2");
    pkt_ptr(p, 19);
    pkt_rr_end(p, at);
    pkt_ptr(p, (unsigned)(at + 2));
    at = pkt_rr_meta(p, DNS_T_CNAME, DNS_C_IN, 120);
    pkt_labels(p, "multi");
    pkt_ptr(p, 19);
    pkt_rr_end(p, at);
    pkt_ptr(p, (unsigned)(at + 2));
    pkt_rr_meta(p, DNS_T_A, DNS_C_IN, 3600);
    pkt_set16(p, p->n - 2, 4);
    pkt_u32(p, 0xc0000215);

    p = &seeds[n++];                                    /* NXDOMAIN + SOA */
    reply_start(p, "nowhere.example.com", 0, 1, 0);
    pkt_set16(p, 2, PKT_RESPONSE | DNS_R_NXDOMAIN);
    pkt_ptr(p, 20);
    at = pkt_rr_meta(p, DNS_T_SOA, DNS_C_IN, 3600);
    pkt_labels(p, "ns1");
    pkt_ptr(p, 20);
    pkt_labels(p, "hostmaster");
    pkt_ptr(p, 20);
    for (int i = 0; i < 5; i++)
        pkt_u32(p, 300);
    pkt_rr_end(p, at);

    p = &seeds[n++];                                    /* PTR through a CNAME */
    pkt_init(p);
    pkt_header(p, 7, PKT_RESPONSE, 1, 2, 1, 1);
    pkt_question(p, "12.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_C_IN);
    pkt_rr_dname(p, NULL, DNS_T_CNAME, 600, "12.cls.2.0.192.in-addr.arpa");
    pkt_rr_dname(p, "12.cls.2.0.192.in-addr.arpa", DNS_T_PTR, 600, "host.example");
    pkt_rr_dname(p, "2.0.192.in-addr.arpa", DNS_T_NS, 60, "ns.example");
    pkt_rr_a(p, "ns.example", 60, "192.0.2.53");
    return n;
}

static void fuzz_one(const uint8_t *buf, size_t len)
{
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t w[DNSMSG_MAXCDNAME];
    char text[DNSMSG_MAXDNAME];

    if (dnsmsg_init(&m, buf, len) < 0)
        return;
    assert_true(dnsmsg_name_len(m.qname) <= DNSMSG_MAXCDNAME);
    unsigned total = (unsigned)m.ancount + m.nscount + m.arcount;
    for (unsigned i = 0; i < total && i < 64; i++) {
        if (dnsmsg_next_rr(&m, &rr) < 0)
            break;
        assert_true(rr.rdata >= m.begin && rr.rdata + rr.rdlength <= m.end);
        assert_true(dnsmsg_name_len(rr.name) <= DNSMSG_MAXCDNAME);
        int t = dnsmsg_name_ntop(rr.name, text, sizeof text);
        assert_true(t >= 0 && (size_t)t < sizeof text);
        (void)dnsmsg_name_equal(rr.name, m.qname);
        (void)dnsmsg_binary_hnok(rr.name);
        if (rr.rdlength > 0 && dnsmsg_unpack_name(&m, rr.rdata, w) >= 0) {
            assert_true(dnsmsg_name_len(w) <= DNSMSG_MAXCDNAME);
            (void)dnsmsg_name_ntop(w, text, sizeof text);
            (void)dnsmsg_binary_hnok(w);
        }
    }
    /* Names at arbitrary offsets, as a compression pointer could lead. */
    for (int k = 0; k < 4; k++) {
        const uint8_t *src = buf + rng() % len;
        if (dnsmsg_unpack_name(&m, src, w) >= 0)
            assert_true(dnsmsg_name_len(w) <= DNSMSG_MAXCDNAME);
    }
    if (dnsmsg_init(&m, buf, len) == 0)
        (void)dnsmsg_negative_ttl(&m);
}

static void mutate(uint8_t *b, size_t *len)
{
    static const uint8_t interesting[] = { 0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf,
                                           0xc0, 0xc1, 0xff };
    int nmut = 1 + (int)(rng() % 4);
    for (int i = 0; i < nmut && *len > 0; i++) {
        size_t at = rng() % *len;
        switch (rng() % 6) {
        case 0:
            b[at] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 1:
            b[at] = interesting[rng() % sizeof interesting];
            break;
        case 2:
            b[at] = (uint8_t)rng();
            break;
        case 3:                                             /* a compression pointer */
            if (at + 1 < *len) {
                b[at] = (uint8_t)(0xc0 | (rng() % 2));
                b[at + 1] = (uint8_t)(rng() % (*len + 8));
            }
            break;
        case 4:                                             /* truncate */
            *len = at + 1;
            break;
        default:                                            /* a header count */
            b[4 + 2 * (rng() % 4) + 1] = (uint8_t)(rng() % 8);
            break;
        }
    }
}

/* glibc's ns_name_unpack counts every octet it reads, labels and pointers
 * alike, and calls it a loop once that count reaches the message's length,
 * even where the pointers only re-read labels. A reply glibc rejects so
 * must be rejected here too. This message (82 octets, found by
 * tests/fuzz/fuzz_dnsmsg) holds such a name at offset 17: a 50-octet
 * label, "ns1", then a pointer back into the header. */
static void test_unpack_counts_octets_like_glibc(void **state)
{
    (void)state;
    static const uint8_t msg[] = {
        0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x2f, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02,
        0x31, 0x33, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d,
        0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01,
        0x36, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x1f, 0x2d, 0x62, 0xc0, 0x3b, 0xc0, 0x0f,
        0x00, 0x02, 0x0f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e,
        0x73, 0x31, 0xc0, 0x01, 0x00, 0x61, 0x20, 0x00, 0x0a, 0x23, 0x55, 0x3b,
    };
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    uint8_t w[DNSMSG_MAXCDNAME];
    assert_int_equal(dnsmsg_init(&m, msg, sizeof msg), 0);
    assert_int_equal(dnsmsg_unpack_name(&m, msg + 17, w), -1);
    assert_int_equal(dnsmsg_next_rr(&m, &rr), -1);
}

/* glibc's ns_name_pton (what res_mkquery encodes with): a digit after '\'
 * begins \DDD, and fewer than three digits is an error, not a literal
 * digit (found by tests/fuzz/fuzz_dnsname, judged by glibc itself). */
static void test_pton_decimal_escapes(void **state)
{
    (void)state;
    uint8_t w[DNSMSG_MAXCDNAME];
    assert_int_equal(dnsmsg_name_pton("\\0.nww", w), -1);
    assert_int_equal(dnsmsg_name_pton("w\\11w.dnsf.test", w), -1);
    assert_int_equal(dnsmsg_name_pton("w\\1", w), -1);
    assert_int_equal(dnsmsg_name_pton("\\256", w), -1);
    assert_int_equal(dnsmsg_text_wire_len("w\\11w"), -1);
    assert_int_equal(dnsmsg_name_pton("\\1234", w), 4);      /* \123 then "4" */
    assert_memory_equal(w, "\2\173" "4", 4);
    assert_int_equal(dnsmsg_name_pton("w\\119w", w), 5);
    assert_memory_equal(w, "\3www", 5);
    assert_int_equal(dnsmsg_name_pton("a\\", w), -1);         /* a trailing '\' */
}

/* The text c-ares 1.18 encodes back to the wire name (ares_create_query
 * reads a C string, "\X" escapes only): '.' and '\' escaped, no trailing
 * dot, "" for the root; a name holding an octet 0 cannot be written at all
 * (the C string would end there and c-ares would ask for a shorter name;
 * found by tests/fuzz/fuzz_dnsname). */
static void test_name_cares(void **state)
{
    (void)state;
    char out[DNSMSG_MAXDNAME];
    static const uint8_t plain[] = "\3www\4dnsf\4test";
    static const uint8_t escaped[] = "\3a.b\2\\c";
    static const uint8_t root[] = "";
    static const uint8_t nul[] = "\3a\0b\4test";
    static const uint8_t nul_last[] = "\2ab\1\0";
    assert_int_equal(dnsmsg_name_cares(plain, out, sizeof out), 13);
    assert_string_equal(out, "www.dnsf.test");
    assert_int_equal(dnsmsg_name_cares(escaped, out, sizeof out), 8);
    assert_string_equal(out, "a\\.b.\\\\c");
    assert_int_equal(dnsmsg_name_cares(root, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(dnsmsg_name_cares(nul, out, sizeof out), -1);
    assert_int_equal(dnsmsg_name_cares(nul_last, out, sizeof out), -1);
}

static void test_fuzz_never_crashes(void **state)
{
    (void)state;
    static struct pkt seeds[8];
    size_t nseeds = seed_packets(seeds);
    long iters = 200000;
    const char *env = getenv("DNSF_FUZZ_ITERS");       /* smaller under valgrind */
    if (env != NULL && atol(env) > 0)
        iters = atol(env);

    rng_state = 0x9e3779b97f4a7c15ULL;
    for (long i = 0; i < iters; i++) {
        const struct pkt *s = &seeds[rng() % nseeds];
        uint8_t tmp[PKT_MAX];
        size_t len = s->n;
        memcpy(tmp, s->b, len);
        mutate(tmp, &len);
        /* An exact-size heap copy, so ASan sees any read past the end. */
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, tmp, len);
        if (len > 0)
            fuzz_one(buf, len);
        free(buf);
    }
    /* And every seed unmutated is fully readable. */
    for (size_t i = 0; i < nseeds; i++) {
        struct dnsmsg m;
        struct dnsmsg_rr rr;
        msg_init_ok(&m, &seeds[i]);
        unsigned total = (unsigned)m.ancount + m.nscount + m.arcount;
        for (unsigned k = 0; k < total; k++)
            assert_int_equal(dnsmsg_next_rr(&m, &rr), 0);
        assert_ptr_equal(m.cur, m.end);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_valid),
        cmocka_unit_test(test_init_root_question),
        cmocka_unit_test(test_init_truncated_header),
        cmocka_unit_test(test_init_truncated_question),
        cmocka_unit_test(test_init_qdcount_not_one),
        cmocka_unit_test(test_init_question_compressed),
        cmocka_unit_test(test_init_question_name_255_and_256),
        cmocka_unit_test(test_init_question_label_too_long),
        cmocka_unit_test(test_next_rr_all_sections),
        cmocka_unit_test(test_next_rr_truncated),
        cmocka_unit_test(test_next_rr_bad_owner),
        cmocka_unit_test(test_unpack_uncompressed),
        cmocka_unit_test(test_unpack_valid_pointer),
        cmocka_unit_test(test_unpack_pointer_to_root),
        cmocka_unit_test(test_unpack_forward_pointer),
        cmocka_unit_test(test_unpack_pointer_loops),
        cmocka_unit_test(test_unpack_pointer_out_of_range),
        cmocka_unit_test(test_unpack_extended_label_types),
        cmocka_unit_test(test_unpack_label_past_end),
        cmocka_unit_test(test_unpack_name_length_limits),
        cmocka_unit_test(test_unpack_long_pointer_chain),
        cmocka_unit_test(test_ntop_plain_and_root),
        cmocka_unit_test(test_ntop_escapes),
        cmocka_unit_test(test_ntop_buffer_too_small),
        cmocka_unit_test(test_ntop_longest_name),
        cmocka_unit_test(test_ntop_rejects_bad_label),
        cmocka_unit_test(test_name_equal),
        cmocka_unit_test(test_binary_hnok),
        cmocka_unit_test(test_name_len),
        cmocka_unit_test(test_negative_ttl_min_of_ttl_and_minimum),
        cmocka_unit_test(test_negative_ttl_skips_answers_and_other_records),
        cmocka_unit_test(test_negative_ttl_no_soa),
        cmocka_unit_test(test_negative_ttl_compressed_soa),
        cmocka_unit_test(test_negative_ttl_malformed_soa),
        cmocka_unit_test(test_unpack_counts_octets_like_glibc),
        cmocka_unit_test(test_pton_decimal_escapes),
        cmocka_unit_test(test_name_cares),
        cmocka_unit_test(test_fuzz_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
