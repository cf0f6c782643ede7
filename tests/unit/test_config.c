/* test_config — config.c: the libconfig file and nameserver addresses.
 *
 * Fixtures are in tests/fixtures/config/, one file per case. In each
 * err_*.conf the lines the error may be reported at carry "# <- error";
 * the test reads the expected line numbers from the file itself. Every failed load must leave
 * the built-in defaults (never a half-applied file) and an error that
 * starts with "FILE:LINE:". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dnsf/config.h"
#include "dnsf/log.h"
#include "fixture.h"

/* ---- fixtures ----------------------------------------------------------- */

static char fixdir[PATH_MAX];
static char tmpdir[PATH_MAX];
static int ntmp;

/* The fixture directory (fixture.h). */
static int find_fixtures(void)
{
    return fixture_dir("config", "full.conf", fixdir, sizeof fixdir);
}

static int group_setup(void **state)
{
    (void)state;
    if (find_fixtures() < 0) {
        fprintf(stderr, "test_config: cannot find tests/fixtures/config\n");
        return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dnsf-test-config-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < ntmp; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/t%d.conf", tmpdir, i);
        unlink(p);
    }
    static const char *const extra[] = { "fifo", "fifo-link", "good-link", "big.conf" };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/%s", tmpdir, extra[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return 0;
}

/* DIR/NAME, in one of 8 rotating buffers. */
static const char *path_in(const char *dir, const char *name)
{
    static char path[8][PATH_MAX + 64];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, PATH_MAX + 64, "%s/%s", dir, name);
    return p;
}

static const char *fixture(const char *name)
{
    return path_in(fixdir, name);
}

/* A config file with TEXT in the temporary directory. */
static const char *temp_conf(const char *text)
{
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/t%d.conf", tmpdir, ntmp++);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Line numbers of PATH that carry "# <- error". */
static int marked_lines(const char *path, int *lines, int max)
{
    FILE *f = fopen(path, "r");
    char buf[1024];
    int n = 0, lineno = 0;
    assert_non_null(f);
    while (fgets(buf, sizeof buf, f) != NULL) {
        lineno++;
        if (strstr(buf, "# <- error") != NULL && n < max)
            lines[n++] = lineno;
    }
    fclose(f);
    return n;
}

/* ---- checks ------------------------------------------------------------- */

static void assert_is_defaults(const struct dnsf_config *c)
{
    struct dnsf_config d;
    config_defaults(&d);
    /* source names the file read even when it was rejected; everything
     * else must be exactly the defaults. */
    memcpy(d.source, c->source, sizeof d.source);
    if (memcmp(&d, c, sizeof d) != 0)
        fail_msg("config is not the built-in defaults (half-applied?)");
}

/* Load PATH and expect failure: rc -1, defaults, and an error
 * "PATH:LINE: ..." with LINE one of WANT[0..NWANT-1], mentioning NEEDLE. */
static void expect_error_lines(const char *path, const struct dnsf_identity *id,
                               const int *want, int nwant, const char *needle)
{
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    memset(&c, 0x5a, sizeof c);
    memset(err, 0, sizeof err);
    int rc = config_load_file(path, id, &c, err, sizeof err);
    if (rc != -1)
        fail_msg("%s: rc %d, want -1", path, rc);
    assert_is_defaults(&c);

    size_t plen = strlen(path);
    if (strncmp(err, path, plen) != 0 || err[plen] != ':')
        fail_msg("%s: error does not start with the file name: \"%s\"", path, err);
    char *end;
    long line = strtol(err + plen + 1, &end, 10);
    if (end == err + plen + 1 || *end != ':')
        fail_msg("%s: error has no LINE: \"%s\"", path, err);
    int ok = 0;
    for (int i = 0; i < nwant; i++)
        ok |= line == want[i];
    if (!ok)
        fail_msg("%s: error at line %ld, want line %d%s: \"%s\"", path, line, want[0],
                 nwant > 1 ? " (or another marked line)" : "", err);
    if (needle != NULL && strstr(err, needle) == NULL)
        fail_msg("%s: error does not mention \"%s\": \"%s\"", path, needle, err);
}

static void expect_error(const char *name, const char *needle)
{
    const char *path = fixture(name);
    int want[8];
    int n = marked_lines(path, want, 8);
    assert_true(n > 0);
    expect_error_lines(path, NULL, want, n, needle);
}

static void load_ok(const char *path, const struct dnsf_identity *id, struct dnsf_config *c)
{
    char err[PATH_MAX + 512];
    int rc = config_load_file(path, id, c, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: rc %d: %s", path, rc, err);
    assert_string_equal(err, "");
    assert_string_equal(c->source, path);
}

/* ---- whole files -------------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    struct dnsf_config c, d;
    char err[256] = "stale";
    memset(&c, 0x5a, sizeof c);
    assert_int_equal(config_load_file(fixture("does-not-exist.conf"), NULL, &c, err, sizeof err), 1);
    assert_string_equal(err, "");
    config_defaults(&d);
    assert_memory_equal(&c, &d, sizeof c);
    assert_string_equal(c.source, "");
    assert_string_equal(c.app, "");
}

static void test_defaults(void **state)
{
    (void)state;
    /* The documented defaults; the full example must differ from each. */
    struct dnsf_config d;
    config_defaults(&d);
    assert_int_equal(d.enabled, 1);
    assert_int_equal(d.nservers, 0);
    assert_int_equal(d.strategy, STRATEGY_HEDGE);
    assert_int_equal(d.timeout_ms, 1000);
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.deadline_ms, 5000);
    assert_int_equal(d.hedge_min_ms, 10);
    assert_int_equal(d.hedge_max_ms, 200);
    assert_int_equal(d.health.fail_threshold, 3);
    assert_int_equal(d.health.probe_interval_ms, 1000);
    assert_int_equal(d.health.max_down_ms, 30000);
    assert_int_equal(d.cache.enabled, 1);
    assert_int_equal(d.cache.max_entries, 10000);
    assert_int_equal(d.cache.min_ttl, 0);
    assert_int_equal(d.cache.max_ttl, 86400);
    assert_int_equal(d.cache.negative_max_ttl, 300);
    assert_int_equal(d.cache.serve_stale, 1);
    assert_int_equal(d.cache.max_stale, 86400);
    assert_int_equal(d.ndots, -1);
    assert_int_equal(d.nsearch, -1);
    assert_int_equal(d.log_level, LOG_LVL_WARN);
    assert_string_equal(d.log_target, "syslog");
    assert_int_equal(d.stats_on_exit, 0);
    assert_string_equal(d.source, "");
    assert_string_equal(d.app, "");
}

