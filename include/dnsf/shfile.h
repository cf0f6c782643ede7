/* shfile — the format of one shared health file, and every access to it.
 *
 * A health file is a fixed-size image (SHFILE_SIZE bytes) that processes
 * of one uid map MAP_SHARED and update in place with atomic operations
 * (the GCC __atomic builtins, lock-free for 32- and 64-bit words on every
 * Linux target we build for; atomics on a shared mapping work across
 * processes as within one). There is no lock anywhere: a process killed
 * at any instruction leaves every word either old or new, never a lock
 * held, so nobody waits on it. A reader may see a mix of two writers'
 * words; every field is range-checked when read, and a mix of valid words
 * only ever yields a hint that is wrong, which costs at most about one
 * hedge delay (see shstate.h for what a hint may and may not do).
 *
 * This file is the one place that reads and writes those bytes, and all of
 * it works on plain memory (struct shfile), so the fuzzer and the unit
 * tests run it on images of their own.
 *
 * Layout (little or big endian as the host; a file is only ever shared by
 * the processes of one host, and its name carries the format version, so a
 * library of another version uses another file):
 *
 *   0      header, 4096 bytes (struct shf_header; the rest of the page is
 *          zero and unused)
 *   4096   SHFILE_SERVERS server entries of 192 bytes (struct shf_entry)
 *   16384  SHFILE_PROCS process slots of 192 bytes (struct shf_proc)
 *   28672  end
 *
 * Header: magic "DNSFHLTH", version 1, the size, the owner's uid (equal to
 * the file's owner), the table sizes, the boot id of the boot whose
 * CLOCK_MONOTONIC the times are in (sysident.h), the flush generation, and
 * the creation time. A header that differs in any of these from what this
 * code writes makes the whole file unusable (shfile_check).
 *
 * Server entry: keyed by the address a process already has configured
 * (family, port, address, IPv6 scope: what config_same_addr compares),
 * found by a 64-bit hash of it and then compared whole. A reader only ever
 * looks up its own servers' addresses; nothing enumerates them. Fields:
 *   key            hash of the address, 0 for a free entry (claimed by CAS)
 *   addr[3]        the address itself, 24 bytes
 *   ok_sent_ms     send time of the latest answered query (max)
 *   ok_ms          when the latest answer was seen (max)
 *   fail_ms        when the latest counted failure was seen (max)
 *   down_since_ms  when the server was marked down; 0: not marked
 *   next_probe_ms  when a probe is next due (a CAS claims it)
 *   rtt            srtt_us << 32 | rttvar_us (RFC 6298 §2), 0: unknown
 *   last_change_ms the latest up/down transition
 *   fails          consecutive counted failures since the latest answer
 *   answers, timeouts, errors, lost_races: counters, for status
 *   unanswered     queries that processes left unanswered when their
 *                  lookups ended (another server answered first), not yet
 *                  judged, and unanswered_ms, the oldest one's send time
 * Times are CLOCK_MONOTONIC milliseconds (clock_now_ms): system-wide and
 * boot-relative on Linux, so every process of the boot reads them alike.
 *
 * Process slot: a live process's counters, for `dnsfailover status`:
 *   owner          sysident identity (pid << 32 | start time), 0: free
 *   started_ms, updated_ms, comm[16] (the program's name),
 *   lookups, cache_hits, failovers, stale, hedges, budget_milli. */
#ifndef DNSF_SHFILE_H
#define DNSF_SHFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "dnsf/health.h"
#include "dnsf/sysident.h"

#define SHFILE_VERSION 1
#define SHFILE_HEADER_SIZE 4096
#define SHFILE_SERVERS 64           /* 8 configs of 8 servers per uid, at least */
#define SHFILE_PROCS 64
#define SHFILE_ENTRY_SIZE 192       /* three cache lines: no false sharing */
#define SHFILE_SIZE (SHFILE_HEADER_SIZE + (SHFILE_SERVERS + SHFILE_PROCS) * SHFILE_ENTRY_SIZE)
/* A server is found within this many entries of its hash's home. */
#define SHFILE_PROBES 8
/* Range checks. A time later than now by more than this is not believed
 * (processes read the same clock, but each its own "now" a little apart). */
#define SHFILE_FUTURE_SLACK_MS 5000
/* No real server fails a million times in a row without an answer; a
 * larger count is clamped to it. */
#define SHFILE_FAILS_MAX 1000000u
/* An RTT estimate above this is not believed: a lookup's deadline_ms is at
 * most 120 s (config.c). */
#define SHFILE_RTT_MAX_US 120000000u
/* An entry with no evidence for this long may be given to another server
 * when the table around its hash is full. */
#define SHFILE_STALE_MS 3600000u

/* One mapped image. WRITABLE 0: only the const functions may be used (a
 * read-only mapping would fault on a store). */
struct shfile {
    unsigned char *base;
    int writable;
};

/* A server's key: its address, normalised (24 bytes), and its hash. */
struct shkey {
    uint64_t addr[3];
    uint64_t hash;                  /* never 0 */
};
/* Fill K from SA (AF_INET or AF_INET6). Return 0, or -1 for another family. */
int shkey_from_addr(const struct sockaddr *sa, struct shkey *k);

