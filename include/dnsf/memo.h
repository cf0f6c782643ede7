/* memo — finished results of resolver calls, for sub-microsecond repeats.
 *
 * glibc's own per-call work costs far more than our cached DNS data: for
 * getaddrinfo AF_UNSPEC its RFC 6724 sort (a netlink dump and a socket per
 * address) costs 40-55 us; for gethostbyname_r and friends the resolv.conf
 * check, the NSS dispatch and the hostent build cost 4-5 us. The memo keeps
 * what a call finished with and hands out exact copies.
 *
 * This file is the one store: a sharded, bounded hash table from key bytes
 * to a value blob, each entry with an expiry and a generation. What goes
 * into keys and values is decided by one encoder per call family:
 * memo_gai.h (getaddrinfo), memo_hostent.h (gethostbyname*, gethostbyaddr*),
 * memo_nameinfo.h (getnameinfo). Keys start with the encoder's kind byte.
 *
 * It is derived data only: an entry lives no longer than the DNS answers it
 * was built from (the lookup note's expiry, note.h), and every entry is
 * dropped when anything else a result depends on changes (the generation:
 * /etc/hosts, resolv.conf, gai.conf, nsswitch.conf, services, host.conf,
 * the config, the nameservers, the host's addresses and routes; memogen.h). */
#ifndef DNSF_MEMO_H
#define DNSF_MEMO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The first key byte: whose entry it is. */
enum memo_kind { MEMO_GAI = 1, MEMO_HOSTENT, MEMO_NAMEINFO };

/* The longest key: a kind byte and a few fixed fields, plus a host name (at
 * most 1024 bytes are taken, longer ones are not memoised) or a sockaddr. */
#define MEMO_MAX_KEY 1200

/* "Untouched": what the real call did to h_errno (memo_call.herrno). */
#define MEMO_UNTOUCHED INT_MIN

/* What a call left in the thread's h_errno and in _res.res_h_errno (glibc's
 * res_* code stores every value in both: resolv/res_query.c RES_SET_H_ERRNO);
 * each a value or MEMO_UNTOUCHED. */
struct memo_herrno {
    int global, res;
};

/* One hooked call as the memo sees it; memo_call_open fills it. */
struct memo_call {
    int on;                        /* the memo may answer and keep this call */
    uint64_t now_ms, gen;          /* hits must be valid at NOW_MS in GEN */
    int max_entries;
    /* After the real call: keep its outcome until EXPIRE_MS (0: do not
     * keep), and what it left in the global h_errno and in the _r
     * out-parameter (MEMO_UNTOUCHED: nothing). */
    uint64_t expire_ms;
    struct memo_herrno herrno;
    int herrnop;
    /* The h_errno sentinels' bookkeeping (memo_call_watch). */
    int *h_errnop;
    int herrno_caller, res_herrno_caller, herrnop_caller;
};

/* Called under the entry's lock with its value: copy out what the caller
 * needs, never block. Return 0, or -1 to treat the entry as a miss. */
typedef int (*memo_read_fn)(const void *val, size_t len, void *arg);

/* Look KEY up (KLEN 0: no key, a miss): on an entry still valid at MC's
 * time and generation, call READ and return 1 if it returned 0; else (or
 * when MC is not on) return 0. */
int memo_get(const struct memo_call *mc, const void *key, size_t klen, memo_read_fn read,
             void *arg);
/* Keep VAL under KEY until MC->expire_ms, in MC's generation (replacing an
 * entry with the same key), within MC->max_entries. Out of memory: not kept. */
void memo_put(const struct memo_call *mc, const void *key, size_t klen, const void *val,
              size_t vlen);
void memo_flush(void);
void memo_fork_child(void);

/* Replay what a call left in the thread's h_errno and _res.res_h_errno
 * (MEMO_UNTOUCHED: nothing). */
void memo_replay_herrno(struct memo_herrno h);

/* Admission. memo_admit: whether this process may memoise at all (only
 * "files" before us on the hosts line, and the generation watched); set
 * once, at install. memo_configure: the current config's "enabled &&
 * cache.enabled" and cache.max_entries, after each publish. */
void memo_admit(int on);
void memo_configure(int ok, int max_entries);
/* The memo for one hooked call, in three steps around the real call:
 *   open:  1 when the memo may answer and keep this call (admitted, the
 *          cache enabled); reads the generation (memogen_at);
 *   watch: just before the real call: opens the lookup note, and sets the
 *          global h_errno (and the _r out-parameter H_ERRNOP, if not NULL)
 *          to a sentinel, so that close can tell what the call left there;
 *   close: just after it: puts back what the call left alone, records what
 *          it set, and returns 1 when its outcome may be kept: until
 *          MC->expire_ms, the earliest expiry of the DNS data it used.
 * watch and close do nothing when open returned 0. */
int memo_call_open(struct memo_call *mc);
void memo_call_watch(struct memo_call *mc, int *h_errnop);
int memo_call_close(struct memo_call *mc);

#endif
