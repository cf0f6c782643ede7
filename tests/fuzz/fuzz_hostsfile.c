/* fuzz_hostsfile -- the /etc/hosts index and the remembered answers of
 * shim/hostsfile.c, judged by glibc's own files module.
 *
 * The input is the text of a hosts file. The names and addresses asked
 * about are the input's own fields (so most questions hit), in upper case
 * too, plus a few fixed ones.
 *
 * With glibc as the judge (tests/fuzz/run.sh sets that up: it runs this
 * target in a private mount namespace where a temporary file, named by
 * DNSF_FUZZ_HOSTS, is bind-mounted over /etc/hosts; each input is written
 * into that file, so glibc's _nss_files_* functions read it), for each
 * question and several buffer sizes:
 *   - glibc finds it        => the index says "may be there";
 *   - the index says "certainly absent" and the buffer is at least
 *     hosts_index_safe_buflen => glibc says NOTFOUND (not ERANGE);
 *   - hostsfile says ABSENT   => glibc says NOTFOUND;
 *   - hostsfile says ANSWERED => glibc succeeds with that buffer too, with
 *     exactly the same fields (after glibc's answer was remembered).
 * Without the judge (no DNSF_FUZZ_HOSTS: not root, say) the same code runs
 * and only crashes, sanitizer reports and leaks count.
 *
 * Safety: the target only ever writes the file DNSF_FUZZ_HOSTS names, and
 * turns the judge on only when that file is not under /etc and /etc/hosts
 * is that very file (same device and inode): a bind mount. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <limits.h>
#include <netdb.h>
#include <nss.h>
#include <sys/stat.h>

#include "dnsf/hostsfile.h"
#include "fuzz.h"

#define MAX_NAMES 6
#define MAX_ADDRS 4
#define TOKEN_MAX 300

typedef enum nss_status (*files3_fn)(const char *, int, struct hostent *, char *, size_t, int *,
                                     int *, int32_t *, char **);
typedef enum nss_status (*files4_fn)(const char *, struct gaih_addrtuple **, char *, size_t,
                                     int *, int *, int32_t *);
typedef enum nss_status (*filesaddr_fn)(const void *, socklen_t, int, struct hostent *, char *,
                                        size_t, int *, int *);

static files3_fn glibc3;
static files4_fn glibc4;
static filesaddr_fn glibcaddr;
static const char *hosts_path;
static int judge;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *p = getenv("DNSF_FUZZ_HOSTS");
    if (p == NULL || p[0] == 0) {
        hosts_path = fuzz_file();
        return 0;
    }
    char real[PATH_MAX];
    struct stat a, b;
    if (realpath(p, real) == NULL || strncmp(real, "/etc/", 5) == 0 || stat(real, &a) != 0
        || stat("/etc/hosts", &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        fprintf(stderr, "fuzz_hostsfile: DNSF_FUZZ_HOSTS=%s is not bind-mounted over "
                        "/etc/hosts (see tests/fuzz/run.sh); refusing to write it\n", p);
        exit(2);
    }
    hosts_path = strdup(real);
    *(void **)&glibc3 = dlvsym(RTLD_DEFAULT, "_nss_files_gethostbyname3_r", "GLIBC_PRIVATE");
    *(void **)&glibc4 = dlvsym(RTLD_DEFAULT, "_nss_files_gethostbyname4_r", "GLIBC_PRIVATE");
    *(void **)&glibcaddr = dlvsym(RTLD_DEFAULT, "_nss_files_gethostbyaddr_r", "GLIBC_PRIVATE");
    if (glibc3 == NULL || glibc4 == NULL || glibcaddr == NULL) {
        fprintf(stderr, "fuzz_hostsfile: glibc's _nss_files_* functions not found\n");
        exit(2);
    }
    judge = 1;
    return 0;
}

/* ---- comparing results --------------------------------------------------- */

static int same_hostent(const struct hostent *a, const struct hostent *b)
{
    if (strcmp(a->h_name, b->h_name) != 0 || a->h_addrtype != b->h_addrtype
        || a->h_length != b->h_length)
        return 0;
    size_t i;
    for (i = 0; a->h_aliases[i] != NULL && b->h_aliases[i] != NULL; i++)
        if (strcmp(a->h_aliases[i], b->h_aliases[i]) != 0)
            return 0;
    if (a->h_aliases[i] != b->h_aliases[i])
        return 0;
    for (i = 0; a->h_addr_list[i] != NULL && b->h_addr_list[i] != NULL; i++)
        if (memcmp(a->h_addr_list[i], b->h_addr_list[i], (size_t)a->h_length) != 0)
            return 0;
    return a->h_addr_list[i] == b->h_addr_list[i];
}