/* What the file says about one server, every field range-checked. */
struct shhint {
    int down;                       /* marked down, no answer since, mark younger
                                     * than max_down_ms, fails >= fail_threshold */
    int suspect;                    /* failures since the latest answer, not down */
    int probe_due;                  /* down, and its next probe is due now */
    uint32_t fails;
    int have_rtt;
    uint32_t srtt_us, rttvar_us;
    uint64_t ok_sent_ms, ok_ms, fail_ms, down_since_ms, next_probe_ms, last_change_ms;
    uint64_t answers, timeouts, errors, lost_races;
    uint32_t unanswered;            /* not judged yet (shfile_settle) */
    uint64_t unanswered_ms;         /* the oldest one's send time */
};

/* Is the image at BASE (LEN bytes) a health file this code can use, owned
 * by OWNER, written in the boot BOOT_ID (NULL: not checked)? Return 0, or
 * -1 with *WHAT naming the first field that is not. */
int shfile_check(const void *base, size_t len, uid_t owner, const uint8_t *boot_id,
                 const char **what);
/* Write a fresh image at BASE (SHFILE_SIZE zeroed bytes). The magic is
 * stored last, but callers publish an image only once it is complete
 * (trust_tmp_commit), so no reader ever sees it half made. */
void shfile_init(void *base, uid_t owner, const uint8_t *boot_id, uint64_t now_ms);

/* Fill *H for key K as seen at NOW_MS under HC (the reader's own
 * fail_threshold and max_down_ms). Return 1, or 0 when the file knows
 * nothing of K (*H is then zeroed). */
int shfile_lookup(const struct shfile *f, const struct shkey *k,
                  const struct dnsf_health_config *hc, uint64_t now_ms, struct shhint *h);
/* Record one finished query to K, under the rules of health_report
 * (health.h): O, RTT_US and RTT_VALID, SENT_MS and NOW_MS mean what they
 * mean there, including the late-evidence rule (a failure of a query sent
 * before the latest answered one is counted in the statistics only).
 * HEALTH_LOCAL is ignored. The server is marked down when its counted
 * failures reach HC->fail_threshold (or again, once its mark is older than
 * HC->max_down_ms), and its first probe is then due HC->probe_interval_ms
 * later. Does nothing when the table has no room for K. */
void shfile_report(struct shfile *f, const struct shkey *k, enum health_outcome o,
                   uint32_t rtt_us, int rtt_valid, uint64_t sent_ms,
                   const struct dnsf_health_config *hc, uint64_t now_ms);
/* Claim K's probe if it is due at NOW_MS: one compare-and-swap moves the
 * next probe time HC->probe_interval_ms ahead. Of any number of processes
 * claiming at once, exactly one gets 1; the others get 0 until the next
 * interval. A next-probe time further ahead than one interval is not
 * believed and is claimable. Return 0 when the table has no room for K. */
int shfile_claim_probe(struct shfile *f, const struct shkey *k,
                       const struct dnsf_health_config *hc, uint64_t now_ms);

/* A query to K, sent at SENT_MS, was still unanswered when its lookup
 * ended because another server answered first, too soon to call it a lost
 * race (health.h). A short-lived process exits before it could learn more,
 * so the verdict is left to whichever process looks next (shfile_settle). */
void shfile_unanswered(struct shfile *f, const struct shkey *k, uint64_t sent_ms,
                       uint64_t now_ms);
/* Judge K's unanswered queries at NOW_MS: once the oldest was sent JUDGE_MS
 * (the reader's hedge delay for K: the wait that makes a lost race) or more
 * ago and no answer from K has been seen since, they count as lost races,
 * at most HC->fail_threshold of them; an answer since forgets them. Each
 * batch is judged by one process (a compare-and-swap). */
void shfile_settle(struct shfile *f, const struct shkey *k, uint64_t judge_ms,
                   const struct dnsf_health_config *hc, uint64_t now_ms);

/* The flush generation: one atomic load. */
uint64_t shfile_flush_gen(const struct shfile *f);
/* Bump it (dnsfailover flush). */
void shfile_flush(struct shfile *f);

/* A process's counters, as published for status. */
struct shproc_counters {
    uint64_t lookups, cache_hits, failovers, stale, hedges;
    int64_t budget_milli;           /* the hedge budget, in thousandths of a token */
};
/* A budget above this (1000 tokens) is not believed: ours holds 10. */
#define SHPROC_BUDGET_MAX_MILLI 1000000
struct shproc_info {
    uint64_t ident;                 /* sysident_proc() of the process */
    char comm[16];                  /* NUL-terminated */
    uint64_t started_ms, updated_ms;
    struct shproc_counters c;
};
/* Take a process slot for IDENT (never 0) named COMM: a free one, or else
 * one whose owner ALIVE says is gone (ALIVE(ident) returns 1 while that
 * process lives; at most SHFILE_PROBES of them are asked, from a place
 * that depends on IDENT). Return the slot, or -1 when none is free. */
int shfile_proc_claim(struct shfile *f, uint64_t ident, const char *comm, uint64_t now_ms,
                      int (*alive)(uint64_t ident));
/* Store C in SLOT if IDENT still owns it (one load: a process that lost
 * its slot to a wrong reclaim stops writing there). Return 0, or -1 when
 * the slot is not IDENT's. */
int shfile_proc_store(struct shfile *f, int slot, uint64_t ident,
                      const struct shproc_counters *c, uint64_t now_ms);
/* Give SLOT back if IDENT owns it. */
void shfile_proc_release(struct shfile *f, int slot, uint64_t ident);
/* Read SLOT into *OUT. Return 1 when it is taken, 0 when free or SLOT is
 * out of range. Whether its owner still lives is the caller's question. */
int shfile_proc_read(const struct shfile *f, int slot, struct shproc_info *out);

#endif
