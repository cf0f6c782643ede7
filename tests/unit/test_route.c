/* test_route — `domains` (confdomains.c) and the routing table (route.c).
 *
 * Configs are given as text (config_load_buffer), so each case shows the
 * file it reads and the line its error must name. Routing: the longest
 * suffix on label boundaries, case and a trailing dot ignored, reverse
 * names like any other, and an app's list merged over the top level's by
 * suffix. Errors: "NAME:LINE: KEY: message", and a rejected file leaves the
 * defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/route.h"

static struct dnsf_config cfg;

static void load(const char *text, const char *prog)
{
    struct dnsf_identity id = { .progname = prog };
    char err[512];
    int rc = config_load_buffer(text, strlen(text), "t.conf", prog ? &id : NULL, &cfg, err,
                                sizeof err);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, err);
}

/* The first server of the entry NAME routes to, "-" for none. */
static const char *via(const char *name)
{
    const struct dnsf_domain *d = route_lookup_text(&cfg, name);
    return d ? route_servers(&cfg, d)[0].text : "-";
}

/* Loading TEXT fails with an error that starts with "t.conf:LINE: " and
 * holds NEEDLE; the config is left at the defaults. */
static void expect_error(const char *text, unsigned line, const char *needle)
{
    struct dnsf_config d;
    char err[512], head[32];
    int rc = config_load_buffer(text, strlen(text), "t.conf", NULL, &cfg, err, sizeof err);
    if (rc != -1)
        fail_msg("accepted: %s", text);
    snprintf(head, sizeof head, "t.conf:%u: ", line);
    if (strncmp(err, head, strlen(head)) != 0 || strstr(err, needle) == NULL)
        fail_msg("want \"%s...%s...\", got \"%s\"", head, needle, err);
    config_defaults(&d);
    memcpy(d.source, cfg.source, sizeof d.source);
    if (memcmp(&d, &cfg, sizeof d) != 0)
        fail_msg("a rejected file left other than the defaults: %s", err);
}

static const char *const base_conf =
    "domains = (\n"
    "  { suffix = [ \"example\" ]; nameservers = [ \"192.0.2.1\" ]; },\n"
    "  { suffix = [ \"corp.example\", \"10.in-addr.arpa\" ];\n"
    "    nameservers = [ \"192.0.2.2\", \"192.0.2.22:5353\" ]; strategy = \"sequence\"; },\n"
    "  { suffix = [ \"B.Corp.Example.\", \"8.b.d.0.1.0.0.2.ip6.arpa\" ];\n"
    "    nameservers = \"[2001:db8::53]\"; timeout_ms = 300; },\n"
    "  { suffix = \"acq.example\"; nameservers = \"192.0.2.4\"; }\n"
    ");\n"
    "timeout_ms = 700;\n"
    "strategy = \"balance\";\n"
    "apps = (\n"
    "  { match = [ \"crm\" ]; strategy = \"race\";\n"
    "    domains = ( { suffix = [ \"acq.example\", \"corp.example\" ]; nameservers = \"192.0.2.9\"; } ); },\n"
    "  { match = [ \"nodom\" ]; domains = ( ); }\n"
    ");\n";

static void test_parsed(void **state)
{
    (void)state;
    load(base_conf, NULL);
    const struct dnsf_domains *t = &cfg.domains;
    assert_int_equal(cfg.strategy, STRATEGY_BALANCE);
    assert_int_equal(t->n, 4);
    assert_int_equal(t->nsuffixes, 6);
    assert_int_equal(t->nservers, 5);
    /* Values in effect: the entry's own, else the config's (set after it). */
    assert_int_equal(t->d[0].strategy, STRATEGY_BALANCE);
    assert_int_equal(t->d[0].timeout_ms, 700);
    assert_int_equal(t->d[1].strategy, STRATEGY_SEQUENCE);
    assert_int_equal(t->d[1].nservers, 2);
    assert_string_equal(route_servers(&cfg, &t->d[1])[1].text, "192.0.2.22:5353");
    assert_int_equal(t->d[2].timeout_ms, 300);
    assert_int_equal(t->d[2].attempts, cfg.attempts);
    assert_int_equal(t->d[2].line, 5);
    assert_string_equal(t->d[3].origin, "domains[3]");
    /* Stored lower case, without the trailing dot. */
    char name[DNSMSG_MAXDNAME];
    assert_true(dnsmsg_name_ntop(t->names + t->s[3].off, name, sizeof name) > 0);
    assert_string_equal(name, "b.corp.example");
}

