/* shstate — which health files a process uses, and how they are opened,
 * created, replaced and merged (contract and reasons in shstate.h). */
#include "dnsf/shstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/log.h"
#include "dnsf/sysident.h"
#include "dnsf/trustfile.h"

/* Mappings replaced while the process runs stay mapped (another thread may
 * still read one); after this many replacements a process keeps the file
 * it has. Replacements are rare: a removed state, a repaired file. */
#define SHSTATE_MAX_RETIRED 8

/* One mapped health file and the inode it came from. */
struct shmap {
    struct shfile f;
    dev_t dev;
    ino_t ino;
};

struct shstate {
    char dir[PATH_MAX];
    struct shstate_opts o;
    char comm[16];
    /* The rest is written by shstate_refresh, under BUSY (a try-flag that
     * nobody waits on: a thread that finds it set skips the refresh). */
    _Atomic int busy;
    _Atomic uint64_t next_check_ms;
    int have_boot;
    uint8_t boot_id[SYSIDENT_BOOT_ID_LEN];
    _Atomic(struct shmap *) own;     /* read and written; NULL: none */
    _Atomic(struct shmap *) root;    /* root's, read only; NULL when own is root's */
    struct shmap *retired[SHSTATE_MAX_RETIRED];
    int nretired;
    /* The process slot, taken under SLOT_BUSY (a try-flag too). */
    _Atomic int slot_busy;
    _Atomic(struct shmap *) slot_map;  /* the file SLOT is in */
    _Atomic int slot;                  /* -1: none */
    uint64_t ident;                    /* sysident_proc(getpid()), 0 until needed */
    _Atomic uint64_t born_ms, next_slot_try_ms;
};

/* Set by the first problem logged, in any handle (and cleared only by
 * shstate_log_reset, for tests): at most one line per process (a
 * host-wide preload must not fill the log). */
static _Atomic int problem_logged;

static void problem(int level, const char *dir, const char *name, const char *what)
{
    if (atomic_exchange(&problem_logged, 1) == 0 && log_on(level))
        log_msg(level, "state_dir %s%s%s: %s; health is not shared with other processes",
                dir, name ? "/" : "", name ? name : "", what);
}

void shstate_log_reset(void)
{
    atomic_store(&problem_logged, 0);
}

void shstate_file_name(uid_t uid, char *buf, size_t len)
{
    snprintf(buf, len, "health-v%d.%u", SHFILE_VERSION, (unsigned)uid);
}

void shstate_default_opts(struct shstate_opts *o)
{
    o->euid = geteuid();
    o->at_secure = getauxval(AT_SECURE) != 0;
    o->create_dir = o->euid == 0 && !o->at_secure;
    o->comm = program_invocation_short_name;
}

/* ---- mapping files ---------------------------------------------------- */

/* Map FD; SEEN is what fstat said of FD already (trust_open's check), or
 * NULL to ask again. */
