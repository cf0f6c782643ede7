/* dnsmsg — the one place that parses DNS wire data (RFC 1035 §4).
 *
 * Everything that reads bytes of a DNS message goes through this cursor.
 * Every function bounds-checks against the message end and returns -1 on
 * malformed input; none of them allocates. */
#ifndef DNSF_DNSMSG_H
#define DNSF_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

/* RFC 1035 §2.3.4: a name is at most 255 octets in wire form. */
#define DNSMSG_MAXCDNAME 255
/* RFC 1035 §4.1.1: the fixed header is 12 octets. */
#define DNSMSG_HFIXEDSZ 12
/* Longest presentation form: every octet escaped as \DDD plus dots. */
#define DNSMSG_MAXDNAME 1025

enum { DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
       DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28 };
enum { DNS_C_IN = 1 };
enum { DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
       DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5 };

/* A cursor over one message with exactly one question, as glibc's
 * __ns_rr_cursor requires (resolv/ns_rr_cursor.c). */
struct dnsmsg {
    const uint8_t *begin, *end;   /* the whole message */
    const uint8_t *cur;           /* next resource record */
    const uint8_t *qname;         /* uncompressed question name, in the message */
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
    uint16_t qtype, qclass;
};

struct dnsmsg_rr {
    uint8_t name[DNSMSG_MAXCDNAME]; /* owner, decompressed wire form */
    uint16_t type, rclass;
    uint32_t ttl;                  /* raw; RFC 2181 §8 clamping is the cache's job */
    uint16_t rdlength;
    const uint8_t *rdata;          /* points into the message */
};

/* Return 0 and fill M, or -1 if BUF is not a message with a 12-octet header
 * and exactly one uncompressed question. */
int dnsmsg_init(struct dnsmsg *m, const uint8_t *buf, size_t len);
/* Read the next record of any section into RR. Return 0, or -1 at a
 * malformed record (the caller decides whether that is fatal). */
int dnsmsg_next_rr(struct dnsmsg *m, struct dnsmsg_rr *rr);
/* Decompress the name at P (inside M) into OUT (DNSMSG_MAXCDNAME bytes).
 * Return the number of octets the name occupies at P, or -1 (bad pointer,
 * loop, label too long, name too long). */
int dnsmsg_unpack_name(const struct dnsmsg *m, const uint8_t *p, uint8_t *out);
/* Presentation form of an uncompressed wire name, as ns_name_ntop writes it
 * (special characters escaped, no trailing dot except for the root "."). 
 * Return its length or -1 if OUTLEN is too small. */
int dnsmsg_name_ntop(const uint8_t *wire, char *out, size_t outlen);
/* Case-insensitive equality of two uncompressed wire names (RFC 4343). */
int dnsmsg_name_equal(const uint8_t *a, const uint8_t *b);
/* glibc's __res_binary_hnok: every label is [A-Za-z0-9_-]+ and the first
 * label does not start with '-'. */
int dnsmsg_binary_hnok(const uint8_t *wire);
/* Length in octets of an uncompressed wire name (including the root). */
size_t dnsmsg_name_len(const uint8_t *wire);
static inline int dnsmsg_rcode(const struct dnsmsg *m) { return m->flags & 0xf; }
static inline int dnsmsg_tc(const struct dnsmsg *m) { return (m->flags >> 9) & 1; }
static inline int dnsmsg_is_response(const struct dnsmsg *m) { return (m->flags >> 15) & 1; }
/* The cursor has read the whole message: no record follows. */
static inline int dnsmsg_at_end(const struct dnsmsg *m) { return m->cur == m->end; }

/* A header field of a whole message PKT (LEN octets) without a cursor: its
 * RCODE, or -1 when LEN is shorter than a header. */
int dnsmsg_header_rcode(const uint8_t *pkt, int len);
/* PKT (LEN octets) is NOERROR with at least one answer record: not NODATA,
 * not NXDOMAIN. */
