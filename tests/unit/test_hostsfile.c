/* test_hostsfile — the in-memory index of /etc/hosts (hostsfile.h).
 *
 * The index must never call a name or address "absent" that glibc's files
 * module would find (that would change a result); calling one "may be
 * there" only costs glibc's read. So the tests check both directions on
 * the parsing rules of glibc 2.36 nss_files: '#' anywhere ends a line,
 * white space separates fields, names fold ASCII case, an address-only line
 * names "", and the reverse conversions (::1 reads as 127.0.0.1 for IPv4,
 * IPv4 lines read as ::ffff:a.b.c.d for IPv6). Then the watched file:
 * loaded once, re-read only when it changes, glibc's answers remembered and
 * handed out until then, and every doubt (missing file, small buffer, high
 * bytes) answered "ask glibc". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <nss.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dnsf/hostsfile.h"

static const char sample[] =
    "# comment line\n"
    "127.0.0.1\tlocalhost\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "  192.0.2.200 HostsOnly.Example hosts-alias # trailing words are comment\n"
    "192.0.2.201 glued#notaname\n"
    "2001:db8::200 six.example\n"
    "::ffff:192.0.2.202 mapped.example\n"
    "not-an-address skipped.example\n"
    "192.0.2.203\n"
    "192.0.2.204 last.example"; /* no final newline */

static struct hosts_index *build(const char *text)
{
    struct hosts_index *x = hosts_index_build(text, strlen(text));
    assert_non_null(x);
    return x;
}

static int may_v4(const struct hosts_index *x, const char *a)
{
    unsigned char b[4];
    assert_int_equal(inet_pton(AF_INET, a, b), 1);
    return hosts_index_may_have_addr(x, b, 4);
}

static int may_v6(const struct hosts_index *x, const char *a)
{
    unsigned char b[16];
    assert_int_equal(inet_pton(AF_INET6, a, b), 1);
    return hosts_index_may_have_addr(x, b, 16);
}

static void test_names(void **state)
{
    (void)state;
    struct hosts_index *x = build(sample);
    const char *present[] = { "localhost", "LOCALHOST", "ip6-localhost", "ip6-loopback",
                              "hostsonly.example", "HOSTSONLY.EXAMPLE", "hosts-alias",
                              "glued", "six.example", "mapped.example", "last.example",
                              "skipped.example", "" };
    for (size_t i = 0; i < sizeof present / sizeof *present; i++)
        if (!hosts_index_may_have_name(x, present[i]))
            fail_msg("\"%s\" is in the file but the index says absent", present[i]);
    const char *absent[] = { "www.example", "localhost.", "local", "localhostx", "trailing",
                             "notaname", "comment", "192.0.2.200", "hostsonly" };
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        if (hosts_index_may_have_name(x, absent[i]))
            fail_msg("\"%s\" is not a name in the file but the index has it", absent[i]);
    hosts_index_free(x);
}

static void test_addresses(void **state)
{
    (void)state;
    struct hosts_index *x = build(sample);
    /* As written, and as glibc converts them while parsing. */
    assert_true(may_v4(x, "127.0.0.1"));
    assert_true(may_v6(x, "::1"));
    assert_true(may_v4(x, "192.0.2.200"));
    assert_true(may_v6(x, "::ffff:192.0.2.200"));   /* IPv4 line, IPv6 question */
    assert_true(may_v4(x, "192.0.2.202"));           /* mapped line, IPv4 question */
    assert_true(may_v6(x, "::ffff:192.0.2.202"));
    assert_true(may_v6(x, "2001:db8::200"));
    assert_true(may_v4(x, "192.0.2.203"));
    assert_true(may_v4(x, "192.0.2.204"));
    /* Not in the file. */
    assert_false(may_v4(x, "192.0.2.10"));
    assert_false(may_v6(x, "2001:db8::10"));
    assert_false(may_v6(x, "::ffff:192.0.2.10"));
    assert_false(may_v6(x, "::2"));
    /* A length we do not model is always "ask glibc". */
    unsigned char odd[8] = { 0 };
    assert_true(hosts_index_may_have_addr(x, odd, 8));
    hosts_index_free(x);
}

