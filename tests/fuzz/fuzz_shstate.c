/* fuzz_shstate -- the reader of the shared health file (shim/shfile.c),
 * on whatever bytes a state file may hold.
 *
 * Input: one control byte, then the file's bytes. The image is always
 * SHFILE_SIZE bytes in an exact buffer (what a trusted mapping is); the
 * input fills it from the start, the rest is zero. Control bit 0 writes a
 * valid header over the input first, so the entries and slots behind it
 * are reached; bit 1 stamps the first server's key into every entry, so
 * the forged fields are read as that server's. Then, for four servers:
 *   - shfile_check accepts the image only with the header this code writes;
 *   - every hint lies in its documented range (times at most a little past
 *     now, failures and RTT bounded, a probe at most one interval ahead,
 *     never down and suspect at once);
 *   - a read-only image is never written (compared before and after);
 *   - writing evidence into a copy (as a process of the owner would),
 *     judging forged unanswered queries among it, and reading again keeps
 *     those ranges, and an answer clears the mark;
 *   - every process slot reads as printable text and a bounded budget. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "dnsf/shfile.h"
#include "fuzz.h"

static const struct dnsf_health_config par = { .fail_threshold = 3, .probe_interval_ms = 1000,
                                              .max_down_ms = 300000 };
static const uint8_t boot[SYSIDENT_BOOT_ID_LEN] = { 0xb0, 0x07 };
#define NOW 5000000ull

static struct shkey keys[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const ips[4] = { "192.0.2.1", "192.0.2.2", "2001:db8::1", "10.0.0.1" };
    for (int i = 0; i < 4; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (i == 2) {
            struct sockaddr_in6 *s6 = (void *)&ss;
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(53);
            inet_pton(AF_INET6, ips[i], &s6->sin6_addr);
        } else {
            struct sockaddr_in *s4 = (void *)&ss;
            s4->sin_family = AF_INET;
            s4->sin_port = htons(i == 3 ? 5353 : 53);
            inet_pton(AF_INET, ips[i], &s4->sin_addr);
        }
        if (shkey_from_addr((struct sockaddr *)&ss, &keys[i]) != 0)
            abort();
    }
    return 0;
}

static int alive_always(uint64_t ident)
{
    (void)ident;
    return 1;
}

static void check_hint(const struct shhint *h, uint64_t now, const char *when)
{
    uint64_t lim = now + SHFILE_FUTURE_SLACK_MS;
    FUZZ_CHECK(h->fails <= SHFILE_FAILS_MAX, "%s: fails %u", when, h->fails);
    FUZZ_CHECK(!h->have_rtt || (h->srtt_us > 0 && h->srtt_us <= SHFILE_RTT_MAX_US
                                && h->rttvar_us <= SHFILE_RTT_MAX_US),
               "%s: rtt %u/%u", when, h->srtt_us, h->rttvar_us);
    FUZZ_CHECK(h->have_rtt || (h->srtt_us == 0 && h->rttvar_us == 0), "%s: rtt w/o flag", when);
    FUZZ_CHECK(h->ok_ms <= lim && h->fail_ms <= lim && h->ok_sent_ms <= lim
                   && h->down_since_ms <= lim && h->last_change_ms <= lim,
               "%s: a time past now", when);
    FUZZ_CHECK(h->next_probe_ms <= now + (uint64_t)par.probe_interval_ms, "%s: probe %llu",
               when, (unsigned long long)h->next_probe_ms);
    FUZZ_CHECK(!(h->down && h->suspect), "%s: down and suspect", when);
    FUZZ_CHECK(!h->probe_due || h->down, "%s: probe due while up", when);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned ctl = fuzz_u8(&in);
    uint8_t *img = calloc(1, SHFILE_SIZE);
    if (img == NULL)
        abort();
    memcpy(img, in.p, in.n < SHFILE_SIZE ? in.n : SHFILE_SIZE);
    if (ctl & 1) {
        memset(img, 0, SHFILE_HEADER_SIZE);
        shfile_init(img, 0, boot, NOW);
    }
    if (ctl & 2)
        for (int i = 0; i < SHFILE_SERVERS; i++)
            memcpy(img + SHFILE_HEADER_SIZE + i * SHFILE_ENTRY_SIZE, &keys[ctl >> 6 & 3].hash, 8);
    const char *what;
    int valid = shfile_check(img, SHFILE_SIZE, 0, boot, &what) == 0;
    FUZZ_CHECK(!valid || (ctl & 1) || memcmp(img, "DNSFHLTH", 8) == 0, "accepted a bad magic");
    FUZZ_CHECK(shfile_check(img, SHFILE_SIZE - 1, 0, boot, &what) != 0, "accepted a short file");
    if (!valid) {            /* shstate never reads further: neither does this */
        free(img);
        return 0;
    }
    uint64_t now = NOW + (ctl >> 2 & 15) * 100000ull;

    /* Reading, as a user reads root's file: nothing changes. */
    uint8_t *before = fuzz_dup(img, SHFILE_SIZE);
    struct shfile ro = { img, 0 };
    for (int k = 0; k < 4; k++) {
        struct shhint h;
        shfile_lookup(&ro, &keys[k], &par, now, &h);
        check_hint(&h, now, "read");
        FUZZ_CHECK(shfile_claim_probe(&ro, &keys[k], &par, now) == 0, "read-only claim");
        shfile_report(&ro, &keys[k], HEALTH_TIMEOUT, 0, -1, now, &par, now);
        shfile_unanswered(&ro, &keys[k], now, now);
        shfile_settle(&ro, &keys[k], 10, &par, now);
    }
    for (int s = 0; s < SHFILE_PROCS; s++) {
        struct shproc_info info;
        if (shfile_proc_read(&ro, s, &info)) {
            FUZZ_CHECK(info.comm[sizeof info.comm - 1] == 0, "comm unterminated");
            for (const char *c = info.comm; *c; c++)
                FUZZ_CHECK(*c >= 0x20 && *c < 0x7f, "comm byte %d", *c);
            FUZZ_CHECK(info.c.budget_milli >= 0 && info.c.budget_milli <= SHPROC_BUDGET_MAX_MILLI,
                       "budget");
        }
    }
    FUZZ_CHECK(memcmp(before, img, SHFILE_SIZE) == 0, "a read-only image was written");
    free(before);

    /* Writing, as a process of the owner: still in range, and an answer
     * clears whatever the file said. */
    struct shfile rw = { img, 1 };
    for (int k = 0; k < 4; k++) {
        struct shhint h;
        /* Forged unanswered queries: judged within range. */
        shfile_settle(&rw, &keys[k], 10, &par, now);
        if (shfile_lookup(&rw, &keys[k], &par, now, &h))
            check_hint(&h, now, "after settling");
        for (int i = 0; i < 3; i++)
            shfile_report(&rw, &keys[k], HEALTH_TIMEOUT, 0, -1, now, &par, now);
        if (shfile_lookup(&rw, &keys[k], &par, now, &h)) {
            check_hint(&h, now, "after timeouts");
            FUZZ_CHECK(h.fails >= 3 || h.fails == SHFILE_FAILS_MAX || h.ok_sent_ms > now,
                       "timeouts not counted: %u", h.fails);
        }
        shfile_claim_probe(&rw, &keys[k], &par, now);
        shfile_report(&rw, &keys[k], HEALTH_OK, 1500, 1, now, &par, now + 1);
        if (shfile_lookup(&rw, &keys[k], &par, now + 1, &h)) {
            check_hint(&h, now + 1, "after an answer");
            FUZZ_CHECK(!h.down && !h.suspect && h.fails == 0, "an answer left a mark");
            FUZZ_CHECK(h.have_rtt, "an answer left no RTT");
        }
    }
    int slot = shfile_proc_claim(&rw, 77, "fuzz", now, alive_always);
    struct shproc_info info;
    FUZZ_CHECK(slot < 0 || (shfile_proc_read(&rw, slot, &info) && info.ident == 77),
               "a claimed slot is not ours");
    free(img);
    return 0;
}
