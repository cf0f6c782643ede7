/* test_nsswitch — nsswitch.c: "dns" becomes "dnsfailover" in the hosts
 * line, every other source and action stays where it was.
 *
 * Fixture files are tests/fixtures/config/nsswitch-*.conf. glibc 2.36
 * facts relied on: a later line for a database replaces an earlier one
 * (nss/nss_database.c), and with no hosts line the default is
 * "dns [!UNAVAIL=return] files". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/nsswitch.h"
#include "fixture.h"

static char fixdir[PATH_MAX];

static int group_setup(void **state)
{
    (void)state;
    return fixture_dir("config", "nsswitch-debian.conf", fixdir, sizeof fixdir);
}

static const char *fixture(const char *name)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    return path;
}

/* Rewrite SPEC into a large buffer and check the result and return value;
 * then check every buffer too small for WANT gets -1, one byte to spare
 * works, and nothing is ever written past OUTLEN. */
static void check_rewrite(const char *spec, const char *want, int want_rc)
{
    char out[512];
    int rc = nsswitch_rewrite(spec, out, sizeof out);
    if (rc != want_rc || strcmp(out, want) != 0)
        fail_msg("rewrite(\"%s\") = %d \"%s\", want %d \"%s\"", spec, rc, out, want_rc, want);

    size_t need = strlen(want) + 1;
    for (size_t len = 0; len <= need + 1; len++) {
        memset(out, '#', sizeof out);
        rc = nsswitch_rewrite(spec, out, len);
        for (size_t k = len; k < sizeof out; k++)
            if (out[k] != '#')
                fail_msg("rewrite(\"%s\", %zu bytes) wrote byte %zu", spec, len, k);
        if (len < need && rc != -1)
            fail_msg("rewrite(\"%s\") into %zu bytes = %d, want -1 (needs %zu)", spec, len, rc,
                     need);
        if (len == need + 1 && (rc != want_rc || strcmp(out, want) != 0))
            fail_msg("rewrite(\"%s\") into %zu bytes = %d, want %d \"%s\"", spec, len, rc,
                     want_rc, want);
    }
}

/* strlen(WANT)+1 bytes are enough: -1 means "OUT is too small" only. */
static void check_exact_fit(const char *spec, const char *want, int want_rc)
{
    char out[512];
    size_t need = strlen(want) + 1;
    int rc = nsswitch_rewrite(spec, out, need);
    if (rc != want_rc || strcmp(out, want) != 0)
        fail_msg("rewrite(\"%s\") into exactly %zu bytes = %d, want %d \"%s\"", spec, need, rc,
                 want_rc, want);
}

static void test_rewrite_files_dns(void **state)
{
    (void)state;
    check_rewrite("files dns", "files dnsfailover", 1);
}

static void test_rewrite_keeps_actions_and_order(void **state)
{
    (void)state;
    check_rewrite("files mdns4_minimal [NOTFOUND=return] dns myhostname",
                  "files mdns4_minimal [NOTFOUND=return] dnsfailover myhostname", 1);
    check_rewrite("files resolve [!UNAVAIL=return] dns",
                  "files resolve [!UNAVAIL=return] dnsfailover", 1);
    check_rewrite("dns [!UNAVAIL=return] files", "dnsfailover [!UNAVAIL=return] files", 1);
    /* An action glued to its source, and one with spaces inside. */
    check_rewrite("dns[NOTFOUND=return] files", "dnsfailover [NOTFOUND=return] files", 1);
    check_rewrite("files [ NOTFOUND = return ] dns", "files [ NOTFOUND = return ] dnsfailover", 1);
}

static void test_rewrite_no_dns(void **state)
{
    (void)state;
    check_rewrite("files myhostname", "files myhostname", 0);
    check_rewrite("files", "files", 0);
    check_rewrite("", "", 0);
    check_rewrite("   ", "", 0);
}

static void test_rewrite_dns_alone(void **state)
{
    (void)state;
    check_rewrite("dns", "dnsfailover", 1);
}

static void test_rewrite_only_whole_token(void **state)
{
    (void)state;
    /* Only the exact source name "dns" is ours. */
    check_rewrite("files dnsx mdns", "files dnsx mdns", 0);
    check_rewrite("mdns4 mdns6 dns6 xdns DNS Dns", "mdns4 mdns6 dns6 xdns DNS Dns", 0);
    check_rewrite("mdns4_minimal [NOTFOUND=return] dns",
                  "mdns4_minimal [NOTFOUND=return] dnsfailover", 1);
    check_rewrite("dnsfailover files", "dnsfailover files", 2);
}

/* NSS-only mode: the admin's line names us and has no "dns". */
static void test_rewrite_names_dnsfailover(void **state)
{
    (void)state;
    check_rewrite("files dnsfailover", "files dnsfailover", NSSWITCH_NAMED);
    check_rewrite("files dnsfailover [NOTFOUND=return] myhostname",
                  "files dnsfailover [NOTFOUND=return] myhostname", NSSWITCH_NAMED);
    /* glibc's DNS as the fallback for a module that cannot be loaded. */
    check_rewrite("files dnsfailover [!UNAVAIL=return] dns",
                  "files dnsfailover [!UNAVAIL=return] dns", NSSWITCH_NAMED);
    check_rewrite("files dnsfailover6", "files dnsfailover6", NSSWITCH_NO_DNS);
}

static void test_rewrite_whitespace(void **state)
{
    (void)state;
    check_rewrite("  files\t\tdns  \n", "files dnsfailover", 1);
    check_rewrite("\tdns", "dnsfailover", 1);
}