static void test_loopback_only_from_v6(void **state)
{
    (void)state;
    /* "::1" alone: glibc answers 127.0.0.1 for an IPv4 reverse lookup. */
    struct hosts_index *x = build("::1 only-six\n");
    assert_true(may_v4(x, "127.0.0.1"));
    assert_true(may_v6(x, "::1"));
    hosts_index_free(x);
}

static void test_unsure_bytes(void **state)
{
    (void)state;
    /* High bytes follow the locale in glibc's isspace/strcasecmp; NUL ends a
     * line early. Either way: always ask glibc. */
    struct hosts_index *x = build("192.0.2.1 caf\xc3\xa9.example\n");
    assert_true(hosts_index_may_have_name(x, "www.example"));
    assert_true(may_v4(x, "192.0.2.99"));
    assert_int_equal(hosts_index_safe_buflen(x), SIZE_MAX);
    hosts_index_free(x);

    const char nul[] = "192.0.2.1 a\0b.example\n";
    x = hosts_index_build(nul, sizeof nul - 1);
    assert_non_null(x);
    assert_true(hosts_index_may_have_name(x, "www.example"));
    hosts_index_free(x);

    x = build(sample);
    assert_true(hosts_index_may_have_name(x, "caf\xc3\xa9"));   /* a high byte asked */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_true(hosts_index_may_have_name(x, big));             /* longer than we fold */
    hosts_index_free(x);
}

static void test_safe_buflen(void **state)
{
    (void)state;
    struct hosts_index *x = build("127.0.0.1 localhost\n");
    size_t small = hosts_index_safe_buflen(x);
    hosts_index_free(x);
    /* A long comment line and a line with many aliases both raise it: glibc
     * reads every line, comments included, into the caller's buffer. */
    char text[4096];
    int n = snprintf(text, sizeof text, "127.0.0.1 localhost\n#%0900d\n", 0);
    assert_true(n > 0 && (size_t)n < sizeof text);
    x = build(text);
    size_t withcomment = hosts_index_safe_buflen(x);
    assert_true(withcomment > small && withcomment >= 903 + 32);
    hosts_index_free(x);
    x = build("192.0.2.1 a b c d e f g h i j k l m n o p q r s t u v w x y z\n");
    assert_true(hosts_index_safe_buflen(x) >= 27 * sizeof(char *) + 52);
    hosts_index_free(x);
    x = build("");               /* empty: nothing to search (UBSan: no NULL to bsearch) */
    assert_false(hosts_index_may_have_name(x, "localhost"));
    assert_false(may_v4(x, "127.0.0.1"));
    hosts_index_free(x);
}

/* ---- the watched file ------------------------------------------------- */

static char dir[] = "/tmp/dnsf-hostsfile-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static enum hostsfile_verdict by_name(struct hostsfile *hf, const char *name, size_t buflen)
{
    struct hostent h;
    char buf[4096];
    struct file_stamp st;
    assert_true(buflen <= sizeof buf);
    int herr;
    return hostsfile_byname3(hf, name, AF_INET, &h, buf, buflen, NULL, &herr, &st);
}

static enum hostsfile_verdict by_addr(struct hostsfile *hf, const void *a, socklen_t len, int af)
{
    struct hostent h;
    char buf[4096];
    struct file_stamp st;
    int herr;
    return hostsfile_byaddr(hf, a, len, af, &h, buf, sizeof buf, &herr, &st);
}

