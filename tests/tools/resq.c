/*
 * resq -- perform res_* resolver calls described by argv and print each result in a
 * canonical, diffable text form: return value, h_errno, the state's res_h_errno, errno,
 * and the answer buffer (header, a dig-like listing of the records, and a hex dump with
 * the 2-byte ID masked, since IDs differ from run to run). Used by the res_* differential
 * test (glibc alone vs. glibc with the shim preloaded) and the res_* client test.
 *
 *   resq [-t] CALL [-- CALL ...]
 *
 * CALL is FUNC followed by its arguments and optional key=value settings:
 *   query NAME TYPE              res_query            (the thread's _res)
 *   search NAME TYPE             res_search
 *   querydomain NAME DOMAIN TYPE res_querydomain
 *   nquery / nsearch / nquerydomain    the res_n* forms, with a private res_state
 *                                (res_ninit'ed for the call, res_nclose'd after it)
 *   old_query, old_search, old_querydomain, old_nquery, old_nsearch, old_nquerydomain
 *                                the same through the pre-2.34 names (__res_query ...),
 *                                bound as __res_query@GLIBC_2.2.5 the way binaries built
 *                                against an older glibc bind them
 * DOMAIN "-" is NULL ("" is the empty string; NAME cannot be NULL). TYPE is A AAAA MX TXT
 * SRV PTR CNAME NS SOA ANY (or a number).
 *
 * Settings (after the arguments):
 *   class=IN|CH|HS|ANY|N   query class (default IN)
 *   len=N                  answer buffer length (default 4096)
 *   ns=ADDR:PORT           res_init first, then nsaddr_list[0] = ADDR:PORT (IPv4):
 *                          the program's own nameserver
 *   nscount=N              res_init first, then nscount = N
 *   set=OPT[,OPT]          res_init first, then options |= RES_OPT (USEVC, DEFNAMES,
 *   clear=OPT[,OPT]        DNSRCH, RECURSE, NOTLDQUERY, IGNTC, USE_EDNS0, ROTATE,
 *                          STAYOPEN, NOAAAA, TRUSTAD, SNGLKUP, USE_DNSSEC); or clears them
 *   ndots=N                res_init first, then ndots = N
 *   search=D1,D2|none      res_init first, then the search list (dnsrch) is D1 D2 ...
 *   noinit                 (n-forms) a zeroed res_state, res_ninit not called
 * Without settings the non-n forms do not call res_init: the call initialises _res itself.
 *
 * Before each call the answer buffer is filled with 0xA5 (followed by a 64-byte guard),
 * h_errno and res_h_errno are set to 77 and errno to EDOM, so "unchanged" is visible.
 *
 * Output per call:
 *   [i] res_query("NAME", class=IN, type=MX, len=512[, settings])
 *     return=N h_errno=NAME|unchanged res_h_errno=NAME|unchanged
 *     errno=NAME|unchanged              (on failure; "errno-after-success=" on success)
 *     buffer=...                         what the call left in the answer buffer
 *     header/question/answer/... lines   the bytes it returned (or left there on failure)
 *     hex lines                          the same bytes, the ID's two bytes shown as "..".
 * On success the bytes shown are the first min(return, len) ("buffer=N bytes"; what lies
 * after them in the buffer is not part of the contract and not shown). On failure, the
 * bytes up to the last one that changed are shown ("buffer=untouched" when none did):
 * glibc leaves the server's reply there. Hex lines equal to the one before print as "*".
 *
 * Options: -t  print each call's duration to stderr ("time [i] N ms").
 * Exit status: 0 all calls ran (whatever they returned), 2 usage error,
 * 3 the call wrote past the end of the buffer (the guard changed).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERRNO_CANARY EDOM  /* no resolver path sets EDOM */
#define HERR_CANARY 77     /* no h_errno value */
#define FILL 0xA5
#define GUARD 64

/* The pre-2.34 names, as old binaries bind them (a hidden version of libc.so.6). */
extern int old_res_query(const char *, int, int, unsigned char *, int);
extern int old_res_search(const char *, int, int, unsigned char *, int);
extern int old_res_querydomain(const char *, const char *, int, int, unsigned char *, int);
extern int old_res_nquery(res_state, const char *, int, int, unsigned char *, int);
extern int old_res_nsearch(res_state, const char *, int, int, unsigned char *, int);
extern int old_res_nquerydomain(res_state, const char *, const char *, int, int,
                                unsigned char *, int);