static void test_full_example(void **state)
{
    (void)state;
    struct dnsf_config c;
    const char *path = fixture("full.conf");
    load_ok(path, NULL, &c);
    assert_int_equal(c.enabled, 0);
    assert_int_equal(c.nservers, 4);
    assert_string_equal(c.servers[0].text, "192.0.2.1:53");
    assert_string_equal(c.servers[1].text, "192.0.2.2:5353");
    assert_string_equal(c.servers[2].text, "[2001:db8::1]:53");
    assert_string_equal(c.servers[3].text, "[2001:db8::2]:5300");
    assert_int_equal(c.servers[3].addr.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&c.servers[3].addr)->sin6_port), 5300);
    assert_int_equal(c.strategy, STRATEGY_RACE);
    assert_int_equal(c.timeout_ms, 750);
    assert_int_equal(c.attempts, 3);
    assert_int_equal(c.deadline_ms, 4000);
    assert_int_equal(c.hedge_min_ms, 20);
    assert_int_equal(c.hedge_max_ms, 300);
    assert_int_equal(c.health.fail_threshold, 5);
    assert_int_equal(c.health.probe_interval_ms, 2500);
    assert_int_equal(c.health.max_down_ms, 60000);
    assert_int_equal(c.cache.enabled, 0);
    assert_int_equal(c.cache.max_entries, 500);
    assert_int_equal(c.cache.min_ttl, 5);
    assert_int_equal(c.cache.max_ttl, 3600);
    assert_int_equal(c.cache.negative_max_ttl, 60);
    assert_int_equal(c.cache.serve_stale, 0);
    assert_int_equal(c.cache.max_stale, 7200);
    assert_int_equal(c.ndots, 2);
    assert_int_equal(c.nsearch, 2);
    assert_string_equal(c.search[0], "corp.example");
    assert_string_equal(c.search[1], "example");
    assert_int_equal(c.log_level, LOG_LVL_DEBUG);
    assert_string_equal(c.log_target, "/tmp/dnsfailover-test.log");
    assert_int_equal(c.stats_on_exit, 1);
    assert_string_equal(c.source, path);
    assert_string_equal(c.app, "");
}

static void test_valid_variants(void **state)
{
    (void)state;
    struct dnsf_config c;

    /* A single string where a list is expected; a libconfig list ( ). */
    load_ok(temp_conf("search = \"one.example\";\nnameservers = \"192.0.2.9\";\n"), NULL, &c);
    assert_int_equal(c.nsearch, 1);
    assert_string_equal(c.search[0], "one.example");
    assert_int_equal(c.nservers, 1);
    assert_string_equal(c.servers[0].text, "192.0.2.9:53");
    load_ok(temp_conf("search = ( \"a.example\", \"b.example\" );\n"), NULL, &c);
    assert_int_equal(c.nsearch, 2);
    assert_string_equal(c.search[1], "b.example");

    /* An explicitly empty search list is not "from resolv.conf". */
    load_ok(temp_conf("search = [ ];\n"), NULL, &c);
    assert_int_equal(c.nsearch, 0);

    load_ok(temp_conf("strategy = \"sequence\";\nlog = { level = \"error\"; target = \"stderr\"; };\n"),
            NULL, &c);
    assert_int_equal(c.strategy, STRATEGY_SEQUENCE);
    assert_int_equal(c.log_level, LOG_LVL_ERROR);
    assert_string_equal(c.log_target, "stderr");
    load_ok(temp_conf("strategy = \"hedge\";\nlog = { level = \"info\"; };\n"), NULL, &c);
    assert_int_equal(c.strategy, STRATEGY_HEDGE);
    assert_int_equal(c.log_level, LOG_LVL_INFO);

    /* An empty file is all defaults. */
    load_ok(temp_conf("# nothing\n"), NULL, &c);
    struct dnsf_config d;
    config_defaults(&d);
    memcpy(d.source, c.source, sizeof d.source);
    assert_memory_equal(&c, &d, sizeof c);

    /* Eight nameservers is the most. */
    load_ok(temp_conf("nameservers = [ \"192.0.2.1\", \"192.0.2.2\", \"192.0.2.3\", \"192.0.2.4\","
                      " \"192.0.2.5\", \"192.0.2.6\", \"192.0.2.7\", \"192.0.2.8\" ];\n"),
            NULL, &c);
    assert_int_equal(c.nservers, DNSF_MAX_SERVERS);
    assert_string_equal(c.servers[7].text, "192.0.2.8:53");
}

