/* test_shfile — the shared health file's bytes (shfile.h), on images in
 * memory: what a reader accepts, what it makes of forged fields, and what
 * concurrent writers (threads, and forked processes on one MAP_SHARED
 * mapping, as the real files are) leave behind.
 *
 * The offsets below are the file format (pinned by shfile.c's static
 * asserts): a forged file is written the way an attacker would write it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsf/shfile.h"

#define NOW 10000000ull
/* Offsets within an entry and a process slot (shfile.c's layout). */
#define E_DOWN_SINCE 56
#define E_NEXT_PROBE 64
#define E_RTT 72
#define E_FAILS 88
#define E_FAIL_MS 48
#define E_UNANSWERED_MS 128

static const struct dnsf_health_config par = { .fail_threshold = 3, .probe_interval_ms = 1000,
                                              .max_down_ms = 300000 };
static const uint8_t boot[SYSIDENT_BOOT_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

static struct shfile img;

static int setup(void **state)
{
    (void)state;
    img.base = mmap(NULL, SHFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(img.base != MAP_FAILED);
    img.writable = 1;
    shfile_init(img.base, 0, boot, NOW);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    munmap(img.base, SHFILE_SIZE);
    return 0;
}

static struct shkey key4(const char *ip, int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct shkey k;
    assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
    assert_int_equal(shkey_from_addr((struct sockaddr *)&sa, &k), 0);
    return k;
}

/* The entry holding K in IMG (found by its key word, as a forger would). */
static unsigned char *entry_of(const struct shkey *k)
{
    for (int i = 0; i < SHFILE_SERVERS; i++) {
        unsigned char *e = img.base + SHFILE_HEADER_SIZE + i * SHFILE_ENTRY_SIZE;
        uint64_t key;
        memcpy(&key, e, 8);
        if (key == k->hash)
            return e;
    }
    fail_msg("no entry");
    return NULL;
}

static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* Every hint a reader can get is within the documented ranges. */
static void assert_hint_sane(const struct shhint *h, uint64_t now)
{
    assert_true(h->fails <= SHFILE_FAILS_MAX);
    assert_true(!h->have_rtt || (h->srtt_us > 0 && h->srtt_us <= SHFILE_RTT_MAX_US
                                 && h->rttvar_us <= SHFILE_RTT_MAX_US));
    uint64_t lim = now + SHFILE_FUTURE_SLACK_MS;
    assert_true(h->ok_ms <= lim && h->fail_ms <= lim && h->ok_sent_ms <= lim);
    assert_true(h->down_since_ms <= lim && h->last_change_ms <= lim);
    assert_true(h->next_probe_ms <= now + (uint64_t)par.probe_interval_ms);
    assert_true(!(h->down && h->suspect));
    assert_true(!h->probe_due || h->down);
}

/* ---- the header --------------------------------------------------------- */

static void test_header_checked(void **state)
{
    (void)state;
    const char *what;
    assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, boot, &what), 0);
    assert_int_equal(shfile_check(img.base, SHFILE_SIZE - 1, 0, boot, &what), -1);
    assert_string_equal(what, "size");
    assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 1000, boot, &what), -1);
    assert_string_equal(what, "owner field");
    uint8_t other[SYSIDENT_BOOT_ID_LEN] = { 9 };
    assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, other, &what), -1);
    /* Each header word changed in turn: magic, version, size, owner, geometry. */
    static const size_t offs[] = { 0, 8, 12, 16, 20, 24, 28 };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        img.base[offs[i]] ^= 0x40;
        assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, boot, &what), -1);
        img.base[offs[i]] ^= 0x40;
    }
    assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, boot, &what), 0);
}

/* Random bytes are never a file; a valid header over random entries and
 * slots yields only hints in range, whatever is asked. */