__asm__(".symver old_res_query, __res_query@GLIBC_2.2.5");
__asm__(".symver old_res_search, __res_search@GLIBC_2.2.5");
__asm__(".symver old_res_querydomain, __res_querydomain@GLIBC_2.2.5");
__asm__(".symver old_res_nquery, __res_nquery@GLIBC_2.2.5");
__asm__(".symver old_res_nsearch, __res_nsearch@GLIBC_2.2.5");
__asm__(".symver old_res_nquerydomain, __res_nquerydomain@GLIBC_2.2.5");

struct sym {
    const char *name;
    int value;
};

static const struct sym types[] = {
    { "A", ns_t_a },       { "NS", ns_t_ns },   { "CNAME", ns_t_cname }, { "SOA", ns_t_soa },
    { "PTR", ns_t_ptr },   { "HINFO", ns_t_hinfo }, { "MX", ns_t_mx },   { "TXT", ns_t_txt },
    { "AAAA", ns_t_aaaa }, { "SRV", ns_t_srv }, { "NAPTR", ns_t_naptr }, { "OPT", ns_t_opt },
    { "CAA", 257 },        { "ANY", ns_t_any }, { NULL, 0 }
};
static const struct sym classes[] = {
    { "IN", ns_c_in }, { "CH", ns_c_chaos }, { "HS", ns_c_hs }, { "ANY", ns_c_any },
    { NULL, 0 }
};
static const struct sym rcodes[] = {
    { "NOERROR", 0 }, { "FORMERR", 1 }, { "SERVFAIL", 2 }, { "NXDOMAIN", 3 },
    { "NOTIMP", 4 },  { "REFUSED", 5 }, { "YXDOMAIN", 6 }, { "YXRRSET", 7 },
    { "NXRRSET", 8 }, { "NOTAUTH", 9 }, { "NOTZONE", 10 }, { NULL, 0 }
};
static const struct sym resopts[] = {
    { "USEVC", RES_USEVC },       { "IGNTC", RES_IGNTC },         { "RECURSE", RES_RECURSE },
    { "DEFNAMES", RES_DEFNAMES }, { "STAYOPEN", RES_STAYOPEN },   { "DNSRCH", RES_DNSRCH },
    { "ROTATE", RES_ROTATE },     { "USE_EDNS0", RES_USE_EDNS0 }, { "SNGLKUP", RES_SNGLKUP },
    { "USE_DNSSEC", RES_USE_DNSSEC }, { "NOTLDQUERY", RES_NOTLDQUERY },
    { "TRUSTAD", RES_TRUSTAD },   { "NOAAAA", RES_NOAAAA },       { NULL, 0 }
};

static const char *sym_name(const struct sym *t, int v, char *buf, size_t n)
{
    for (; t->name; t++)
        if (t->value == v)
            return t->name;
    snprintf(buf, n, "%d", v);
    return buf;
}

