/* fuzz_dnsname -- the name conversions of shim/dnsmsg.c that every query
 * goes through: the name a program asks for (text, glibc's escapes) to wire
 * form, and wire form to the text c-ares 1.18 encodes into its query.
 *
 * The first input byte picks what the rest is:
 *   even  a name as a program passes it (text up to the first NUL):
 *         dnsmsg_name_pton must accept exactly what glibc's ns_name_pton
 *         (res_mkquery's encoder) accepts, into the same wire name, and
 *         dnsmsg_text_wire_len must agree with it;
 *   odd   a wire name (length-prefixed labels; inputs that are not one are
 *         skipped).
 * Every wire name obtained then goes through dnsmsg_name_cares, and
 * c-ares's own encoder (ares_create_query, which ares_query uses) must turn
 * that text back into exactly the same wire name: the query on the network
 * carries the name that was asked for. */
#include <arpa/nameser.h>
#include <ares.h>
#include <resolv.h>

#include "dnsf/dnsmsg.h"
#include "fuzz.h"

static void check_cares(const uint8_t *wire)
{
    char text[DNSMSG_MAXDNAME * 2];
    size_t len = dnsmsg_name_len(wire);
    if (dnsmsg_name_cares(wire, text, sizeof text) < 0)
        return;                    /* refused: the query is not sent */
    unsigned char *q = NULL;
    int qlen = 0;
    int rc = ares_create_query(text, ns_c_in, ns_t_a, 0x1234, 1, &q, &qlen, 0);
    FUZZ_CHECK(rc == ARES_SUCCESS, "c-ares refused \"%s\": %s", text, ares_strerror(rc));
    FUZZ_CHECK((size_t)qlen == DNSMSG_HFIXEDSZ + len + 4
                   && memcmp(q + DNSMSG_HFIXEDSZ, wire, len) == 0,
               "c-ares encoded \"%s\" (%d octets) into another name than the %zu-octet wire name",
               text, qlen, len);
    ares_free_string(q);
}

/* The input as a wire name, or -1 if it is not exactly one. */
static int as_wire(const uint8_t *p, size_t n, uint8_t *wire)
{
    size_t o = 0;
    while (o < n) {
        uint8_t l = p[o];
        if (l > 63 || o + 1 + l > n || o + 1 + l > DNSMSG_MAXCDNAME)
            return -1;
        o += 1 + (size_t)l;
        if (l == 0) {
            memcpy(wire, p, o);
            return (int)o;
        }
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned mode = fuzz_u8(&in);
    uint8_t wire[DNSMSG_MAXCDNAME];

    if (mode & 1) {
        if (as_wire(in.p, in.n, wire) > 0)
            check_cares(wire);
        return 0;
    }
    char *text = malloc(in.n + 1);
    FUZZ_CHECK(text != NULL, "malloc");
    memcpy(text, in.p, in.n);
    text[in.n] = 0;

    uint8_t gwire[NS_MAXCDNAME];
    int ours = dnsmsg_name_pton(text, wire);
    int theirs = ns_name_pton(text, gwire, sizeof gwire);
    FUZZ_CHECK((ours < 0) == (theirs < 0), "\"%s\": ours %d, glibc %d", text, ours, theirs);
    if (ours >= 0) {
        size_t len = dnsmsg_name_len(wire);
        FUZZ_CHECK((size_t)ours == len && len == dnsmsg_name_len(gwire)
                       && memcmp(wire, gwire, len) == 0,
                   "\"%s\": another wire name than glibc's", text);
        check_cares(wire);
    }
    FUZZ_CHECK(dnsmsg_text_wire_len(text) == ours, "text_wire_len of \"%s\"", text);
    free(text);
    return 0;
}
