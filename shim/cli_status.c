/* cli_status — `dnsfailover status [--json] [--config F]` and
 * `dnsfailover metrics [--config F]`: the host-wide server states and live
 * processes' counters of the shared state (cli_state.h), as text in the
 * manner of `resolvectl status`, as JSON, or as Prometheus text
 * exposition (cli_metrics.c).
 *
 * Exit codes: 0 shared state was read; 1 none could be (sharing off, no or
 * an untrusted state directory, no health file yet): the servers are still
 * listed, unknown, and the reason is printed; 2 usage; 3 the configuration
 * is invalid and has no last good copy. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/cli_state.h"
#include "dnsf/conflast.h"
#include "dnsf/filestamp.h"
#include "dnsf/log.h"
#include "dnsf/version.h"

int cli_state_config(const char *path, struct dnsf_config *c)
{
    const char *env = getenv("DNSFAILOVER_CONF");
    log_configure(LOG_LVL_WARN, "stderr");
    if (path != NULL && access(path, F_OK) != 0) {
        fprintf(stderr, "dnsfailover: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (path == NULL)
        path = env != NULL && env[0] != 0 ? env : DNSF_SYSTEM_CONF;
    if (cli_load_config(path, NULL, c) == 0)
        return 0;
    /* What a fresh preloaded process would do with the broken file. */
    struct file_stamp st;
    struct dnsf_identity id = { .progname = "dnsfailover" };
    file_stamp_take(path, &st);
    if (conflast_load(DNSF_STATE_DIR, path, &st, &id, c) < 0)
        return -1;
    fprintf(stderr, "dnsfailover: showing the servers of the last good copy of %s, which "
            "processes use instead\n", path);
    return 0;
}

/* Seconds from T_MS to the state's now (0 for a time not in the past). */
static double age_s(const struct cli_state *st, uint64_t t_ms)
{
    return t_ms != 0 && t_ms < st->now_ms ? (double)(st->now_ms - t_ms) / 1000.0 : 0.0;
}

/* S as the body of a JSON string (RFC 8259 §7): quote, backslash and
 * control characters escaped; bytes outside ASCII become '?' (the text
 * comes from files: it need not be UTF-8). */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch < 0x7f ? ch : '?', f);
    }
    fputc('"', f);
}

static void print_json(const struct cli_state *st, const char *config)
{
    printf("{\"version\": ");
    json_str(stdout, dnsf_version);
    printf(", \"config\": ");
    json_str(stdout, config);
    printf(", \"state_dir\": ");
    json_str(stdout, st->dir);
    printf(", \"shared\": %s, \"problem\": ", st->problem[0] ? "false" : "true");
    if (st->problem[0])
        json_str(stdout, st->problem);
    else
        printf("null");
    printf(", \"files\": [");
    for (int i = 0; i < st->nfiles; i++)
        printf("%s{\"uid\": %u, \"flush_generation\": %" PRIu64 "}", i ? ", " : "",
               (unsigned)st->files[i].uid, st->files[i].flush_gen);
    printf("],\n \"servers\": [");
    for (int i = 0; i < st->nservers; i++) {
        const struct cli_state_server *s = &st->servers[i];
        const struct shhint *h = &s->h;
        printf("%s\n  {\"address\": ", i ? "," : "");
        json_str(stdout, s->address);
        printf(", \"state\": \"%s\", \"known\": %s, \"consecutive_failures\": %u",
               h->down ? "down" : "up", s->known ? "true" : "false", h->fails);
        if (h->have_rtt)
            printf(", \"srtt_ms\": %.3f, \"rttvar_ms\": %.3f", h->srtt_us / 1000.0,
                   h->rttvar_us / 1000.0);
        else
            printf(", \"srtt_ms\": null, \"rttvar_ms\": null");
        if (h->last_change_ms)
            printf(", \"last_change\": %.3f, \"last_change_age_s\": %.3f",
                   cli_state_wall(st, h->last_change_ms), age_s(st, h->last_change_ms));
        else
            printf(", \"last_change\": null, \"last_change_age_s\": null");
        printf(", \"answers\": %" PRIu64 ", \"timeouts\": %" PRIu64 ", \"errors\": %" PRIu64
               ", \"lost_races\": %" PRIu64 "}", h->answers, h->timeouts, h->errors,
               h->lost_races);
    }
    printf("],\n \"processes\": [");
    for (int i = 0; i < st->nprocs; i++) {
        const struct cli_state_proc *p = &st->procs[i];
        printf("%s\n  {\"pid\": %d, \"uid\": %u, \"comm\": ", i ? "," : "",
               (int)sysident_pid(p->info.ident), (unsigned)p->uid);
        json_str(stdout, p->info.comm);
        printf(", \"uptime_s\": %.3f, \"updated_age_s\": %.3f, \"lookups\": %" PRIu64
               ", \"cache_hits\": %" PRIu64 ", \"failovers\": %" PRIu64
               ", \"stale_answers\": %" PRIu64 ", \"hedges\": %" PRIu64
               ", \"hedge_budget\": %.3f}", age_s(st, p->info.started_ms),
               age_s(st, p->info.updated_ms), p->info.c.lookups, p->info.c.cache_hits,
               p->info.c.failovers, p->info.c.stale, p->info.c.hedges,
               p->info.c.budget_milli / 1000.0);
    }
    printf("]}\n");
}

