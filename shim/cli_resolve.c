/* cli_resolve — `dnsfailover resolve NAME|ADDRESS [-4|-6] [--config F]
 * [--app NAME] [--dns-only] [--json] [--repeat N]`.
 *
 * By default it shows what a preloaded program would get, through the very
 * code a preloaded call runs: the engine's init puts our module in place of
 * "dns" on the hosts line (state.c), the memo is asked first (as hooks.c's
 * getaddrinfo and getnameinfo do), and glibc's own getaddrinfo (a name) or
 * getnameinfo with NI_NAMEREQD (an address) builds the result, calling our
 * NSS module for the files and DNS steps. glibc finds that module in this
 * command: it carries the library's soname, libnss_dnsfailover.so.2, and
 * exports the _nss_dnsfailover_* functions (Makefile), and ld.so hands a
 * dlopen of a soname already loaded the object that has it (elf/dl-load.c,
 * _dl_map_object), as it hands a preloaded library to a preloaded program.
 * The lookup note (note.h) says which step answered: the memo, /etc/hosts,
 * the cache, a stale entry, which server, or glibc's own DNS module.
 *
 * --dns-only asks the DNS engine alone (res_search, or res_query for a PTR),
 * with no /etc/hosts, memo or glibc in front: the command's behaviour before
 * the default path existed.
 *
 * --json prints one JSON object instead of text, the engine's trace lines
 * in its "trace" list. The memo and the cache belong to one process, so a
 * single lookup starts with both empty; --repeat N looks up N times in this
 * process and says what answered each repeat. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/cli_print.h"
#include "dnsf/clock.h"
#include "dnsf/config.h"
#include "dnsf/dnsmsg.h"
#include "dnsf/log.h"
#include "dnsf/memo_gai.h"
#include "dnsf/memo_nameinfo.h"
#include "dnsf/note.h"
#include "dnsf/resconf.h"
#include "dnsf/resolve.h"
#include "dnsf/route.h"
#include "dnsf/state.h"

#define REPEAT_MAX 100

struct opts {
    const char *name, *config, *app;
    int family, dns_only, json, repeat;
};

/* ---- the default: the preloaded program's path ---------------------- */

/* glibc's own function NAME, even when a preload in this process (a host
 * with /etc/ld.so.preload) defines one in front of it. */
static void *libc_fn(const char *name)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *p = h != NULL ? dlsym(h, name) : NULL;
    if (h != NULL)
        dlclose(h);
    return p;
}

/* What one lookup through the path got. */
struct path_result {
    int rc;                        /* getaddrinfo's or getnameinfo's */
    int memo;                      /* the memo answered */
    struct note_trace tr;
    double ms;
    struct addrinfo *ai;           /* getaddrinfo's list */
    char host[NI_MAXHOST];         /* getnameinfo's name */
};

/* One lookup of O->name as hooks.c's getaddrinfo or getnameinfo runs it
 * (ACTIVE: the engine is on; otherwise libc alone, as a program the
 * configuration passes through). SA: the address, for a reverse lookup. */
static void path_lookup(const struct opts *o, int active, const struct sockaddr *sa,
                        socklen_t salen, struct path_result *r)
{
    typedef int gai_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    typedef int gni_fn(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t,
                       int);
    gai_fn *gai = (gai_fn *)libc_fn("getaddrinfo");
    gni_fn *gni = (gni_fn *)libc_fn("getnameinfo");
    struct addrinfo hints = { .ai_family = o->family, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_CANONNAME };
    struct nameinfo_call c = { sa, salen, r->host, sizeof r->host, NULL, 0, NI_NAMEREQD };
    struct memo_call mc = { .on = 0 };
    uint64_t t0 = clock_now_us();

    memset(r, 0, sizeof *r);
    r->rc = EAI_SYSTEM;
    note_trace_open(&r->tr);
    if (active && memo_call_open(&mc)
        && (sa ? memo_nameinfo_get(&mc, &c, &r->rc)
               : memo_gai_get(&mc, o->name, NULL, &hints, &r->rc, &r->ai)))
        r->memo = 1;
    else if (gai != NULL && gni != NULL) {
        memo_call_watch(&mc, NULL);
        r->rc = sa ? gni(sa, salen, r->host, sizeof r->host, NULL, 0, NI_NAMEREQD)
                   : gai(o->name, NULL, &hints, &r->ai);
        if (memo_call_close(&mc)) {
            if (sa)
                memo_nameinfo_put(&mc, &c, r->rc);
            else
                memo_gai_put(&mc, o->name, NULL, &hints, r->rc, r->rc == 0 ? r->ai : NULL);
        }
    }
    note_trace_close();
    r->ms = (double)(clock_now_us() - t0) / 1000.0;
}

