/* hostsfile — /etc/hosts watched: read again when it changes, indexed
 * (hostsindex.h), and glibc's files module's answers remembered until the
 * next change (contract in hostsfile.h). */
#include "dnsf/hostsfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/allocbuf.h"
#include "dnsf/fdkeep.h"
#include "dnsf/htab.h"
#include "dnsf/strutil.h"

/* A file larger than this is not indexed: glibc answers (no real hosts
 * file comes near it; a generated one might). */
#define HOSTS_MAX_BYTES (64u << 20)

/* ---- the watched file --------------------------------------------------- */

/* Remembered answers of glibc's files module: at most this many per
 * version of the file (a hosts file has a few dozen names; a program that
 * asks for thousands of distinct ones in it just goes on asking glibc). */
#define ANS_MAX 4096
#define ANS_BUCKETS 256
/* The resolver option glibc 2.36 still honours as DEPRECATED_RES_USE_INET6:
 * it changes what gethostbyname asks the files module. Then we stay out. */
#define RES_USE_INET6_BIT 0x00002000

enum ans_kind { ANS_BYNAME3 = 1, ANS_BYNAME4, ANS_BYADDR };

struct ans_addr {
    int family;
    unsigned char bytes[16];
};

/* One remembered SUCCESS of glibc's files module: every field it returned. */
struct hosts_answer {
    struct htab_node node;       /* first: the table's chain and hash */
    int kind, af;                /* af: the question's (byname3, byaddr) */
    int addrtype, addrlen;       /* hostent's h_addrtype / h_length */
    size_t naddrs, naliases;
    int herrno_left;             /* the module's *herrnop, or HOSTSFILE_HERRNO_UNTOUCHED */
    struct ans_addr *addrs;
    char *name;                  /* h_name, or the first tuple's name (may be NULL) */
    char **aliases;
    size_t bytes;                /* what the fields take in a caller's buffer */
    size_t keylen;
    char key[];
};

struct hostsfile {
    pthread_rwlock_t lock;       /* guards idx, stamp, ans; never held across I/O */
    struct hosts_index *idx;     /* NULL until the first load */
    struct file_stamp stamp;  /* what idx (and ans) were built from */
    struct htab_node *ans[ANS_BUCKETS];
    size_t nans;
    atomic_int loading;          /* one thread reads the file at a time */
    atomic_ulong loads;
    char path[];
};

/* The file as it is now; ok = 0 unless it is a regular file (a FIFO or a
 * directory is glibc's business). */
static void stamp_now(const char *path, struct file_stamp *s)
{
    file_stamp_take(path, s);
    if (!s->regular)
        memset(s, 0, sizeof *s);
}

/* The index built from A is current for a query that saw B. */
static int stamp_same(const struct file_stamp *a, const struct file_stamp *b)
{
    return a->ok && file_stamp_equal(a, b);
}

/* Read the whole file; NULL on any error (then glibc answers). */
static char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fdkeep_shortage(errno);        /* glibc's files module needs one too */
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            char *nb = cap < HOSTS_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r == 0) {
            close(fd);
            *len = n;
            return buf;
        }
        if (r < 0)
            break;
        n += (size_t)r;
    }
    free(buf);
    close(fd);
    return NULL;
}

static void answer_free(struct hosts_answer *a)
{
    if (a == NULL)
        return;
    free(a->addrs);
    free(a->name);
    for (size_t i = 0; a->aliases != NULL && i < a->naliases; i++)
        free(a->aliases[i]);
    free(a->aliases);
    free(a);
}

/* Unlink every remembered answer (under the write lock); return the list. */
static struct htab_node *answers_take_nolock(struct hostsfile *hf)
{
    struct htab_node *all = NULL;
    for (int b = 0; b < ANS_BUCKETS; b++)
        while (hf->ans[b] != NULL)
            htab_push(&all, htab_unlink(&hf->ans[b]));
    hf->nans = 0;
    return all;
}

static void answers_free(struct htab_node *all)
{
    while (all != NULL)
        answer_free(htab_entry(htab_unlink(&all), struct hosts_answer, node));
}

/* Index the file as it is now (STAMP was taken before reading, so a change
 * during the read is seen as a change on the next query). */
