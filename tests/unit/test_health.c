/* test_health — health.c on an explicit clock: every report carries the
 * time its query was sent and the time it was seen, so the order of
 * evidence is set by the test, not by the scheduler.
 *
 * Late evidence (issue 10.2): queries sent to a server during an outage time
 * out after the server has answered again. Those timeouts are older than its
 * latest success and must not demote it; a failure of a query sent at or
 * after the latest success still counts.
 *
 * The hedge budget (issue 11.9): a hedge away from a server shown failing
 * since the lookup started is failover and free; any other hedge is
 * speculative and takes a token, and the bucket still runs dry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "dnsf/config.h"
#include "dnsf/health.h"

#define T0 1000000ull              /* an arbitrary "now" for the explicit clock */

static struct dnsf_server srv[2];
static const struct dnsf_config par = { .strategy = STRATEGY_HEDGE, .hedge_min_ms = 10,
                                        .hedge_max_ms = 200,
                                        .health = { .fail_threshold = 3, .probe_interval_ms = 300,
                                                    .max_down_ms = 600 } };

static int setup(void **state)
{
    (void)state;
    health_reset();
    assert_int_equal(config_parse_server("192.0.2.1", &srv[0]), 0);
    assert_int_equal(config_parse_server("192.0.2.2", &srv[1]), 0);
    return 0;
}

static struct health_plan plan_at(uint64_t now)
{
    struct health_plan hp;
    health_plan(srv, 2, &par, NULL, NULL, now, &hp);
    return hp;
}

static int fails_of(int slot)
{
    char name[64];
    struct health_counters c;
    int down, fails;
    double srtt;
    assert_int_equal(health_snapshot(slot, name, sizeof name, &c, &down, &fails, &srtt), 0);
    return fails;
}

static void report(int slot, enum health_outcome o, uint64_t sent, uint64_t now)
{
    health_report(slot, o, (uint32_t)((now - sent) * 1000), o == HEALTH_OK ? 1 : -1, sent,
                  &par, now);
}

/* The timeline: the primary loses the first lookup's race, is probed
 * every 300 ms during the outage, answers a probe after it, and then the
 * outage-era probes time out (timeout_ms 1000). It must stay first. */
static void test_outage_timeouts_after_recovery(void **state)
{
    (void)state;
    struct health_plan hp = plan_at(T0);
    int a = hp.slot[0];
    assert_int_equal(hp.order[0], 0);
    report(a, HEALTH_LOST_RACE, T0, T0 + 50);          /* A and AAAA of lookup 1 */
    report(a, HEALTH_LOST_RACE, T0, T0 + 50);
    hp = plan_at(T0 + 60);
    assert_int_equal(hp.order[0], 1);                  /* suspect: ranked behind */
    assert_int_equal(hp.probe, 0);                     /* outage probe, sent at +60 */
    hp = plan_at(T0 + 360);
    assert_int_equal(hp.probe, 0);                     /* outage probe, sent at +360 */
    hp = plan_at(T0 + 660);
    assert_int_equal(hp.probe, 0);                     /* the server is back: answered */
    report(a, HEALTH_OK, T0 + 660, T0 + 661);
    assert_int_equal(plan_at(T0 + 680).order[0], 0);
    /* The outage-era probes expire now, after the success. */
    report(a, HEALTH_TIMEOUT, T0 + 60, T0 + 1060);
    hp = plan_at(T0 + 1080);
    assert_int_equal(hp.order[0], 0);
    assert_int_equal(fails_of(a), 0);
    report(a, HEALTH_TIMEOUT, T0 + 360, T0 + 1360);
    hp = plan_at(T0 + 1380);
    assert_int_equal(hp.order[0], 0);
    assert_int_equal(hp.down[0], 0);
    assert_int_equal(fails_of(a), 0);
}

/* However many there are, late failures never mark a server down; they are
 * still counted as timeouts for the statistics. */
static void test_late_failures_never_mark_down(void **state)
{
    (void)state;
    int a = plan_at(T0).slot[0];
    report(a, HEALTH_OK, T0 + 500, T0 + 501);
    for (int i = 0; i < 10; i++)
        report(a, HEALTH_TIMEOUT, T0 + (uint64_t)i * 10, T0 + 1000 + (uint64_t)i * 10);
    struct health_plan hp = plan_at(T0 + 1200);
    assert_int_equal(hp.down[0], 0);
    assert_int_equal(hp.order[0], 0);
    char name[64];
    struct health_counters c;
    int down, fails;
    double srtt;
    assert_int_equal(health_snapshot(a, name, sizeof name, &c, &down, &fails, &srtt), 0);
    assert_int_equal(c.timeouts, 10);
    assert_int_equal(fails, 0);
}