static struct shmap *map_fd(int fd, int writable, const struct stat *seen)
{
    struct stat sb;
    if (seen != NULL)
        sb = *seen;
    else if (fstat(fd, &sb) != 0)
        return NULL;
    struct shmap *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    void *p = mmap(NULL, SHFILE_SIZE, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->f.base = p;
    m->f.writable = writable;
    m->dev = sb.st_dev;
    m->ino = sb.st_ino;
    return m;
}

static void unmap(struct shmap *m)
{
    if (m != NULL) {
        munmap(m->f.base, SHFILE_SIZE);
        free(m);
    }
}

/* UID's file NAME in DIRFD, trusted and valid, or NULL with *WHY and *WHAT
 * (the header field, for TRUST_OK with a bad header) set; *SB is what was
 * seen at NAME. */
static struct shmap *open_file(const struct shstate *st, int dirfd, const char *name, uid_t uid,
                               int writable, struct stat *sb, enum trust_why *why,
                               const char **what)
{
    *what = NULL;
    int fd = trust_open(dirfd, name, (writable ? TRUST_WRITE : 0) | TRUST_ALLOCATED, uid,
                        SHFILE_SIZE, SHFILE_SIZE, sb, why);
    if (fd < 0)
        return NULL;
    if (sb->st_uid != uid) {               /* root's file under a user's name */
        close(fd);
        *why = TRUST_OWNER;
        return NULL;
    }
    struct shmap *m = map_fd(fd, writable, sb);
    close(fd);
    if (m == NULL) {
        *why = TRUST_ERROR;
        return NULL;
    }
    if (shfile_check(m->f.base, SHFILE_SIZE, uid, st->boot_id, what) < 0) {
        unmap(m);
        return NULL;
    }
    return m;
}

/* A new file for this process's uid at NAME, put in place by link (or with
 * REPLACE by rename, over whatever is there). NULL with *WHY on failure. */
static struct shmap *create_file(const struct shstate *st, int dirfd, const char *name,
                                 int replace, uint64_t now_ms, enum trust_why *why)
{
    char tmp[NAME_MAX + 1];
    /* Root's file is read by every user; a user's only by its owner. */
    mode_t mode = st->o.euid == 0 ? 0644 : 0600;
    int fd = trust_tmp_create(dirfd, name, mode, SHFILE_SIZE, SHFILE_SIZE, tmp, sizeof tmp, why);
    if (fd < 0)
        return NULL;
    struct shmap *m = map_fd(fd, 1, NULL);
    close(fd);
    if (m == NULL) {
        trust_tmp_abandon(dirfd, tmp);
        *why = TRUST_ERROR;
        return NULL;
    }
    shfile_init(m->f.base, st->o.euid, st->boot_id, now_ms);
    if (trust_tmp_commit(dirfd, tmp, name, replace, why) < 0) {
        unmap(m);
        return NULL;
    }
    return m;
}

/* May this process put a new file over what sits at NAME (seen as SB)?
 * Its own (a bad one: corrupt, another boot's, wrong mode) yes; another
 * user's only as root, whose directory it is (the sticky bit lets nobody
 * else rename over it). */
static int may_replace(const struct shstate *st, const struct stat *sb)
{
    return st->o.euid == 0 || sb->st_uid == st->o.euid;
}

/* The own file: open it, or create it, or replace a bad one. */
static struct shmap *own_file(struct shstate *st, int dirfd, uint64_t now_ms)
{
    char name[64];
    struct stat sb;
    enum trust_why why;
    const char *what;
    shstate_file_name(st->o.euid, name, sizeof name);
    for (int tries = 0; tries < 2; tries++) {
        struct shmap *m = open_file(st, dirfd, name, st->o.euid, 1, &sb, &why, &what);
        if (m != NULL)
            return m;
        if (why == TRUST_MISSING) {
            m = create_file(st, dirfd, name, 0, now_ms, &why);
            if (m != NULL)
                return m;
            if (why == TRUST_EXISTS)
                continue;                 /* another process was first: open its file */
            what = NULL;
        } else if (why != TRUST_DENIED && why != TRUST_ERROR && may_replace(st, &sb)) {
            m = create_file(st, dirfd, name, 1, now_ms, &why);
            if (m != NULL)
                return m;
            what = NULL;
        } else if (why == TRUST_OWNER || why == TRUST_KIND || why == TRUST_SYMLINK) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s (owner uid %u): another user took this name",
                     trust_why_text(why), (unsigned)sb.st_uid);
            problem(LOG_LVL_WARN, st->dir, name, msg);
            return NULL;
        }
        problem(LOG_LVL_INFO, st->dir, name, what ? what : trust_why_text(why));
        return NULL;
    }
    return NULL;
}

/* Root's file, read only; NULL (quietly when it does not exist yet: no
 * root process has written it). */