/* The step that answered entry I of R, in words, into BUF. */
static const char *step_text(const struct path_result *r, int i, char *buf, size_t len)
{
    char tb[16], rb[16];
    const char *t = cli_type_name(r->tr.e[i].qtype, tb, sizeof tb);
    const char *rc = cli_rcode_name(r->tr.e[i].rcode, rb, sizeof rb);
    switch (r->tr.e[i].step) {
    case NOTE_STEP_FILES:
        snprintf(buf, len, "/etc/hosts");
        break;
    case NOTE_STEP_CACHE:
        snprintf(buf, len, "the cache (%s %s)", t, rc);
        break;
    case NOTE_STEP_STALE:
        snprintf(buf, len, "a stale cache entry, every server failing (%s %s)", t, rc);
        break;
    case NOTE_STEP_SERVER:
        snprintf(buf, len, "server %s (%s %s)", r->tr.e[i].server, t, rc);
        break;
    default:
        snprintf(buf, len, "glibc's own DNS module (dnsfailover failed open)");
    }
    return buf;
}

static const char *step_name(enum note_step s)
{
    return s == NOTE_STEP_FILES ? "hosts" : s == NOTE_STEP_CACHE ? "cache"
         : s == NOTE_STEP_STALE ? "stale" : s == NOTE_STEP_SERVER ? "server" : "glibc-dns";
}

/* When no step of ours answered: why (the memo, a numeric address, or a
 * source glibc asked before ours). NULL when our steps did. */
static const char *unnoted_answer(const struct opts *o, const struct path_result *r, int active)
{
    unsigned char a[16];
    if (r->memo)
        return "memo";
    if (r->tr.n > 0)
        return NULL;
    if (!active)
        return "libc";
    if (inet_pton(AF_INET, o->name, a) == 1 || inet_pton(AF_INET6, o->name, a) == 1)
        return r->rc == 0 ? "numeric" : NULL;
    return r->rc == 0 ? "earlier-source" : NULL;
}

static const char *unnoted_text(const char *why)
{
    return strcmp(why, "memo") == 0 ? "the memo (a repeat, answered in front of glibc)"
         : strcmp(why, "libc") == 0 ? "libc alone (dnsfailover passes this program through)"
         : strcmp(why, "numeric") == 0 ? "no lookup (a numeric address)"
         : "a source before dnsfailover on the hosts line (glibc's files module: /etc/hosts)";
}

/* glibc's message for getaddrinfo's or getnameinfo's RC, and its name. */
static const char *error_text(int rc, char *buf, size_t len)
{
    static const struct { int rc; const char *n; } names[] = {
        { EAI_NONAME, "EAI_NONAME" }, { EAI_AGAIN, "EAI_AGAIN" }, { EAI_FAIL, "EAI_FAIL" },
        { EAI_NODATA, "EAI_NODATA" }, { EAI_FAMILY, "EAI_FAMILY" }, { EAI_MEMORY, "EAI_MEMORY" },
        { EAI_SYSTEM, "EAI_SYSTEM" }, { EAI_OVERFLOW, "EAI_OVERFLOW" },
    };
    const char *n = "EAI_?";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].rc == rc)
            n = names[i].n;
    snprintf(buf, len, "%s (%s)", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc), n);
    return buf;
}

static void print_path_text(const struct opts *o, const struct path_result *r, int round,
                            int active)
{
    char buf[160], ab[INET6_ADDRSTRLEN];
    if (round == 0) {
        if (r->rc != 0)
            printf("%s: %s\n", o->name, error_text(r->rc, buf, sizeof buf));
        else if (r->ai == NULL)
            printf("%s\tPTR\t%s\n", o->name, r->host);
        for (const struct addrinfo *ai = r->ai; ai != NULL; ai = ai->ai_next) {
            const void *p = ai->ai_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            inet_ntop(ai->ai_family, p, ab, sizeof ab);
            printf("%s\t%s\t%s\n", o->name, ai->ai_family == AF_INET ? "A" : "AAAA", ab);
        }
        if (r->ai != NULL && r->ai->ai_canonname != NULL)
            printf(";; canonical name %s\n", r->ai->ai_canonname);
    }
    printf(";; %sanswered by: ", round ? "repeat: " : "");
    const char *why = unnoted_answer(o, r, active);
    if (why != NULL)
        printf("%s", unnoted_text(why));
    for (int i = 0; why == NULL && i < r->tr.n; i++)
        printf("%s%s", i ? ", " : "", step_text(r, i, buf, sizeof buf));
    if (why == NULL && r->tr.n == 0)
        printf("nothing (the lookup failed)");
    printf(" (%.1f ms)\n", r->ms);
}

