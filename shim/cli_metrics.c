/* cli_metrics — the shared state (cli_state.h) in Prometheus' text
 * exposition format 0.0.4, for node_exporter's textfile collector
 * (`dnsfailover metrics > /var/lib/node_exporter/dnsfailover.prom.$$ &&
 * mv ...`).
 *
 * The format (prometheus.io/docs/instrumenting/exposition_formats): per
 * metric a "# HELP name text" and a "# TYPE name counter|gauge" line, then
 * its samples "name{label="value",...} number". Label values escape
 * backslash, double quote and line feed as \\, \" and \n; HELP text
 * escapes backslash and line feed. Counters end in _total. Every name
 * starts with dnsfailover_; server samples carry server="ADDRESS" (as
 * configured: "IP", "IP:PORT", "[IPv6]:PORT"), process samples pid, uid
 * and comm (a live process's counters restart when it does: a counter
 * reset, which rate() handles). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/cli.h"
#include "dnsf/cli_state.h"
#include "dnsf/version.h"

/* S as a label value: the format's three escapes; other bytes outside
 * printable ASCII become '?' (a value must be UTF-8). */
static void label(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\\' || ch == '"')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else
            fputc(ch >= 0x20 && ch < 0x7f ? ch : '?', f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP dnsfailover_%s %s\n# TYPE dnsfailover_%s %s\n", name, help, name, type);
}

/* One sample per server of VALUE(h), skipped where WANT(s) is 0. */
static void per_server(FILE *f, const struct cli_state *st, const char *name, const char *type,
                       const char *help, double (*value)(const struct cli_state *,
                                                         const struct cli_state_server *),
                       int (*want)(const struct cli_state_server *))
{
    head(f, name, type, help);
    for (int i = 0; i < st->nservers; i++) {
        const struct cli_state_server *s = &st->servers[i];
        if (want != NULL && !want(s))
            continue;
        fprintf(f, "dnsfailover_%s{server=\"", name);
        label(f, s->address);
        fprintf(f, "\"} %.15g\n", value(st, s));
    }
}

static int known(const struct cli_state_server *s) { return s->known; }
static int has_rtt(const struct cli_state_server *s) { return s->h.have_rtt; }
static int changed(const struct cli_state_server *s) { return s->h.last_change_ms != 0; }

static double v_up(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return !s->h.down; }
static double v_known(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return s->known; }
static double v_fails(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return s->h.fails; }
static double v_srtt(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return s->h.srtt_us / 1e6; }
static double v_change(const struct cli_state *st, const struct cli_state_server *s)
{ return cli_state_wall(st, s->h.last_change_ms); }
static double v_answers(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return (double)s->h.answers; }
static double v_timeouts(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return (double)s->h.timeouts; }
static double v_errors(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return (double)s->h.errors; }
static double v_lost(const struct cli_state *st, const struct cli_state_server *s)
{ (void)st; return (double)s->h.lost_races; }

/* One sample per live process of VALUE(its counters). */
static void per_process(FILE *f, const struct cli_state *st, const char *name, const char *type,
                        const char *help, double (*value)(const struct shproc_counters *))
{
    head(f, name, type, help);
    for (int i = 0; i < st->nprocs; i++) {
        const struct cli_state_proc *p = &st->procs[i];
        fprintf(f, "dnsfailover_%s{pid=\"%d\",uid=\"%u\",comm=\"", name,
                (int)sysident_pid(p->info.ident), (unsigned)p->uid);
        label(f, p->info.comm);
        fprintf(f, "\"} %.15g\n", value(&p->info.c));
    }
}

static double p_lookups(const struct shproc_counters *c) { return (double)c->lookups; }
static double p_hits(const struct shproc_counters *c) { return (double)c->cache_hits; }
static double p_failovers(const struct shproc_counters *c) { return (double)c->failovers; }
static double p_stale(const struct shproc_counters *c) { return (double)c->stale; }
static double p_hedges(const struct shproc_counters *c) { return (double)c->hedges; }
static double p_budget(const struct shproc_counters *c) { return c->budget_milli / 1000.0; }

void cli_metrics_print(FILE *f, const struct cli_state *st)
{
    const char *v = strchr(dnsf_version, ' ');
    head(f, "build_info", "gauge", "The dnsfailover version that wrote these metrics.");
    fprintf(f, "dnsfailover_build_info{version=\"");
    label(f, v != NULL ? v + 1 : dnsf_version);
    fprintf(f, "\"} 1\n");
    head(f, "state_shared", "gauge",
         "1 when shared health files were read from state_dir, 0 when none could be.");
    fprintf(f, "dnsfailover_state_shared %d\n", st->problem[0] == 0);
    static const struct {
        const char *name, *type, *help;
        double (*value)(const struct cli_state *, const struct cli_state_server *);
        int (*want)(const struct cli_state_server *);
    } servers[] = {
        { "server_up", "gauge", "1 when the server is up, 0 when it is marked down host-wide.",
          v_up, NULL },
        { "server_known", "gauge", "1 when some process has shared evidence about the server.",
          v_known, NULL },
        { "server_consecutive_failures", "gauge", "Failures since the server's latest answer.",
          v_fails, known },
        { "server_srtt_seconds", "gauge", "The server's smoothed round-trip time (RFC 6298).",
          v_srtt, has_rtt },
        { "server_last_change_timestamp_seconds", "gauge",
          "When the server last went up or down (Unix time).", v_change, changed },
        { "server_answers_total", "counter",
          "Queries the server answered, over the shared files.", v_answers, known },
        { "server_timeouts_total", "counter", "Queries to the server that timed out.",
          v_timeouts, known },
        { "server_errors_total", "counter",
          "Error replies from the server (SERVFAIL, REFUSED and the like).", v_errors, known },
        { "server_lost_races_total", "counter",
          "Hedged or raced queries the server lost to another server.", v_lost, known },
    };
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
        per_server(f, st, servers[i].name, servers[i].type, servers[i].help, servers[i].value,
                   servers[i].want);
    head(f, "processes", "gauge", "Live processes that publish their counters.");
    fprintf(f, "dnsfailover_processes %d\n", st->nprocs);
    static const struct {
        const char *name, *type, *help;
        double (*value)(const struct shproc_counters *);
    } procs[] = {
        { "process_lookups_total", "counter", "Lookups the process made.", p_lookups },
        { "process_cache_hits_total", "counter", "Lookups the process answered from its cache.",
          p_hits },
        { "process_failovers_total", "counter",
          "Lookups answered by a server other than the first choice.", p_failovers },
        { "process_stale_answers_total", "counter", "Stale answers served (RFC 8767).", p_stale },
        { "process_hedges_total", "counter", "Hedged queries sent.", p_hedges },
        { "process_hedge_budget", "gauge", "Tokens left in the process's hedge budget.",
          p_budget },
    };
    for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++)
        per_process(f, st, procs[i].name, procs[i].type, procs[i].help, procs[i].value);
}
