/* shstate — server health shared by the processes of a host (issue 13).
 *
 * What a process learns about its nameservers (timeouts, hedges lost to
 * another server, error replies, smoothed RTTs, a server answering again)
 * is written to a health file under state_dir, and every later process
 * starts from it. The files' format is shfile.h's; this module decides
 * which files a process reads and writes, opens, creates and maps them,
 * notices when they are replaced, and merges what they say.
 *
 * ---- What the state may do: a hint, never an answer, never a failure ----
 * The state only suggests the order in which a lookup asks ITS OWN
 * configured servers. It never supplies an answer and never names a
 * server: entries are keyed by address, and a process only looks up the
 * addresses it already has configured. The wiring must keep these rules,
 * which make any content of the files harmless:
 *   - A down hint means "ask it last", never "do not ask it". Before a
 *     lookup fails, every configured server has been tried, down marks
 *     included, within the deadline (health_plan's "skip unless all are
 *     down" is the per-process form of this; a shared mark must also be
 *     overridden when the servers preferred to it fail or stay silent past
 *     one hedge delay).
 *   - Hence wrong state is cheap: a stale or forged down mark, a wrong
 *     RTT, or a far-off probe time costs a lookup at most about one hedge
 *     delay, and the lookup's own evidence (shstate_report) corrects the
 *     shared state for every later process.
 *   - Report every outcome: answers clear a mark at once (failback for
 *     every process), and a hedge lost to another server is evidence too.
 *     Publish when a lookup's query ends, not at exit: a short-lived
 *     process exits long before its query to a dead server times out.
 *
 * ---- Whose state is trusted -------------------------------------------
 * One file per uid, "health-v1.UID", and root's, "health-v1.0":
 *   - a process of uid U (effective uid) reads and writes its own file and
 *     reads root's; root's processes use root's file only;
 *   - a process trusts a file only when its owner is U or root, no one
 *     else can write it, and it has one link (trustfile.h checks that on
 *     the opened descriptor); the header must name the same owner and
 *     this boot;
 *   - an AT_SECURE process (setuid, setgid, file capabilities:
 *     getauxval(AT_SECURE)) reads root's file only and writes nothing: the
 *     user who started it controls its environment, its limits and its
 *     signals (SIGSTOP makes any query time out), and must not write into
 *     root's evidence through it.
 * So another user can cost you nothing at all: nothing they write is read
 * by your processes. Why not one file for all users? Every process would
 * have to be able to write it, so any user could forge marks for everyone,
 * and the rule "written by your uid or root" could not hold. The price of
 * per-uid files is that users do not learn from each other; everyone
 * learns from root's processes (cron jobs, package managers, daemons that
 * run as root).
 *
 * Merging: for each server, of the own file's entry and root's, the one
 * with the newer evidence (latest answer or counted failure) wins.
 *
 * ---- The directory -----------------------------------------------------
 * state_dir (default /run/dnsfailover) must be root's, mode 01777 (any
 * user may create a file in it, no one may remove or rename another's:
 * the sticky bit), or a directory of the process's own uid. It is created
 * at boot by systemd-tmpfiles (conf/tmpfiles.d/dnsfailover.conf, installed
 * by `make install` and the package), and, where tmpfiles never runs (a
 * container without systemd), by the first root process that opens it with
 * create_dir set (shstate_default_opts sets it for root only, and
 * trust_dir_open only creates it under a root-owned parent that no one
 * else can write). Non-root users benefit wherever the directory exists.
 *
 * Squatting: the names are predictable, so a user may create another
 * uid's file name first, or put a FIFO, directory or symlink there. The
 * victim refuses it (not its owner, not a regular file) and works without
 * sharing among its own processes: it still reads root's file. That is
 * the whole cost. Root replaces a squatted root file (rename over it: the
 * directory is root's). The refusal is logged once, at warn, naming the
 * owner.
 *
 * ---- Safe I/O ------------------------------------------------------------
 * Files are created complete (shfile_init under a temporary name, fully
 * allocated with posix_fallocate, then linked into place) and mapped
 * MAP_SHARED; no descriptor is kept (the mapping needs none). Readers
 * check every field; writers use atomics only, no lock, so a process
 * killed at any point leaves nothing that waits. Whether a file was
 * replaced (rename over it, removed, a new boot) is checked by
 * shstate_refresh at most once a SHSTATE_RECHECK_MS; the old mapping stays
 * mapped (other threads may be reading it) until shstate_close.
 * Truncation: a file a process has mapped must never be truncated (an
 * access past the new end raises SIGBUS in every process that maps it).
 * Only its owner or root can do that; the library never does. To clear the
 * state, remove the files (rm): processes move to new files within a
 * second.
 *
 * Time base: CLOCK_MONOTONIC milliseconds (clock_now_ms). On Linux it is
 * system-wide and counts from boot, so every process of the host reads the
 * same clock, and a file carries the boot id it was written in (a
 * state_dir that survives a reboot, not on tmpfs, is started afresh).
 * Processes in another time namespace (CLONE_NEWTIME) see another
 * monotonic clock; their times are range-checked like any other.
 *
 * ---- Fail soft -------------------------------------------------------------
 * No directory, one that cannot be used, a file that cannot be opened
 * (EACCES from an AppArmor profile included), created or trusted: the
 * calls below report "nothing shared" (lookup 0, claim -1, flush gen 0)
 * and the caller works exactly as without sharing. The first such problem
 * in a process is logged once (log.h); later ones are not.
 *
 * Threads: every call may be made from any thread at any time, except
 * shstate_close. Calls that may do I/O (open, refresh, proc_publish when it
 * takes a slot) disable thread cancellation while they run.
 *
 * ---- The wiring contract: who calls what, and when ----------------------
 * Costs: open and a due refresh do file I/O (a few syscalls, no more than
 * once a SHSTATE_RECHECK_MS); every other call is atomics on a mapping.
 *  1. Init (state.c, once the config is published): shstate_default_opts,
 *     then shstate_open(config's state_dir, ...). NULL: sharing is off (""),
 *     and every call below accepts NULL and reports "nothing shared". One
 *     handle per process; a reload that changes state_dir opens a new one
 *     and keeps the old one alive (never shstate_close while threads run).
 *     Never from the constructor: open only when the first lookup needs it.
 *  2. Lookup start, before health_plan: shstate_refresh(st, now, 0) (one
 *     atomic load when not due), then shstate_flush_gen: when it differs
 *     from the value this process saw last (its first value is a baseline),
 *     drop the cache and the memo (dnsfailover flush).
 *  3. Ranking (health_plan's inputs): for each CONFIGURED server of the
 *     lookup (the sockaddr the transport sends to, port included; never an
 *     address from anywhere else), shstate_lookup with the lookup's own
 *     config (its health.*). h.down: rank it last, as a per-process down
 *     mark does, but still ask it before the lookup fails (see the rules above);
 *     h.suspect: after the up servers (hedge, race); h.have_rtt: seeds the
 *     hedge delay when this process has no sample of its own. The process's
 *     own evidence, when newer than h's ok_ms / fail_ms, wins.
 *  4. Probing: when h.probe_due, shstate_claim_probe. 1: send the probe
 *     beside the real query (health_plan's probe slot), never delaying the
 *     answer; 0: another process probes, send none; -1: no shared schedule,
 *     probe on the per-process schedule as without sharing.
 *  5. Evidence: beside every health_report call, shstate_report with the
 *     same arguments, when each query ends (an answer with its RTT, a
 *     timeout, an error reply, a hedge lost to another server, a probe's
 *     result), not at exit. HEALTH_LOCAL (our own failure) is ignored.
 *     A query still unanswered when another server answered its lookup,
 *     too soon to be a lost race: shstate_unanswered (the process may
 *     exit first); each lookup judges those of its servers with
 *     shstate_settle before reading their hints (health_plan does both).
 *  6. Lookup end: shstate_proc_publish with this process's counters.
 *  7. fork: shstate_fork_child in the child's atfork handler.
 *  8. Exit: shstate_proc_release, optional.
 *  9. The command: `dnsfailover flush` opens with the invoker's opts and
 *     calls shstate_flush (root's file reaches every process, a user's that
 *     user's); `status`/`metrics` call shstate_lookup for each configured
 *     server (the hint carries state, RTT, failures, last change and the
 *     answers/timeouts/errors/lost_races counters) and shstate_proc_each.
 *     A root status sees root's processes; every user's file is
 *     "health-v1.UID" in the same format, so listing them all is a loop
 *     over the directory with shfile_proc_read, whenever status needs it.
 * 10. Tests that preload the library set state_dir in their config (or
 *     mount a tmpfs over /run): they share no health with each other. */