static void test_rewrite_exact_fit(void **state)
{
    (void)state;
    check_exact_fit("files dns", "files dnsfailover", 1);
    check_exact_fit("files mdns4_minimal [NOTFOUND=return] dns myhostname",
                    "files mdns4_minimal [NOTFOUND=return] dnsfailover myhostname", 1);
    check_exact_fit("", "", 0);
    /* A result that is one source: its first token has no separator. */
    check_exact_fit("files", "files", 0);
    check_exact_fit("dns", "dnsfailover", 1);
}

static void test_rewrite_buffer_too_small(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(nsswitch_rewrite("files dns", out, sizeof out), -1);
    assert_int_equal(nsswitch_rewrite("files myhostname", out, sizeof out), -1);
    assert_int_equal(nsswitch_rewrite("files", out, 0), -1);
}

/* ---- merging "files" into dnsfailover ----------------------------------- */

static void check_merge(const char *line, const char *want, int want_rc)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    int rc = nsswitch_merge_files(buf);
    if (rc != want_rc || strcmp(buf, want) != 0)
        fail_msg("merge(\"%s\") = %d \"%s\", want %d \"%s\"", line, rc, buf, want_rc, want);
}

static void test_merge_files(void **state)
{
    (void)state;
    /* Only "files" directly before us, with no action of its own. */
    check_merge("files dnsfailover", "dnsfailover", 1);
    check_merge("files dnsfailover myhostname", "dnsfailover myhostname", 1);
    check_merge("files dnsfailover [NOTFOUND=return] myhostname",
                "dnsfailover [NOTFOUND=return] myhostname", 1);
    check_merge("resolve [!UNAVAIL=return] files dnsfailover",
                "resolve [!UNAVAIL=return] dnsfailover", 1);
    check_merge("files [NOTFOUND=return] dnsfailover", "files [NOTFOUND=return] dnsfailover", 0);
    check_merge("files mdns4_minimal [NOTFOUND=return] dnsfailover myhostname",
                "files mdns4_minimal [NOTFOUND=return] dnsfailover myhostname", 0);
    check_merge("dnsfailover [!UNAVAIL=return] files", "dnsfailover [!UNAVAIL=return] files", 0);
    check_merge("dnsfailover", "dnsfailover", 0);
    check_merge("files myhostname", "files myhostname", 0);
    check_merge("myfiles dnsfailover", "myfiles dnsfailover", 0);
    check_merge("", "", 0);
    /* The merged line is still one the memo may serve (only us before DNS). */
    assert_int_equal(nsswitch_memo_safe("dnsfailover"), 1);
    assert_int_equal(nsswitch_memo_safe("dnsfailover myhostname"), 1);
}

/* ---- hosts_line on files ------------------------------------------------- */

static void check_file(const char *name, const char *want, int want_rc)
{
    char out[512];
    const char *path = fixture(name);
    int rc = nsswitch_hosts_line(path, out, sizeof out);
    if (rc != want_rc || strcmp(out, want) != 0)
        fail_msg("hosts_line(%s) = %d \"%s\", want %d \"%s\"", name, rc, out, want_rc, want);
}

static void test_hosts_line_debian(void **state)
{
    (void)state;
    check_file("nsswitch-debian.conf",
               "files mdns4_minimal [NOTFOUND=return] dnsfailover myhostname", 1);
}

static void test_hosts_line_missing_file(void **state)
{
    (void)state;
    /* glibc's built-in hosts line, rewritten. */
    check_file("nsswitch-does-not-exist.conf", "dnsfailover [!UNAVAIL=return] files", 1);
    check_file("nsswitch-no-hosts.conf", "dnsfailover [!UNAVAIL=return] files", 1);
    char out[512];
    assert_int_equal(nsswitch_rewrite(NSSWITCH_DEFAULT_HOSTS, out, sizeof out), 1);
    assert_string_equal(out, "dnsfailover [!UNAVAIL=return] files");
}

static void test_hosts_line_last_wins(void **state)
{
    (void)state;
    check_file("nsswitch-last-wins.conf", "files myhostname", 0);
    check_file("nsswitch-last-has-dns.conf", "files resolve [!UNAVAIL=return] dnsfailover", 1);
}

static void test_hosts_line_comments(void **state)
{
    (void)state;
    check_file("nsswitch-comments.conf", "files dnsfailover", 1);
}

static void test_hosts_line_buffer_too_small(void **state)
{
    (void)state;
    char out[10];
    assert_int_equal(nsswitch_hosts_line(fixture("nsswitch-debian.conf"), out, sizeof out), -1);
    assert_int_equal(nsswitch_hosts_line(fixture("nsswitch-does-not-exist.conf"), out,
                                         sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite_files_dns),
        cmocka_unit_test(test_merge_files),
        cmocka_unit_test(test_rewrite_keeps_actions_and_order),
        cmocka_unit_test(test_rewrite_no_dns),
        cmocka_unit_test(test_rewrite_dns_alone),
        cmocka_unit_test(test_rewrite_only_whole_token),
        cmocka_unit_test(test_rewrite_names_dnsfailover),
        cmocka_unit_test(test_rewrite_whitespace),
        cmocka_unit_test(test_rewrite_exact_fit),
        cmocka_unit_test(test_rewrite_buffer_too_small),
        cmocka_unit_test(test_hosts_line_debian),
        cmocka_unit_test(test_hosts_line_missing_file),
        cmocka_unit_test(test_hosts_line_last_wins),
        cmocka_unit_test(test_hosts_line_comments),
        cmocka_unit_test(test_hosts_line_buffer_too_small),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
