/* memo_hostent — hostent results in the memo (contract in memo_hostent.h). */
#include "dnsf/memo_hostent.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Keys are per buffer address modulo this: glibc aligns what it puts in
 * the buffer by absolute address, to at most alignof(max_align_t). */
#define BUF_ALIGN 16
/* Names longer than this, addresses longer than an IPv6 one, and results
 * spanning more than this many bytes are not memoised (rare; glibc's files
 * and DNS modules answer them as usual). */
#define MAX_NAME 1024
#define MAX_ADDR 16
#define MAX_SPAN 65536
/* Aliases plus addresses in one result we keep. glibc's DNS answers have
 * at most 48 of each (nss/nsswitch.h MAX_NR_ALIASES, MAX_NR_ADDRS); the
 * files module's "multi on" results can have more, and beyond this many
 * are not memoised. */
#define MAX_PTRS 256

/* A pointer slot inside the span and where it points, both as offsets
 * from the buffer's start. */
struct rel {
    uint32_t slot, target;
};

/* The value: this header, NREL relocations, then SPAN bytes. Offsets are
 * from the buffer's start: the caller's buffer for the _r forms; for the
 * others the result's lowest address rounded down to BUF_ALIGN. */
struct hostent_val {
    int rc;                        /* the _r return value */
    int found;                     /* the call returned a hostent */
    struct memo_herrno herrno;     /* values, or MEMO_UNTOUCHED */
    int herrnop;                   /* value, or MEMO_UNTOUCHED */
    int err;                       /* errno after a failure */
    int addrtype, length;
    int32_t name, aliases, addrs;  /* -1: NULL */
    uint32_t base, span, nrel;     /* the span: [base, base + span) */
};

struct key_head {
    unsigned char kind, form, reentrant, align;
    int af;
    uint32_t len;
    uint64_t buflen;
};

static size_t make_key(unsigned char *buf, const struct hostent_call *c)
{
    struct key_head k;
    const void *bytes;
    size_t n;
    memset(&k, 0, sizeof k);
    k.kind = MEMO_HOSTENT;
    k.form = (unsigned char)c->form;
    k.reentrant = (unsigned char)c->reentrant;
    k.af = c->af;
    if (c->form == HOSTENT_BYADDR) {
        if (c->addr == NULL || c->len > MAX_ADDR)
            return 0;
        bytes = c->addr;
        n = c->len;
        k.len = c->len;
    } else {
        if (c->name == NULL || (n = strnlen(c->name, MAX_NAME + 1)) > MAX_NAME)
            return 0;
        bytes = c->name;
    }
    if (c->reentrant) {
        /* glibc may succeed without touching *H_ERRNOP; we would not. */
        if (c->ret == NULL || c->result == NULL || c->h_errnop == NULL)
            return 0;
        k.align = (unsigned char)((uintptr_t)c->buf % BUF_ALIGN);
        k.buflen = c->buflen;
    }
    memcpy(buf, &k, sizeof k);
    memcpy(buf + sizeof k, bytes, n);
    return sizeof k + n;
}

/* ---- recording: the result's span and its pointers -------------------- */

struct span {
    const char *start;             /* the buffer's start (offsets are from it) */
    const char *end;               /* the buffer's end (NULL: unknown) */
    const char *lo, *hi;
    struct rel rel[MAX_PTRS];
    uint32_t nrel;
};

/* Take [P, P + N) into the span; -1 if it lies outside the buffer. */
static int cover(struct span *s, const void *p, size_t n)
{
    const char *a = p;
    if (a == NULL || a < s->start || (s->end != NULL && (n > (size_t)(s->end - a))))
        return -1;
    if (s->lo == NULL || a < s->lo)
        s->lo = a;
    if (s->hi == NULL || a + n > s->hi)
        s->hi = a + n;
    return 0;
}

/* A NULL-terminated array of pointers to ITEM bytes each (0: strings). */
static int cover_array(struct span *s, char **arr, size_t item, int32_t *off)
{
    size_t i;
    if (arr == NULL) {
        *off = -1;
        return 0;
    }
    for (i = 0; i < MAX_PTRS && arr[i] != NULL; i++) {
        if (cover(s, arr[i], item ? item : strlen(arr[i]) + 1) < 0 || s->nrel >= MAX_PTRS)
            return -1;
        s->rel[s->nrel].slot = (uint32_t)((char *)&arr[i] - s->start);
        s->rel[s->nrel].target = (uint32_t)(arr[i] - s->start);
        s->nrel++;
    }
    if (i == MAX_PTRS || cover(s, arr, (i + 1) * sizeof *arr) < 0)
        return -1;
    *off = (int32_t)((char *)arr - s->start);
    return 0;
}