static void test_file_loaded_once(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/hosts", dir);
    write_file(path, "127.0.0.1 localhost\n192.0.2.5 five.example\n");
    struct hostsfile *hf = hostsfile_open(path);
    assert_non_null(hf);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(by_name(hf, "www.example", 4096), HOSTSFILE_ABSENT);
        assert_int_equal(by_name(hf, "five.example", 4096), HOSTSFILE_ASK);
    }
    unsigned char a[4] = { 192, 0, 2, 5 }, b[4] = { 192, 0, 2, 6 };
    assert_int_equal(by_addr(hf, a, 4, AF_INET), HOSTSFILE_ASK);
    assert_int_equal(by_addr(hf, b, 4, AF_INET), HOSTSFILE_ABSENT);
    assert_int_equal(by_addr(hf, b, 4, AF_INET6), HOSTSFILE_ASK);   /* len/af mismatch */
    assert_int_equal(hostsfile_loads(hf), 1);

    /* A buffer glibc's parser might find too small: ask glibc. */
    assert_int_equal(by_name(hf, "www.example", 16), HOSTSFILE_ASK);

    /* A change is seen on the next query, without waiting. */
    write_file(path, "127.0.0.1 localhost\n192.0.2.5 five.example www.example\n");
    assert_int_equal(by_name(hf, "www.example", 4096), HOSTSFILE_ASK);
    assert_int_equal(hostsfile_loads(hf), 2);
    assert_int_equal(by_name(hf, "www.example", 4096), HOSTSFILE_ASK);
    assert_int_equal(hostsfile_loads(hf), 2);

    /* Same size, new contents: the modification time tells. */
    struct timespec t = { 0, 2000000 };
    nanosleep(&t, NULL);
    write_file(path, "127.0.0.1 localhost\n192.0.2.5 five.example xxx.example\n");
    assert_int_equal(by_name(hf, "www.example", 4096), HOSTSFILE_ABSENT);
    assert_int_equal(hostsfile_loads(hf), 3);

    /* Gone: glibc answers (it reports the missing file its own way). */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(by_name(hf, "www.example", 4096), HOSTSFILE_ASK);
    hostsfile_close(hf);
}

/* glibc's answer for a name in the file is remembered and handed out with
 * the same fields, in the caller's buffer, until the file changes. */
