/* dnsfailover — the diagnostic command. It links the same core the library
 * uses, so `resolve` (cli_resolve.c) exercises the very engine the shim runs.
 *
 * Exit codes: 0 success, 1 lookup failed (no such name, servers down),
 * 2 usage error, 3 invalid configuration. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/resconf.h"
#include "dnsf/route.h"
#include "dnsf/version.h"

void cli_usage(FILE *f)
{
    fprintf(f,
        "usage: dnsfailover check   [--config FILE] [--app NAME]\n"
        "       dnsfailover resolve NAME|ADDRESS [-4|-6] [--config FILE] [--app NAME]\n"
        "                           [--dns-only] [--json] [--repeat N]\n"
        "       dnsfailover keys\n"
        "       dnsfailover preload enable [--lib PATH] [--check-name NAME] | disable | status\n"
        "       dnsfailover status [--json] [--config FILE]\n"
        "       dnsfailover metrics [--config FILE]\n"
        "       dnsfailover flush [--config FILE]\n"
        "       dnsfailover --version\n"
        "\n"
        "  check    validate the configuration and print the settings in effect\n"
        "  resolve  look NAME up as a preloaded program would (getaddrinfo, or\n"
        "           getnameinfo for an ADDRESS) and say what answered: /etc/hosts,\n"
        "           the memo, the cache, or which server; with a trace of the\n"
        "           servers asked, their replies and latencies. --dns-only asks\n"
        "           the DNS engine alone; --json prints one JSON object\n"
        "  keys     list every configuration key with its type and range\n"
        "  preload  switch the host-wide preload (/etc/ld.so.preload) safely;\n"
        "           see dnsfailover preload --help\n"
        "  status   host-wide server states (up or down, smoothed RTT, failures,\n"
        "           last change) and live processes' counters, from state_dir\n"
        "  metrics  the same in Prometheus text exposition\n"
        "  flush    make processes drop their cached answers (root's: every\n"
        "           process; a user's: that user's processes)\n"
        "\n"
        "The configuration is FILE, else $DNSFAILOVER_CONF, else %s.\n"
        "Exit codes: 0 ok, 1 lookup failed, 2 usage, 3 bad configuration.\n"
        "\n"
        "examples:\n"
        "  dnsfailover check --app curl\n"
        "  dnsfailover resolve www.example.org -4\n"
        "  dnsfailover resolve www.example.org --dns-only --json\n"
        "  dnsfailover resolve 192.0.2.1 --config /tmp/test.conf\n",
        DNSF_SYSTEM_CONF);
}

int cli_load_config(const char *path, const char *app, struct dnsf_config *c)
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

/* The routing table in effect: one line per domains entry, its suffixes,
 * servers and the values a routed lookup uses. */
static void print_domains(const struct dnsf_config *c)
{
    const struct dnsf_domains *t = &c->domains;
    if (t->n == 0)
        printf("domains       (none)\n");
    for (int i = 0; i < t->n; i++) {
        const struct dnsf_domain *d = &t->d[i];
        printf("%s", i == 0 ? "domains      " : "             ");
        for (int k = 0, first = 1; k < t->nsuffixes; k++) {
            char name[DNSMSG_MAXDNAME];
            if (t->s[k].domain != i || dnsmsg_name_ntop(t->names + t->s[k].off, name,
                                                        sizeof name) < 0)
                continue;
            printf("%s%s", first ? " " : ", ", name);
            first = 0;
        }
        printf(" ->");
        for (int k = 0; k < d->nservers; k++)
            printf(" %s", route_servers(c, d)[k].text);
        printf("; strategy=%s timeout_ms=%d attempts=%d hedge_min_ms=%d hedge_max_ms=%d (%s, "
               "line %u)\n", config_strategy_name(d->strategy), d->timeout_ms, d->attempts,
               d->hedge_min_ms, d->hedge_max_ms, d->origin, d->line);
    }
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
    print_domains(c);
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
    const char *cmd = argc > 1 ? argv[1] : NULL, *path = NULL, *app = NULL;
    struct dnsf_config cfg;
    struct resconf rc;

    if (cmd == NULL || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cli_usage(cmd ? stdout : stderr);
        return cmd ? 0 : 2;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s\n", dnsf_version);
        return 0;
    }
    if (strcmp(cmd, "status") == 0 || strcmp(cmd, "metrics") == 0)
        return cli_status(argc - 1, argv + 1);
    if (strcmp(cmd, "flush") == 0)
        return cli_flush(argc - 1, argv + 1);

    if (strcmp(cmd, "preload") == 0)
        return cli_preload(argc - 1, argv + 1);
    if (strcmp(cmd, "resolve") == 0)
        return cli_resolve(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0) {
        config_schema_each(print_key, NULL);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            app = argv[++i];
        else {
            cli_usage(stderr);
            return 2;
        }
    }
    if (strcmp(cmd, "check") != 0) {
        cli_usage(stderr);
        return 2;
    }
    if (path != NULL && access(path, F_OK) != 0) {
        fprintf(stderr, "dnsfailover: %s: %s\n", path, strerror(errno));
        return 3;
    }
    if (cli_load_config(path, app, &cfg) < 0)
        return 3;
    log_configure(LOG_LVL_WARN, "stderr");
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (resconf_load(&rc) < 0) {
        fprintf(stderr, "dnsfailover: cannot read /etc/resolv.conf\n");
        return 3;
    }
    print_config(&cfg, &rc);
    cli_mode_report(stdout, stderr);
    return 0;
}
