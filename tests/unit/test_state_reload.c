/* test_state_reload — state.c's config reload: every reload publishes a new
 * snapshot, and the old ones must not pile up (they did: about 11.5 KB per
 * reload, forever; 330 MB a day with a file whose mtime changes every 3 s).
 *
 * The running process looks at the file every 3 s; confload_poll takes
 * the time from the caller, so this test reloads thousands of times in a
 * second. The process's own config is a file of ours (DNSFAILOVER_CONF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/confload.h"
#include "dnsf/confsnap.h"
#include "dnsf/state.h"

static char tmpdir[PATH_MAX];
static char conf[PATH_MAX + 32];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dnsf-test-reload-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(conf, sizeof conf, "%s/dnsfailover.conf", tmpdir);
    unsetenv("DNSFAILOVER_DISABLE");
    unsetenv("DNSFAILOVER_LOG");
    setenv("DNSFAILOVER_CONF", conf, 1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(conf);
    rmdir(tmpdir);
    return 0;
}

/* Rewrite the config with timeout_ms = MS and an mtime of its own (K). */
static void write_conf(int ms, long k)
{
    int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    char text[64];
    int n = snprintf(text, sizeof text, "timeout_ms = %d;\nstate_dir = \"\";\n", ms);
    assert_int_equal(write(fd, text, (size_t)n), n);
    struct timespec t[2] = { { 1000000 + k / 1000000000, k % 1000000000 },
                             { 1000000 + k / 1000000000, k % 1000000000 } };
    assert_int_equal(futimens(fd, t), 0);
    close(fd);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int current_timeout(void)
{
    const struct dnsf_config *c = state_config_acquire();
    assert_non_null(c);
    int ms = c->timeout_ms;
    state_config_release(c);
    return ms;
}

static void test_reload_memory_bounded(void **state)
{
    (void)state;
    enum { RELOADS = 3000 };
    write_conf(700, 0);
    state_ensure_init();
    assert_int_equal(current_timeout(), 700);
    uint64_t now = clock_now_coarse_ms() + 3001;
    long before = rss_kb();
    for (long k = 1; k <= RELOADS; k++) {
        write_conf(k % 2 ? 800 : 900, k);
        confload_poll(now);
        now += 3001;
        if (current_timeout() != (k % 2 ? 800 : 900))
            fail_msg("reload %ld was not applied", k);
    }
    long grown = rss_kb() - before;
    printf("# %d reloads: RSS grew %ld KiB, %zu snapshots allocated\n", RELOADS, grown,
           confsnap_count());
    /* 24.7 KB a reload kept would be 74 MB. ASan's quarantine and
     * valgrind's hold freed memory back, so there only the count tells. */
#if !defined(__SANITIZE_ADDRESS__)
    const char *vg = getenv("DNSF_VALGRIND");
    if (grown > 4096 && (vg == NULL || strcmp(vg, "1") != 0))
        fail_msg("RSS grew %ld KiB over %d reloads", grown, RELOADS);
#endif
    if (confsnap_count() > 3)
        fail_msg("%zu snapshots allocated for %d reloads", confsnap_count(), RELOADS);
}

static void test_held_snapshot_survives_reloads(void **state)
{
    (void)state;
    /* A lookup holds its snapshot from start to end: reloads meanwhile
     * neither change nor reuse it, and it is reused once given back. */
    uint64_t now = clock_now_coarse_ms() + 10 * 3001 * 4000;
    write_conf(1234, 900001);
    confload_poll(now);
    const struct dnsf_config *held = state_config_acquire();
    assert_int_equal(held->timeout_ms, 1234);
    size_t n0 = confsnap_count();
    for (long k = 0; k < 100; k++) {
        write_conf(k % 2 ? 800 : 900, 900002 + k);
        now += 3001;
        confload_poll(now);
        assert_int_equal(held->timeout_ms, 1234);
    }
    assert_true(confsnap_count() <= n0 + 1);
    state_config_release(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_memory_bounded),
        cmocka_unit_test(test_held_snapshot_survives_reloads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