/* R's fields, after others unless FIRST. */
static void print_path_json(const struct opts *o, const struct path_result *r, int active,
                            int first)
{
    char tb[16], rb[16], ab[INET6_ADDRSTRLEN], eb[160];
    cli_json_kv(first, "status", r->rc == 0 ? "ok" : "error");
    cli_json_kv(0, "error", r->rc == 0 ? NULL : error_text(r->rc, eb, sizeof eb));
    printf(", \"ms\": %.3f, \"answered_by\": [", r->ms);
    const char *why = unnoted_answer(o, r, active);
    if (why != NULL) {
        printf("{");
        cli_json_kv(1, "step", why);
        printf("}");
    }
    for (int i = 0; why == NULL && i < r->tr.n; i++) {
        printf("%s{", i ? ", " : "");
        cli_json_kv(1, "step", step_name(r->tr.e[i].step));
        cli_json_kv(0, "server", r->tr.e[i].step == NOTE_STEP_SERVER ? r->tr.e[i].server : NULL);
        cli_json_kv(0, "type",
                    r->tr.e[i].qtype ? cli_type_name(r->tr.e[i].qtype, tb, sizeof tb) : NULL);
        cli_json_kv(0, "rcode", r->tr.e[i].rcode >= 0
                                    ? cli_rcode_name(r->tr.e[i].rcode, rb, sizeof rb) : NULL);
        printf("}");
    }
    printf("], \"addresses\": [");
    int n = 0;
    for (const struct addrinfo *ai = r->ai; ai != NULL; ai = ai->ai_next, n++) {
        const void *p = ai->ai_family == AF_INET
                      ? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
                      : (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, p, ab, sizeof ab);
        printf("%s{", n ? ", " : "");
        cli_json_kv(1, "type", ai->ai_family == AF_INET ? "A" : "AAAA");
        cli_json_kv(0, "address", ab);
        printf("}");
    }
    printf("]");
    cli_json_kv(0, "canonical", r->ai != NULL ? r->ai->ai_canonname : NULL);
    cli_json_kv(0, "host", r->rc == 0 && r->ai == NULL ? r->host : NULL);
}

/* Parse O->name as an address into SS; return its length, or 0 for a name. */
static socklen_t parse_address(const char *name, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, name, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        return sizeof *in;
    }
    if (inet_pton(AF_INET6, name, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        return sizeof *in6;
    }
    return 0;
}

static int resolve_path(const struct opts *o, int trace_fd)
{
    /* The engine reads its configuration and the program's identity the
     * way it does in a host program: from the environment and
     * program_invocation_short_name (state.c). */
    if (o->config != NULL)
        setenv("DNSFAILOVER_CONF", o->config, 1);
    if (o->app != NULL) {
        const char *slash = strrchr(o->app, '/');
        program_invocation_short_name = (char *)(slash ? slash + 1 : o->app);
        if (o->app[0] == '/')
            state_exe_override = o->app;
    }
    state_ensure_init();
    /* Its init set the configuration's log target: the trace is ours. */
    log_configure_fd(LOG_LVL_DEBUG, trace_fd);
    int active = state_active();
    struct sockaddr_storage ss;
    socklen_t salen = parse_address(o->name, &ss);
    const struct sockaddr *sa = salen ? (const struct sockaddr *)&ss : NULL;
    const char *call = sa ? "getnameinfo" : "getaddrinfo";
    const char *fam = o->family == AF_INET ? "AF_INET" : o->family == AF_INET6 ? "AF_INET6"
                                                                               : "AF_UNSPEC";
    if (o->json) {
        printf("{");
        cli_json_kv(1, "name", o->name);
        cli_json_kv(0, "mode", call);
        cli_json_kv(0, "family", sa ? NULL : fam);
        printf(", \"active\": %s", active ? "true" : "false");
    } else {
        printf(";; %s: %s%s%s, as a preloaded program's call%s\n", o->name, call,
               sa ? "" : " ", sa ? "" : fam,
               active ? "" : " (dnsfailover is off for it: libc alone answers)");
    }
    int rc = 0;
    for (int round = 0; round < o->repeat; round++) {
        struct path_result r;
        path_lookup(o, active, sa, salen, &r);
        if (round == 0)
            rc = r.rc;
        if (o->json && round == 0)
            print_path_json(o, &r, active, 0);
        else if (o->json) {
            printf("%s{", round == 1 ? ", \"repeats\": [" : ", ");
            print_path_json(o, &r, active, 1);
            printf("}%s", round == o->repeat - 1 ? "]" : "");
        } else
            print_path_text(o, &r, round, active);
        if (r.ai != NULL) {
            void (*fr)(struct addrinfo *) = (void (*)(struct addrinfo *))libc_fn("freeaddrinfo");
            if (fr != NULL)
                fr(r.ai);
        }
    }
    if (o->json) {
        cli_json_trace(trace_fd);
        printf("}\n");
    }
    return rc == 0 ? 0 : 1;
}