static struct shmap *root_file(struct shstate *st, int dirfd)
{
    char name[64];
    struct stat sb;
    enum trust_why why;
    const char *what;
    shstate_file_name(0, name, sizeof name);
    struct shmap *m = open_file(st, dirfd, name, 0, 0, &sb, &why, &what);
    if (m == NULL && why != TRUST_MISSING)
        problem(LOG_LVL_INFO, st->dir, name, what ? what : trust_why_text(why));
    return m;
}

/* Is CUR (mapped) still the valid file at NAME? */
static int still_current(const struct shstate *st, int dirfd, const struct shmap *cur,
                         uid_t uid)
{
    char name[64];
    struct stat sb;
    const char *what;
    shstate_file_name(uid, name, sizeof name);
    return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_dev == cur->dev
        && sb.st_ino == cur->ino
        && shfile_check(cur->f.base, SHFILE_SIZE, uid, st->boot_id, &what) == 0;
}

/* Make M (may be NULL) current in *SLOT; the old one is retired, not
 * unmapped. When no more can be retired, M is dropped and the old kept. */
static void install(struct shstate *st, _Atomic(struct shmap *) *slot, struct shmap *m)
{
    struct shmap *old = atomic_load(slot);
    if (old == m)
        return;
    if (old != NULL && st->nretired == SHSTATE_MAX_RETIRED) {
        unmap(m);
        return;
    }
    atomic_store(slot, m);
    if (old != NULL)
        st->retired[st->nretired++] = old;
}

static void refresh_nolock(struct shstate *st, uint64_t now_ms)
{
    enum trust_why why;
    /* AT_SECURE: only root's directory, as only root's file (a directory
     * of the invoking user's would let that user rename root's file away
     * and put back any root-owned file of the right size). */
    uid_t dir_owner = st->o.at_secure ? 0 : st->o.euid;
    int dirfd = trust_dir_open(st->dir, dir_owner, st->o.create_dir && !st->o.at_secure, &why);
    if (dirfd < 0) {
        problem(LOG_LVL_INFO, st->dir, NULL, trust_why_text(why));
        install(st, &st->own, NULL);
        install(st, &st->root, NULL);
        return;
    }
    if (!st->have_boot)
        st->have_boot = sysident_boot_id(st->boot_id) == 0;
    if (!st->have_boot) {
        problem(LOG_LVL_INFO, st->dir, NULL, "this boot's id cannot be read (no /proc)");
        close(dirfd);
        return;
    }
    struct shmap *cur = atomic_load(&st->own);
    if (!st->o.at_secure && (cur == NULL || !still_current(st, dirfd, cur, st->o.euid)))
        install(st, &st->own, own_file(st, dirfd, now_ms));
    cur = atomic_load(&st->root);
    if ((st->o.euid != 0 || st->o.at_secure)
        && (cur == NULL || !still_current(st, dirfd, cur, 0)))
        install(st, &st->root, root_file(st, dirfd));
    close(dirfd);
}

int shstate_refresh(struct shstate *st, uint64_t now_ms, int force)
{
    if (st == NULL)
        return 0;
    if ((!force && now_ms < atomic_load_explicit(&st->next_check_ms, memory_order_relaxed))
        || atomic_exchange(&st->busy, 1))
        return shstate_active(st);
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    atomic_store(&st->next_check_ms, now_ms + SHSTATE_RECHECK_MS);
    refresh_nolock(st, now_ms);
    atomic_store(&st->busy, 0);
    pthread_setcancelstate(cancel, NULL);
    return shstate_active(st);
}

struct shstate *shstate_open(const char *dir, const struct shstate_opts *o, uint64_t now_ms)
{
    if (dir == NULL || dir[0] == 0 || strlen(dir) >= PATH_MAX)
        return NULL;
    struct shstate *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    snprintf(st->dir, sizeof st->dir, "%s", dir);
    st->o = *o;
    snprintf(st->comm, sizeof st->comm, "%s", o->comm ? o->comm : "");
    st->o.comm = st->comm;
    atomic_init(&st->slot, -1);
    atomic_init(&st->born_ms, now_ms);
    shstate_refresh(st, now_ms, 1);
    return st;
}