static void test_random_images(void **state)
{
    (void)state;
    const char *what;
    srand(13);
    struct shkey keys[4] = { key4("192.0.2.1", 53), key4("192.0.2.2", 53),
                             key4("192.0.2.3", 5353), key4("10.0.0.1", 53) };
    for (int round = 0; round < 300; round++) {
        for (size_t i = 0; i < SHFILE_SIZE; i++)
            img.base[i] = (unsigned char)rand();
        assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, boot, &what), -1);
        memset(img.base, 0, SHFILE_HEADER_SIZE);
        shfile_init(img.base, 0, boot, NOW);
        if (round % 3 == 0)   /* many keys that match: the forged entries are read */
            for (int i = 0; i < SHFILE_SERVERS; i++)
                memcpy(img.base + SHFILE_HEADER_SIZE + i * SHFILE_ENTRY_SIZE,
                       &keys[i % 4].hash, 8);
        assert_int_equal(shfile_check(img.base, SHFILE_SIZE, 0, boot, &what), 0);
        uint64_t now = NOW + (uint64_t)(rand() % 100000);
        for (int k = 0; k < 4; k++) {
            struct shhint h;
            shfile_lookup(&img, &keys[k], &par, now, &h);
            assert_hint_sane(&h, now);
            shfile_claim_probe(&img, &keys[k], &par, now);
            shfile_report(&img, &keys[k], (enum health_outcome)(rand() % 5),
                          (uint32_t)rand(), rand() % 3 - 1, now - 5, &par, now);
            shfile_lookup(&img, &keys[k], &par, now, &h);
            assert_hint_sane(&h, now);
        }
        for (int s = -1; s <= SHFILE_PROCS; s++) {
            struct shproc_info info;
            if (shfile_proc_read(&img, s, &info)) {
                assert_true(strlen(info.comm) < sizeof info.comm);
                for (const char *c = info.comm; *c; c++)
                    assert_true(*c >= 0x20 && *c < 0x7f);
                assert_true(info.c.budget_milli >= 0
                            && info.c.budget_milli <= SHPROC_BUDGET_MAX_MILLI);
            }
        }
    }
}

/* ---- one server's evidence ------------------------------------------------ */

static void test_down_then_back(void **state)
{
    (void)state;
    struct shkey k = key4("192.0.2.1", 53);
    struct shhint h;
    assert_int_equal(shfile_lookup(&img, &k, &par, NOW, &h), 0);
    for (int i = 0; i < 2; i++)
        shfile_report(&img, &k, HEALTH_TIMEOUT, 0, -1, NOW + i, &par, NOW + i);
    assert_int_equal(shfile_lookup(&img, &k, &par, NOW + 2, &h), 1);
    assert_true(h.suspect && !h.down);
    assert_int_equal(h.fails, 2);
    shfile_report(&img, &k, HEALTH_LOST_RACE, 60000, 1, NOW + 2, &par, NOW + 3);
    shfile_lookup(&img, &k, &par, NOW + 3, &h);
    assert_true(h.down && !h.probe_due);
    assert_int_equal(h.down_since_ms, NOW + 3);
    assert_int_equal(h.last_change_ms, NOW + 3);
    assert_int_equal(h.next_probe_ms, NOW + 3 + 1000);
    assert_int_equal(h.lost_races, 1);
    assert_int_equal(h.timeouts, 2);
    /* The probe: not due early; once due, one claim wins per interval. */
    assert_int_equal(shfile_claim_probe(&img, &k, &par, NOW + 500), 0);
    shfile_lookup(&img, &k, &par, NOW + 1003, &h);
    assert_true(h.probe_due);
    assert_int_equal(shfile_claim_probe(&img, &k, &par, NOW + 1003), 1);
    assert_int_equal(shfile_claim_probe(&img, &k, &par, NOW + 1004), 0);
    shfile_lookup(&img, &k, &par, NOW + 1004, &h);
    assert_false(h.probe_due);
    /* The probe's answer: up for every reader, at once. */
    shfile_report(&img, &k, HEALTH_OK, 2000, 1, NOW + 1003, &par, NOW + 1005);
    shfile_lookup(&img, &k, &par, NOW + 1005, &h);
    assert_false(h.down || h.suspect);
    assert_int_equal(h.fails, 0);
    assert_int_equal(h.down_since_ms, 0);
    assert_int_equal(h.last_change_ms, NOW + 1005);
    assert_true(h.have_rtt);
    assert_int_equal(h.srtt_us, 2000);
    /* A timeout of a query sent before that answer is late evidence. */
    shfile_report(&img, &k, HEALTH_TIMEOUT, 0, -1, NOW + 1000, &par, NOW + 1006);
    shfile_lookup(&img, &k, &par, NOW + 1006, &h);
    assert_int_equal(h.fails, 0);
    assert_int_equal(h.timeouts, 3);
    /* A mark older than the reader's max_down_ms is no longer believed. */
    for (int i = 0; i < 3; i++)
        shfile_report(&img, &k, HEALTH_ERROR, 0, -1, NOW + 2000, &par, NOW + 2000);
    shfile_lookup(&img, &k, &par, NOW + 2000 + 300000, &h);
    assert_false(h.down);
}

/* Queries left unanswered by ended lookups: judged by a later reader once
 * the oldest is a judge delay old, unless the server answered since. */
