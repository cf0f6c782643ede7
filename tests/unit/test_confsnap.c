/* test_confsnap — config snapshots: held ones are never changed or reused,
 * released ones are reused, and memory stays at the most ever alive at
 * once however often a new config is published (run it under ASan and TSan
 * too: `make check-asan` does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#include "dnsf/confsnap.h"

/* A snapshot whose fields say which publish made it. */
static void publish(int k)
{
    struct dnsf_config *c = confsnap_alloc();
    assert_non_null(c);
    assert_int_equal(c->timeout_ms, 0);          /* handed out zeroed */
    c->timeout_ms = k;
    c->deadline_ms = k + 1;
    confsnap_publish(c);
}

static void test_sequential(void **state)
{
    (void)state;
    publish(1);
    const struct dnsf_config *a = confsnap_acquire();
    assert_int_equal(a->timeout_ms, 1);
    /* Replaced 10,000 times while A is held: A stays as it was. */
    for (int k = 2; k <= 10001; k++)
        publish(k);
    assert_int_equal(a->timeout_ms, 1);
    assert_int_equal(a->deadline_ms, 2);
    const struct dnsf_config *b = confsnap_acquire();
    assert_int_equal(b->timeout_ms, 10001);
    /* A second reference outlives the first. */
    assert_ptr_equal(confsnap_retain(b), b);
    confsnap_release(b);
    publish(10002);
    assert_int_equal(b->timeout_ms, 10001);
    confsnap_release(b);
    confsnap_release(a);
    /* Held: A and B at most; plus the current one and the one being filled. */
    if (confsnap_count() > 4)
        fail_msg("%zu snapshots for 10,002 publishes", confsnap_count());
    size_t n = confsnap_count();
    for (int k = 0; k < 10000; k++)
        publish(20000 + k);
    assert_int_equal(confsnap_count(), n);       /* only reuse from here on */
}

enum { READERS = 4, PUBLISHES = 200000 };
static atomic_int stop;
static atomic_long torn;

static void *reader(void *arg)
{
    (void)arg;
    long n = 0;
    while (!atomic_load(&stop)) {
        const struct dnsf_config *c = confsnap_acquire();
        int t = c->timeout_ms;
        const struct dnsf_config *extra = (n & 7) == 0 ? confsnap_retain(c) : NULL;
        for (int i = 0; i < (int)(n % 50); i++)
            sched_yield();
        /* Still what it was when taken, and whole. */
        if (c->timeout_ms != t || c->deadline_ms != t + 1)
            atomic_fetch_add(&torn, 1);
        confsnap_release(c);
        if (extra != NULL) {
            if (extra->timeout_ms != t)
                atomic_fetch_add(&torn, 1);
            confsnap_release(extra);
        }
        n++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t th[READERS];
    publish(1);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
    for (int k = 2; k <= PUBLISHES; k++) {
        publish(k);
        if (k % 64 == 0)
            sched_yield();
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&torn), 0);
    printf("# %d publishes, %d readers: %zu snapshots allocated\n", PUBLISHES, READERS,
           confsnap_count());
    /* Each reader holds at most one snapshot (two references) at a time. */
    if (confsnap_count() > READERS + 6)
        fail_msg("%zu snapshots allocated", confsnap_count());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