static void test_longest_match(void **state)
{
    (void)state;
    load(base_conf, NULL);
    assert_string_equal(via("www.example"), "192.0.2.1:53");
    assert_string_equal(via("example"), "192.0.2.1:53");
    assert_string_equal(via("corp.example"), "192.0.2.2:53");
    assert_string_equal(via("a.corp.example"), "192.0.2.2:53");
    assert_string_equal(via("b.corp.example"), "[2001:db8::53]:53");
    assert_string_equal(via("x.y.b.corp.example"), "[2001:db8::53]:53");
    assert_string_equal(via("acq.example"), "192.0.2.4:53");
    assert_string_equal(via("example.org"), "-");
    assert_string_equal(via("org"), "-");
    assert_string_equal(via("."), "-");
    assert_string_equal(via(""), "-");
}

static void test_label_boundary(void **state)
{
    (void)state;
    load("domains = ( { suffix = \"corp.example\"; nameservers = \"192.0.2.2\"; } );\n", NULL);
    assert_string_equal(via("a.corp.example"), "192.0.2.2:53");
    assert_string_equal(via("xcorp.example"), "-");
    assert_string_equal(via("a.xcorp.example"), "-");
    assert_string_equal(via("corp.example.org"), "-");
    assert_string_equal(via("orp.example"), "-");
    assert_string_equal(via("example"), "-");
    /* An escaped dot is inside a label: "a.corp" is one label here. */
    assert_string_equal(via("x\\.corp.example"), "-");
    assert_string_equal(via("x.a\\.corp.example"), "-");
    /* \DDD escapes name the same octets. */
    assert_string_equal(via("www.\\099orp.example"), "192.0.2.2:53");
    /* Names that cannot be sent are not routed (and are not sent either). */
    assert_string_equal(via("a..corp.example"), "-");
}

static void test_case_and_trailing_dot(void **state)
{
    (void)state;
    load(base_conf, NULL);
    assert_string_equal(via("WWW.CORP.EXAMPLE"), "192.0.2.2:53");
    assert_string_equal(via("www.Corp.Example."), "192.0.2.2:53");
    assert_string_equal(via("Q.b.CORP.example."), "[2001:db8::53]:53");
    /* The wire form: any case too. */
    uint8_t w[DNSMSG_MAXCDNAME];
    assert_true(dnsmsg_name_pton("HOST.ACQ.EXAMPLE", w) > 0);
    const struct dnsf_domain *d = route_lookup(&cfg, w);
    assert_non_null(d);
    assert_string_equal(route_servers(&cfg, d)[0].text, "192.0.2.4:53");
}