/* Each integer key at both ends of its range is accepted. */
static void test_range_boundaries_accepted(void **state)
{
    (void)state;
    static const struct { const char *text; size_t off; int want; } cases[] = {
#define K(text, field, v) { text, offsetof(struct dnsf_config, field), v }
        K("timeout_ms = 10;", timeout_ms, 10),
        K("timeout_ms = 60000;", timeout_ms, 60000),
        K("attempts = 1;", attempts, 1),
        K("attempts = 10;", attempts, 10),
        K("deadline_ms = 10;", deadline_ms, 10),
        K("deadline_ms = 120000;", deadline_ms, 120000),
        K("hedge_min_ms = 0;", hedge_min_ms, 0),
        K("hedge_min_ms = 200;", hedge_min_ms, 200),
        K("hedge_max_ms = 60000;", hedge_max_ms, 60000),
        K("health = { fail_threshold = 1; };", health.fail_threshold, 1),
        K("health = { fail_threshold = 1000; };", health.fail_threshold, 1000),
        K("health = { probe_interval_ms = 10; };", health.probe_interval_ms, 10),
        K("health = { probe_interval_ms = 3600000; };", health.probe_interval_ms, 3600000),
        K("health = { max_down_ms = 0; };", health.max_down_ms, 0),
        K("health = { max_down_ms = 300000; };", health.max_down_ms, 300000),
        K("cache = { max_entries = 0; };", cache.max_entries, 0),
        K("cache = { max_entries = 10000000; };", cache.max_entries, 10000000),
        K("cache = { max_ttl = 604800; };", cache.max_ttl, 604800),
        K("cache = { negative_max_ttl = 10800; };", cache.negative_max_ttl, 10800),
        K("cache = { max_stale = 259200; };", cache.max_stale, 259200),
        K("ndots = 0;", ndots, 0),
        K("ndots = 15;", ndots, 15),
        K("timeout_ms = 0x20;", timeout_ms, 32),
#undef K
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dnsf_config c;
        char text[256];
        snprintf(text, sizeof text, "%s\n", cases[i].text);
        load_ok(temp_conf(text), NULL, &c);
        int got = *(int *)((char *)&c + cases[i].off);
        if (got != cases[i].want)
            fail_msg("\"%s\": got %d", cases[i].text, got);
    }
}

/* ---- each error class --------------------------------------------------- */

static void test_error_syntax(void **state)
{
    (void)state;
    expect_error("err_syntax.conf", "syntax error");
}

static void test_error_unknown_keys(void **state)
{
    (void)state;
    expect_error("err_unknown_top.conf", "timeout");
    expect_error("err_unknown_health.conf", "health.probe_ms");
    expect_error("err_unknown_cache.conf", "cache.size");
    expect_error("err_unknown_log.conf", "log.file");
}

static void test_error_wrong_types(void **state)
{
    (void)state;
    expect_error("err_type_int.conf", "timeout_ms");
    expect_error("err_type_float.conf", "timeout_ms");
    expect_error("err_type_bool.conf", "enabled");
    expect_error("err_type_string.conf", "log.target");
    expect_error("err_type_enum.conf", "strategy");
    expect_error("err_type_level.conf", "log.level");
    expect_error("err_type_list.conf", "search");
    expect_error("err_type_list_entry.conf", "nameservers");
    expect_error("err_type_group.conf", "health");
}

static void test_error_out_of_range(void **state)
{
    (void)state;
    expect_error("err_range_low.conf", "timeout_ms");
    expect_error("err_range_high.conf", "timeout_ms");

    /* Every bounded key, one past each end (line 2 of a generated file). */
    static const char *const bad[] = {
        "attempts = 0;", "attempts = 11;", "deadline_ms = 9;", "deadline_ms = 120001;",
        "hedge_min_ms = -1;", "hedge_min_ms = 10001;", "hedge_max_ms = 60001;",
        "health = { fail_threshold = 0; };", "health = { fail_threshold = 1001; };",
        "health = { probe_interval_ms = 9; };", "health = { probe_interval_ms = 3600001; };",
        "health = { max_down_ms = -1; };", "health = { max_down_ms = 300001; };",
        "cache = { max_entries = -1; };", "cache = { max_entries = 10000001; };",
        "cache = { min_ttl = -1; };", "cache = { max_ttl = 604801; };",
        "cache = { negative_max_ttl = 10801; };", "cache = { max_stale = 259201; };",
        "ndots = -1;", "ndots = 16;", "timeout_ms = 4294968296L;",
        "search = [ \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\" ];",
        "search = [ \"\" ];",
        "nameservers = [ \"192.0.2.1\", \"192.0.2.2\", \"192.0.2.3\", \"192.0.2.4\", \"192.0.2.5\","
        " \"192.0.2.6\", \"192.0.2.7\", \"192.0.2.8\", \"192.0.2.9\" ];",
        "log = { target = \"\"; };",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "timeout_ms = 750;\n%s\n", bad[i]);
        int want = 2;
        expect_error_lines(temp_conf(text), NULL, &want, 1, NULL);
    }
}

static void test_error_bad_nameservers(void **state)
{
    (void)state;
    expect_error("err_ns_port0.conf", "1.2.3.4:0");
    expect_error("err_ns_port70000.conf", "1.2.3.4:70000");
    expect_error("err_ns_bracket.conf", "[::1");
    expect_error("err_ns_hostname.conf", "example.com");
    expect_error("err_ns_empty.conf", "nameservers");
}

static void test_error_bad_nameserver_multiline(void **state)
{
    (void)state;
    /* libconfig gives an array element the line of the token after it, so
     * the last element of a multi-line list reads as the "];" line. */
    expect_error("err_ns_multiline.conf", "1.2.3.4:0");
}

static void test_error_hedge_min_above_max(void **state)
{
    (void)state;
    expect_error("err_hedge_order.conf", "hedge_min_ms");
}

static void test_error_min_ttl_above_max_ttl(void **state)
{
    (void)state;
    expect_error("err_ttl_order.conf", "min_ttl");
}

static void test_error_apps(void **state)
{
    (void)state;
    expect_error("err_apps_not_list.conf", "apps");
    expect_error("err_apps_array.conf", "apps");
    expect_error("err_app_no_match.conf", "match");
    expect_error("err_app_match_type.conf", "match");
    expect_error("err_app_match_empty.conf", "match");
    expect_error("err_apps_nested.conf", "nested");
    expect_error("err_app_unknown_key.conf", "timeout");
}