/* Record H's span and pointers into S and the header V. -1: not memoisable. */
static int record(const struct hostent *h, struct span *s, struct hostent_val *v)
{
    if (h->h_name == NULL || (h->h_length != 4 && h->h_length != 16)
        || cover(s, h->h_name, strlen(h->h_name) + 1) < 0
        || cover_array(s, h->h_aliases, 0, &v->aliases) < 0
        || cover_array(s, h->h_addr_list, (size_t)h->h_length, &v->addrs) < 0
        || s->hi - s->lo > MAX_SPAN)
        return -1;
    v->name = (int32_t)(h->h_name - s->start);
    v->addrtype = h->h_addrtype;
    v->length = h->h_length;
    v->base = (uint32_t)(s->lo - s->start);
    v->span = (uint32_t)(s->hi - s->lo);
    v->nrel = s->nrel;
    v->found = 1;
    return 0;
}

static void store(const struct memo_call *mc, const struct hostent_call *c,
                  const struct hostent_val *v, const struct span *s)
{
    unsigned char key[MEMO_MAX_KEY];
    size_t kl = make_key(key, c);
    size_t rels = v->found ? v->nrel * sizeof(struct rel) : 0;
    size_t vlen = sizeof *v + rels + (v->found ? v->span : 0);
    if (kl == 0)
        return;
    unsigned char *val = malloc(vlen);
    if (val == NULL)
        return;
    memcpy(val, v, sizeof *v);
    if (v->found) {
        memcpy(val + sizeof *v, s->rel, rels);
        memcpy(val + sizeof *v + rels, s->lo, v->span);
    }
    memo_put(mc, key, kl, val, vlen);
    free(val);
}

/* ---- replaying --------------------------------------------------------- */

/* Copy V's span to the buffer starting at B, move its pointers there, and
 * fill RET. */
static void replay(const struct hostent_val *v, char *b, struct hostent *ret)
{
    const struct rel *rel = (const struct rel *)(v + 1);
    memcpy(b + v->base, rel + v->nrel, v->span);
    for (uint32_t i = 0; i < v->nrel; i++) {
        char *p = b + rel[i].target;
        memcpy(b + rel[i].slot, &p, sizeof p);
    }
    ret->h_name = b + v->name;
    ret->h_aliases = v->aliases < 0 ? NULL : (char **)(void *)(b + v->aliases);
    ret->h_addrtype = v->addrtype;
    ret->h_length = v->length;
    ret->h_addr_list = v->addrs < 0 ? NULL : (char **)(void *)(b + v->addrs);
}

struct read_r {
    const struct hostent_call *c;
    int *rc;
};

static int read_r(const void *val, size_t len, void *arg)
{
    const struct hostent_val *v = val;
    struct read_r *r = arg;
    (void)len;
    if (v->found) {
        replay(v, r->c->buf, r->c->ret);
        *r->c->result = r->c->ret;
    } else {
        *r->c->result = NULL;
        errno = v->rc;             /* glibc's _r functions: errno is the return value */
    }
    if (v->herrnop != MEMO_UNTOUCHED)
        *r->c->h_errnop = v->herrnop;
    memo_replay_herrno(v->herrno);
    *r->rc = v->rc;
    return 0;
}

int memo_hostent_get_r(const struct memo_call *mc, const struct hostent_call *c, int *rc)
{
    unsigned char key[MEMO_MAX_KEY];
    struct read_r r = { c, rc };
    return memo_get(mc, key, make_key(key, c), read_r, &r);
}

void memo_hostent_put_r(const struct memo_call *mc, const struct hostent_call *c, int rc,
                        int err)
{
    struct hostent_val v;
    struct span s;
    /* Outcomes of the data: glibc's _r functions leave errno equal to their
     * return value (nss/getXXbyYY_r.c), except where they pass the
     * caller's errno through, which is not the data's. TRY_AGAIN is a
     * passing failure. */
    if (mc->expire_ms == 0 || err != rc || mc->herrnop == TRY_AGAIN)
        return;
    memset(&v, 0, sizeof v);
    memset(&s, 0, sizeof s);
    v.rc = rc;
    v.herrno = mc->herrno;
    v.herrnop = mc->herrnop;
    v.err = err;
    if (*c->result != NULL) {
        s.start = c->buf;
        s.end = c->buf + c->buflen;
        if (*c->result != c->ret || rc != 0 || record(c->ret, &s, &v) < 0)
            return;
    }
    store(mc, c, &v, &s);
}