static void test_reverse_names(void **state)
{
    (void)state;
    load(base_conf, NULL);
    assert_string_equal(via("4.3.2.10.in-addr.arpa"), "192.0.2.2:53");
    assert_string_equal(via("10.in-addr.arpa"), "192.0.2.2:53");
    assert_string_equal(via("4.3.2.110.in-addr.arpa"), "-");   /* 110/8, not 10/8 */
    assert_string_equal(via("4.3.2.1.in-addr.arpa"), "-");
    /* 2001:db8::1 */
    assert_string_equal(via("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                            "8.b.d.0.1.0.0.2.ip6.arpa"), "[2001:db8::53]:53");
    assert_string_equal(via("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                            "9.b.d.0.1.0.0.2.ip6.arpa"), "-");
}

static void test_apps_merge(void **state)
{
    (void)state;
    /* crm's list takes acq.example and corp.example; the top level's corp
     * entry keeps 10.in-addr.arpa, and the other entries stay. */
    load(base_conf, "crm");
    assert_string_equal(cfg.app, "apps[0]");
    assert_string_equal(via("h.acq.example"), "192.0.2.9:53");
    assert_string_equal(via("h.corp.example"), "192.0.2.9:53");
    assert_string_equal(via("4.3.2.10.in-addr.arpa"), "192.0.2.2:53");
    assert_string_equal(via("h.b.corp.example"), "[2001:db8::53]:53");
    assert_string_equal(via("h.example"), "192.0.2.1:53");
    const struct dnsf_domain *d = route_lookup_text(&cfg, "h.acq.example");
    assert_int_equal(d->strategy, STRATEGY_RACE);                /* the app's */
    assert_string_equal(d->origin, "apps[0].domains[0]");
    assert_int_equal(d->line, 13);
    assert_int_equal(cfg.domains.n, 4);        /* acq.example's own entry is gone */
    assert_int_equal(cfg.domains.nservers, 5);
    /* The top-level entries take the app's strategy where they set none. */
    assert_int_equal(route_lookup_text(&cfg, "h.example")->strategy, STRATEGY_RACE);
    assert_int_equal(route_lookup_text(&cfg, "10.in-addr.arpa")->strategy, STRATEGY_SEQUENCE);

    /* Another program: the top level's table, untouched. */
    load(base_conf, "other");
    assert_string_equal(via("h.acq.example"), "192.0.2.4:53");
    assert_string_equal(via("h.corp.example"), "192.0.2.2:53");
    assert_int_equal(route_lookup_text(&cfg, "h.example")->strategy, STRATEGY_BALANCE);
    /* An empty list in an app changes nothing. */
    load(base_conf, "nodom");
    assert_int_equal(cfg.domains.n, 4);
    assert_string_equal(via("h.acq.example"), "192.0.2.4:53");

    /* An app's list with no top-level one; an app entry overriding all of a
     * top-level entry's suffixes removes that entry. */
    load("apps = ( { match = \"p\"; domains = ( { suffix = \"a.example\"; "
         "nameservers = \"192.0.2.7\"; } ); } );\n", "p");
    assert_string_equal(via("x.a.example"), "192.0.2.7:53");
    load("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\"; },\n"
         "  { suffix = \"b.example\"; nameservers = \"192.0.2.2\"; } );\n"
         "apps = ( { match = \"p\"; domains = ( { suffix = \"A.example.\"; "
         "nameservers = \"192.0.2.7\"; } ); } );\n", "p");
    assert_int_equal(cfg.domains.n, 2);
    assert_string_equal(via("x.a.example"), "192.0.2.7:53");
    assert_string_equal(via("x.b.example"), "192.0.2.2:53");
    assert_int_equal(cfg.domains.d[0].first_server, 0);       /* compacted */
}

static void test_same_file_same_bytes(void **state)
{
    (void)state;
    static struct dnsf_config a;
    load(base_conf, "crm");
    a = cfg;
    load(base_conf, "crm");
    assert_memory_equal(&a, &cfg, sizeof a);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("timeout_ms = 500;\ndomains = ( { suffix = [ ]; nameservers = \"192.0.2.1\"; } );\n",
                 2, "domains[0].suffix: an empty list");
    expect_error("domains = ( { suffix = \"\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "domains[0].suffix: bad suffix \"\": an empty suffix");
    expect_error("domains = ( { suffix = \".\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "the root \".\" would route every name");
    expect_error("domains = ( { suffix = \"a..example\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "an empty label");
    expect_error("domains = ( { suffix = \".example\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "an empty label");
    expect_error("domains = ( { suffix = \"exa mple\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "not a domain name");
    expect_error("domains = ( { suffix = \"a\\\\.example\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "not a domain name");
    expect_error("domains = ( { suffix = \"a234567890123456789012345678901234567890123456789012345"
                 "678901234.example\"; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "a label longer than 63");
    expect_error("domains = ( { suffix = 5; nameservers = \"192.0.2.1\"; } );\n", 1,
                 "suffix: expected a list");
    expect_error("domains = ( { suffix = ( \"a.example\", 5 ); nameservers = \"192.0.2.1\"; } );\n",
                 1, "entry 2 is not a string");
    /* The same suffix twice in one list, in one entry or two. */
    expect_error("domains = ( { suffix = [ \"a.example\", \"A.Example.\" ];\n"
                 "  nameservers = \"192.0.2.1\"; } );\n", 1, "\"A.Example.\" is already in this list");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\"; },\n"
                 "  { suffix = \"a.example\"; nameservers = \"192.0.2.2\"; } );\n", 2,
                 "domains[1].suffix: \"a.example\" is already in this list (line 1)");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.300\"; } );\n", 1,
                 "domains[0].nameservers: bad nameserver address \"192.0.2.300\"");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = [ ]; } );\n", 1,
                 "nameservers: expected 1 to 8 entries, got 0");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = [ \"192.0.2.1\", \"192.0.2.1:53\" ]; } );\n",
                 1, "192.0.2.1:53 is in this list twice");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\";\n"
                 "  colour = \"blue\"; } );\n", 2, "domains[0].colour: unknown key");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\";\n"
                 "  deadline_ms = 100; } );\n", 2,
                 "domains[0].deadline_ms: not allowed in a domains entry");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\"; timeout_ms = 5; } );\n",
                 1, "domains[0].timeout_ms: 5 is out of range [10, 60000]");
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\"; strategy = \"fast\"; } );\n",
                 1, "domains[0].strategy: expected \"hedge\", \"race\", \"sequence\" or \"balance\"");
    expect_error("domains = ( { suffix = \"a.example\"; } );\n", 1, "domains[0]: missing key \"nameservers\"");
    expect_error("domains = ( { nameservers = \"192.0.2.1\"; } );\n", 1, "domains[0]: missing key \"suffix\"");
    expect_error("domains = ( \"a.example\" );\n", 1, "domains[0]: expected a group");
    expect_error("domains = { suffix = \"a.example\"; };\n", 1, "domains: expected a list");
    /* hedge_min_ms above hedge_max_ms, its own or inherited. */
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\";\n"
                 "  hedge_min_ms = 50; hedge_max_ms = 20; } );\n", 1, "domains[0]: hedge_min_ms (50)");
    expect_error("hedge_max_ms = 30;\n"
                 "domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\"; hedge_min_ms = 40; } );\n",
                 2, "(one of them inherited)");
    /* In an apps entry, even one that does not match this program. */
    expect_error("apps = ( { match = \"nobody\";\n"
                 "  domains = ( { suffix = \"a.example\"; nameservers = \"bad\"; } ); } );\n", 2,
                 "apps[0].domains[0].nameservers: bad nameserver");
    expect_error("apps = ( { match = \"x\"; }, { match = \"nobody\"; hedge_max_ms = 50;\n"
                 "  domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\";\n"
                 "  hedge_min_ms = 60; } ); } );\n", 2,
                 "apps[1].domains[0]: hedge_min_ms (60) is above hedge_max_ms (50)");
    /* A top-level entry checked again under an app's values. */
    expect_error("domains = ( { suffix = \"a.example\"; nameservers = \"192.0.2.1\";\n"
                 "  hedge_min_ms = 60; } );\n"
                 "apps = ( { match = \"nobody\"; hedge_max_ms = 50; } );\n", 1,
                 "domains[0]: hedge_min_ms (60) is above hedge_max_ms (50)");
    /* "strategy" at the top level takes "balance" and still refuses others. */
    expect_error("strategy = \"balanced\";\n", 1, "strategy: expected \"hedge\", \"race\", "
                 "\"sequence\" or \"balance\"");
}