/* ---- --dns-only: the engine alone ------------------------------------ */

/* One reply R of the answer, in text or JSON (FIRST: the first in its list). */
static void dns_reply(const struct opts *o, const struct resolve_ctx *ctx,
                      const struct dnsf_reply *r, int first)
{
    struct dnsmsg m;
    struct dnsmsg_rr rr;
    char qn[DNSMSG_MAXDNAME], tb[16], rb[16];
    if (r->len == 0 || dnsmsg_init(&m, r->pkt, (size_t)r->len) < 0)
        return;
    dnsmsg_name_ntop(m.qname, qn, sizeof qn);
    /* The list the answered name was asked of (route.h): a server index
     * counts in that list. */
    char list[512];
    const struct dnsf_domain *d = route_describe(ctx->ask.cfg, m.qname, list, sizeof list);
    const struct dnsf_server *asked = d != NULL ? route_servers(ctx->ask.cfg, d) : ctx->ask.servers;
    const char *from = r->server >= 0 ? asked[r->server].text : NULL;
    const char *rcode = cli_rcode_name(dnsmsg_rcode(&m), rb, sizeof rb);
    if (o->json) {
        printf("%s{", first ? "" : ", ");
        cli_json_kv(1, "qname", qn);
        cli_json_kv(0, "type", cli_type_name(m.qtype, tb, sizeof tb));
        cli_json_kv(0, "source", from ? "server" : "cache");
        cli_json_kv(0, "server", from);
        cli_json_kv(0, "rcode", rcode);
        cli_json_kv(0, "list", list);
        printf(", \"latency_ms\": %.3f, \"answers\": [", r->latency_us / 1000.0);
    } else {
        printf(";; %s list: %s\n", qn, list);
        printf(";; %s %s from %s in %.1f ms, %s\n", qn, cli_type_name(m.qtype, tb, sizeof tb),
               from ? from : "the cache", r->latency_us / 1000.0, rcode);
    }
    for (int k = 0; k < m.ancount && dnsmsg_next_rr(&m, &rr) == 0; k++) {
        char owner[DNSMSG_MAXDNAME], text[DNSMSG_MAXDNAME];
        dnsmsg_name_ntop(rr.name, owner, sizeof owner);
        cli_rr_text(&m, &rr, text, sizeof text);
        if (o->json) {
            printf("%s{", k ? ", " : "");
            cli_json_kv(1, "owner", owner);
            printf(", \"ttl\": %u", rr.ttl);
            cli_json_kv(0, "type", cli_type_name(rr.type, tb, sizeof tb));
            cli_json_kv(0, "data", text);
            printf("}");
        } else
            printf("%s\t%u\t%s\t%s\n", owner, rr.ttl, cli_type_name(rr.type, tb, sizeof tb),
                   text);
    }
    if (o->json)
        printf("]}");
}

/* NAME's reverse name (in-addr.arpa or ip6.arpa) into REV; 0 for a name. */
static int reverse_name(const char *name, char *rev, size_t len)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, name, a) == 1) {
        snprintf(rev, len, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
        return 1;
    }
    if (inet_pton(AF_INET6, name, a) != 1)
        return 0;
    size_t o = 0;
    for (int i = 15; i >= 0; i--)
        o += (size_t)snprintf(rev + o, len - o, "%x.%x.", a[i] & 0xf, a[i] >> 4);
    snprintf(rev + o, len - o, "ip6.arpa");
    return 1;
}