static int same_tuples(const struct gaih_addrtuple *a, const struct gaih_addrtuple *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        if (a->family != b->family || a->scopeid != b->scopeid
            || memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) != 0
            || (a->name == NULL) != (b->name == NULL)
            || (a->name != NULL && strcmp(a->name, b->name) != 0))
            return 0;
    }
    return a == b;
}

/* ---- one question, three ways -------------------------------------------- */

enum qkind { Q3, Q4, QADDR };

struct question {
    enum qkind kind;
    const char *name;              /* Q3, Q4 */
    int af;                        /* Q3, QADDR */
    const unsigned char *addr;     /* QADDR */
    socklen_t addrlen;
};

struct result {
    enum nss_status status;
    int err;
    int herr;                      /* the h_errno out-parameter, as left */
    struct hostent he;
    struct gaih_addrtuple *at;
    char *buf;
};

static void glibc_ask(const struct question *q, size_t buflen, struct result *r)
{
    memset(r, 0, sizeof *r);
    r->herr = HOSTSFILE_HERRNO_UNTOUCHED;
    r->buf = malloc(buflen ? buflen : 1);
    if (q->kind == Q3)
        r->status = glibc3(q->name, q->af, &r->he, r->buf, buflen, &r->err, &r->herr, NULL, NULL);
    else if (q->kind == Q4)
        r->status = glibc4(q->name, &r->at, r->buf, buflen, &r->err, &r->herr, NULL);
    else
        r->status = glibcaddr(q->addr, q->addrlen, q->af, &r->he, r->buf, buflen, &r->err,
                              &r->herr);
}

static enum hostsfile_verdict ours_ask(struct hostsfile *hf, const struct question *q,
                                       size_t buflen, struct result *r, struct file_stamp *st)
{
    char *canon = NULL;
    memset(r, 0, sizeof *r);
    r->herr = HOSTSFILE_HERRNO_UNTOUCHED;
    r->buf = malloc(buflen ? buflen : 1);
    enum hostsfile_verdict v;
    if (q->kind == Q3)
        v = hostsfile_byname3(hf, q->name, q->af, &r->he, r->buf, buflen, &canon, &r->herr, st);
    else if (q->kind == Q4)
        v = hostsfile_byname4(hf, q->name, &r->at, r->buf, buflen, &r->herr, st);
    else
        v = hostsfile_byaddr(hf, q->addr, q->addrlen, q->af, &r->he, r->buf, buflen, &r->herr,
                             st);
    if (v == HOSTSFILE_ANSWERED && q->kind == Q3)
        FUZZ_CHECK(canon == r->he.h_name, "canonical name pointer");
    return v;
}

static int same_result(const struct question *q, const struct result *a, const struct result *b)
{
    return q->kind == Q4 ? same_tuples(a->at, b->at) : same_hostent(&a->he, &b->he);
}

static const char *qtext(const struct question *q)
{
    static char t[TOKEN_MAX + 64];
    char a[INET6_ADDRSTRLEN] = "";
    if (q->kind == QADDR)
        inet_ntop(q->addrlen == 4 ? AF_INET : AF_INET6, q->addr, a, sizeof a);
    snprintf(t, sizeof t, "%s %s af=%d", q->kind == Q3 ? "byname3" : q->kind == Q4 ? "byname4" : "byaddr",
             q->kind == QADDR ? a : q->name, q->af);
    return t;
}