static void test_error_in_nonmatching_app(void **state)
{
    (void)state;
    /* Entries that do not match are validated all the same, so a file is
     * good or bad whatever program reads it. */
    const char *path = fixture("err_app_nonmatching.conf");
    int want[4], n = marked_lines(path, want, 4);
    struct dnsf_identity curl = { .progname = "curl", .exe = "/usr/bin/curl" };
    struct dnsf_identity none = { .progname = "other", .exe = "/srv/other" };
    expect_error_lines(path, &curl, want, n, "timeout_ms");
    expect_error_lines(path, &none, want, n, "timeout_ms");
    expect_error_lines(path, NULL, want, n, "timeout_ms");
}

static void test_error_hedge_order_in_app(void **state)
{
    (void)state;
    /* The wget entry sets hedge_min_ms above hedge_max_ms: for wget the
     * error is reported at the line that set it. */
    const char *path = fixture("err_app_hedge_order.conf");
    int want[4], n = marked_lines(path, want, 4);
    struct dnsf_identity wget = { .progname = "wget", .exe = "/usr/bin/wget" };
    expect_error_lines(path, &wget, want, n, "hedge_min_ms");
}

static void test_error_hedge_order_in_nonmatching_app(void **state)
{
    (void)state;
    /* The same file read by curl or with no identity: still an error, or
     * `dnsfailover check` (identity "dnsfailover") passes a file that then
     * fails open in wget. */
    const char *path = fixture("err_app_hedge_order.conf");
    int want[4], n = marked_lines(path, want, 4);
    struct dnsf_identity curl = { .progname = "curl", .exe = "/usr/bin/curl" };
    struct dnsf_identity cli = { .progname = "dnsfailover", .exe = NULL };
    expect_error_lines(path, &curl, want, n, "hedge_min_ms");
    expect_error_lines(path, &cli, want, n, "hedge_min_ms");
    expect_error_lines(path, NULL, want, n, "hedge_min_ms");
}

static void test_error_unreadable(void **state)
{
    (void)state;
    /* A directory: it exists, so this is an error, not "no file". */
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    assert_int_equal(config_load_file(fixdir, NULL, &c, err, sizeof err), -1);
    assert_is_defaults(&c);
    assert_int_equal(strncmp(err, fixdir, strlen(fixdir)), 0);
    assert_int_equal(err[strlen(fixdir)], ':');
}

/* ---- what reaches libconfig: the file itself -------------------------- */

static const char *tmp_path(const char *name)
{
    return path_in(tmpdir, name);
}

/* config_load_file(PATH) in a child process, so that a load that blocks
 * (the old fopen of a FIFO) fails this test instead of hanging it. Return
 * the child's rc, with ERR its message; fail if it takes over 5 s. */
static int load_in_child(const char *path, char *err, size_t errlen)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct dnsf_config c;
        char e[PATH_MAX + 512];
        close(fds[0]);
        int rc = config_load_file(path, NULL, &c, e, sizeof e);
        int n = snprintf(NULL, 0, "%d %s", rc, e);
        char *out = malloc((size_t)n + 1);
        snprintf(out, (size_t)n + 1, "%d %s", rc, e);
        ssize_t w = write(fds[1], out, (size_t)n);
        _exit(w == n ? 0 : 1);
    }
    close(fds[1]);
    struct pollfd p = { .fd = fds[0], .events = POLLIN };
    int ready = poll(&p, 1, 5000);
    if (ready <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(fds[0]);
        fail_msg("config_load_file(\"%s\") still blocked after 5 s", path);
    }
    char buf[PATH_MAX + 600];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    int rc = atoi(buf);
    const char *sp = strchr(buf, ' ');
    snprintf(err, errlen, "%s", sp ? sp + 1 : "");
    return rc;
}

/* ERR is "PATH:0: ..." (a problem with the file as a whole) and mentions NEEDLE. */
static void expect_file_error(const char *path, const char *err, const char *needle)
{
    char head[PATH_MAX + 8];
    snprintf(head, sizeof head, "%s:0: ", path);
    if (strncmp(err, head, strlen(head)) != 0)
        fail_msg("error does not start with \"%s\": \"%s\"", head, err);
    if (strstr(err, needle) == NULL)
        fail_msg("error does not mention \"%s\": \"%s\"", needle, err);
}

static void test_fifo_refused(void **state)
{
    (void)state;
    /* A FIFO blocks fopen() until a writer comes: every lookup hung. */
    const char *fifo = tmp_path("fifo"), *link = tmp_path("fifo-link");
    char err[PATH_MAX + 512];
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink(fifo, link), 0);
    assert_int_equal(load_in_child(fifo, err, sizeof err), -1);
    expect_file_error(fifo, err, "not a regular file");
    assert_int_equal(load_in_child(link, err, sizeof err), -1);
    expect_file_error(link, err, "not a regular file");
}

static void test_device_refused(void **state)
{
    (void)state;
    /* Never opened at all: opening some devices has effects of its own. */
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    assert_int_equal(config_load_file("/dev/null", NULL, &c, err, sizeof err), -1);
    assert_is_defaults(&c);
    expect_file_error("/dev/null", err, "not a regular file");
}

static void test_directory_message(void **state)
{
    (void)state;
    /* It said "cannot read file: Success". */
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    assert_int_equal(config_load_file(fixdir, NULL, &c, err, sizeof err), -1);
    expect_file_error(fixdir, err, "directory");
    if (strstr(err, "Success") != NULL)
        fail_msg("\"%s\"", err);
}

static void test_symlink_followed(void **state)
{
    (void)state;
    /* Configuration management often installs the file as a symlink. */
    const char *link = tmp_path("good-link");
    struct dnsf_config c;
    char target[PATH_MAX];
    assert_non_null(realpath(fixture("full.conf"), target));
    assert_int_equal(symlink(target, link), 0);
    load_ok(link, NULL, &c);
    assert_int_equal(c.timeout_ms, 750);
}