static void test_unanswered_settled(void **state)
{
    (void)state;
    struct shkey k = key4("192.0.2.1", 53), alive = key4("192.0.2.2", 53);
    struct shhint h;
    for (int i = 0; i < 4; i++)
        shfile_unanswered(&img, &k, NOW + i, NOW + i);
    shfile_settle(&img, &k, 10, &par, NOW + 9);         /* too young */
    shfile_lookup(&img, &k, &par, NOW + 9, &h);
    assert_int_equal(h.fails, 0);
    shfile_settle(&img, &k, 10, &par, NOW + 10);
    shfile_lookup(&img, &k, &par, NOW + 10, &h);
    assert_true(h.down);
    assert_int_equal(h.fails, (uint32_t)par.fail_threshold);  /* no more than a mark needs */
    assert_int_equal(h.lost_races, (uint64_t)par.fail_threshold);
    shfile_settle(&img, &k, 10, &par, NOW + 100);        /* judged once */
    shfile_lookup(&img, &k, &par, NOW + 100, &h);
    assert_int_equal(h.fails, (uint32_t)par.fail_threshold);
    /* An answer seen after the oldest was sent: forgotten, not counted. */
    shfile_unanswered(&img, &alive, NOW, NOW);
    shfile_report(&img, &alive, HEALTH_OK, 500, 1, NOW + 1, &par, NOW + 2);
    shfile_settle(&img, &alive, 10, &par, NOW + 50);
    shfile_lookup(&img, &alive, &par, NOW + 50, &h);
    assert_false(h.down || h.suspect);
    assert_int_equal(h.lost_races, 0);
    /* A send time from the future is not believed: dropped, not counted. */
    shfile_unanswered(&img, &alive, NOW + 100, NOW + 100);
    put64(entry_of(&alive) + E_UNANSWERED_MS, UINT64_MAX);
    shfile_settle(&img, &alive, 10, &par, NOW + 200);
    shfile_lookup(&img, &alive, &par, NOW + 200, &h);
    assert_int_equal(h.fails, 0);
    assert_int_equal(h.lost_races, 0);
}

/* Entries are keyed by the whole address: another port, address or family
 * learns nothing from it, and nothing names a server that was not asked. */
static void test_keyed_by_address(void **state)
{
    (void)state;
    struct shkey a = key4("192.0.2.1", 53), b = key4("192.0.2.1", 5353), c = key4("192.0.2.11", 53);
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
    struct shkey d;
    assert_int_equal(shkey_from_addr((struct sockaddr *)&s6, &d), 0);
    struct sockaddr un = { .sa_family = AF_UNIX };
    assert_int_equal(shkey_from_addr(&un, &d), -1);
    for (int i = 0; i < 3; i++)
        shfile_report(&img, &a, HEALTH_TIMEOUT, 0, -1, NOW, &par, NOW);
    struct shhint h;
    assert_int_equal(shfile_lookup(&img, &a, &par, NOW, &h), 1);
    assert_true(h.down);
    assert_int_equal(shfile_lookup(&img, &b, &par, NOW, &h), 0);
    assert_int_equal(shfile_lookup(&img, &c, &par, NOW, &h), 0);
    assert_false(h.down);
}

/* Forged values in a trusted-looking file are clamped or disbelieved. */
static void test_forged_fields(void **state)
{
    (void)state;
    struct shkey k = key4("192.0.2.7", 53);
    shfile_report(&img, &k, HEALTH_OK, 1000, 1, NOW, &par, NOW);
    unsigned char *e = entry_of(&k);
    uint32_t fails = UINT32_MAX;
    memcpy(e + E_FAILS, &fails, 4);
    put64(e + E_FAIL_MS, NOW + 1);
    put64(e + E_DOWN_SINCE, UINT64_MAX);
    put64(e + E_NEXT_PROBE, UINT64_MAX);
    put64(e + E_RTT, UINT64_MAX);
    struct shhint h;
    assert_int_equal(shfile_lookup(&img, &k, &par, NOW + 1, &h), 1);
    assert_hint_sane(&h, NOW + 1);
    assert_int_equal(h.fails, SHFILE_FAILS_MAX);
    assert_false(h.have_rtt);
    assert_int_equal(h.down_since_ms, 0);
    assert_true(h.down && h.probe_due);       /* a far-off probe time is due */
    assert_int_equal(shfile_claim_probe(&img, &k, &par, NOW + 1), 1);
    /* The next failure re-marks it from now (the future mark is not kept),
     * and the next answer clears it all. */
    shfile_report(&img, &k, HEALTH_TIMEOUT, 0, -1, NOW + 2, &par, NOW + 2);
    shfile_lookup(&img, &k, &par, NOW + 2, &h);
    assert_int_equal(h.down_since_ms, NOW + 2);
    shfile_report(&img, &k, HEALTH_OK, 800, 1, NOW + 3, &par, NOW + 3);
    shfile_lookup(&img, &k, &par, NOW + 3, &h);
    assert_false(h.down);
    assert_int_equal(h.srtt_us, 800);
}