static void reload(struct hostsfile *hf, const struct file_stamp *stamp)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&hf->loading, &expected, 1))
        return;                  /* another thread is on it; glibc answers */
    size_t len = 0;
    char *text = read_all(hf->path, &len);
    struct hosts_index *nx = text ? hosts_index_build(text, len) : NULL;
    free(text);
    if (nx != NULL) {
        pthread_rwlock_wrlock(&hf->lock);
        struct hosts_index *old = hf->idx;
        struct htab_node *dead = answers_take_nolock(hf);
        hf->idx = nx;
        hf->stamp = *stamp;
        pthread_rwlock_unlock(&hf->lock);
        hosts_index_free(old);
        answers_free(dead);
        atomic_fetch_add(&hf->loads, 1);
    }
    atomic_store(&hf->loading, 0);
}

static uint32_t hash_bytes(int kind, int af, const void *k, size_t n)
{
    return dnsf_fnv1a(DNSF_FNV1A_INIT ^ (uint32_t)(kind * 31 + af), k, n);
}

/* A question as the table compares it. */
struct akey {
    int kind, af;
    const void *key;
    size_t keylen;
};

static int key_matches(const struct htab_node *n, const void *arg)
{
    const struct hosts_answer *a = htab_entry(n, const struct hosts_answer, node);
    const struct akey *k = arg;
    return a->kind == k->kind && a->af == k->af && a->keylen == k->keylen
        && memcmp(a->key, k->key, k->keylen) == 0;
}

/* The remembered answer for this question, under the read lock. */
static const struct hosts_answer *find_nolock(const struct hostsfile *hf, int kind, int af,
                                              const void *key, size_t keylen, uint32_t h)
{
    const struct akey k = { kind, af, key, keylen };
    /* The table is only read here: the cast lends htab_find its links. */
    struct htab_node **head = htab_bucket((struct htab_node **)hf->ans, ANS_BUCKETS, 1, h);
    struct htab_node *n = *htab_find(head, h, key_matches, &k);
    return n != NULL ? htab_entry(n, const struct hosts_answer, node) : NULL;
}

/* ---- writing a remembered answer into a caller's buffer ----------------- */

/* Bytes the fields of A take in a buffer laid out by fill_hostent. */
static size_t hostent_bytes(const struct hosts_answer *a)
{
    size_t n = 16 + (a->naddrs + 1 + a->naliases + 1) * sizeof(char *)
             + a->naddrs * (size_t)a->addrlen + strlen(a->name) + 1;
    for (size_t i = 0; i < a->naliases; i++)
        n += strlen(a->aliases[i]) + 1;
    return n;
}

/* Lay A out in AB. AB holds at least A->bytes (decide_nolock), which
 * counts the alignment too: nothing here can fail. */
static void fill_hostent(const struct hosts_answer *a, struct hostent *r,
                         struct alloc_buffer *ab)
{
    char **addrs = alloc_buffer_alloc(ab, (a->naddrs + 1) * sizeof(char *), sizeof(char *));
    char **aliases = alloc_buffer_alloc(ab, (a->naliases + 1) * sizeof(char *), sizeof(char *));
    for (size_t i = 0; i < a->naddrs; i++) {
        addrs[i] = alloc_buffer_alloc(ab, (size_t)a->addrlen, 4);
        memcpy(addrs[i], a->addrs[i].bytes, (size_t)a->addrlen);
    }
    addrs[a->naddrs] = NULL;
    for (size_t i = 0; i < a->naliases; i++)
        aliases[i] = alloc_buffer_copy_string(ab, a->aliases[i]);
    aliases[a->naliases] = NULL;
    r->h_name = alloc_buffer_copy_string(ab, a->name);
    r->h_aliases = aliases;
    r->h_addrtype = a->addrtype;
    r->h_length = a->addrlen;
    r->h_addr_list = addrs;
}

static size_t tuples_bytes(const struct hosts_answer *a)
{
    return 16 + a->naddrs * (sizeof(struct gaih_addrtuple) + 8)
         + (a->name ? strlen(a->name) + 1 : 0);
}