int dnsmsg_has_answers(const uint8_t *pkt, int len);
/* M answers the question QWIRE (wire form), QTYPE, class IN: compared in
 * wire form, so escaped names match, case-insensitively (RFC 4343). */
int dnsmsg_answers_question(const struct dnsmsg *m, const uint8_t *qwire, uint16_t qtype);
/* Every record M holds after its question can be read. A message cut
 * inside a record is garbage. One that ends cleanly after a record, before
 * all that its section counts promise, is whole: broken proxies strip a
 * record (an EDNS OPT RR, say) and leave ARCOUNT alone, and glibc takes
 * such a reply (res_send checks only the header and question; nss_dns reads
 * only the answer section, and a missing answer record makes it
 * NO_RECOVERY there, not a server failure). M's cursor does not move. */
int dnsmsg_records_whole(const struct dnsmsg *m);
/* Edit the header of a caller's answer buffer BUF (LEN octets), as glibc's
 * res_* code does, where BUF is long enough to hold the field: clear the
 * RCODE (__res_context_query, before it sends), set TC (send_vc, on a TCP
 * reply cut to the buffer). */
void dnsmsg_clear_rcode(uint8_t *buf, int len);
void dnsmsg_set_tc(uint8_t *buf, int len);

/* Encode the presentation-form name TEXT (escapes allowed, trailing dot
 * optional) into WIRE (DNSMSG_MAXCDNAME bytes). Return its length, or -1. */
int dnsmsg_name_pton(const char *text, uint8_t *wire);
/* The name WIRE as text that c-ares 1.18 encodes back to exactly WIRE
 * (only '.' and '\' escaped; no trailing dot; "" for the root). Return
 * its length, or -1 if OUTLEN is too small or WIRE holds an octet 0,
 * which c-ares cannot be given. */
int dnsmsg_name_cares(const uint8_t *wire, char *out, size_t outlen);
/* A name as one lookup carries it, encoded once from the text asked: the
 * wire form in the asker's spelling (a reply echoes it, and glibc's
 * canonical names follow it), the same lower-cased for keys (names compare
 * without case in ASCII only: RFC 4343 §3), and the FNV-1a hash of that.
 * The cache and its single flight key on LOWER, c-ares gets text made from
 * WIRE (dnsmsg_name_cares), and TEXT stays for messages only. */
struct dnsmsg_name {
    const char *text;              /* as the caller wrote it (not owned) */
    uint8_t wire[DNSMSG_MAXCDNAME];
    uint8_t lower[DNSMSG_MAXCDNAME];
    int len;                       /* octets of WIRE (and of LOWER) */
    uint32_t hash;                 /* dnsf_fnv1a of LOWER */
};
/* Encode TEXT into N. Return 0, or -1 if it cannot be a domain name (as
 * res_mkquery refuses it: a label over 63 octets, an empty label, a name
 * over 255 octets, a bad escape). */
int dnsmsg_name_init(struct dnsmsg_name *n, const char *text);

/* Wire length of the presentation-form name TEXT (escapes allowed), or -1
 * if it cannot be a domain name (a label over 63 octets, an empty label, a
 * name over 255 octets). */
int dnsmsg_text_wire_len(const char *text);

/* glibc 2.36's "options no-aaaa" (res_send's __res_handle_no_aaaa): from
 * the reply PKT to an A query, write a reply for QTYPE with the same header
 * and rcode, the question's type set to QTYPE, and no records (NODATA, or
 * NXDOMAIN if PKT was). Return its length, or -1. */
int dnsmsg_make_nodata(const uint8_t *pkt, int len, uint16_t qtype, uint8_t *out, int outlen);

/* If WIRE equals the question name but for case, write WIRE's spelling
 * over it (compressed owner names that point at it follow). */
void dnsmsg_set_qname_spelling(uint8_t *pkt, int len, const uint8_t *wire);

/* Minimum of the SOA TTL and SOA MINIMUM of the first SOA in the authority
 * section (RFC 2308 §5), or -1 if there is none. Consumes the cursor. */
long dnsmsg_negative_ttl(struct dnsmsg *m);

#endif