static int resolve_dns_only(const struct opts *o, const struct dnsf_config *cfg, int trace_fd)
{
    struct resconf rc;
    struct resolve_ctx ctx;
    struct resolve_answer ans;
    int herrno = 0, err = 0;
    char rev[DNSMSG_MAXDNAME];
    if (resconf_load(&rc) < 0) {
        fprintf(stderr, "dnsfailover: cannot read /etc/resolv.conf\n");
        return 3;
    }
    log_configure_fd(LOG_LVL_DEBUG, trace_fd);
    resolve_ctx_init(&ctx, cfg, &rc);
    int reverse = reverse_name(o->name, rev, sizeof rev);
    uint16_t qt = o->family == AF_INET ? DNS_T_A : o->family == AF_INET6 ? DNS_T_AAAA
                                                                         : RESOLVE_A_AND_AAAA;
    const char *via = cfg->nservers ? "the configured nameservers" : "/etc/resolv.conf's nameservers";
    if (o->json) {
        printf("{");
        cli_json_kv(1, "name", o->name);
        cli_json_kv(0, "mode", "dns-only");
        cli_json_kv(0, "query", reverse ? rev : o->name);
        cli_json_kv(0, "strategy", config_strategy_name(cfg->strategy));
        printf(", \"enabled\": %s", cfg->enabled ? "true" : "false");
    } else {
        if (!cfg->enabled)
            printf(";; note: the configuration disables dnsfailover for %s; a preloaded\n"
                   ";; program would pass this lookup to libc\n",
                   o->app ? o->app : "this program");
        printf(";; %s via %s, strategy %s\n", reverse ? rev : o->name, via,
               config_strategy_name(cfg->strategy));
    }
    uint64_t t0 = clock_now_us();
    int r = reverse ? resolve_query(&ctx, rev, DNS_T_PTR, &ans, &herrno, &err)
                    : resolve_search(&ctx, o->name, qt, &ans, &herrno, &err);
    double ms = (double)(clock_now_us() - t0) / 1000.0;
    const char *why = r == 0 ? NULL : r == DNSF_FAIL_OPEN ? "internal error" : hstrerror(herrno);
    if (o->json) {
        cli_json_kv(0, "status", r == 0 ? "ok" : "error");
        cli_json_kv(0, "error", why);
        printf(", \"ms\": %.3f, \"replies\": [", ms);
        for (int i = 0; r == 0 && i < ans.nq; i++)
            dns_reply(o, &ctx, &ans.r[i], i == 0);
        printf("]");
        cli_json_trace(trace_fd);
        printf("}\n");
    } else if (r != 0)
        printf("%s: %s (%.1f ms)\n", o->name, why, ms);
    else {
        for (int i = 0; i < ans.nq; i++)
            dns_reply(o, &ctx, &ans.r[i], i == 0);
        printf(";; total %.1f ms\n", ms);
    }
    if (r == 0)
        resolve_answer_free(&ans);
    return r == 0 ? 0 : 1;
}

/* ---- options ---------------------------------------------------------- */

static int parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->family = AF_UNSPEC;
    o->repeat = 1;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            o->config = argv[++i];
        else if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            o->app = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            long n = strtol(argv[++i], &end, 10);
            if (*end != 0 || n < 1 || n > REPEAT_MAX)
                return -1;
            o->repeat = (int)n;
        } else if (strcmp(argv[i], "-4") == 0)
            o->family = AF_INET;
        else if (strcmp(argv[i], "-6") == 0)
            o->family = AF_INET6;
        else if (strcmp(argv[i], "--dns-only") == 0)
            o->dns_only = 1;
        else if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (argv[i][0] != '-' && o->name == NULL)
            o->name = argv[i];
        else
            return -1;
    }
    return o->name != NULL && (o->repeat == 1 || !o->dns_only) ? 0 : -1;
}

int cli_resolve(int argc, char **argv)
{
    struct opts o;
    struct dnsf_config cfg;
    if (parse(argc, argv, &o) < 0) {
        cli_usage(stderr);
        return 2;
    }
    if (o.config != NULL && access(o.config, F_OK) != 0) {
        fprintf(stderr, "dnsfailover: %s: %s\n", o.config, strerror(errno));
        return 3;
    }
    /* The file is checked first, as `check` does: a broken one exits 3. */
    if (cli_load_config(o.config, o.app, &cfg) < 0)
        return 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The engine's trace: on stdout as it happens, or kept for the JSON. */
    int trace_fd = o.json ? memfd_create("dnsfailover-trace", MFD_CLOEXEC) : STDOUT_FILENO;
    if (trace_fd < 0) {
        fprintf(stderr, "dnsfailover: memfd_create: %s\n", strerror(errno));
        return 1;
    }
    return o.dns_only ? resolve_dns_only(&o, &cfg, trace_fd) : resolve_path(&o, trace_fd);
}