void shstate_close(struct shstate *st)
{
    if (st == NULL)
        return;
    unmap(atomic_load(&st->own));
    unmap(atomic_load(&st->root));
    for (int i = 0; i < st->nretired; i++)
        unmap(st->retired[i]);
    free(st);
}

int shstate_active(const struct shstate *st)
{
    return st != NULL && (atomic_load(&st->own) != NULL || atomic_load(&st->root) != NULL);
}

int shstate_writable(const struct shstate *st)
{
    return st != NULL && atomic_load(&st->own) != NULL;
}

/* ---- hints ---------------------------------------------------------------- */

static uint64_t newest(const struct shhint *h)
{
    return h->ok_ms > h->fail_ms ? h->ok_ms : h->fail_ms;
}

int shstate_lookup(const struct shstate *st, const struct sockaddr *sa,
                   const struct dnsf_config *cfg, uint64_t now_ms, struct shhint *h)
{
    struct shkey k;
    struct shhint other;
    memset(h, 0, sizeof *h);
    if (st == NULL || shkey_from_addr(sa, &k) < 0)
        return 0;
    const struct shmap *a = atomic_load_explicit(&st->own, memory_order_acquire);
    const struct shmap *b = atomic_load_explicit(&st->root, memory_order_acquire);
    int fa = a != NULL && shfile_lookup(&a->f, &k, &cfg->health, now_ms, h);
    int fb = b != NULL && shfile_lookup(&b->f, &k, &cfg->health, now_ms, &other);
    if (!fb)
        return fa;
    /* Both know it: the newer evidence wins; an RTT fills a gap. Only the
     * own file's unanswered queries are ours to judge. */
    uint32_t own_unanswered = fa ? h->unanswered : 0;
    uint64_t own_unanswered_ms = fa ? h->unanswered_ms : 0;
    if (!fa || newest(&other) > newest(h)) {
        struct shhint t = *h;
        *h = other;
        other = t;
    }
    h->unanswered = own_unanswered;
    h->unanswered_ms = own_unanswered_ms;
    if (!h->have_rtt && other.have_rtt) {
        h->have_rtt = 1;
        h->srtt_us = other.srtt_us;
        h->rttvar_us = other.rttvar_us;
    }
    return 1;
}

static struct shmap *own_map(const struct shstate *st)
{
    return st == NULL ? NULL : atomic_load_explicit(&st->own, memory_order_acquire);
}

void shstate_report(struct shstate *st, const struct sockaddr *sa, enum health_outcome o,
                    uint32_t rtt_us, int rtt_valid, uint64_t sent_ms,
                    const struct dnsf_config *cfg, uint64_t now_ms)
{
    struct shkey k;
    struct shmap *m = own_map(st);
    if (m != NULL && shkey_from_addr(sa, &k) == 0)
        shfile_report(&m->f, &k, o, rtt_us, rtt_valid, sent_ms, &cfg->health, now_ms);
}

void shstate_unanswered(struct shstate *st, const struct sockaddr *sa, uint64_t sent_ms,
                        uint64_t now_ms)
{
    struct shkey k;
    struct shmap *m = own_map(st);
    if (m != NULL && shkey_from_addr(sa, &k) == 0)
        shfile_unanswered(&m->f, &k, sent_ms, now_ms);
}

void shstate_settle(struct shstate *st, const struct sockaddr *sa, uint64_t judge_ms,
                    const struct dnsf_config *cfg, uint64_t now_ms)
{
    struct shkey k;
    struct shmap *m = own_map(st);
    if (m != NULL && shkey_from_addr(sa, &k) == 0)
        shfile_settle(&m->f, &k, judge_ms, &cfg->health, now_ms);
}

int shstate_claim_probe(struct shstate *st, const struct sockaddr *sa,
                        const struct dnsf_config *cfg, uint64_t now_ms)
{
    struct shkey k;
    struct shmap *m = own_map(st);
    if (m == NULL || shkey_from_addr(sa, &k) < 0)
        return -1;
    return shfile_claim_probe(&m->f, &k, &cfg->health, now_ms);
}