/* A read-only image (root's file, seen by a user) is never written. */
static void test_readonly_not_written(void **state)
{
    (void)state;
    struct shkey k = key4("192.0.2.8", 53);
    struct shfile ro = { img.base, 0 };
    unsigned char *copy = malloc(SHFILE_SIZE);
    memcpy(copy, img.base, SHFILE_SIZE);
    mprotect(img.base, SHFILE_SIZE, PROT_READ);      /* a store would fault */
    shfile_report(&ro, &k, HEALTH_TIMEOUT, 0, -1, NOW, &par, NOW);
    assert_int_equal(shfile_claim_probe(&ro, &k, &par, NOW), 0);
    assert_int_equal(shfile_proc_claim(&ro, 5, "x", NOW, NULL), -1);
    struct shhint h;
    assert_int_equal(shfile_lookup(&ro, &k, &par, NOW, &h), 0);
    mprotect(img.base, SHFILE_SIZE, PROT_READ | PROT_WRITE);
    assert_memory_equal(copy, img.base, SHFILE_SIZE);
    free(copy);
}

/* More servers than a hash window holds: no crash; an entry without
 * evidence for SHFILE_STALE_MS is given to a new server. */
static void test_table_full(void **state)
{
    (void)state;
    char ip[32];
    int known = 0;
    for (int i = 0; i < 4 * SHFILE_SERVERS; i++) {
        snprintf(ip, sizeof ip, "198.51.100.%d", i % 250);
        struct shkey k = key4(ip, 1000 + i);
        shfile_report(&img, &k, HEALTH_OK, 1000, 1, NOW, &par, NOW);
        struct shhint h;
        known += shfile_lookup(&img, &k, &par, NOW, &h);
    }
    assert_true(known >= SHFILE_SERVERS / 2 && known <= SHFILE_SERVERS);
    struct shkey late = key4("203.0.113.1", 53);
    uint64_t later = NOW + SHFILE_STALE_MS + 1;
    shfile_report(&img, &late, HEALTH_TIMEOUT, 0, -1, later, &par, later);
    struct shhint h;
    assert_int_equal(shfile_lookup(&img, &late, &par, later, &h), 1);
    assert_int_equal(h.fails, 1);
    assert_int_equal(h.answers, 0);            /* nothing of the old server's */
}

/* ---- concurrent writers ------------------------------------------------------ */

#define WRITERS 4
#define REPORTS 20000

struct writer_arg {
    struct shkey k;
    enum health_outcome o;
};

static void *writer(void *p)
{
    const struct writer_arg *a = p;
    for (uint32_t i = 0; i < REPORTS; i++)
        shfile_report(&img, &a->k, a->o, 1000 + i % 1000, 1, NOW, &par, NOW);
    return NULL;
}

static volatile int readers_stop;

static void *reader(void *p)
{
    const struct shkey *k = p;
    long bad = 0;
    while (!__atomic_load_n(&readers_stop, __ATOMIC_ACQUIRE)) {
        struct shhint h;
        if (shfile_lookup(&img, k, &par, NOW, &h)) {
            /* RTT samples were all in [1000, 2000): an estimate outside it
             * would be a torn or lost word. */
            bad += h.have_rtt && (h.srtt_us < 1000 || h.srtt_us >= 2000);
            bad += h.fails > SHFILE_FAILS_MAX;
        }
    }
    return (void *)bad;
}

/* Threads and forked processes at once, on one MAP_SHARED image: every
 * counted answer and every counted failure is there at the end (atomic
 * adds and CAS loops lose nothing), and a concurrent reader never sees an
 * estimate that no writer made. */