/* Write exactly LEN bytes to PATH: comment lines, then TAIL. */
static void write_sized(const char *path, size_t len, const char *tail)
{
    size_t tl = strlen(tail);
    char *buf = malloc(len);
    assert_non_null(buf);
    assert_true(len > tl + 1);
    memset(buf, '#', len - tl);
    for (size_t i = 63; i < len - tl; i += 64)
        buf[i] = '\n';
    buf[len - tl - 1] = '\n';
    memcpy(buf + len - tl, tail, tl);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
}

static void test_size_cap(void **state)
{
    (void)state;
    const char *big = tmp_path("big.conf");
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    write_sized(big, DNSF_CONFIG_MAX_BYTES, "timeout_ms = 700;\n");
    load_ok(big, NULL, &c);
    assert_int_equal(c.timeout_ms, 700);
    write_sized(big, DNSF_CONFIG_MAX_BYTES + 1, "timeout_ms = 700;\n");
    assert_int_equal(config_load_file(big, NULL, &c, err, sizeof err), -1);
    assert_is_defaults(&c);
    expect_file_error(big, err, "larger than");
}

/* Milliseconds of wall time since T0. */
static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_many_keys_refused_fast(void **state)
{
    (void)state;
    /* libconfig 1.5 checks each new setting against its siblings, so n keys
     * in one group cost n^2/2 comparisons: 20,000 took 2.2 s. */
    const char *big = tmp_path("big.conf");
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++)
        fprintf(f, "k%d = 1;\n", i);
    fclose(f);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(config_load_file(big, NULL, &c, err, sizeof err), -1);
    double ms = ms_since(&t0);
    if (ms > 200)
        fail_msg("20,000 keys: %.0f ms to refuse", ms);
    assert_is_defaults(&c);

    /* Within the size cap: more settings in one group than any valid file
     * can hold; the error names the first one too many. */
    char text[4096];
    size_t o = 0;
    for (int i = 0; i < DNSF_CONFIG_MAX_GROUP_KEYS + 1; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "k%d = 1;\n", i);
    int want = DNSF_CONFIG_MAX_GROUP_KEYS + 1;
    expect_error_lines(temp_conf(text), NULL, &want, 1, "settings in one group");
    o = (size_t)snprintf(text, sizeof text, "apps = ( { match = \"x\";\n");
    for (int i = 0; i < DNSF_CONFIG_MAX_GROUP_KEYS; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "k%d = 1;\n", i);
    snprintf(text + o, sizeof text - o, "} );\n");
    expect_error_lines(temp_conf(text), NULL, &want, 1, "settings in one group");
}