/* A failure of a query sent after the latest success is fresh evidence, and
 * so is one sent in the same millisecond (A and AAAA leave together). */
static void test_fresh_failures_count(void **state)
{
    (void)state;
    int a = plan_at(T0).slot[0];
    report(a, HEALTH_OK, T0 + 100, T0 + 101);
    report(a, HEALTH_TIMEOUT, T0 + 100, T0 + 1100);    /* same millisecond */
    assert_int_equal(fails_of(a), 1);
    report(a, HEALTH_TIMEOUT, T0 + 200, T0 + 1200);
    report(a, HEALTH_ERROR, T0 + 1200, T0 + 1201);
    struct health_plan hp = plan_at(T0 + 1210);
    assert_int_equal(hp.down[0], 1);
    assert_int_equal(hp.order[0], 1);
}

/* A late reply still counts, whenever its query was sent: it shows the
 * server alive. */
static void test_late_reply_counts(void **state)
{
    (void)state;
    int a = plan_at(T0).slot[0];
    for (int i = 0; i < 3; i++)
        report(a, HEALTH_TIMEOUT, T0 + 100 + (uint64_t)i, T0 + 1100 + (uint64_t)i);
    assert_int_equal(plan_at(T0 + 1200).down[0], 1);
    report(a, HEALTH_OK, T0 + 50, T0 + 1300);
    assert_int_equal(fails_of(a), 0);
    assert_int_equal(plan_at(T0 + 1310).order[0], 0);
}

/* Five speculative hedges from a full bucket (above half of 10), then none;
 * each lookup that took no token earns a tenth back. */
static void test_budget_throttles_speculation(void **state)
{
    (void)state;
    int a = plan_at(T0).slot[0];
    for (int i = 0; i < 5; i++)
        assert_int_equal(health_hedge_grant(&a, 1, T0), HEALTH_HEDGE_SPECULATIVE);
    assert_int_equal(health_hedge_grant(&a, 1, T0), HEALTH_HEDGE_DENIED);
    assert_int_equal(health_budget_take(), 0);          /* same-server retries too */
    for (int i = 0; i < 10; i++)
        health_budget_earn();
    assert_int_equal(health_hedge_grant(&a, 1, T0), HEALTH_HEDGE_SPECULATIVE);
    assert_int_equal(health_hedge_grant(&a, 1, T0), HEALTH_HEDGE_DENIED);
    /* A slow server that answers is never failing: still throttled. */
    report(a, HEALTH_OK, T0 + 10, T0 + 300);
    assert_int_equal(health_hedge_grant(&a, 1, T0), HEALTH_HEDGE_DENIED);
}

/* The burst: lookups that started at T0 wait on a server that another
 * lookup's lost race shows failing at T0 + 50. With the bucket empty they
 * may hedge anyway, without a token. */
static void test_failover_needs_no_token(void **state)
{
    (void)state;
    struct health_plan hp = plan_at(T0);
    int waited[2] = { hp.slot[1], hp.slot[0] };        /* the failing one second */
    for (int i = 0; i < 5; i++)
        assert_int_equal(health_hedge_grant(waited, 2, T0), HEALTH_HEDGE_SPECULATIVE);
    assert_int_equal(health_hedge_grant(waited, 2, T0), HEALTH_HEDGE_DENIED);
    report(hp.slot[0], HEALTH_LOST_RACE, T0, T0 + 50);
    for (int i = 0; i < 20; i++)
        assert_int_equal(health_hedge_grant(waited, 2, T0), HEALTH_HEDGE_FAILOVER);
    assert_int_equal(health_budget_take(), 0);          /* no token was spent */
    /* Evidence from before the lookup started is not news to it: its plan
     * saw it already. */
    assert_int_equal(health_hedge_grant(waited, 2, T0 + 51), HEALTH_HEDGE_DENIED);
    /* An answer since makes the server healthy again: speculation. */
    report(hp.slot[0], HEALTH_OK, T0 + 60, T0 + 61);
    assert_int_equal(health_hedge_grant(waited, 2, T0), HEALTH_HEDGE_DENIED);
    /* Late evidence does not count as failing either. */
    report(hp.slot[0], HEALTH_TIMEOUT, T0 + 20, T0 + 1020);
    assert_int_equal(health_hedge_grant(waited, 2, T0), HEALTH_HEDGE_DENIED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_outage_timeouts_after_recovery, setup),
        cmocka_unit_test_setup(test_late_failures_never_mark_down, setup),
        cmocka_unit_test_setup(test_fresh_failures_count, setup),
        cmocka_unit_test_setup(test_late_reply_counts, setup),
        cmocka_unit_test_setup(test_budget_throttles_speculation, setup),
        cmocka_unit_test_setup(test_failover_needs_no_token, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
