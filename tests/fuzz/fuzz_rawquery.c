/* fuzz_rawquery -- the res_* reply copy (shim/rawquery.c rawquery_copy):
 * a reply of any length into a caller's buffer of any size.
 *
 * Input: a 16-bit buffer size, then the reply bytes. The caller's buffer is
 * allocated at exactly that size, so any write past it is an ASan report.
 *
 * Properties, from glibc's res_send (send_dg and send_vc), which the copy
 * follows:
 *   - nothing is written past the buffer, and nothing past the reply;
 *   - a reply that fits is copied whole and its length returned;
 *   - a reply that does not fit leaves its first bytes in the buffer (the
 *     TC bit may be set in the copy) and the return value is either the
 *     buffer's size or the reply's full length, never anything else. */
#include <arpa/nameser.h>

#include "dnsf/rawquery.h"
#include "fuzz.h"

#define SENTINEL 0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    /* rawquery_run answers a buffer shorter than a header itself (res_send
     * refuses it before any copy). */
    int anslen = (int)(fuzz_u16(&in) % 8192) + HFIXEDSZ;
    /* How the reply came (rawquery.h): the copy cuts by that, never by the
     * reply's size. */
    int via_tcp = fuzz_u16(&in) & 1;
    int len = (int)in.n;
    uint8_t *pkt = fuzz_dup(in.p, in.n);
    /* One byte more than the caller's buffer, to see a write just past it
     * even where ASan's granularity would not. */
    uint8_t *answer = malloc((size_t)anslen + 1);
    FUZZ_CHECK(answer != NULL, "malloc");
    memset(answer, SENTINEL, (size_t)anslen + 1);

    int ret = rawquery_copy(pkt, len, via_tcp, answer, anslen);

    FUZZ_CHECK(answer[anslen] == SENTINEL, "a write past the %d-octet buffer", anslen);
    if (len <= anslen) {
        FUZZ_CHECK(ret == len, "a %d-octet reply in %d octets returned %d", len, anslen, ret);
        FUZZ_CHECK(memcmp(answer, pkt, (size_t)len) == 0, "the reply copied whole");
        for (int i = len; i < anslen; i++)
            FUZZ_CHECK(answer[i] == SENTINEL, "octet %d written past the %d-octet reply", i, len);
    } else {
        /* glibc: from a datagram what fits is kept and its length returned
         * (send_dg); over TCP the full length, TC set in the copy (send_vc). */
        FUZZ_CHECK(ret == (via_tcp ? len : anslen), "a %d-octet %s reply in %d octets returned %d",
                   len, via_tcp ? "TCP" : "UDP", anslen, ret);
        for (int i = 0; i < anslen; i++)
            FUZZ_CHECK(answer[i] == pkt[i] || (i == 2 && (answer[i] ^ pkt[i]) == 0x02),
                       "octet %d of a truncated copy differs (beyond the TC bit)", i);
    }
    free(answer);
    free(pkt);
    return 0;
}