static void test_nesting_refused(void **state)
{
    (void)state;
    char text[4096];
    size_t o = 0;
    for (int i = 0; i < DNSF_CONFIG_MAX_DEPTH + 1; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "g%d = {\n", i);
    for (int i = 0; i < DNSF_CONFIG_MAX_DEPTH + 1; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "};\n");
    int want = DNSF_CONFIG_MAX_DEPTH + 1;
    expect_error_lines(temp_conf(text), NULL, &want, 1, "deep");
    /* Lists and arrays count too. */
    o = 0;
    for (int i = 0; i < DNSF_CONFIG_MAX_DEPTH + 1; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s\n", i == 0 ? "a = (" : "(");
    want = DNSF_CONFIG_MAX_DEPTH + 1;
    expect_error_lines(temp_conf(text), NULL, &want, 1, "deep");
}

static void test_nul_byte_refused(void **state)
{
    (void)state;
    /* A NUL would end the text libconfig sees: the rest silently ignored. */
    const char *path = temp_conf("");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite("timeout_ms = 700;\nattempts = 3;\0\nstrategy = 5;\n", 1, 47, f);
    fclose(f);
    int want = 2;
    expect_error_lines(path, NULL, &want, 1, "NUL");
}

static void test_include_refused(void **state)
{
    (void)state;
    expect_error("err_include.conf", "not supported");

    /* An include that libconfig 1.5 could open: it used to be read. */
    char text[PATH_MAX + 128];
    snprintf(text, sizeof text, "attempts = 3;\n  @include \"%s\"\n", fixture("full.conf"));
    int want = 2;
    expect_error_lines(temp_conf(text), NULL, &want, 1, "@include");

    /* An include of a FIFO hung libconfig itself. */
    const char *fifo = tmp_path("fifo");
    struct stat st;
    if (stat(fifo, &st) != 0)
        assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(text, sizeof text, "attempts = 3;\n@include \"%s\"\n", fifo);
    const char *path = temp_conf(text);
    char err[PATH_MAX + 512];
    assert_int_equal(load_in_child(path, err, sizeof err), -1);
    char head[PATH_MAX + 8];
    snprintf(head, sizeof head, "%s:2: ", path);
    if (strncmp(err, head, strlen(head)) != 0 || strstr(err, "@include") == NULL)
        fail_msg("\"%s\"", err);

    /* "@include" where libconfig does not look for one is just text. */
    struct dnsf_config c;
    load_ok(temp_conf("# @include \"/etc/passwd\"\n/* \n@include \"/etc/passwd\"\n*/\n"
                      "search = [ \"@include\" ];\n// @include \"x\"\n"), NULL, &c);
    assert_int_equal(c.nsearch, 1);
    assert_string_equal(c.search[0], "@include");
}

/* ---- integers as written ------------------------------------------------ */

static void test_integers_as_written(void **state)
{
    (void)state;
    /* libconfig 1.5 stores a plain integer with atoi() and a hex one with
     * strtoul() into an int, and saturates 64-bit ones: the value it hands
     * back is not the one written. The error quotes the text. */
    expect_error("err_int_wrap.conf", "timeout_ms: 4294968296 is out of range [10, 60000]");
    expect_error("err_int_huge.conf", "timeout_ms: 99999999999999999999 is out of range");
    expect_error("err_int_group_wrap.conf", "health.fail_threshold: 4294967299 is out of range");
    struct dnsf_identity curl = { .progname = "curl", .exe = NULL };
    const char *path = fixture("err_int_app_hex.conf");
    int want[4], n = marked_lines(path, want, 4);
    expect_error_lines(path, &curl, want, n, "attempts: 0x100000002 is out of range [1, 10]");
    expect_error_lines(path, NULL, want, n, "attempts: 0x100000002 is out of range [1, 10]");

    static const struct { const char *text, *needle; } cases[] = {
        { "timeout_ms = -4294966296;", "timeout_ms: -4294966296 is out of range" },
        { "timeout_ms = 99999999999999999999L;", "timeout_ms: 99999999999999999999L is out of range" },
        { "timeout_ms = -9223372036854775809L;", "-9223372036854775809L is out of range" },
        { "timeout_ms = 0xffffffff;", "timeout_ms: 0xffffffff is out of range" },
        { "timeout_ms = 0x1ffffffffffffffffL;", "timeout_ms: 0x1ffffffffffffffffL is out of range" },
        { "health = { max_down_ms = 4294967296; };", "health.max_down_ms: 4294967296 is out of range" },
        { "ndots = 4294967297;", "ndots: 4294967297 is out of range [0, 15]" },
        /* Exact 64-bit values were already right; still reported as written. */
        { "timeout_ms = 4294968296L;", "timeout_ms: 4294968296 is out of range" },
        { "search = [ \"a\", 4294967296 ];", "search: 4294967296 is out of range" },
        { "timeout_ms = 1000000000000000000000000000000000000000000000000;",
          "timeout_ms: 10000000000000000000000000000000... is out of range" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "attempts = 3;\n%s\n", cases[i].text);
        int line = 2;
        expect_error_lines(temp_conf(text), NULL, &line, 1, cases[i].needle);
    }

    /* The largest values libconfig stores exactly still load. */
    struct dnsf_config c;
    load_ok(temp_conf("timeout_ms = 0x7530;\nattempts = 10L;\n# 99999999999999999999\n"
                      "search = [ \"99999999999999999999\" ];\n"), NULL, &c);
    assert_int_equal(c.timeout_ms, 30000);
    assert_int_equal(c.attempts, 10);
    assert_string_equal(c.search[0], "99999999999999999999");
    /* Digits inside a name are part of the name. */
    int line = 2;
    expect_error_lines(temp_conf("attempts = 3;\nk-99999999999 = 1;\n"), NULL, &line, 1,
                       "k-99999999999: unknown key");
}

/* ---- log.target --------------------------------------------------------- */

static void test_log_target_rules(void **state)
{
    (void)state;
    /* A relative path was created in each process's working directory;
     * "stdout" wrote into the program's own output. */
    expect_error("err_log_relative.conf", "absolute file path");
    expect_error("err_log_stdout.conf", "\"stdout\"");
    static const char *const bad[] = { "./x.log", "x", "STDERR", "Syslog", " /tmp/x", "~/x.log" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "attempts = 3;\nlog = { target = \"%s\"; };\n", bad[i]);
        int line = 2;
        expect_error_lines(temp_conf(text), NULL, &line, 1, "log.target");
    }
    static const char *const good[] = { "syslog", "stderr", "/var/log/dnsfailover.log", "/x" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[256];
        struct dnsf_config c;
        snprintf(text, sizeof text, "log = { target = \"%s\"; };\n", good[i]);
        load_ok(temp_conf(text), NULL, &c);
        assert_string_equal(c.log_target, good[i]);
    }
}

/* ---- config_load_buffer: the bytes, without a file ---------------------- */

/* Load TEXT (LEN bytes, copied to a buffer of exactly that size, so ASan
 * sees any read past it) as "<buf>". */
static int load_bytes(const char *text, size_t len, struct dnsf_config *c, char *err,
                      size_t errlen)
{
    char *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, text, len);
    int rc = config_load_buffer(b, len, "<buf>", NULL, c, err, errlen);
    free(b);
    return rc;
}

static void expect_buf_error(const char *text, size_t len, const char *head, const char *needle)
{
    struct dnsf_config c;
    char err[512];
    assert_int_equal(load_bytes(text, len, &c, err, sizeof err), -1);
    assert_is_defaults(&c);
    assert_string_equal(c.source, "<buf>");
    if (strncmp(err, head, strlen(head)) != 0 || strstr(err, needle) == NULL)
        fail_msg("\"%.*s\": \"%s\", want \"%s...%s\"", (int)len, text, err, head, needle);
}

static void test_buffer_entry_point(void **state)
{
    (void)state;
    struct dnsf_config c;
    char err[512];
    /* No terminating NUL needed; the name stands for the file. */
    static const char ok[] = "timeout_ms = 700;";
    assert_int_equal(load_bytes(ok, sizeof ok - 1, &c, err, sizeof err), 0);
    assert_int_equal(c.timeout_ms, 700);
    assert_string_equal(c.source, "<buf>");
    assert_int_equal(load_bytes("", 0, &c, err, sizeof err), 0);

    /* A number ending the buffer, a sign, an L, or "0x" ending it. */
    expect_buf_error("timeout_ms = 99999999999", 24, "<buf>:1: ", "99999999999 is out of range");
    expect_buf_error("timeout_ms = 0x", 15, "<buf>:1: ", "syntax error");
    expect_buf_error("timeout_ms = -", 14, "<buf>:1: ", "syntax error");
    assert_int_equal(load_bytes("timeout_ms = 50L", 16, &c, err, sizeof err), 0);  /* ";" is optional */
    assert_int_equal(c.timeout_ms, 50);
    /* libconfig 1.5 takes an unterminated string or comment at the end as nothing. */
    assert_int_equal(load_bytes("\"", 1, &c, err, sizeof err), 0);
    assert_int_equal(load_bytes("/*", 2, &c, err, sizeof err), 0);
    expect_buf_error("@include", 8, "<buf>:1: ", "@include");

    /* Lines are counted through comments and strings the way libconfig does. */
    static const char lines[] = "/* 99999999999\n\n*/ # 99999999999\nsearch = [ \"a\\\"99999999999\n\","
                                " \"\\\\\" ];\ntimeout_ms = 99999999999;\n";
    expect_buf_error(lines, sizeof lines - 1, "<buf>:6: ", "timeout_ms: 99999999999 is out");
    /* Floats are libconfig's type error, not an integer out of range. */
    expect_buf_error("timeout_ms = 1e99;", 18, "<buf>:1: ", "expected an integer, got float");
    expect_buf_error("timeout_ms = 99999999999.5;", 27, "<buf>:1: ", "got float");
    expect_buf_error("timeout_ms = .5e3;", 18, "<buf>:1: ", "got float");
    /* NUL bytes, anywhere. */
    expect_buf_error("timeout_ms = 7;\n#\0", 18, "<buf>:2: ", "NUL");
    expect_buf_error("\0", 1, "<buf>:1: ", "NUL");
    /* Too large a buffer is refused before anything looks at it. */
    char *big = malloc(DNSF_CONFIG_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, '\n', DNSF_CONFIG_MAX_BYTES + 1);
    assert_int_equal(config_load_buffer(big, DNSF_CONFIG_MAX_BYTES + 1, "<big>", NULL, &c, err,
                                        sizeof err), -1);
    assert_string_equal(err, "<big>:0: larger than 65536 bytes");
    assert_int_equal(config_load_buffer(big, DNSF_CONFIG_MAX_BYTES, "<big>", NULL, &c, err,
                                        sizeof err), 0);
    free(big);
}

/* ---- apps --------------------------------------------------------------- */

static void load_app(const char *prog, const char *exe, struct dnsf_config *c)
{
    struct dnsf_identity id = { .progname = prog, .exe = exe };
    load_ok(fixture("apps.conf"), &id, c);
}

static void test_apps_by_program_name(void **state)
{
    (void)state;
    struct dnsf_config c;
    load_app("curl", "/usr/bin/curl", &c);
    /* apps[0] lists curl (and apps[1]'s glob and apps[2] match too, but
     * the first match wins). */
    assert_string_equal(c.app, "apps[0]");
    assert_int_equal(c.timeout_ms, 111);
    assert_int_equal(c.attempts, 3);                      /* global value kept */
    assert_int_equal(c.health.fail_threshold, 3);         /* apps[1] not applied */
    load_app("wget", NULL, &c);
    assert_string_equal(c.app, "apps[0]");
    assert_int_equal(c.timeout_ms, 111);
    load_app("curl", NULL, &c);
    assert_string_equal(c.app, "apps[0]");
}

static void test_apps_by_path_glob(void **state)
{
    (void)state;
    struct dnsf_config c;
    load_app("foo", "/usr/bin/foo", &c);
    assert_string_equal(c.app, "apps[1]");
    assert_int_equal(c.timeout_ms, 222);
    assert_int_equal(c.health.fail_threshold, 9);
    assert_int_equal(c.health.probe_interval_ms, 1000);  /* rest of the group: default */

    load_app("tool", "/opt/acme/bin/tool", &c);
    assert_string_equal(c.app, "apps[3]");
    assert_int_equal(c.strategy, STRATEGY_SEQUENCE);
    assert_int_equal(c.cache.enabled, 0);
    assert_int_equal(c.cache.max_entries, 10000);
    assert_int_equal(c.timeout_ms, 800);

    /* A glob is matched against the executable only, never the name. */
    load_app("/usr/bin/foo", "/srv/foo", &c);
    assert_string_equal(c.app, "");
}

/* The executable's path is looked up only when an apps entry names a
 * path, and then once: a readlink of /proc/self/exe costs a fresh process
 * 15-30 us here. */
static int exe_lookups;
static const char *exe_usr_bin_foo(void)
{
    exe_lookups++;
    return "/usr/bin/foo";
}

static void test_apps_exe_looked_up_only_for_a_path(void **state)
{
    (void)state;
    struct dnsf_config c;
    char err[PATH_MAX + 512];
    struct dnsf_identity lazy = { .progname = "foo", .exe_lookup = exe_usr_bin_foo };
    exe_lookups = 0;
    assert_int_equal(config_load_file(fixture("apps.conf"), &lazy, &c, err, sizeof err), 0);
    assert_string_equal(c.app, "apps[1]");         /* the /usr/bin glob, through the lookup */
    assert_int_equal(c.timeout_ms, 222);
    assert_true(exe_lookups >= 1);

    /* "curl" matches apps[0] by name: no path pattern is reached. */
    lazy.progname = "curl";
    exe_lookups = 0;
    assert_int_equal(config_load_file(fixture("apps.conf"), &lazy, &c, err, sizeof err), 0);
    assert_string_equal(c.app, "apps[0]");
    assert_int_equal(exe_lookups, 0);

    /* A file without apps never asks. */
    exe_lookups = 0;
    assert_int_equal(config_load_buffer("timeout_ms = 500;", 17, "inline", &lazy, &c, err,
                                        sizeof err), 0);
    assert_int_equal(c.timeout_ms, 500);
    assert_int_equal(exe_lookups, 0);
}

static void test_apps_no_match(void **state)
{
    (void)state;
    struct dnsf_config c;
    load_app("foo", "/srv/foo", &c);
    assert_string_equal(c.app, "");
    assert_int_equal(c.timeout_ms, 800);
    assert_int_equal(c.attempts, 3);
    load_app(NULL, NULL, &c);
    assert_string_equal(c.app, "");
    load_ok(fixture("apps.conf"), NULL, &c);
    assert_string_equal(c.app, "");
    assert_int_equal(c.timeout_ms, 800);
    /* Names are compared exactly. */
    load_app("Curl", NULL, &c);
    assert_string_equal(c.app, "");
    load_app("curl2", NULL, &c);
    assert_string_equal(c.app, "");
}

/* ---- config_parse_server ------------------------------------------------ */

static void test_parse_server_ipv4(void **state)
{
    (void)state;
    struct dnsf_server s;
    assert_int_equal(config_parse_server("192.0.2.1", &s), 0);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&s.addr;
    assert_int_equal(in->sin_family, AF_INET);
    assert_int_equal(ntohs(in->sin_port), 53);
    assert_int_equal(ntohl(in->sin_addr.s_addr), 0xc0000201);
    assert_int_equal(s.addrlen, sizeof(struct sockaddr_in));
    assert_string_equal(s.text, "192.0.2.1:53");

    assert_int_equal(config_parse_server("127.0.0.1:5353", &s), 0);
    assert_int_equal(ntohs(in->sin_port), 5353);
    assert_string_equal(s.text, "127.0.0.1:5353");
    assert_int_equal(config_parse_server("10.0.0.1:1", &s), 0);
    assert_int_equal(config_parse_server("10.0.0.1:65535", &s), 0);
    assert_int_equal(ntohs(in->sin_port), 65535);
}

static void test_parse_server_ipv6(void **state)
{
    (void)state;
    struct dnsf_server s;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s.addr;
    uint8_t want[16];
    inet_pton(AF_INET6, "2001:db8::1", want);

    assert_int_equal(config_parse_server("2001:db8::1", &s), 0);
    assert_int_equal(in6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(in6->sin6_port), 53);
    assert_memory_equal(&in6->sin6_addr, want, 16);
    assert_int_equal(s.addrlen, sizeof(struct sockaddr_in6));
    assert_string_equal(s.text, "[2001:db8::1]:53");

    assert_int_equal(config_parse_server("[2001:db8::1]:5300", &s), 0);
    assert_int_equal(ntohs(in6->sin6_port), 5300);
    assert_memory_equal(&in6->sin6_addr, want, 16);
    assert_string_equal(s.text, "[2001:db8::1]:5300");

    assert_int_equal(config_parse_server("[::1]", &s), 0);
    assert_int_equal(ntohs(in6->sin6_port), 53);
    assert_string_equal(s.text, "[::1]:53");
    assert_int_equal(config_parse_server("::1", &s), 0);
    assert_int_equal(config_parse_server("::ffff:192.0.2.1", &s), 0);
    assert_int_equal(in6->sin6_family, AF_INET6);
    assert_int_equal(config_parse_server("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
                                         &s), 0);
    assert_int_equal(ntohs(in6->sin6_port), 65535);
}

static void test_parse_server_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "example.com", "localhost", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:65536",
        "1.2.3.4:", "1.2.3.4:53x", "1.2.3.4:x", "[::1", "[::1]x", "[::1]:", "[::1]:0",
        "[::1]:99999", "[]", "[]:53", "1.2.3", "256.1.1.1", "1.2.3.4.5", ":53", "::1::2",
        "fe80::1%eth0", "[fe80::1%eth0]:53", "2001:db8::1:53:", "1.2.3.4:53:53", "[1.2.3.4",
        "1.2.3.4 ", " 1.2.3.4",
        /* strtoul() took a sign and leading blanks: a port is digits only. */
        "127.0.0.1:+53", "127.0.0.1: 53", "127.0.0.1:-0", "127.0.0.1:\t53", "[::1]:+53",
        "[::1]: 53", "127.0.0.1:0x35", "127.0.0.1:53 ",
        "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:53",
        "11111111111111111111111111111111111111111111111111111111111111111111111111",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dnsf_server s;
        memset(&s, 0x5a, sizeof s);
        if (config_parse_server(bad[i], &s) != -1)
            fail_msg("config_parse_server(\"%s\") accepted it as %s", bad[i], s.text);
    }
    struct dnsf_server s;
    assert_int_equal(config_parse_server(NULL, &s), -1);
}

