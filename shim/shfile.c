/* shfile — one shared health file's bytes (format and contracts in
 * shfile.h). Every word of the image is read and written with an atomic
 * builtin: other processes write it concurrently. */
#include "dnsf/shfile.h"

#include <netinet/in.h>
#include <string.h>

static const char shf_magic[8] = { 'D', 'N', 'S', 'F', 'H', 'L', 'T', 'H' };

struct shf_header {
    char magic[8];
    uint32_t version, size, owner, nservers, nprocs, entry_size;
    uint8_t boot_id[SYSIDENT_BOOT_ID_LEN];
    uint64_t flush_gen;
    uint64_t created_ms;
};

struct shf_entry {
    uint64_t key;
    uint64_t addr[3];
    uint64_t ok_sent_ms, ok_ms, fail_ms, down_since_ms, next_probe_ms, rtt, last_change_ms;
    uint32_t fails, unanswered;
    uint64_t answers, timeouts, errors, lost_races;
    uint64_t unanswered_ms;
    uint64_t reserved[7];
};

struct shf_proc {
    uint64_t owner, started_ms, updated_ms;
    uint64_t comm[2];
    uint64_t lookups, cache_hits, failovers, stale, hedges, budget_milli;
    uint64_t reserved[13];
};

/* The layout is the file format: pinned here, on every target. */
_Static_assert(sizeof(struct shf_header) == 64, "header layout");
_Static_assert(offsetof(struct shf_header, boot_id) == 32, "header layout");
_Static_assert(offsetof(struct shf_header, flush_gen) == 48, "header layout");
_Static_assert(sizeof(struct shf_entry) == SHFILE_ENTRY_SIZE, "entry layout");
_Static_assert(offsetof(struct shf_entry, fails) == 88, "entry layout");
_Static_assert(offsetof(struct shf_entry, lost_races) == 120, "entry layout");
_Static_assert(offsetof(struct shf_entry, unanswered_ms) == 128, "entry layout");
_Static_assert(sizeof(struct shf_proc) == SHFILE_ENTRY_SIZE, "proc layout");
_Static_assert(offsetof(struct shf_proc, budget_milli) == 80, "proc layout");
_Static_assert(SHFILE_SIZE == 28672, "file size");

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define CAS(p, expp, v) \
    __atomic_compare_exchange_n((p), (expp), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

static struct shf_header *header(const struct shfile *f)
{
    return (struct shf_header *)f->base;
}

static struct shf_entry *entry(const struct shfile *f, unsigned i)
{
    return (struct shf_entry *)(f->base + SHFILE_HEADER_SIZE) + i % SHFILE_SERVERS;
}

static struct shf_proc *proc(const struct shfile *f, unsigned i)
{
    return (struct shf_proc *)(f->base + SHFILE_HEADER_SIZE
                               + SHFILE_SERVERS * SHFILE_ENTRY_SIZE) + i;
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int shkey_from_addr(const struct sockaddr *sa, struct shkey *k)
{
    uint8_t b[24];
    memset(b, 0, sizeof b);
    memcpy(b, &sa->sa_family, sizeof sa->sa_family);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        memcpy(b + 2, &in->sin_port, 2);
        memcpy(b + 4, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        memcpy(b + 2, &in6->sin6_port, 2);
        memcpy(b + 4, &in6->sin6_addr, 16);
        memcpy(b + 20, &in6->sin6_scope_id, 4);
    } else
        return -1;
    memcpy(k->addr, b, sizeof b);
    k->hash = mix64(k->addr[0] ^ mix64(k->addr[1] ^ mix64(k->addr[2])));
    if (k->hash == 0)
        k->hash = 1;
    return 0;
}

/* ---- the header -------------------------------------------------------- */

int shfile_check(const void *base, size_t len, uid_t owner, const uint8_t *boot_id,
                 const char **what)
{
    struct shf_header h;
    *what = "size";
    if (len != SHFILE_SIZE)
        return -1;
    memcpy(&h, base, sizeof h);
    if (memcmp(h.magic, shf_magic, sizeof h.magic) != 0)
        *what = "magic";
    else if (h.version != SHFILE_VERSION)
        *what = "version";
    else if (h.size != SHFILE_SIZE)
        *what = "size field";
    else if (h.owner != (uint32_t)owner)
        *what = "owner field";
    else if (h.nservers != SHFILE_SERVERS || h.nprocs != SHFILE_PROCS
             || h.entry_size != SHFILE_ENTRY_SIZE)
        *what = "geometry";
    else if (boot_id != NULL && memcmp(h.boot_id, boot_id, sizeof h.boot_id) != 0)
        *what = "boot id (written before this boot)";
    else
        return 0;
    return -1;
}

void shfile_init(void *base, uid_t owner, const uint8_t *boot_id, uint64_t now_ms)
{
    struct shf_header *h = base;
    h->version = SHFILE_VERSION;
    h->size = SHFILE_SIZE;
    h->owner = (uint32_t)owner;
    h->nservers = SHFILE_SERVERS;
    h->nprocs = SHFILE_PROCS;
    h->entry_size = SHFILE_ENTRY_SIZE;
    if (boot_id != NULL)
        memcpy(h->boot_id, boot_id, sizeof h->boot_id);
    h->created_ms = now_ms;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(h->magic, shf_magic, sizeof h->magic);
}

uint64_t shfile_flush_gen(const struct shfile *f)
{
    return __atomic_load_n(&header(f)->flush_gen, __ATOMIC_RELAXED);
}

void shfile_flush(struct shfile *f)
{
    __atomic_fetch_add(&header(f)->flush_gen, 1, __ATOMIC_RELEASE);
}

/* ---- server entries ----------------------------------------------------- */

static int addr_is(const struct shf_entry *e, const struct shkey *k)
{
    return LOAD(&e->addr[0]) == k->addr[0] && LOAD(&e->addr[1]) == k->addr[1]
        && LOAD(&e->addr[2]) == k->addr[2];
}

static void addr_store(struct shf_entry *e, const struct shkey *k)
{
    for (int i = 0; i < 3; i++)
        STORE(&e->addr[i], k->addr[i]);
}

/* A time read from the file, believed only up to a little past NOW. */
static uint64_t time_in(const uint64_t *p, uint64_t now_ms)
{
    uint64_t t = LOAD(p);
    return t <= now_ms + SHFILE_FUTURE_SLACK_MS ? t : 0;
}

static uint64_t evidence_ms(const struct shf_entry *e)
{
    uint64_t a = LOAD(&e->ok_ms), b = LOAD(&e->fail_ms), c = LOAD(&e->last_change_ms);
    a = a > b ? a : b;
    return a > c ? a : c;
}

/* Give E (found under key OLD) to K: every field but the key starts over,
 * the address last. A writer of the old server still at work may leave a
 * word or two in it: a wrong hint, checked like any other. */
static struct shf_entry *recycle(struct shf_entry *e, uint64_t old, const struct shkey *k)
{
    if (!CAS(&e->key, &old, k->hash))
        return old == k->hash ? e : NULL;
    uint64_t *words[] = { &e->ok_sent_ms, &e->ok_ms, &e->fail_ms, &e->down_since_ms,
                          &e->next_probe_ms, &e->rtt, &e->last_change_ms, &e->answers,
                          &e->timeouts, &e->errors, &e->lost_races, &e->unanswered_ms };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        STORE(words[i], 0);
    STORE(&e->fails, 0);
    STORE(&e->unanswered, 0);
    addr_store(e, k);
    return e;
}

/* K's entry: the first within SHFILE_PROBES of its home whose key and
 * address match. Entries never become free again, so the search ends at
 * the first free one. With ALLOC (writers only), a missing entry takes
 * that first free one, or the stalest of the window when it is full and
 * its evidence is older than SHFILE_STALE_MS; an entry whose key matches
 * but whose address was never finished (its writer was killed) is
 * completed. NULL when there is no room. */
static struct shf_entry *find(const struct shfile *f, const struct shkey *k, int alloc,
                              uint64_t now_ms)
{
    struct shf_entry *stalest = NULL;
    uint64_t stalest_ms = UINT64_MAX;
    for (unsigned i = 0; i < SHFILE_PROBES; i++) {
        struct shf_entry *e = entry(f, (unsigned)(k->hash % SHFILE_SERVERS) + i);
        uint64_t key = LOAD(&e->key);
        if (key == 0) {
            if (!alloc)
                return NULL;
            if (CAS(&e->key, &key, k->hash)) {
                addr_store(e, k);
                return e;
            }
            /* Someone took it first: perhaps for K itself. */
        }
        if (key == k->hash) {
            if (addr_is(e, k))
                return e;
            if (alloc) {
                addr_store(e, k);
                return e;
            }
            continue;
        }
        uint64_t ev = evidence_ms(e);
        if (alloc && ev < stalest_ms) {
            stalest = e;
            stalest_ms = ev;
        }
    }
    if (stalest == NULL || (stalest_ms <= now_ms && now_ms - stalest_ms < SHFILE_STALE_MS))
        return NULL;
    return recycle(stalest, LOAD(&stalest->key), k);
}

static void max_store(uint64_t *p, uint64_t v)
{
    uint64_t cur = LOAD(p);
    while (cur < v && !CAS(p, &cur, v))
        ;
}

/* fails + 1, saturating; returns the new count. */
static uint32_t fails_inc(uint32_t *p)
{
    uint32_t cur = LOAD(p);
    if (cur > SHFILE_FAILS_MAX)
        cur = SHFILE_FAILS_MAX;
    while (cur < SHFILE_FAILS_MAX && !CAS(p, &cur, cur + 1))
        if (cur > SHFILE_FAILS_MAX)
            cur = SHFILE_FAILS_MAX;
    return cur < SHFILE_FAILS_MAX ? cur + 1 : SHFILE_FAILS_MAX;
}

static uint64_t rtt_pack(uint64_t srtt, uint64_t var)
{
    if (srtt > SHFILE_RTT_MAX_US)
        srtt = SHFILE_RTT_MAX_US;
    if (var > SHFILE_RTT_MAX_US)
        var = SHFILE_RTT_MAX_US;
    return (srtt ? srtt : 1) << 32 | var;
}

/* RFC 6298 §2 on a sample R (µs), as health.c does: the first sample, or
 * one far below the estimate (the server recovered), restarts it. With
 * LOWER_BOUND (a lost race), R only raises the estimate. */
static uint64_t rtt_next(uint64_t old, uint64_t r, int lower_bound)
{
    uint64_t srtt = old >> 32, var = old & 0xffffffffu;
    if (srtt == 0 || srtt > SHFILE_RTT_MAX_US || var > SHFILE_RTT_MAX_US)
        return rtt_pack(r, r / 2);
    if (lower_bound)
        return srtt < r ? rtt_pack(r, r / 2) : old;
    if (r < srtt / 4)
        return rtt_pack(r, r / 2);
    uint64_t d = srtt > r ? srtt - r : r - srtt;
    return rtt_pack((7 * srtt + r) / 8, (3 * var + d) / 4);
}

static void rtt_update(struct shf_entry *e, uint32_t rtt_us, int lower_bound)
{
    uint64_t cur = LOAD(&e->rtt), next;
    do
        next = rtt_next(cur, rtt_us, lower_bound);
    while (next != cur && !CAS(&e->rtt, &cur, next));
}

static void report_ok(struct shf_entry *e, uint32_t rtt_us, int rtt_valid, uint64_t sent_ms,
                      uint64_t now_ms)
{
    ADD(&e->answers, 1);
    max_store(&e->ok_sent_ms, sent_ms);
    max_store(&e->ok_ms, now_ms);
    STORE(&e->fails, 0);
    if (LOAD(&e->down_since_ms) != 0) {
        STORE(&e->down_since_ms, 0);
        STORE(&e->last_change_ms, now_ms);
    }
    if (rtt_valid > 0)
        rtt_update(e, rtt_us, 0);
    else if (rtt_valid == 0)
        STORE(&e->rtt, 0);       /* a late reply: the RTT is unknown again */
}

static void report_failure(struct shf_entry *e, enum health_outcome o, uint32_t rtt_us,
                           int rtt_valid, uint64_t sent_ms,
                           const struct dnsf_health_config *hc, uint64_t now_ms)
{
    if (o == HEALTH_LOST_RACE)
        ADD(&e->lost_races, 1);
    else if (o == HEALTH_TIMEOUT)
        ADD(&e->timeouts, 1);
    else
        ADD(&e->errors, 1);
    /* Late evidence (health.h): older than the latest answer. */
    if (sent_ms < time_in(&e->ok_sent_ms, now_ms))
        return;
    if (o == HEALTH_LOST_RACE && rtt_valid)
        rtt_update(e, rtt_us, 1);
    uint32_t n = fails_inc(&e->fails);
    max_store(&e->fail_ms, now_ms);
    if (n < (uint32_t)hc->fail_threshold)
        return;
    uint64_t ds = LOAD(&e->down_since_ms);
    int expired = ds > now_ms + SHFILE_FUTURE_SLACK_MS
               || (ds <= now_ms && now_ms - ds >= (uint64_t)hc->max_down_ms);
    if ((ds == 0 || expired) && CAS(&e->down_since_ms, &ds, now_ms)) {
        STORE(&e->next_probe_ms, now_ms + (uint64_t)hc->probe_interval_ms);
        if (ds == 0)
            STORE(&e->last_change_ms, now_ms);
    }
}

void shfile_report(struct shfile *f, const struct shkey *k, enum health_outcome o,
                   uint32_t rtt_us, int rtt_valid, uint64_t sent_ms,
                   const struct dnsf_health_config *hc, uint64_t now_ms)
{
    if (!f->writable || o == HEALTH_LOCAL)
        return;
    struct shf_entry *e = find(f, k, 1, now_ms);
    if (e == NULL)
        return;
    if (sent_ms > now_ms)
        sent_ms = now_ms;
    if (rtt_us > SHFILE_RTT_MAX_US)
        rtt_us = SHFILE_RTT_MAX_US;
    if (o == HEALTH_OK)
        report_ok(e, rtt_us, rtt_valid, sent_ms, now_ms);
    else
        report_failure(e, o, rtt_us, rtt_valid, sent_ms, hc, now_ms);
}

int shfile_lookup(const struct shfile *f, const struct shkey *k,
                  const struct dnsf_health_config *hc, uint64_t now_ms, struct shhint *h)
{
    memset(h, 0, sizeof *h);
    const struct shf_entry *e = find(f, k, 0, now_ms);
    if (e == NULL)
        return 0;
    h->ok_sent_ms = time_in(&e->ok_sent_ms, now_ms);
    h->ok_ms = time_in(&e->ok_ms, now_ms);
    h->fail_ms = time_in(&e->fail_ms, now_ms);
    h->down_since_ms = time_in(&e->down_since_ms, now_ms);
    h->last_change_ms = time_in(&e->last_change_ms, now_ms);
    h->next_probe_ms = LOAD(&e->next_probe_ms);
    h->fails = LOAD(&e->fails);
    if (h->fails > SHFILE_FAILS_MAX)
        h->fails = SHFILE_FAILS_MAX;
    uint64_t rtt = LOAD(&e->rtt);
    h->srtt_us = (uint32_t)(rtt >> 32);
    h->rttvar_us = (uint32_t)rtt;
    h->have_rtt = h->srtt_us != 0 && h->srtt_us <= SHFILE_RTT_MAX_US
               && h->rttvar_us <= SHFILE_RTT_MAX_US;
    if (!h->have_rtt)
        h->srtt_us = h->rttvar_us = 0;
    h->answers = LOAD(&e->answers);
    h->timeouts = LOAD(&e->timeouts);
    h->errors = LOAD(&e->errors);
    h->lost_races = LOAD(&e->lost_races);
    h->unanswered = LOAD(&e->unanswered);
    h->unanswered_ms = time_in(&e->unanswered_ms, now_ms);
    if (h->unanswered > SHFILE_FAILS_MAX)
        h->unanswered = SHFILE_FAILS_MAX;
    /* Failing: counted failures, the latest seen no earlier than the latest
     * answer. The mark's age counts from the down mark, or from the latest
     * failure when this reader's threshold is below the writer's. */
    int failing = h->fails > 0 && h->fail_ms != 0 && h->fail_ms >= h->ok_ms;
    uint64_t mark = h->down_since_ms ? h->down_since_ms : h->fail_ms;
    uint64_t age = now_ms > mark ? now_ms - mark : 0;
    h->down = failing && h->fails >= (uint32_t)hc->fail_threshold
           && age < (uint64_t)hc->max_down_ms;
    h->suspect = failing && !h->down;
    /* A probe time further ahead than one interval is not believed: due. */
    if (h->next_probe_ms > now_ms + (uint64_t)hc->probe_interval_ms)
        h->next_probe_ms = now_ms;
    h->probe_due = h->down && h->next_probe_ms <= now_ms;
    return 1;
}

int shfile_claim_probe(struct shfile *f, const struct shkey *k,
                       const struct dnsf_health_config *hc, uint64_t now_ms)
{
    if (!f->writable)
        return 0;
    struct shf_entry *e = find(f, k, 1, now_ms);
    if (e == NULL)
        return 0;
    uint64_t next = now_ms + (uint64_t)hc->probe_interval_ms;
    uint64_t cur = LOAD(&e->next_probe_ms);
    /* Not due: in (now, now + interval]. Anything else is claimable, and a
     * failed CAS reloads CUR and judges again. */
    while (cur <= now_ms || cur > next)
        if (CAS(&e->next_probe_ms, &cur, next))
            return 1;
    return 0;
}

void shfile_unanswered(struct shfile *f, const struct shkey *k, uint64_t sent_ms,
                       uint64_t now_ms)
{
    if (!f->writable)
        return;
    struct shf_entry *e = find(f, k, 1, now_ms);
    if (e == NULL)
        return;
    if (sent_ms == 0 || sent_ms > now_ms)
        sent_ms = now_ms;
    uint64_t cur = LOAD(&e->unanswered_ms);
    while ((cur == 0 || cur > sent_ms) && !CAS(&e->unanswered_ms, &cur, sent_ms))
        ;
    if (LOAD(&e->unanswered) < SHFILE_FAILS_MAX)
        ADD(&e->unanswered, 1);
}

void shfile_settle(struct shfile *f, const struct shkey *k, uint64_t judge_ms,
                   const struct dnsf_health_config *hc, uint64_t now_ms)
{
    if (!f->writable)
        return;
    struct shf_entry *e = find(f, k, 0, now_ms);
    if (e == NULL)
        return;
    uint64_t t = LOAD(&e->unanswered_ms);
    if (t == 0)
        return;
    /* Answered since the oldest was sent: the server was alive, and those
     * answers were only missed because their processes had ended. A time
     * from the future is not believed: dropped too. */
    int alive = t > now_ms + SHFILE_FUTURE_SLACK_MS || time_in(&e->ok_ms, now_ms) >= t;
    if (!alive && (t > now_ms || now_ms - t < judge_ms))
        return;
    if (!CAS(&e->unanswered_ms, &t, 0))
        return;                       /* another process took them */
    uint32_t n = __atomic_exchange_n(&e->unanswered, 0, __ATOMIC_ACQ_REL);
    if (alive)
        return;
    /* Each one lost to the servers that did answer its lookup: counted as
     * the lost races they are, no more than a mark needs. */
    for (uint32_t i = 0; i < n && i < (uint32_t)hc->fail_threshold; i++)
        report_failure(e, HEALTH_LOST_RACE, 0, 0, t, hc, now_ms);
}

/* ---- process slots -------------------------------------------------------- */

static void counters_store(struct shf_proc *s, const struct shproc_counters *c,
                                  uint64_t now_ms)
{
    STORE(&s->lookups, c->lookups);
    STORE(&s->cache_hits, c->cache_hits);
    STORE(&s->failovers, c->failovers);
    STORE(&s->stale, c->stale);
    STORE(&s->hedges, c->hedges);
    STORE(&s->budget_milli, (uint64_t)c->budget_milli);
    STORE(&s->updated_ms, now_ms);
}

static void proc_start(struct shf_proc *s, const char *comm, uint64_t now_ms)
{
    uint64_t name[2] = { 0, 0 };
    strncpy((char *)name, comm ? comm : "", sizeof name - 1);
    STORE(&s->comm[0], name[0]);
    STORE(&s->comm[1], name[1]);
    STORE(&s->started_ms, now_ms);
    static const struct shproc_counters zero;
    counters_store(s, &zero, now_ms);
}

int shfile_proc_claim(struct shfile *f, uint64_t ident, const char *comm, uint64_t now_ms,
                      int (*alive)(uint64_t ident))
{
    if (!f->writable || ident == 0)
        return -1;
    unsigned home = (unsigned)(mix64(ident) % SHFILE_PROCS);
    for (unsigned i = 0; i < SHFILE_PROCS; i++) {
        struct shf_proc *s = proc(f, (home + i) % SHFILE_PROCS);
        uint64_t cur = 0;
        if (LOAD(&s->owner) == 0 && CAS(&s->owner, &cur, ident)) {
            proc_start(s, comm, now_ms);
            return (int)((home + i) % SHFILE_PROCS);
        }
    }
    for (unsigned i = 0; i < SHFILE_PROBES; i++) {
        struct shf_proc *s = proc(f, (home + i) % SHFILE_PROCS);
        uint64_t cur = LOAD(&s->owner);
        if (cur != ident && !alive(cur) && CAS(&s->owner, &cur, ident)) {
            proc_start(s, comm, now_ms);
            return (int)((home + i) % SHFILE_PROCS);
        }
    }
    return -1;
}

int shfile_proc_store(struct shfile *f, int slot, uint64_t ident,
                      const struct shproc_counters *c, uint64_t now_ms)
{
    if (!f->writable || slot < 0 || slot >= SHFILE_PROCS)
        return -1;
    struct shf_proc *s = proc(f, (unsigned)slot);
    if (LOAD(&s->owner) != ident)
        return -1;
    counters_store(s, c, now_ms);
    return 0;
}

void shfile_proc_release(struct shfile *f, int slot, uint64_t ident)
{
    if (!f->writable || slot < 0 || slot >= SHFILE_PROCS)
        return;
    uint64_t cur = ident;
    CAS(&proc(f, (unsigned)slot)->owner, &cur, 0);
}

int shfile_proc_read(const struct shfile *f, int slot, struct shproc_info *out)
{
    memset(out, 0, sizeof *out);
    if (slot < 0 || slot >= SHFILE_PROCS)
        return 0;
    const struct shf_proc *s = proc(f, (unsigned)slot);
    out->ident = LOAD(&s->owner);
    if (out->ident == 0)
        return 0;
    uint64_t name[2] = { LOAD(&s->comm[0]), LOAD(&s->comm[1]) };
    memcpy(out->comm, name, sizeof out->comm);
    out->comm[sizeof out->comm - 1] = 0;
    for (char *c = out->comm; *c; c++)      /* printed by status: text only */
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    out->started_ms = LOAD(&s->started_ms);
    out->updated_ms = LOAD(&s->updated_ms);
    out->c.lookups = LOAD(&s->lookups);
    out->c.cache_hits = LOAD(&s->cache_hits);
    out->c.failovers = LOAD(&s->failovers);
    out->c.stale = LOAD(&s->stale);
    out->c.hedges = LOAD(&s->hedges);
    int64_t b = (int64_t)LOAD(&s->budget_milli);
    out->c.budget_milli = b < 0 ? 0 : b > SHPROC_BUDGET_MAX_MILLI ? SHPROC_BUDGET_MAX_MILLI : b;
    return 1;
}