/* How long ago T_MS was: "12.3s ago", "4m 5s ago", "2h 3m ago"; "never". */
static const char *ago(const struct cli_state *st, uint64_t t_ms, char *buf, size_t len)
{
    double s = age_s(st, t_ms);
    if (t_ms == 0)
        snprintf(buf, len, "never");
    else if (s < 60)
        snprintf(buf, len, "%.1fs ago", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm %ds ago", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, len, "%dh %dm ago", (int)s / 3600, (int)s % 3600 / 60);
    return buf;
}

static void print_text(const struct cli_state *st, const char *config)
{
    char a[32], b[32];
    printf("%s\n", dnsf_version);
    printf("        Config: %s\n", config);
    printf("     State dir: %s\n", st->dir[0] ? st->dir : "(sharing off: state_dir = \"\")");
    if (st->problem[0])
        printf("        Shared: no: %s\n", st->problem);
    else {
        printf("        Shared: yes, from %d file%s (uid", st->nfiles, st->nfiles == 1 ? "" : "s");
        for (int i = 0; i < st->nfiles; i++)
            printf("%s%u", i ? ", " : " ", (unsigned)st->files[i].uid);
        printf(")%s\n", st->skipped ? "; some refused as untrusted or invalid" : "");
    }
    for (int i = 0; i < st->nservers; i++) {
        const struct cli_state_server *s = &st->servers[i];
        const struct shhint *h = &s->h;
        printf("\nServer %s\n", s->address);
        if (!s->known) {
            printf("         State: up (no evidence shared yet)\n");
            continue;
        }
        if (h->down)
            printf("         State: down (marked %s), %u consecutive failures\n",
                   ago(st, h->down_since_ms ? h->down_since_ms : h->fail_ms, a, sizeof a),
                   h->fails);
        else
            printf("         State: up%s\n", h->suspect ? " (failing lately)" : "");
        if (h->have_rtt)
            printf("  Smoothed RTT: %.1f ms (variation %.1f ms)\n", h->srtt_us / 1000.0,
                   h->rttvar_us / 1000.0);
        else
            printf("  Smoothed RTT: -\n");
        printf("   Last change: %s\n", ago(st, h->last_change_ms, a, sizeof a));
        printf("   Last answer: %s; last failure: %s\n", ago(st, h->ok_ms, a, sizeof a),
               ago(st, h->fail_ms, b, sizeof b));
        printf("       Queries: %" PRIu64 " answered, %" PRIu64 " timed out, %" PRIu64
               " error replies, %" PRIu64 " hedges lost\n", h->answers, h->timeouts,
               h->errors, h->lost_races);
    }
    printf("\nProcesses: %d live\n", st->nprocs);
    if (st->nprocs == 0)
        return;
    printf("%8s %6s %-15s %9s %8s %10s %9s %6s %7s %7s\n", "PID", "UID", "COMMAND", "UPTIME",
           "LOOKUPS", "CACHE-HITS", "FAILOVERS", "STALE", "HEDGES", "BUDGET");
    for (int i = 0; i < st->nprocs; i++) {
        const struct cli_state_proc *p = &st->procs[i];
        printf("%8d %6u %-15s %8.0fs %8" PRIu64 " %10" PRIu64 " %9" PRIu64 " %6" PRIu64
               " %7" PRIu64 " %7.1f\n", (int)sysident_pid(p->info.ident), (unsigned)p->uid,
               p->info.comm, age_s(st, p->info.started_ms), p->info.c.lookups,
               p->info.c.cache_hits, p->info.c.failovers, p->info.c.stale, p->info.c.hedges,
               p->info.c.budget_milli / 1000.0);
    }
}

static int usage(const char *cmd)
{
    fprintf(stderr, "usage: dnsfailover %s\n", strcmp(cmd, "metrics") == 0
            ? "metrics [--config FILE]" : "status [--json] [--config FILE]");
    return 2;
}

int cli_status(int argc, char **argv)
{
    const char *cmd = argv[0], *path = NULL;
    int json = 0, metrics = strcmp(cmd, "metrics") == 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && !metrics)
            json = 1;
        else
            return usage(cmd);
    }
    struct dnsf_config cfg;
    struct resconf rc;
    if (cli_state_config(path, &cfg) < 0)
        return 3;
    if (resconf_load(&rc) < 0)
        memset(&rc, 0, sizeof rc);  /* servers from the config only */
    struct cli_state st;
    int r = cli_state_read(&st, &cfg, &rc);
    const char *config = cfg.source[0] ? cfg.source : "(built-in defaults)";
    if (metrics)
        cli_metrics_print(stdout, &st);
    else if (json)
        print_json(&st, config);
    else
        print_text(&st, config);
    cli_state_free(&st);
    return r == 0 ? 0 : 1;
}