#ifndef DNSF_SHSTATE_H
#define DNSF_SHSTATE_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "dnsf/health.h"
#include "dnsf/shfile.h"

/* How often a process looks whether its files were replaced or appeared. */
#define SHSTATE_RECHECK_MS 1000
/* A process publishes its counters only once it has lived this long or
 * made this many lookups: a fresh short-lived process pays nothing. */
#define SHSTATE_PUBLISH_AFTER_MS 2000
#define SHSTATE_PUBLISH_AFTER_LOOKUPS 16
/* After failing to get a process slot, try again no sooner than this. */
#define SHSTATE_SLOT_RETRY_MS 10000

struct shstate_opts {
    uid_t euid;              /* whose files: geteuid() */
    int at_secure;           /* getauxval(AT_SECURE): read root's only, write nothing */
    int create_dir;          /* create a missing state_dir (root only, see above) */
    const char *comm;        /* the program's name for status (program_invocation_short_name) */
};
/* Fill O for this process: geteuid(), getauxval(AT_SECURE), create_dir for
 * root when not AT_SECURE, program_invocation_short_name. */
void shstate_default_opts(struct shstate_opts *o);

struct shstate;

/* Use DIR (state_dir) under O at NOW_MS. Return NULL when DIR is "" (or
 * NULL: sharing turned off) or memory is short. A handle is returned even
 * when nothing can be opened yet: every call then reports "nothing
 * shared", and shstate_refresh tries again. */