static void fill_tuples(const struct hosts_answer *a, struct gaih_addrtuple **pat,
                        struct alloc_buffer *ab)
{
    struct gaih_addrtuple *first = NULL;
    for (size_t i = 0; i < a->naddrs; i++) {
        struct gaih_addrtuple *t = alloc_buffer_alloc(ab, sizeof *t,
                                                      __alignof__(struct gaih_addrtuple));
        memset(t, 0, sizeof *t);
        t->family = a->addrs[i].family;
        memcpy(t->addr, a->addrs[i].bytes, 16);
        if (first == NULL)
            first = t;
        *pat = t;
        pat = &t->next;
    }
    if (first != NULL && a->name != NULL)
        first->name = alloc_buffer_copy_string(ab, a->name);
}

/* ---- queries -------------------------------------------------------------- */

/* One query: its key, and where an answer goes (RESULT and CANONP for the
 * hostent forms, PAT for getaddrinfo's). */
struct question {
    int kind, af;
    const void *key;
    size_t keylen;
    uint32_t hash;
    struct hostent *result;
    char **canonp;
    struct gaih_addrtuple **pat;
    int *herrnop;
};

/* The verdict for Q with a buffer of BUFLEN bytes, under the read lock; -1
 * when the index is missing or stale. On HOSTSFILE_ANSWERED, *FOUND is the
 * remembered answer (valid while the lock is held). */
static int decide_nolock(const struct hostsfile *hf, const struct file_stamp *now,
                         const struct question *q, size_t buflen,
                         const struct hosts_answer **found)
{
    const struct hosts_index *x = hf->idx;
    if (x == NULL || !stamp_same(&hf->stamp, now))
        return -1;
    size_t safe = hosts_index_safe_buflen(x);
    int may = q->kind == ANS_BYADDR ? hosts_index_may_have_addr(x, q->key, q->keylen)
                                    : hosts_index_may_have_name(x, q->key);
    if (!may)
        return buflen >= safe ? HOSTSFILE_ABSENT : HOSTSFILE_ASK;
    const struct hosts_answer *a = find_nolock(hf, q->kind, q->af, q->key, q->keylen, q->hash);
    if (a == NULL || safe == SIZE_MAX)
        return HOSTSFILE_ASK;
    /* Serve only when glibc's module would surely succeed with BUFLEN too.
     * getaddrinfo's form keeps each matching line in the buffer (its line,
     * alias vector and tuple: under SAFE bytes each, see safe_buflen) and
     * then needs room for one more line. The hostent forms keep one line
     * and copy the fields after it: twice SAFE plus the fields is ample. */
    size_t lines = q->kind == ANS_BYNAME4 ? a->naddrs + 1 : 2;
    if (lines > SIZE_MAX / safe - 1 || a->bytes > SIZE_MAX / 2)
        return HOSTSFILE_ASK;
    size_t need = lines * safe + (q->kind == ANS_BYNAME4 ? 0 : 2 * a->bytes);
    if (buflen < need || buflen < a->bytes)
        return HOSTSFILE_ASK;
    *found = a;
    return HOSTSFILE_ANSWERED;
}

static int inet6_forced(void)
{
    return (__res_state()->options & RES_USE_INET6_BIT) != 0;
}

/* Write answer A into BUFFER (BUFLEN bytes) as Q's caller expects it. */
static void fill(const struct question *q, const struct hosts_answer *a, char *buffer,
                 size_t buflen)
{
    struct alloc_buffer ab;
    alloc_buffer_init(&ab, buffer, buflen);
    if (a->herrno_left != HOSTSFILE_HERRNO_UNTOUCHED)
        *q->herrnop = a->herrno_left;
    if (q->kind == ANS_BYNAME4) {
        fill_tuples(a, q->pat, &ab);
        return;
    }
    fill_hostent(a, q->result, &ab);
    if (q->canonp != NULL)
        *q->canonp = q->result->h_name;
}

/* Decide Q, reloading the index once if the file changed. */
static enum hostsfile_verdict query(struct hostsfile *hf, const struct question *q,
                                    char *buffer, size_t buflen, struct file_stamp *stamp)
{
    stamp_now(hf->path, stamp);
    if (!stamp->ok)
        return HOSTSFILE_ASK;
    for (int attempt = 0; attempt < 2; attempt++) {
        const struct hosts_answer *a = NULL;
        pthread_rwlock_rdlock(&hf->lock);
        int v = decide_nolock(hf, stamp, q, buflen, &a);
        if (v == HOSTSFILE_ANSWERED)
            fill(q, a, buffer, buflen);
        pthread_rwlock_unlock(&hf->lock);
        if (v >= 0)
            return (enum hostsfile_verdict)v;
        if (attempt == 0)
            reload(hf, stamp);
    }
    return HOSTSFILE_ASK;
}

