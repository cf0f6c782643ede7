/* test_balance — balance.c: which server a "balance" lookup asks first.
 *
 * The bounds of issue 15, measured on a simulation of the feedback loop the
 * engine will run: each lookup asks the picked server, whose RTT sample
 * (uniform in [0.5, 1.5] x its mean: ordinary jitter) updates that server's
 * SRTT as RFC 6298 §2 does (first sample sets it, then gain 1/8). Servers
 * start with no sample, as in a new process.
 *   - two servers with the same mean RTT: each takes 30-70 % of 300 first
 *     choices, for every one of 20 seeds, at LAN (1 ms) and WAN (20 ms) RTTs;
 *   - a server 300 ms slow beside a 20 ms one: at most 5 % of 300;
 *   - down servers are never first unless all are; suspect ones only when
 *     no server is up.
 * It prints what it measured ("# ..." lines): the widest gap between two
 * equal servers' SRTTs once warmed up, and equal against inverse-RTT
 * weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsf/balance.h"

#define LOOKUPS 300
#define SEEDS 20

/* The test's own generator (splitmix64), so every run sees the same draws. */
static uint64_t tstate;
static uint32_t trand(void)
{
    uint64_t z = (tstate += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static double sample(double mean)
{
    return mean * (0.5 + trand() / 4294967296.0);
}

static void rfc6298(struct balance_server *s, double rtt)
{
    s->srtt_ms = s->srtt_ms < 0 ? rtt : s->srtt_ms + (rtt - s->srtt_ms) / 8;
}

struct sim {
    int picks[2];
    double max_gap;                /* widest |srtt0 - srtt1| / min, both warmed up */
    double rtt_sum;                /* of the first server's RTT samples */
};

/* LOOKUPS lookups over two servers with mean RTTs M0 and M1. PICK chooses. */
static struct sim simulate(double m0, double m1, uint64_t seed,
                           int (*pick)(const struct balance_server *, int, uint32_t))
{
    struct balance_server s[2] = { { -1, BALANCE_UP }, { -1, BALANCE_UP } };
    const double mean[2] = { m0, m1 };
    struct sim r = { { 0, 0 }, 0, 0 };
    int nsamples[2] = { 0, 0 };
    tstate = seed;
    for (int i = 0; i < LOOKUPS; i++) {
        int k = pick(s, 2, trand());
        double rtt = sample(mean[k]);
        r.picks[k]++;
        r.rtt_sum += rtt;
        rfc6298(&s[k], rtt);
        /* Warmed up: 8 samples each, the estimator's gain being 1/8. */
        if (++nsamples[k] >= 8 && nsamples[!k] >= 8) {
            double lo = s[0].srtt_ms < s[1].srtt_ms ? s[0].srtt_ms : s[1].srtt_ms;
            double gap = (s[0].srtt_ms > s[1].srtt_ms ? s[0].srtt_ms - s[1].srtt_ms
                                                      : s[1].srtt_ms - s[0].srtt_ms) / lo;
            if (gap > r.max_gap)
                r.max_gap = gap;
        }
    }
    return r;
}

/* The alternative not taken, for the measurement: inverse-RTT weights
 * within the same band (balance_pick's candidates). */
static int pick_inverse(const struct balance_server *s, int n, uint32_t rnd)
{
    double w[2], sum = 0;
    if (s[0].srtt_ms < 0 || s[1].srtt_ms < 0)
        return balance_pick(s, n, rnd);
    for (int i = 0; i < 2; i++) {
        /* In the band iff balance_pick can choose it: ask with both ends. */
        int in = balance_pick(s, n, 0) == i || balance_pick(s, n, UINT32_MAX) == i;
        w[i] = in ? 1.0 / s[i].srtt_ms : 0;
        sum += w[i];
    }
    return rnd / 4294967296.0 * sum < w[0] ? 0 : 1;
}

static void test_equal_servers_share(void **state)
{
    (void)state;
    static const double means[] = { 1.0, 20.0 };
    for (size_t m = 0; m < sizeof means / sizeof means[0]; m++) {
        double worst = 1, gap = 0;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct sim r = simulate(means[m], means[m], seed, balance_pick);
            double share = r.picks[0] / (double)LOOKUPS;
            if (share < 0.30 || share > 0.70)
                fail_msg("%.0f ms, seed %llu: server 0 took %.1f %% of first choices", means[m],
                         (unsigned long long)seed, share * 100);
            if (share < worst)
                worst = share;
            if (1 - share < worst)
                worst = 1 - share;
            if (r.max_gap > gap)
                gap = r.max_gap;
        }
        printf("# balance, two servers of %.0f ms: the smaller share over %d seeds was %.1f %%; "
               "their SRTTs differed by at most %.0f %%\n", means[m], SEEDS, worst * 100,
               gap * 100);
    }
}

static void test_slow_server_share(void **state)
{
    (void)state;
    int most = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct sim r = simulate(20, 300, seed, balance_pick);
        if (r.picks[1] > LOOKUPS * 5 / 100)
            fail_msg("seed %llu: the 300 ms server took %d of %d", (unsigned long long)seed,
                     r.picks[1], LOOKUPS);
        if (r.picks[1] > most)
            most = r.picks[1];
    }
    printf("# balance, 20 ms and 300 ms servers: the slow one was first at most %d times "
           "in %d\n", most, LOOKUPS);
}

