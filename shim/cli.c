/* dnsfailover — the diagnostic command. It links the same core the library
 * uses, so `resolve` exercises the very engine the shim runs.
 *
 * Exit codes: 0 success, 1 lookup failed (no such name, servers down),
 * 2 usage error, 3 invalid configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/clock.h"
#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/resconf.h"
#include "dnsf/resolve.h"
#include "dnsf/version.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dnsfailover check   [--config FILE] [--app NAME]\n"
        "       dnsfailover resolve NAME [-4|-6] [--config FILE] [--app NAME]\n"
        "       dnsfailover keys\n"
        "       dnsfailover preload enable [--lib PATH] [--check-name NAME] | disable | status\n"
        "       dnsfailover --version\n"
        "\n"
        "  check    validate the configuration and print the settings in effect\n"
        "  resolve  look NAME up through dnsfailover's engine, with a trace of\n"
        "           which servers were asked, what they replied, and the latency\n"
        "  keys     list every configuration key with its type and range\n"
        "  preload  switch the host-wide preload (/etc/ld.so.preload) safely;\n"
        "           see dnsfailover preload --help\n"
        "\n"
        "The configuration is FILE, else $DNSFAILOVER_CONF, else %s.\n"
        "Exit codes: 0 ok, 1 lookup failed, 2 usage, 3 bad configuration.\n"
        "\n"
        "examples:\n"
        "  dnsfailover check --app curl\n"
        "  dnsfailover resolve www.example.org -4\n"
        "  dnsfailover resolve 192.0.2.1 --config /tmp/test.conf\n",
        DNSF_SYSTEM_CONF);
}

static int load(const char *path, const char *app, struct dnsf_config *c)
{
    char err[PATH_MAX + 300];
    /* --app takes a program name, or an absolute path for path globs. */
    struct dnsf_identity id = { .progname = app ? app : "dnsfailover" };
    if (app != NULL && app[0] == '/') {
        const char *slash = strrchr(app, '/');
        id.progname = slash + 1;
        id.exe = app;
    }
    if (path == NULL)
        path = getenv("DNSFAILOVER_CONF");
    if (path == NULL || *path == 0)
        path = DNSF_SYSTEM_CONF;
    int rc = config_load_file(path, &id, c, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "dnsfailover: %s\n", err);
        return -1;
    }
    return 0;
}

static void print_config(const struct dnsf_config *c, const struct resconf *rc)
{
    printf("source        %s\n", c->source[0] ? c->source : "(built-in defaults)");
    printf("app section   %s\n", c->app[0] ? c->app : "(none matched)");
    printf("enabled       %s\n", c->enabled ? "true" : "false");
    printf("nameservers  ");
    const struct dnsf_server *s = c->nservers ? c->servers : rc->servers;
    int n = c->nservers ? c->nservers : rc->nservers;
    for (int i = 0; i < n; i++)
        printf(" %s", s[i].text);
    printf("%s\n", c->nservers ? "" : "   (from /etc/resolv.conf)");
    printf("strategy      %s\n", config_strategy_name(c->strategy));
    printf("timeout_ms    %d\nattempts      %d\ndeadline_ms   %d\n", c->timeout_ms, c->attempts,
           c->deadline_ms);
    printf("hedge_min_ms  %d\nhedge_max_ms  %d\n", c->hedge_min_ms, c->hedge_max_ms);
    printf("health        fail_threshold=%d probe_interval_ms=%d max_down_ms=%d\n",
           c->health.fail_threshold, c->health.probe_interval_ms, c->health.max_down_ms);
    printf("cache         %s max_entries=%d min_ttl=%d max_ttl=%d negative_max_ttl=%d "
           "serve_stale=%s max_stale=%d\n", c->cache.enabled ? "enabled" : "disabled",
           c->cache.max_entries, c->cache.min_ttl, c->cache.max_ttl, c->cache.negative_max_ttl,
           c->cache.serve_stale ? "true" : "false", c->cache.max_stale);
    printf("ndots         %d%s\n", c->ndots >= 0 ? c->ndots : rc->ndots,
           c->ndots >= 0 ? "" : "   (from /etc/resolv.conf)");
    printf("search       ");
    int ns = c->nsearch >= 0 ? c->nsearch : rc->nsearch;
    for (int i = 0; i < ns; i++)
        printf(" %s", c->nsearch >= 0 ? c->search[i] : rc->search[i]);
    printf("%s\n", c->nsearch >= 0 ? "" : "   (from /etc/resolv.conf)");
    printf("log           %s -> %s\n", log_level_name(c->log_level), c->log_target);
    printf("stats_on_exit %s\n", c->stats_on_exit ? "true" : "false");
    printf("state_dir     %s\n", c->state_dir[0] ? c->state_dir : "\"\"   (not shared)");
}