uint64_t shstate_flush_gen(const struct shstate *st)
{
    if (st == NULL)
        return 0;
    const struct shmap *a = atomic_load_explicit(&st->own, memory_order_acquire);
    const struct shmap *b = atomic_load_explicit(&st->root, memory_order_acquire);
    return (a ? shfile_flush_gen(&a->f) : 0) + (b ? shfile_flush_gen(&b->f) : 0);
}

int shstate_flush(struct shstate *st)
{
    struct shmap *m = own_map(st);
    if (m == NULL)
        return -1;
    shfile_flush(&m->f);
    return 0;
}

/* ---- process counters ------------------------------------------------------ */

static int proc_alive(uint64_t ident)
{
    return ident != 0 && sysident_proc(sysident_pid(ident)) == ident;
}

/* Take a slot in M (under SLOT_BUSY). */
static void take_slot(struct shstate *st, struct shmap *m, const struct shproc_counters *c,
                      uint64_t now_ms)
{
    if (st->ident == 0)
        st->ident = sysident_proc(getpid());
    int slot = st->ident ? shfile_proc_claim(&m->f, st->ident, st->comm, now_ms, proc_alive)
                         : -1;
    if (slot < 0) {
        atomic_store(&st->next_slot_try_ms, now_ms + SHSTATE_SLOT_RETRY_MS);
        return;
    }
    shfile_proc_store(&m->f, slot, st->ident, c, now_ms);
    atomic_store(&st->slot_map, m);
    atomic_store(&st->slot, slot);
}

void shstate_proc_publish(struct shstate *st, const struct shproc_counters *c,
                          uint64_t now_ms)
{
    struct shmap *m = own_map(st);
    if (m == NULL)
        return;
    int slot = atomic_load_explicit(&st->slot, memory_order_acquire);
    if (slot >= 0 && atomic_load(&st->slot_map) == m) {
        if (shfile_proc_store(&m->f, slot, st->ident, c, now_ms) < 0)
            atomic_store(&st->slot, -1);  /* reclaimed by someone: take another later */
        return;
    }
    uint64_t born = atomic_load(&st->born_ms);
    if ((now_ms < born + SHSTATE_PUBLISH_AFTER_MS && c->lookups < SHSTATE_PUBLISH_AFTER_LOOKUPS)
        || now_ms < atomic_load(&st->next_slot_try_ms) || atomic_exchange(&st->slot_busy, 1))
        return;
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    take_slot(st, m, c, now_ms);
    atomic_store(&st->slot_busy, 0);
    pthread_setcancelstate(cancel, NULL);
}

void shstate_proc_release(struct shstate *st)
{
    struct shmap *m = own_map(st);
    int slot = st != NULL ? atomic_exchange(&st->slot, -1) : -1;
    if (m != NULL && slot >= 0 && atomic_load(&st->slot_map) == m)
        shfile_proc_release(&m->f, slot, st->ident);
}

int shstate_proc_each(const struct shstate *st,
                      void (*fn)(const struct shproc_info *info, void *arg), void *arg)
{
    const struct shmap *m = own_map(st);
    if (m == NULL)
        return -1;
    int n = 0;
    for (int i = 0; i < SHFILE_PROCS; i++) {
        struct shproc_info info;
        if (shfile_proc_read(&m->f, i, &info) && proc_alive(info.ident)) {
            fn(&info, arg);
            n++;
        }
    }
    return n;
}

void shstate_fork_child(struct shstate *st, uint64_t now_ms)
{
    if (st == NULL)
        return;
    atomic_store(&st->busy, 0);
    atomic_store(&st->slot_busy, 0);
    atomic_store(&st->slot, -1);
    atomic_store(&st->slot_map, NULL);
    atomic_store(&st->born_ms, now_ms);
    atomic_store(&st->next_slot_try_ms, 0);
    st->ident = 0;
}