static void test_weighting_measured(void **state)
{
    (void)state;
    double eq_share = 0, inv_share = 0, eq_rtt = 0, inv_rtt = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct sim e = simulate(20, 28, seed, balance_pick);
        struct sim v = simulate(20, 28, seed, pick_inverse);
        eq_share += e.picks[0], inv_share += v.picks[0];
        eq_rtt += e.rtt_sum, inv_rtt += v.rtt_sum;
    }
    double n = (double)LOOKUPS * SEEDS;
    printf("# balance, 20 and 28 ms: equal weights send %.1f %% to the faster, mean first RTT "
           "%.2f ms; inverse-RTT weights %.1f %%, %.2f ms\n", eq_share / n * 100, eq_rtt / n,
           inv_share / n * 100, inv_rtt / n);
    /* The faster one leads either way: the slower's first samples put it
     * outside the band at times, until the faster's SRTT settles. */
    assert_true(eq_share / n > 0.5);
}

static void test_band(void **state)
{
    (void)state;
    /* Within best + max(2 ms, best / 2): both are candidates. */
    struct balance_server s[3] = { { 20, BALANCE_UP }, { 30, BALANCE_UP }, { 30.5, BALANCE_UP } };
    assert_int_equal(balance_pick(s, 3, 0), 0);
    assert_int_equal(balance_pick(s, 3, UINT32_MAX / 2 + 1), 1);
    assert_int_equal(balance_pick(s, 3, UINT32_MAX), 1);          /* 30.5 is outside */
    /* The floor: 0.2 and 2.1 ms are the same at LAN scale, 2.3 is not. */
    struct balance_server lan[2] = { { 0.2, BALANCE_UP }, { 2.1, BALANCE_UP } };
    assert_int_equal(balance_pick(lan, 2, UINT32_MAX), 1);
    lan[1].srtt_ms = 2.3;
    assert_int_equal(balance_pick(lan, 2, UINT32_MAX), 0);
    /* No sample yet: a candidate, so it gets one. */
    struct balance_server fresh[2] = { { 5, BALANCE_UP }, { -1, BALANCE_UP } };
    assert_int_equal(balance_pick(fresh, 2, UINT32_MAX), 1);
    /* One server: itself. */
    assert_int_equal(balance_pick(s, 1, UINT32_MAX), 0);
}

static void test_down_and_suspect(void **state)
{
    (void)state;
    /* The fastest is down: never first while another is not. */
    struct balance_server s[3] = { { 1, BALANCE_DOWN }, { 40, BALANCE_UP }, { 41, BALANCE_UP } };
    for (uint32_t r = 0; r < 64; r++) {
        int k = balance_pick(s, 3, r * 67108864u);
        assert_true(k == 1 || k == 2);
    }
    /* Up beats suspect, suspect beats down. */
    s[1].state = BALANCE_SUSPECT;
    for (uint32_t r = 0; r < 64; r++)
        assert_int_equal(balance_pick(s, 3, r * 67108864u), 2);
    s[2].state = BALANCE_SUSPECT;
    for (uint32_t r = 0; r < 64; r++)
        assert_int_not_equal(balance_pick(s, 3, r * 67108864u), 0);
    /* All down: spread over them all by RTT as if up (health_plan asks them all then). */
    struct balance_server d[2] = { { 10, BALANCE_DOWN }, { 11, BALANCE_DOWN } };
    assert_int_equal(balance_pick(d, 2, 0), 0);
    assert_int_equal(balance_pick(d, 2, UINT32_MAX), 1);
}

static void test_random_leaves_rand_alone(void **state)
{
    (void)state;
    /* The host program's rand() sequence is its own. */
    srand(42);
    int want = rand();
    srand(42);
    for (int i = 0; i < 100; i++)
        (void)balance_random();
    assert_int_equal(rand(), want);

    /* Roughly uniform over two: 10,000 draws, each half within 3 %. */
    int hi = 0;
    for (int i = 0; i < 10000; i++)
        hi += balance_random() >> 31;
    assert_true(hi > 4700 && hi < 5300);
}

static void test_fork_child_reseeds(void **state)
{
    (void)state;
    int fd[2];
    uint32_t parent, child;
    (void)balance_random();
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        balance_fork_child();
        uint32_t v = balance_random();
        _exit(write(fd[1], &v, sizeof v) == sizeof v ? 0 : 1);
    }
    parent = balance_random();
    assert_int_equal(read(fd[0], &child, sizeof child), sizeof child);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(fd[0]);
    close(fd[1]);
    assert_int_not_equal(parent, child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_band),
        cmocka_unit_test(test_down_and_suspect),
        cmocka_unit_test(test_equal_servers_share),
        cmocka_unit_test(test_slow_server_share),
        cmocka_unit_test(test_weighting_measured),
        cmocka_unit_test(test_random_leaves_rand_alone),
        cmocka_unit_test(test_fork_child_reseeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