static void print_key(const char *path, const char *type, long min, long max, void *arg)
{
    (void)arg;
    if (strcmp(type, "integer") == 0)
        printf("%s\t%s\t%ld-%ld\n", path, type, min, max);
    else
        printf("%s\t%s\n", path, type);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL, *path = NULL, *app = NULL, *name = NULL;
    int family = AF_UNSPEC;
    struct dnsf_config cfg;
    struct resconf rc;

    if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(cmd ? stdout : stderr);
        return cmd ? 0 : 2;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s\n", dnsf_version);
        return 0;
    }
    if (strcmp(cmd, "preload") == 0)
        return cli_preload(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0) {
        config_schema_each(print_key, NULL);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            app = argv[++i];
        else if (strcmp(argv[i], "-4") == 0)
            family = AF_INET;
        else if (strcmp(argv[i], "-6") == 0)
            family = AF_INET6;
        else if (argv[i][0] != '-' && name == NULL)
            name = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (strcmp(cmd, "check") != 0 && (strcmp(cmd, "resolve") != 0 || name == NULL)) {
        usage(stderr);
        return 2;
    }
    if (path != NULL && access(path, F_OK) != 0) {
        fprintf(stderr, "dnsfailover: %s: %s\n", path, strerror(errno));
        return 3;
    }
    if (load(path, app, &cfg) < 0)
        return 3;
    /* resolve prints its trace (the engine's debug lines) on our own
     * stdout; a config can never name that target for a host program. */
    if (strcmp(cmd, "resolve") == 0)
        log_configure_fd(LOG_LVL_DEBUG, STDOUT_FILENO);
    else
        log_configure(LOG_LVL_WARN, "stderr");
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (resconf_load(&rc) < 0) {
        fprintf(stderr, "dnsfailover: cannot read /etc/resolv.conf\n");
        return 3;
    }
    if (strcmp(cmd, "check") == 0) {
        print_config(&cfg, &rc);
        cli_mode_report(stdout, stderr);
        return 0;
    }
    if (strcmp(cmd, "resolve") != 0 || name == NULL) {
        usage(stderr);
        return 2;
    }
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herrno = 0, err = 0;
    if (!cfg.enabled)
        printf(";; note: the configuration disables dnsfailover for %s; a preloaded\n"
               ";; program would pass this lookup to libc\n", app ? app : "this program");
    resolve_ctx_init(&ctx, &cfg, &rc);
    uint16_t qt = family == AF_INET ? DNS_T_A : family == AF_INET6 ? DNS_T_AAAA : RESOLVE_A_AND_AAAA;
    char rev[DNSMSG_MAXDNAME];
    unsigned char a[16];
    int reverse = 0;
    if (inet_pton(AF_INET, name, a) == 1) {
        snprintf(rev, sizeof rev, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
        reverse = 1;
    } else if (inet_pton(AF_INET6, name, a) == 1) {
        char *q = rev;
        for (int i = 15; i >= 0; i--)
            q += sprintf(q, "%x.%x.", a[i] & 0xf, a[i] >> 4);
        strcpy(q, "ip6.arpa");
        reverse = 1;
    }
    printf(";; %s via %s, strategy %s\n", reverse ? rev : name,
           cfg.nservers ? "the configured nameservers" : "/etc/resolv.conf's nameservers",
           config_strategy_name(cfg.strategy));
    uint64_t t0 = clock_now_us();
    int r = reverse ? resolve_query(&ctx, rev, DNS_T_PTR, &ans, &herrno, &err)
                    : resolve_search(&ctx, name, qt, &ans, &herrno, &err);
    double ms = (double)(clock_now_us() - t0) / 1000.0;
    if (r != 0) {
        printf("%s: %s (%.1f ms)\n", name, r == DNSF_FAIL_OPEN ? "internal error" : hstrerror(herrno), ms);
        return 1;
    }
    for (int i = 0; i < ans.nq; i++) {
        struct dnsmsg m;
        struct dnsmsg_rr rr;
        if (ans.r[i].len == 0 || dnsmsg_init(&m, ans.r[i].pkt, (size_t)ans.r[i].len) < 0)
            continue;
        char qn[DNSMSG_MAXDNAME];
        dnsmsg_name_ntop(m.qname, qn, sizeof qn);
        printf(";; %s type %u from %s in %.1f ms, rcode %d\n", qn, m.qtype,
               ans.r[i].server >= 0 ? ctx.ask.servers[ans.r[i].server].text : "the cache",
               ans.r[i].latency_us / 1000.0,
               dnsmsg_rcode(&m));
        for (int k = 0; k < m.ancount && dnsmsg_next_rr(&m, &rr) == 0; k++) {
            char owner[DNSMSG_MAXDNAME], text[DNSMSG_MAXDNAME];
            dnsmsg_name_ntop(rr.name, owner, sizeof owner);
            if (rr.type == DNS_T_A && rr.rdlength == 4)
                inet_ntop(AF_INET, rr.rdata, text, sizeof text);
            else if (rr.type == DNS_T_AAAA && rr.rdlength == 16)
                inet_ntop(AF_INET6, rr.rdata, text, sizeof text);
            else if (rr.type == DNS_T_CNAME || rr.type == DNS_T_PTR) {
                uint8_t w[DNSMSG_MAXCDNAME];
                if (dnsmsg_unpack_name(&m, rr.rdata, w) < 0 || dnsmsg_name_ntop(w, text, sizeof text) < 0)
                    snprintf(text, sizeof text, "?");
            } else
                snprintf(text, sizeof text, "(type %u, %u bytes)", rr.type, rr.rdlength);
            printf("%s\t%u\t%s\t%s\n", owner, rr.ttl,
                   rr.type == DNS_T_A ? "A" : rr.type == DNS_T_AAAA ? "AAAA"
                   : rr.type == DNS_T_CNAME ? "CNAME" : rr.type == DNS_T_PTR ? "PTR" : "?", text);
        }
    }
    printf(";; total %.1f ms\n", ms);
    resolve_answer_free(&ans);
    return 0;
}