static void test_capacity(void **state)
{
    (void)state;
    char text[8192];
    size_t o = 0;
    o += (size_t)snprintf(text + o, sizeof text - o, "domains = (\n");
    for (int i = 0; i <= DNSF_MAX_DOMAINS; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s{ suffix = \"d%d.example\"; "
                              "nameservers = \"192.0.2.%d\"; }\n", i ? "," : "", i, i + 1);
    snprintf(text + o, sizeof text - o, ");\n");
    expect_error(text, DNSF_MAX_DOMAINS + 2, "more than 16 domains entries");

    /* On one line: libconfig gives an array element the line of the token
     * after it. */
    o = (size_t)snprintf(text, sizeof text, "domains = ( { nameservers = \"192.0.2.1\"; suffix = [");
    for (int i = 0; i <= DNSF_MAX_SUFFIXES; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s\"s%d.example\"", i ? "," : "", i);
    snprintf(text + o, sizeof text - o, "]; } );\n");
    expect_error(text, 1, "more than 64 suffixes");
}

/* What a lookup costs: printed, not asserted (the machine is shared). */
static void test_lookup_cost(void **state)
{
    (void)state;
    load(base_conf, NULL);
    struct timespec a, b;
    int hits = 0, n = 200000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        hits += route_lookup_text(&cfg, i & 1 ? "www.host.b.corp.example" : "www.example.org") != NULL;
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(hits, n / 2);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
    printf("# route_lookup_text: %.0f ns per name (5 and 3 labels, 6 suffixes)\n", ns);
    config_defaults(&cfg);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        hits += route_lookup_text(&cfg, "www.host.b.corp.example") != NULL;
    clock_gettime(CLOCK_MONOTONIC, &b);
    ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
    printf("# route_lookup_text with no domains: %.1f ns per name\n", ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsed),
        cmocka_unit_test(test_longest_match),
        cmocka_unit_test(test_label_boundary),
        cmocka_unit_test(test_case_and_trailing_dot),
        cmocka_unit_test(test_reverse_names),
        cmocka_unit_test(test_apps_merge),
        cmocka_unit_test(test_same_file_same_bytes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_lookup_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