static void judge_question(struct hostsfile *hf, const struct hosts_index *idx,
                           const struct question *q)
{
    size_t safe = hosts_index_safe_buflen(idx);
    /* Buffers past ASan's largest size class (128 KiB) would be mmap'ed
     * afresh each time: ten times slower for no more coverage. */
    size_t sizes[] = { safe < 1 << 15 ? safe : 1 << 15, 256, 4096 };
    int may = q->kind == QADDR ? hosts_index_may_have_addr(idx, q->addr, q->addrlen)
                               : hosts_index_may_have_name(idx, q->name);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t buflen = sizes[i];
        struct result g, o, o2;
        struct file_stamp st, st2;
        enum hostsfile_verdict v = ours_ask(hf, q, buflen, &o, &st);
        if (!judge) {
            free(o.buf);
            continue;
        }
        glibc_ask(q, buflen, &g);
        int found = g.status == NSS_STATUS_SUCCESS;
        int notfound = g.status == NSS_STATUS_NOTFOUND;
        FUZZ_CHECK(!found || may, "%s: glibc finds it, the index says absent", qtext(q));
        FUZZ_CHECK(may || buflen < safe || notfound,
                   "%s: absent from the index, but glibc says %d (errno %d) with %zu >= %zu octets",
                   qtext(q), g.status, g.err, buflen, safe);
        FUZZ_CHECK(v != HOSTSFILE_ABSENT || notfound, "%s: ABSENT, glibc says %d (errno %d)",
                   qtext(q), g.status, g.err);
        if (v == HOSTSFILE_ANSWERED)
            FUZZ_CHECK(found && same_result(q, &o, &g) && o.herr == g.herr,
                       "%s: ANSWERED differs from glibc (%d, h_errno %d against %d) at %zu",
                       qtext(q), g.status, o.herr, g.herr, buflen);
        if (v == HOSTSFILE_ASK && found && st.ok) {
            if (q->kind == Q3)
                hostsfile_remember_byname3(hf, &st, q->name, q->af, &g.he, g.herr);
            else if (q->kind == Q4)
                hostsfile_remember_byname4(hf, &st, q->name, g.at, g.herr);
            else
                hostsfile_remember_byaddr(hf, &st, q->addr, q->addrlen, q->af, &g.he, g.herr);
            enum hostsfile_verdict v2 = ours_ask(hf, q, buflen, &o2, &st2);
            FUZZ_CHECK(v2 != HOSTSFILE_ABSENT, "%s: ABSENT after glibc found it", qtext(q));
            if (v2 == HOSTSFILE_ANSWERED)
                FUZZ_CHECK(same_result(q, &o2, &g) && o2.herr == g.herr,
                           "%s: remembered answer differs from glibc's at %zu", qtext(q), buflen);
            free(o2.buf);
        }
        free(o.buf);
        free(g.buf);
    }
}

/* ---- the questions: the file's own fields ---------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char names[MAX_NAMES * 2 + 3][TOKEN_MAX + 1];
    static unsigned char addrs[MAX_ADDRS * 2 + 2][16];
    static socklen_t addrlens[MAX_ADDRS * 2 + 2];
    size_t nnames = 0, naddrs = 0;

    struct hosts_index *idx = hosts_index_build((const char *)data, size);
    FUZZ_CHECK(idx != NULL, "hosts_index_build failed (out of memory?)");

    for (size_t i = 0; i < size;) {
        while (i < size && (is_space(data[i]) || data[i] == '#'))
            i++;
        size_t s = i;
        while (i < size && !is_space(data[i]) && data[i] != '#')
            i++;
        size_t n = i - s;
        if (n == 0 || n > TOKEN_MAX || memchr(data + s, 0, n) != NULL)
            continue;
        char tok[TOKEN_MAX + 1];
        memcpy(tok, data + s, n);
        tok[n] = 0;
        unsigned char a[16];
        if (naddrs < MAX_ADDRS * 2 && inet_pton(AF_INET, tok, a) == 1) {
            memcpy(addrs[naddrs], a, 4);
            addrlens[naddrs++] = 4;
        } else if (naddrs < MAX_ADDRS * 2 && inet_pton(AF_INET6, tok, a) == 1) {
            memcpy(addrs[naddrs], a, 16);
            addrlens[naddrs++] = 16;
        } else if (nnames + 2 <= MAX_NAMES * 2) {
            memcpy(names[nnames++], tok, n + 1);
            for (size_t k = 0; k <= n; k++)   /* and in upper case */
                names[nnames][k] = (char)(tok[k] >= 'a' && tok[k] <= 'z' ? tok[k] - 32 : tok[k]);
            nnames++;
        }
    }
    static const char *const fixed[] = { "localhost", "", "a" };
    for (size_t k = 0; k < 3; k++)
        snprintf(names[nnames++], sizeof names[0], "%s", fixed[k]);
    static const unsigned char lo4[4] = { 127, 0, 0, 1 };
    memcpy(addrs[naddrs], lo4, 4);
    addrlens[naddrs++] = 4;
    memcpy(addrs[naddrs], &in6addr_loopback, 16);
    addrlens[naddrs++] = 16;

    fuzz_write_file(hosts_path, data, size);
    struct hostsfile *hf = hostsfile_open(hosts_path);
    FUZZ_CHECK(hf != NULL, "hostsfile_open");
    for (size_t k = 0; k < nnames; k++) {
        struct question q3 = { Q3, names[k], AF_INET, NULL, 0 };
        judge_question(hf, idx, &q3);
        q3.af = AF_INET6;
        judge_question(hf, idx, &q3);
        struct question q4 = { Q4, names[k], 0, NULL, 0 };
        judge_question(hf, idx, &q4);
    }
    for (size_t k = 0; k < naddrs; k++) {
        struct question qa = { QADDR, NULL, addrlens[k] == 4 ? AF_INET : AF_INET6, addrs[k],
                               addrlens[k] };
        judge_question(hf, idx, &qa);
    }
    hostsfile_close(hf);
    hosts_index_free(idx);
    return 0;
}