/* ---- the non-_r forms' per-thread storage -------------------------------- */

struct tls_slot {
    struct hostent he;
    char *buf;                     /* BUF_ALIGN-aligned */
    size_t cap;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_ok;                 /* written once, under tls_once */

static void tls_free(void *p)
{
    struct tls_slot *slots = p;
    for (int i = 0; i < 3; i++)
        free(slots[i].buf);
    free(slots);
}

static void tls_init(void)
{
    tls_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

/* This thread's storage for FORM, with room for NEED bytes; NULL on ENOMEM. */
static struct tls_slot *tls_slot(enum hostent_form form, size_t need)
{
    pthread_once(&tls_once, tls_init);
    if (!tls_ok)
        return NULL;
    struct tls_slot *slots = pthread_getspecific(tls_key);
    if (slots == NULL) {
        if ((slots = calloc(3, sizeof *slots)) == NULL)
            return NULL;
        if (pthread_setspecific(tls_key, slots) != 0) {
            free(slots);
            return NULL;
        }
    }
    struct tls_slot *t = &slots[form];
    if (t->cap < need) {
        char *b = aligned_alloc(BUF_ALIGN, (need + BUF_ALIGN - 1) & ~(size_t)(BUF_ALIGN - 1));
        if (b == NULL)
            return NULL;
        free(t->buf);
        t->buf = b;
        t->cap = need;
    }
    return t;
}

static uintptr_t lower(uintptr_t lo, const void *p)
{
    return p != NULL && (lo == 0 || (uintptr_t)p < lo) ? (uintptr_t)p : lo;
}

/* The lowest address H points at (0 if none). */
static uintptr_t lowest(const struct hostent *h)
{
    uintptr_t lo = lower(0, h->h_name);
    char **arrays[2] = { h->h_aliases, h->h_addr_list };
    for (int k = 0; k < 2; k++) {
        lo = lower(lo, arrays[k]);
        for (int i = 0; arrays[k] != NULL && i < MAX_PTRS && arrays[k][i] != NULL; i++)
            lo = lower(lo, arrays[k][i]);
    }
    return lo;
}

struct read_h {
    const struct hostent_call *c;
    struct hostent **h;
};

static int read_h(const void *val, size_t len, void *arg)
{
    const struct hostent_val *v = val;
    struct read_h *r = arg;
    (void)len;
    *r->h = NULL;
    if (v->found) {
        struct tls_slot *t = tls_slot(r->c->form, (size_t)v->base + v->span);
        if (t == NULL)
            return -1;             /* out of memory: let glibc do it */
        replay(v, t->buf, &t->he);
        *r->h = &t->he;
    } else
        errno = v->err;
    memo_replay_herrno(v->herrno);
    return 0;
}

int memo_hostent_get(const struct memo_call *mc, const struct hostent_call *c,
                     struct hostent **h)
{
    unsigned char key[MEMO_MAX_KEY];
    struct read_h r = { c, h };
    return memo_get(mc, key, make_key(key, c), read_h, &r);
}

void memo_hostent_put(const struct memo_call *mc, const struct hostent_call *c,
                      const struct hostent *h, int err)
{
    struct hostent_val v;
    struct span s;
    if (mc->expire_ms == 0 || mc->herrno.global == TRY_AGAIN)
        return;
    memset(&v, 0, sizeof v);
    memset(&s, 0, sizeof s);
    v.herrno = mc->herrno;
    v.herrnop = MEMO_UNTOUCHED;
    v.err = err;
    if (h != NULL) {
        /* glibc's static buffer: its bounds are not ours to know; offsets
         * are from the lowest address, rounded down to keep its alignment. */
        uintptr_t lo = lowest(h);
        s.start = (const char *)(lo & ~(uintptr_t)(BUF_ALIGN - 1));
        if (lo == 0 || record(h, &s, &v) < 0)
            return;
    }
    store(mc, c, &v, &s);
}