struct shstate *shstate_open(const char *dir, const struct shstate_opts *o, uint64_t now_ms);
/* Unmap everything and free ST. Only when no other thread can use it
 * (tests, or at exit). */
void shstate_close(struct shstate *st);
/* At most once a SHSTATE_RECHECK_MS (always with FORCE): open what is not
 * open yet, and follow a file that was replaced or removed. Cheap when not
 * due: one atomic load. Return 1 when a file is in use afterwards. */
int shstate_refresh(struct shstate *st, uint64_t now_ms, int force);
/* 1 when a file is in use (something may be shared). */
int shstate_active(const struct shstate *st);
/* 1 when this process writes a file of its own (not AT_SECURE, opened). */
int shstate_writable(const struct shstate *st);

/* The merged hint for the configured server at SA (shfile.h's struct
 * shhint), judged under CFG's health.* at NOW_MS. Return 1, or 0 when
 * nothing is known (H zeroed). */
int shstate_lookup(const struct shstate *st, const struct sockaddr *sa,
                   const struct dnsf_config *cfg, uint64_t now_ms, struct shhint *h);
/* Publish one finished query to SA (the arguments of health_report). */
void shstate_report(struct shstate *st, const struct sockaddr *sa, enum health_outcome o,
                    uint32_t rtt_us, int rtt_valid, uint64_t sent_ms,
                    const struct dnsf_config *cfg, uint64_t now_ms);
/* A query to SA sent at SENT_MS was left unanswered when its lookup ended
 * (shfile_unanswered): the judgement is left to later lookups. */
void shstate_unanswered(struct shstate *st, const struct sockaddr *sa, uint64_t sent_ms,
                        uint64_t now_ms);
/* Before reading SA's hint: judge its unanswered queries (shfile_settle)
 * with JUDGE_MS, this lookup's hedge delay for SA. */
void shstate_settle(struct shstate *st, const struct sockaddr *sa, uint64_t judge_ms,
                    const struct dnsf_config *cfg, uint64_t now_ms);
/* A probe of SA is due (its hint says so): claim it for this process.
 * Return 1 (probe now), 0 (another process has it, or it is not due), or
 * -1 when there is no shared schedule (no own file, AT_SECURE): the caller
 * then probes on its own per-process schedule, as without sharing. */
int shstate_claim_probe(struct shstate *st, const struct sockaddr *sa,
                        const struct dnsf_config *cfg, uint64_t now_ms);

/* The flush generation: the sum of root's and the own file's counters, so
 * it changes when either is bumped (root's flush reaches every process, a
 * user's flush that user's processes). Two pointer loads and two counter
 * loads. Compare with the value seen last and drop cached answers when it
 * differs; the first value seen is a baseline, not a flush. 0 when nothing
 * is shared. It also changes once when a file is replaced. */
uint64_t shstate_flush_gen(const struct shstate *st);
/* Bump the own file's generation (`dnsfailover flush`). Return 0, or -1
 * when there is no own file. */
int shstate_flush(struct shstate *st);

/* This process's counters, published into a slot of its own file once it
 * has lived SHSTATE_PUBLISH_AFTER_MS or made SHSTATE_PUBLISH_AFTER_LOOKUPS
 * lookups (C->lookups); before that this is a comparison and nothing else.
 * Call it when a lookup ends. A slot whose process is gone is reused. */
void shstate_proc_publish(struct shstate *st, const struct shproc_counters *c,
                          uint64_t now_ms);
/* Give this process's slot back (at exit; optional: a dead process's slot
 * is reclaimed by others). */
void shstate_proc_release(struct shstate *st);
/* Call FN for every live process in the own file (status), with ARG.
 * Return how many, or -1 when there is no own file. */
int shstate_proc_each(const struct shstate *st,
                      void (*fn)(const struct shproc_info *info, void *arg), void *arg);

/* In a fork child: forget the parent's slot and any refresh in progress.
 * The mappings stay (MAP_SHARED: the child shares the same health). */
void shstate_fork_child(struct shstate *st, uint64_t now_ms);

/* Forget that a problem was logged (tests: each may see its one line). */
void shstate_log_reset(void);

/* The file name of UID's health file ("health-v1.UID") in BUF. */
void shstate_file_name(uid_t uid, char *buf, size_t len);

#endif