static void test_concurrent_writers(void **state)
{
    (void)state;
    struct writer_arg ok = { key4("192.0.2.20", 53), HEALTH_OK };
    struct writer_arg to = { key4("192.0.2.21", 53), HEALTH_TIMEOUT };
    readers_stop = 0;
    pthread_t rd, th[WRITERS];
    assert_int_equal(pthread_create(&rd, NULL, reader, &ok.k), 0);
    pid_t kids[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            writer(i % 2 ? &ok : &to);
            _exit(0);
        }
    }
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, i % 2 ? &ok : &to), 0);
    for (int i = 0; i < WRITERS; i++) {
        int st;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        pthread_join(th[i], NULL);
    }
    __atomic_store_n(&readers_stop, 1, __ATOMIC_RELEASE);
    void *bad;
    pthread_join(rd, &bad);
    assert_int_equal((long)bad, 0);
    struct shhint h;
    assert_int_equal(shfile_lookup(&img, &ok.k, &par, NOW, &h), 1);
    assert_int_equal(h.answers, (uint64_t)WRITERS * REPORTS);
    assert_int_equal(h.fails, 0);
    assert_int_equal(shfile_lookup(&img, &to.k, &par, NOW, &h), 1);
    assert_int_equal(h.timeouts, (uint64_t)WRITERS * REPORTS);
    assert_int_equal(h.fails, (uint32_t)WRITERS * REPORTS);
    assert_true(h.down);
}

static struct shkey claim_key;
static int claim_wins;

static void *claimer(void *p)
{
    uint64_t now = *(const uint64_t *)p;
    if (shfile_claim_probe(&img, &claim_key, &par, now) == 1)
        __atomic_fetch_add(&claim_wins, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Of many claimers at once, exactly one probes per interval. */
static void test_probe_claimed_once(void **state)
{
    (void)state;
    claim_key = key4("192.0.2.30", 53);
    for (int i = 0; i < 3; i++)
        shfile_report(&img, &claim_key, HEALTH_TIMEOUT, 0, -1, NOW, &par, NOW);
    for (int round = 1; round <= 50; round++) {
        uint64_t now = NOW + (uint64_t)round * 1000;
        claim_wins = 0;
        pthread_t th[8];
        for (int i = 0; i < 8; i++)
            assert_int_equal(pthread_create(&th[i], NULL, claimer, &now), 0);
        for (int i = 0; i < 8; i++)
            pthread_join(th[i], NULL);
        assert_int_equal(claim_wins, 1);
    }
}

/* ---- process slots and the flush generation ----------------------------------- */

static int alive_none(uint64_t ident) { (void)ident; return 0; }
static int alive_all(uint64_t ident) { (void)ident; return 1; }

static void test_proc_slots(void **state)
{
    (void)state;
    int slot = shfile_proc_claim(&img, 42, "cron\x01job", NOW, alive_all);
    assert_true(slot >= 0 && slot < SHFILE_PROCS);
    struct shproc_counters c = { 10, 4, 2, 1, 3, 5000 };
    assert_int_equal(shfile_proc_store(&img, slot, 42, &c, NOW + 5), 0);
    assert_int_equal(shfile_proc_store(&img, slot, 43, &c, NOW + 5), -1);
    struct shproc_info info;
    assert_int_equal(shfile_proc_read(&img, slot, &info), 1);
    assert_string_equal(info.comm, "cron?job");   /* control bytes are not printed */
    assert_int_equal(info.ident, 42);
    assert_int_equal(info.c.lookups, 10);
    assert_int_equal(info.c.budget_milli, 5000);
    assert_int_equal(info.updated_ms, NOW + 5);
    /* A forged budget is clamped. */
    c.budget_milli = -7;
    shfile_proc_store(&img, slot, 42, &c, NOW + 6);
    shfile_proc_read(&img, slot, &info);
    assert_int_equal(info.c.budget_milli, 0);
    /* Full table, every owner alive: no slot; owners gone: one is reused,
     * and its old owner stops writing there. */
    for (uint64_t id = 100; id < 100 + SHFILE_PROCS; id++)
        shfile_proc_claim(&img, id, "p", NOW, alive_all);
    assert_int_equal(shfile_proc_claim(&img, 999, "q", NOW, alive_all), -1);
    int s2 = shfile_proc_claim(&img, 999, "q", NOW, alive_none);
    assert_true(s2 >= 0);
    shfile_proc_read(&img, s2, &info);
    assert_int_equal(info.ident, 999);
    assert_int_equal(info.c.lookups, 0);
    shfile_proc_release(&img, s2, 998);               /* not its owner: kept */
    assert_int_equal(shfile_proc_read(&img, s2, &info), 1);
    shfile_proc_release(&img, s2, 999);
    assert_int_equal(shfile_proc_read(&img, s2, &info), 0);
    assert_int_equal(shfile_proc_read(&img, SHFILE_PROCS, &info), 0);
    assert_int_equal(shfile_proc_read(&img, -1, &info), 0);
}

static void test_flush_gen(void **state)
{
    (void)state;
    uint64_t g = shfile_flush_gen(&img);
    shfile_flush(&img);
    shfile_flush(&img);
    assert_int_equal(shfile_flush_gen(&img), g + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_then_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_settled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyed_by_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_not_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_claimed_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proc_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_gen, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