static int sym_value(const struct sym *t, const char *s, int *out)
{
    for (; t->name; t++)
        if (strcasecmp(t->name, s) == 0) {
            *out = t->value;
            return 0;
        }
    char *end;
    long v = strtol(s, &end, 0);
    if (*s == 0 || *end != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static const char *herr_name(int h, char *buf, size_t n)
{
    switch (h) {
    case HERR_CANARY: return "unchanged";
    case NETDB_INTERNAL: return "NETDB_INTERNAL";
    case NETDB_SUCCESS: return "NETDB_SUCCESS";
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    default: snprintf(buf, n, "%d", h); return buf;
    }
}

static const char *errno_name(int e, char *buf, size_t n)
{
    if (e == ERRNO_CANARY)
        return "unchanged";
    if (e == 0)
        return "0";
    const char *s = strerrorname_np(e);
    if (s)
        return s;
    snprintf(buf, n, "%d", e);
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: resq [-t] CALL [-- CALL ...]   (see the header of tests/tools/resq.c)\n");
    exit(2);
}

static void quote(const char *s)
{
    if (s == NULL) {
        fputs("NULL", stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (isprint(c))
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

/* The dot that ends a name in presentation form (ns_rr_name gives "." for the root). */
static const char *dot(const char *name) { return strcmp(name, ".") == 0 ? "" : "."; }

/* A name at P inside the message (compression allowed); return its end or NULL. */
static const unsigned char *show_name(const ns_msg *m, const unsigned char *p,
                                      const unsigned char *end)
{
    char name[NS_MAXDNAME];
    int n = dn_expand(ns_msg_base(*m), ns_msg_end(*m), p, name, sizeof name);
    if (n < 0 || p + n > end) {
        fputs("<bad name>", stdout);
        return NULL;
    }
    printf("%s%s", name, dot(name));
    return p + n;
}

/* RDATA in zone-file presentation for the common types, hex otherwise. */
static void show_rdata(const ns_msg *m, const ns_rr *rr)
{
    const unsigned char *p = ns_rr_rdata(*rr), *end = p + ns_rr_rdlen(*rr);
    char a[INET6_ADDRSTRLEN];

    switch (ns_rr_type(*rr)) {
    case ns_t_a:
        if (end - p != 4)
            break;
        printf("%s", inet_ntop(AF_INET, p, a, sizeof a));
        return;
    case ns_t_aaaa:
        if (end - p != 16)
            break;
        printf("%s", inet_ntop(AF_INET6, p, a, sizeof a));
        return;
    case ns_t_ns:
    case ns_t_cname:
    case ns_t_ptr:
        if (show_name(m, p, end) == NULL)
            return;
        return;
    case ns_t_mx:
        if (end - p < 3)
            break;
        printf("%u ", ns_get16(p));
        show_name(m, p + 2, end);
        return;
    case ns_t_srv:
        if (end - p < 7)
            break;
        printf("%u %u %u ", ns_get16(p), ns_get16(p + 2), ns_get16(p + 4));
        show_name(m, p + 6, end);
        return;
    case ns_t_soa: {
        const unsigned char *q = show_name(m, p, end);
        if (q == NULL)
            return;
        putchar(' ');
        q = show_name(m, q, end);
        if (q == NULL)
            return;
        if (end - q != 20) {
            fputs(" <bad soa>", stdout);
            return;
        }
        for (int i = 0; i < 5; i++)
            printf(" %lu", (unsigned long)ns_get32(q + 4 * i));
        return;
    }
    case ns_t_txt:
        for (int first = 1; p < end; first = 0) {
            unsigned l = *p++;
            if (p + l > end) {
                fputs(" <bad txt>", stdout);
                return;
            }
            printf("%s\"", first ? "" : " ");
            for (unsigned i = 0; i < l; i++) {
                if (p[i] == '"' || p[i] == '\\')
                    printf("\\%c", p[i]);
                else if (isprint(p[i]))
                    putchar(p[i]);
                else
                    printf("\\%03u", p[i]);
            }
            putchar('"');
            p += l;
        }
        return;
    default:
        break;
    }
    printf("\\# %u", (unsigned)ns_rr_rdlen(*rr));
    for (; p < end; p++)
        printf(" %02x", *p);
}

/* The bytes shown: header, records, hex. */
static void show_packet(const unsigned char *p, int n)
{
    char b1[16], b2[16];

    if (n < NS_HFIXEDSZ) {
        printf("  header: (only %d bytes)\n", n);
    } else {
        static const char *const fl[] = { "qr", "aa", "tc", "rd", "ra", "z", "ad", "cd" };
        static const int bit[] = { 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020,
                                   0x0010 };
        int flags = p[2] << 8 | p[3];
        printf("  header: opcode=%d rcode=%s flags=", (flags >> 11) & 0xf,
               sym_name(rcodes, flags & 0xf, b1, sizeof b1));
        int first = 1;
        for (int i = 0; i < 8; i++)
            if (flags & bit[i]) {
                printf("%s%s", first ? "" : ",", fl[i]);
                first = 0;
            }
        printf("%s tc=%d qd=%d an=%d ns=%d ar=%d\n", first ? "-" : "", (flags & 0x0200) != 0,
               p[4] << 8 | p[5], p[6] << 8 | p[7], p[8] << 8 | p[9], p[10] << 8 | p[11]);

        ns_msg msg;
        if (ns_initparse(p, n, &msg) < 0) {
            printf("  records: unparsable (%s)\n", errno_name(errno, b1, sizeof b1));
        } else {
            static const char *const secname[] = { "QUESTION", "ANSWER", "AUTHORITY",
                                                   "ADDITIONAL" };
            for (int s = ns_s_qd; s < ns_s_max; s++) {
                int cnt = ns_msg_count(msg, (ns_sect)s);
                if (cnt == 0)
                    continue;
                printf("  ;; %s\n", secname[s]);
                for (int i = 0; i < cnt; i++) {
                    ns_rr rr;
                    if (ns_parserr(&msg, (ns_sect)s, i, &rr) < 0) {
                        printf("  record %d: unparsable (%s)\n", i,
                               errno_name(errno, b1, sizeof b1));
                        break;
                    }
                    if (s == ns_s_qd) {
                        printf("  %s%s %s %s\n", ns_rr_name(rr), dot(ns_rr_name(rr)),
                               sym_name(classes, ns_rr_class(rr), b1, sizeof b1),
                               sym_name(types, ns_rr_type(rr), b2, sizeof b2));
                        continue;
                    }
                    printf("  %s%s %u %s %s ", ns_rr_name(rr), dot(ns_rr_name(rr)),
                           (unsigned)ns_rr_ttl(rr),
                           sym_name(classes, ns_rr_class(rr), b1, sizeof b1),
                           sym_name(types, ns_rr_type(rr), b2, sizeof b2));
                    show_rdata(&msg, &rr);
                    putchar('\n');
                }
            }
        }
    }
    /* 16 bytes a line; a run of lines equal to the one before is shown as "*". */
    int starred = 0;
    for (int off = 0; off < n; off += 16) {
        if (off >= 32 && off + 16 <= n && memcmp(p + off, p + off - 16, 16) == 0) {
            if (!starred)
                printf("  *\n");
            starred = 1;
            continue;
        }
        starred = 0;
        printf("  %04x:", off);
        for (int i = off; i < off + 16 && i < n; i++) {
            if (i < 2)
                printf(" ..");
            else
                printf(" %02x", p[i]);
        }
        putchar('\n');
    }
}

enum fn { F_QUERY, F_SEARCH, F_QUERYDOMAIN };

struct call {
    enum fn fn;
    int n_form, old;
    const char *name, *domain;
    int class, type, len;
    int setup;             /* res_init and change the state before the call */
    int noinit;
    const char *ns;
    int nscount, ndots;
    unsigned long set, clear;
    const char *search;
};

static int parse_opts(const char *list, unsigned long *out)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *sv, *t = strtok_r(buf, ",|", &sv); t; t = strtok_r(NULL, ",|", &sv)) {
        if (strncasecmp(t, "RES_", 4) == 0)
            t += 4;
        int v;
        if (sym_value(resopts, t, &v) < 0) {
            fprintf(stderr, "resq: unknown resolver option %s\n", t);
            return -1;
        }
        *out |= (unsigned long)v;
    }
    return 0;
}

/* Parse one CALL from ARGV[0..ARGC); return 0 or -1. */
static int parse_call(int argc, char **argv, struct call *c)
{
    const char *f = argv[0];
    int nargs;

    memset(c, 0, sizeof *c);
    c->class = ns_c_in;
    c->len = 4096;
    c->nscount = -1;
    c->ndots = -1;
    if (strncmp(f, "old_", 4) == 0) {
        c->old = 1;
        f += 4;
    }
    if (f[0] == 'n' && f[1] != 0) {
        c->n_form = 1;
        f++;
    }
    if (strcmp(f, "query") == 0)
        c->fn = F_QUERY;
    else if (strcmp(f, "search") == 0)
        c->fn = F_SEARCH;
    else if (strcmp(f, "querydomain") == 0)
        c->fn = F_QUERYDOMAIN;
    else {
        fprintf(stderr, "resq: unknown call %s\n", argv[0]);
        return -1;
    }
    nargs = c->fn == F_QUERYDOMAIN ? 3 : 2;
    if (argc < 1 + nargs) {
        fprintf(stderr, "resq: %s needs %d arguments\n", argv[0], nargs);
        return -1;
    }
    c->name = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
    if (c->fn == F_QUERYDOMAIN)
        c->domain = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
    if (sym_value(types, argv[nargs], &c->type) < 0) {
        fprintf(stderr, "resq: unknown type %s\n", argv[nargs]);
        return -1;
    }
    if (c->name == NULL) {
        fprintf(stderr, "resq: NAME must not be NULL (glibc would crash)\n");
        return -1;
    }
    for (int i = nargs + 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        const char *v = eq ? eq + 1 : "";
        size_t kl = eq ? (size_t)(eq - a) : strlen(a);
#define KEY(k) (kl == strlen(k) && strncmp(a, k, kl) == 0)
        if (KEY("class")) {
            if (sym_value(classes, v, &c->class) < 0)
                goto bad;
        } else if (KEY("len")) {
            c->len = atoi(v);
            if (c->len < 0 || c->len > 1 << 20)
                goto bad;
        } else if (KEY("ns")) {
            c->ns = v;
            c->setup = 1;
        } else if (KEY("nscount")) {
            c->nscount = atoi(v);
            c->setup = 1;
        } else if (KEY("ndots")) {
            c->ndots = atoi(v);
            c->setup = 1;
        } else if (KEY("set")) {
            if (parse_opts(v, &c->set) < 0)
                goto bad;
            c->setup = 1;
        } else if (KEY("clear")) {
            if (parse_opts(v, &c->clear) < 0)
                goto bad;
            c->setup = 1;
        } else if (KEY("search")) {
            c->search = v;
            c->setup = 1;
        } else if (KEY("noinit") && eq == NULL) {
            if (!c->n_form) {
                fprintf(stderr, "resq: noinit is for the n-forms only\n");
                return -1;
            }
            c->noinit = 1;
        } else {
            goto bad;
        }
#undef KEY
        continue;
    bad:
        fprintf(stderr, "resq: bad setting %s\n", a);
        return -1;
    }
    if (c->noinit && c->setup) {
        fprintf(stderr, "resq: noinit and state settings do not mix\n");
        return -1;
    }
    return 0;
}

/* Apply the call's settings to an initialised state. */
static int setup_state(res_state st, const struct call *c, char *searchbuf, size_t sbsize)
{
    if (c->ns) {
        char host[64];
        const char *colon = strrchr(c->ns, ':');
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(53);
        snprintf(host, sizeof host, "%.*s",
                 (int)(colon ? (size_t)(colon - c->ns) : strlen(c->ns)), c->ns);
        if (colon)
            sin.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
            fprintf(stderr, "resq: ns=%s: not IPv4 ADDR[:PORT]\n", c->ns);
            return -1;
        }
        st->nsaddr_list[0] = sin;
        if (st->nscount < 1)
            st->nscount = 1;
    }
    if (c->nscount >= 0)
        st->nscount = c->nscount;
    if (c->ndots >= 0)
        st->ndots = (unsigned)c->ndots;
    st->options |= c->set;
    st->options &= ~c->clear;
    if (c->search) {
        int i = 0;
        snprintf(searchbuf, sbsize, "%s", strcmp(c->search, "none") == 0 ? "" : c->search);
        for (char *sv, *t = strtok_r(searchbuf, ",", &sv); t && i < MAXDNSRCH;
             t = strtok_r(NULL, ",", &sv))
            st->dnsrch[i++] = t;
        st->dnsrch[i] = NULL;
    }
    return 0;
}

static const char *fn_name(const struct call *c)
{
    static char buf[48];
    static const char *const base[] = { "query", "search", "querydomain" };
    snprintf(buf, sizeof buf, "%sres_%s%s", c->old ? "__" : "", c->n_form ? "n" : "",
             base[c->fn]);
    return buf;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_call(int idx, const struct call *c, int timing)
{
    static struct __res_state priv;
    static char searchbuf[1024];
    res_state st;
    char b1[32], b2[32];
    int rc = 0;

    if (c->n_form) {
        st = &priv;
        memset(st, 0, sizeof *st);
        if (!c->noinit && res_ninit(st) < 0) {
            printf("[%d] res_ninit failed\n", idx);
            return 0;
        }
    } else {
        st = &_res;
        if (c->setup && res_init() < 0) {
            printf("[%d] res_init failed\n", idx);
            return 0;
        }
    }
    if (c->setup && setup_state(st, c, searchbuf, sizeof searchbuf) < 0)
        exit(2);

    unsigned char *buf = malloc((size_t)c->len + GUARD);
    if (buf == NULL) {
        perror("resq: malloc");
        exit(2);
    }
    memset(buf, FILL, (size_t)c->len + GUARD);

    printf("[%d] %s(", idx, fn_name(c));
    quote(c->name);
    if (c->fn == F_QUERYDOMAIN) {
        fputs(", ", stdout);
        quote(c->domain);
    }
    printf(", class=%s, type=%s, len=%d", sym_name(classes, c->class, b1, sizeof b1),
           sym_name(types, c->type, b2, sizeof b2), c->len);
    if (c->ns)
        printf(", ns=%s", c->ns);
    if (c->nscount >= 0)
        printf(", nscount=%d", c->nscount);
    if (c->ndots >= 0)
        printf(", ndots=%d", c->ndots);
    if (c->set)
        printf(", set=0x%lx", c->set);
    if (c->clear)
        printf(", clear=0x%lx", c->clear);
    if (c->search)
        printf(", search=%s", c->search);
    if (c->noinit)
        printf(", noinit");
    printf(")\n");
    fflush(stdout);

    int n;
    double t0 = now_ms();
    h_errno = HERR_CANARY;
    st->res_h_errno = HERR_CANARY;
    errno = ERRNO_CANARY;
    if (c->old) {
        switch (c->fn) {
        case F_QUERY:
            n = c->n_form ? old_res_nquery(st, c->name, c->class, c->type, buf, c->len)
                          : old_res_query(c->name, c->class, c->type, buf, c->len);
            break;
        case F_SEARCH:
            n = c->n_form ? old_res_nsearch(st, c->name, c->class, c->type, buf, c->len)
                          : old_res_search(c->name, c->class, c->type, buf, c->len);
            break;
        default:
            n = c->n_form ? old_res_nquerydomain(st, c->name, c->domain, c->class, c->type,
                                                 buf, c->len)
                          : old_res_querydomain(c->name, c->domain, c->class, c->type, buf,
                                                c->len);
        }
    } else {
        switch (c->fn) {
        case F_QUERY:
            n = c->n_form ? res_nquery(st, c->name, c->class, c->type, buf, c->len)
                          : res_query(c->name, c->class, c->type, buf, c->len);
            break;
        case F_SEARCH:
            n = c->n_form ? res_nsearch(st, c->name, c->class, c->type, buf, c->len)
                          : res_search(c->name, c->class, c->type, buf, c->len);
            break;
        default:
            n = c->n_form ? res_nquerydomain(st, c->name, c->domain, c->class, c->type, buf,
                                             c->len)
                          : res_querydomain(c->name, c->domain, c->class, c->type, buf,
                                            c->len);
        }
    }
    int e = errno, he = h_errno, rhe = st->res_h_errno;
    double t1 = now_ms();
    if (timing)
        fprintf(stderr, "time [%d] %.0f ms\n", idx, t1 - t0);

    printf("  return=%d h_errno=%s", n, herr_name(he, b1, sizeof b1));
    printf(" res_h_errno=%s\n", herr_name(rhe, b2, sizeof b2));
    printf("  %s=%s\n", n >= 0 ? "errno-after-success" : "errno", errno_name(e, b1, sizeof b1));

    for (int i = 0; i < GUARD; i++)
        if (buf[c->len + i] != FILL) {
            printf("  BUG: the call wrote past the end of the %d-byte buffer (guard byte %d)\n",
                   c->len, i);
            rc = 3;
            break;
        }
    if (n >= 0) {
        int shown = n < c->len ? n : c->len;
        printf("  buffer=%d bytes\n", shown);
        show_packet(buf, shown);
    } else {
        int last = -1;
        for (int i = 0; i < c->len; i++)
            if (buf[i] != FILL)
                last = i;
        if (last < 0)
            printf("  buffer=untouched\n");
        else {
            printf("  buffer=changed up to byte %d (left there on failure)\n", last + 1);
            show_packet(buf, last + 1);
        }
    }
    if (c->n_form && !c->noinit)
        res_nclose(st);
    free(buf);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv)
{
    int timing = 0, rc = 0, idx = 0;
    int i = 1;

    if (i < argc && strcmp(argv[i], "-t") == 0) {
        timing = 1;
        i++;
    }
    if (i >= argc)
        usage();
    while (i < argc) {
        int j = i;
        while (j < argc && strcmp(argv[j], "--") != 0)
            j++;
        struct call c;
        if (j == i || parse_call(j - i, argv + i, &c) < 0)
            usage();
        int r = run_call(++idx, &c, timing);
        if (r > rc)
            rc = r;
        i = j + 1;
    }
    return rc;
}