static void test_strategy_names(void **state)
{
    (void)state;
    assert_string_equal(config_strategy_name(STRATEGY_HEDGE), "hedge");
    assert_string_equal(config_strategy_name(STRATEGY_RACE), "race");
    assert_string_equal(config_strategy_name(STRATEGY_SEQUENCE), "sequence");
    assert_string_equal(config_strategy_name((enum dnsf_strategy)7), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_valid_variants),
        cmocka_unit_test(test_range_boundaries_accepted),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_unknown_keys),
        cmocka_unit_test(test_error_wrong_types),
        cmocka_unit_test(test_error_out_of_range),
        cmocka_unit_test(test_error_bad_nameservers),
        cmocka_unit_test(test_error_bad_nameserver_multiline),
        cmocka_unit_test(test_error_hedge_min_above_max),
        cmocka_unit_test(test_error_min_ttl_above_max_ttl),
        cmocka_unit_test(test_error_apps),
        cmocka_unit_test(test_error_in_nonmatching_app),
        cmocka_unit_test(test_error_hedge_order_in_app),
        cmocka_unit_test(test_error_hedge_order_in_nonmatching_app),
        cmocka_unit_test(test_error_unreadable),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_device_refused),
        cmocka_unit_test(test_directory_message),
        cmocka_unit_test(test_symlink_followed),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_many_keys_refused_fast),
        cmocka_unit_test(test_nesting_refused),
        cmocka_unit_test(test_nul_byte_refused),
        cmocka_unit_test(test_include_refused),
        cmocka_unit_test(test_integers_as_written),
        cmocka_unit_test(test_log_target_rules),
        cmocka_unit_test(test_buffer_entry_point),
        cmocka_unit_test(test_apps_by_program_name),
        cmocka_unit_test(test_apps_by_path_glob),
        cmocka_unit_test(test_apps_exe_looked_up_only_for_a_path),
        cmocka_unit_test(test_apps_no_match),
        cmocka_unit_test(test_parse_server_ipv4),
        cmocka_unit_test(test_parse_server_ipv6),
        cmocka_unit_test(test_parse_server_garbage),
        cmocka_unit_test(test_strategy_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