/* A question the index does not model: glibc's module answers, unremembered. */
static enum hostsfile_verdict ask_glibc(struct file_stamp *stamp)
{
    memset(stamp, 0, sizeof *stamp);
    return HOSTSFILE_ASK;
}

enum hostsfile_verdict hostsfile_byname3(struct hostsfile *hf, const char *name, int af,
                                         struct hostent *result, char *buffer, size_t buflen,
                                         char **canonp, int *herrnop, struct file_stamp *stamp)
{
    size_t n = strlen(name);
    struct question q = { ANS_BYNAME3, af, name, n, hash_bytes(ANS_BYNAME3, af, name, n),
                          result, canonp, NULL, herrnop };
    if ((af != AF_INET && af != AF_INET6) || inet6_forced())
        return ask_glibc(stamp);
    return query(hf, &q, buffer, buflen, stamp);
}

enum hostsfile_verdict hostsfile_byname4(struct hostsfile *hf, const char *name,
                                         struct gaih_addrtuple **pat, char *buffer,
                                         size_t buflen, int *herrnop, struct file_stamp *stamp)
{
    size_t n = strlen(name);
    struct question q = { ANS_BYNAME4, 0, name, n, hash_bytes(ANS_BYNAME4, 0, name, n),
                          NULL, NULL, pat, herrnop };
    if (*pat != NULL)            /* glibc's module would fill the caller's tuple */
        return ask_glibc(stamp);
    return query(hf, &q, buffer, buflen, stamp);
}

enum hostsfile_verdict hostsfile_byaddr(struct hostsfile *hf, const void *addr, socklen_t len,
                                        int af, struct hostent *result, char *buffer,
                                        size_t buflen, int *herrnop, struct file_stamp *stamp)
{
    struct question q = { ANS_BYADDR, af, addr, len, hash_bytes(ANS_BYADDR, af, addr, len),
                          result, NULL, NULL, herrnop };
    if (!((af == AF_INET && len == 4) || (af == AF_INET6 && len == 16)))
        return ask_glibc(stamp);     /* glibc's own checks and conversions apply */
    return query(hf, &q, buffer, buflen, stamp);
}

/* ---- remembering ------------------------------------------------------------ */

static struct hosts_answer *answer_new(int kind, int af, const void *key, size_t keylen,
                                       int herrno_left)
{
    struct hosts_answer *a = calloc(1, sizeof *a + keylen);
    if (a == NULL)
        return NULL;
    a->kind = kind;
    a->af = af;
    a->herrno_left = herrno_left;
    a->keylen = keylen;
    memcpy(a->key, key, keylen);
    a->node.hash = hash_bytes(kind, af, key, keylen);
    return a;
}

static int copy_hostent(struct hosts_answer *a, const struct hostent *h)
{
    if (h->h_name == NULL || h->h_length < 0 || h->h_length > 16
        || (a->name = strdup(h->h_name)) == NULL)
        return -1;
    a->addrtype = h->h_addrtype;
    a->addrlen = h->h_length;
    while (h->h_addr_list[a->naddrs] != NULL)
        a->naddrs++;
    while (h->h_aliases[a->naliases] != NULL)
        a->naliases++;
    a->addrs = calloc(a->naddrs + 1, sizeof *a->addrs);
    a->aliases = calloc(a->naliases + 1, sizeof *a->aliases);
    if (a->addrs == NULL || a->aliases == NULL)
        return -1;
    for (size_t i = 0; i < a->naddrs; i++) {
        a->addrs[i].family = h->h_addrtype;
        memcpy(a->addrs[i].bytes, h->h_addr_list[i], (size_t)h->h_length);
    }
    for (size_t i = 0; i < a->naliases; i++)
        if ((a->aliases[i] = strdup(h->h_aliases[i])) == NULL)
            return -1;
    a->bytes = hostent_bytes(a);
    return 0;
}