static void test_file_remembers_answers(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/hosts", dir);
    write_file(path, "192.0.2.5 five.example five\n192.0.2.6 five.example\n");
    struct hostsfile *hf = hostsfile_open(path);
    assert_non_null(hf);

    /* What glibc's module returned (any layout will do). */
    static char n0[] = "five.example", a0[] = "five", a1[] = "five.example";
    static unsigned char x0[4] = { 192, 0, 2, 5 }, x1[4] = { 192, 0, 2, 6 };
    char *aliases[] = { a0, a1, NULL }, *addrs[] = { (char *)x0, (char *)x1, NULL };
    struct hostent g = { n0, aliases, AF_INET, 4, addrs };

    struct hostent h;
    char buf[4096], *canon = NULL;
    struct file_stamp st;
    int herr;
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET, &h, buf, sizeof buf,
                                       &canon, &herr, &st),
                     HOSTSFILE_ASK);
    hostsfile_remember_byname3(hf, &st, "FIVE", AF_INET, &g, HOSTSFILE_HERRNO_UNTOUCHED);
    memset(&h, 0, sizeof h);
    memset(buf, 0x5a, sizeof buf);
    herr = 12345;
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET, &h, buf, sizeof buf,
                                       &canon, &herr, &st),
                     HOSTSFILE_ANSWERED);
    assert_int_equal(herr, 12345);         /* glibc's module left it alone */
    assert_string_equal(h.h_name, "five.example");
    assert_ptr_equal(canon, h.h_name);
    assert_true(h.h_name >= buf && h.h_name < buf + sizeof buf);
    assert_int_equal(h.h_addrtype, AF_INET);
    assert_int_equal(h.h_length, 4);
    assert_string_equal(h.h_aliases[0], "five");
    assert_string_equal(h.h_aliases[1], "five.example");
    assert_null(h.h_aliases[2]);
    assert_memory_equal(h.h_addr_list[0], x0, 4);
    assert_memory_equal(h.h_addr_list[1], x1, 4);
    assert_null(h.h_addr_list[2]);
    /* With host.conf's "multi on", glibc's module reads to the end of the
     * file and leaves HOST_NOT_FOUND in *herrnop even on success: so does
     * the remembered answer. */
    assert_int_equal(hostsfile_byname3(hf, "five.example", AF_INET, &h, buf, sizeof buf, NULL,
                                       &herr, &st),
                     HOSTSFILE_ASK);
    hostsfile_remember_byname3(hf, &st, "five.example", AF_INET, &g, HOST_NOT_FOUND);
    herr = 12345;
    assert_int_equal(hostsfile_byname3(hf, "five.example", AF_INET, &h, buf, sizeof buf, NULL,
                                       &herr, &st),
                     HOSTSFILE_ANSWERED);
    assert_int_equal(herr, HOST_NOT_FOUND);
    /* Another family or spelling is another question. */
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET6, &h, buf, sizeof buf, NULL, &herr, &st),
                     HOSTSFILE_ASK);
    assert_int_equal(hostsfile_byname3(hf, "five", AF_INET, &h, buf, sizeof buf, NULL, &herr, &st),
                     HOSTSFILE_ASK);
    /* Too small a buffer for glibc to surely succeed: ask glibc. */
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET, &h, buf, 100, NULL, &herr, &st),
                     HOSTSFILE_ASK);

    /* getaddrinfo's form: tuples, the name on the first only. */
    struct gaih_addrtuple t1 = { NULL, NULL, AF_INET6, { 0 }, 0 };
    struct gaih_addrtuple t0 = { &t1, n0, AF_INET, { 0 }, 0 };
    memcpy(t0.addr, x0, 4);
    t1.addr[3] = htonl(1);
    struct gaih_addrtuple *pat = NULL;
    assert_int_equal(hostsfile_byname4(hf, "five", &pat, buf,
                                       sizeof buf, &herr, &st), HOSTSFILE_ASK);
    hostsfile_remember_byname4(hf, &st, "five", &t0, HOSTSFILE_HERRNO_UNTOUCHED);
    assert_int_equal(hostsfile_byname4(hf, "five", &pat, buf, sizeof buf, &herr, &st),
                     HOSTSFILE_ANSWERED);
    assert_non_null(pat);
    assert_string_equal(pat->name, "five.example");
    assert_int_equal(pat->family, AF_INET);
    assert_memory_equal(pat->addr, x0, 4);
    assert_non_null(pat->next);
    assert_null(pat->next->name);
    assert_int_equal(pat->next->family, AF_INET6);
    assert_int_equal(pat->next->addr[3], htonl(1));
    assert_null(pat->next->next);
    /* A tuple handed in by the caller: glibc's module would fill it. */
    assert_int_equal(hostsfile_byname4(hf, "five", &pat, buf,
                                       sizeof buf, &herr, &st), HOSTSFILE_ASK);

    /* Reverse. */
    assert_int_equal(hostsfile_byaddr(hf, x1, 4, AF_INET, &h, buf, sizeof buf, &herr, &st),
                     HOSTSFILE_ASK);
    hostsfile_remember_byaddr(hf, &st, x1, 4, AF_INET, &g, HOSTSFILE_HERRNO_UNTOUCHED);
    assert_int_equal(hostsfile_byaddr(hf, x1, 4, AF_INET, &h, buf, sizeof buf, &herr, &st),
                     HOSTSFILE_ANSWERED);
    assert_string_equal(h.h_name, "five.example");

    /* The file changes: everything remembered is gone. An answer from a
     * query that began before the change is not kept. */
    struct file_stamp old = st;
    struct timespec pause = { 0, 2000000 };
    nanosleep(&pause, NULL);
    write_file(path, "192.0.2.7 five.example five\n");
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET, &h, buf, sizeof buf, NULL, &herr, &st),
                     HOSTSFILE_ASK);
    hostsfile_remember_byname3(hf, &old, "FIVE", AF_INET, &g, HOSTSFILE_HERRNO_UNTOUCHED);
    assert_int_equal(hostsfile_byname3(hf, "FIVE", AF_INET, &h, buf, sizeof buf, NULL, &herr, &st),
                     HOSTSFILE_ASK);
    assert_int_equal(hostsfile_byaddr(hf, x1, 4, AF_INET, &h, buf, sizeof buf, &herr, &st),
                     HOSTSFILE_ABSENT);
    hostsfile_close(hf);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/hosts", dir);
    unlink(path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_loopback_only_from_v6),
        cmocka_unit_test(test_unsure_bytes),
        cmocka_unit_test(test_safe_buflen),
        cmocka_unit_test(test_file_loaded_once),
        cmocka_unit_test(test_file_remembers_answers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