static int copy_tuples(struct hosts_answer *a, const struct gaih_addrtuple *at)
{
    for (const struct gaih_addrtuple *t = at; t != NULL; t = t->next) {
        if (t != at && t->name != NULL)
            return -1;           /* not the shape glibc's files module makes */
        if (t->scopeid != 0 || (t->family != AF_INET && t->family != AF_INET6))
            return -1;
        a->naddrs++;
    }
    if (a->naddrs == 0 || (at->name != NULL && (a->name = strdup(at->name)) == NULL))
        return -1;
    if ((a->addrs = calloc(a->naddrs, sizeof *a->addrs)) == NULL)
        return -1;
    size_t i = 0;
    for (const struct gaih_addrtuple *t = at; t != NULL; t = t->next, i++) {
        a->addrs[i].family = t->family;
        memcpy(a->addrs[i].bytes, t->addr, t->family == AF_INET ? 4 : 16);
    }
    a->bytes = tuples_bytes(a);
    return 0;
}

/* Insert A if the index is still the one STAMP saw; else drop it. */
static void remember(struct hostsfile *hf, const struct file_stamp *stamp,
                     struct hosts_answer *a)
{
    pthread_rwlock_wrlock(&hf->lock);
    if (hf->idx != NULL && stamp_same(&hf->stamp, stamp) && hf->nans < ANS_MAX
        && find_nolock(hf, a->kind, a->af, a->key, a->keylen, a->node.hash) == NULL) {
        htab_push(htab_bucket(hf->ans, ANS_BUCKETS, 1, a->node.hash), &a->node);
        hf->nans++;
        a = NULL;
    }
    pthread_rwlock_unlock(&hf->lock);
    answer_free(a);
}

void hostsfile_remember_byname3(struct hostsfile *hf, const struct file_stamp *stamp,
                                const char *name, int af, const struct hostent *h,
                                int herrno_left)
{
    if (!stamp->ok)
        return;
    struct hosts_answer *a = answer_new(ANS_BYNAME3, af, name, strlen(name), herrno_left);
    if (a != NULL && copy_hostent(a, h) == 0)
        remember(hf, stamp, a);
    else
        answer_free(a);
}

void hostsfile_remember_byname4(struct hostsfile *hf, const struct file_stamp *stamp,
                                const char *name, const struct gaih_addrtuple *at,
                                int herrno_left)
{
    if (!stamp->ok)
        return;
    struct hosts_answer *a = answer_new(ANS_BYNAME4, 0, name, strlen(name), herrno_left);
    if (a != NULL && copy_tuples(a, at) == 0)
        remember(hf, stamp, a);
    else
        answer_free(a);
}

void hostsfile_remember_byaddr(struct hostsfile *hf, const struct file_stamp *stamp,
                               const void *addr, socklen_t len, int af,
                               const struct hostent *h, int herrno_left)
{
    if (!stamp->ok)
        return;
    struct hosts_answer *a = answer_new(ANS_BYADDR, af, addr, len, herrno_left);
    if (a != NULL && copy_hostent(a, h) == 0)
        remember(hf, stamp, a);
    else
        answer_free(a);
}

unsigned long hostsfile_loads(const struct hostsfile *hf)
{
    return atomic_load(&hf->loads);
}

struct hostsfile *hostsfile_open(const char *path)
{
    size_t n = strlen(path) + 1;
    struct hostsfile *hf = calloc(1, sizeof *hf + n);
    if (hf == NULL)
        return NULL;
    pthread_rwlock_init(&hf->lock, NULL);
    memcpy(hf->path, path, n);
    return hf;
}

void hostsfile_close(struct hostsfile *hf)
{
    if (hf == NULL)
        return;
    pthread_rwlock_destroy(&hf->lock);
    hosts_index_free(hf->idx);
    answers_free(answers_take_nolock(hf));
    free(hf);
}

static struct hostsfile *system_hosts;
static pthread_once_t system_once = PTHREAD_ONCE_INIT;

static void system_init(void)
{
    system_hosts = hostsfile_open("/etc/hosts");
}

struct hostsfile *hostsfile_system(void)
{
    pthread_once(&system_once, system_init);
    return system_hosts;
}

void hostsfile_fork_child(void)
{
    if (system_hosts == NULL)
        return;
    pthread_rwlock_init(&system_hosts->lock, NULL);
    atomic_store(&system_hosts->loading, 0);
}
