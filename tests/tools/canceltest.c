/*
 * canceltest -- pthread_cancel threads in the middle of lookups, then check that the
 * process's later lookups answer promptly and that nothing was left behind.
 *
 *   canceltest [-b BOUND_MS] [-j JOIN_MS] leader ADDR NAME
 *   canceltest [-b BOUND_MS] [-j JOIN_MS] follower ADDR NAME [OTHER...]
 *   canceltest [-b BOUND_MS] [-j JOIN_MS] [-t THREADS] [-s SECONDS] [-r SEED] [-w WAIT_MS]
 *              storm ADDR NAME...
 *
 * Every NAME and OTHER resolves to the IPv4 address ADDR. The nameserver is expected to
 * be slow (a proxy that delays every reply), so a lookup spends its time waiting.
 *
 * leader    thread A looks NAME up (getaddrinfo); 150 ms later the main thread cancels
 *           A and joins it; then it looks NAME up itself.
 * follower  thread A looks NAME up; 50 ms later thread B looks up the same name (so it
 *           waits for A's answer); 150 ms in, B is cancelled and joined; then A is
 *           joined, and the main thread looks up NAME and each OTHER.
 * storm     THREADS workers (default 12) call getaddrinfo, gethostbyname_r and res_query
 *           for random NAMEs in a loop; for SECONDS (default 3) the main thread cancels a
 *           random worker every 5-60 ms, joins it and starts a new one. Then every
 *           worker is stopped and joined, and (after WAIT_MS, default 0, for queries
 *           still running to end) every NAME is looked up once more. The open
 *           descriptors are counted before (after the same warm-up: one lookup of every
 *           NAME, WAIT_MS, one more) and after.
 *
 * A join that takes longer than JOIN_MS (default 6000) counts as a hung thread; a later
 * lookup fails when it errs, answers wrongly or takes longer than BOUND_MS (default
 * 1500). Output: one line of key=value pairs, e.g.
 *   storm cancels=57 hung=0 calls=812 bad=0 after_bad=0 after_max_ms=104 fds_before=5 fds_after=5
 * Exit status 0 when no thread hung, no lookup went wrong (storm: during or after) and
 * the descriptors balance; 1 otherwise; 2 on usage errors. SIGALRM ends the process after
 * 120 s (a hung lookup in the main thread).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

static struct in_addr want;
static long bound_ms = 1500, join_ms = 6000;

/* 0 right, 1 wrong or failed. */
static int by_gai(const char *name)
{
	return tk_gai_v4_is(name, want) != 0;
}

static int by_ghr(const char *name)
{
	return tk_ghr_v4_is(name, want) != 0;
}

static int by_resq(const char *name)
{
	unsigned char ans[4096];
	ns_msg msg;
	ns_rr rr;
	int n = res_query(name, ns_c_in, ns_t_a, ans, sizeof ans);
	if (n < 0 || ns_initparse(ans, n, &msg) < 0)
		return 1;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++)
		if (ns_parserr(&msg, ns_s_an, i, &rr) == 0 && ns_rr_type(rr) == ns_t_a
		    && ns_rr_rdlen(rr) == 4 && memcmp(ns_rr_rdata(rr), &want, 4) == 0)
			return 0;
	return 1;
}

/* Look NAME up from this thread: 0 when right within BOUND_MS. */
static int timed(const char *name, long *ms)
{
	double t0 = tk_now_ms();
	int r = by_gai(name);
	*ms = (long)(tk_now_ms() - t0);
	return r || *ms > bound_ms;
}

/* Join T within JOIN_MS: 0, or -1 when it is hung. */
static int join(pthread_t t, long *ms)
{
	struct timespec ts;
	double t0 = tk_now_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += join_ms / 1000;
	ts.tv_nsec += (join_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int rc = pthread_timedjoin_np(t, NULL, &ts);
	if (ms != NULL)
		*ms = (long)(tk_now_ms() - t0);
	return rc == 0 ? 0 : -1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = -1;     /* the directory's own descriptor */
	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 2;   /* "." and ".." */
}

/* ---- leader / follower ---------------------------------------------------- */

static void *one_lookup(void *arg)
{
	by_gai(arg);
	return NULL;
}

static int run_leader(char *name)
{
	pthread_t a;
	long jms = 0, ams = 0;
	pthread_create(&a, NULL, one_lookup, name);
	tk_sleep_ms(150);
	pthread_cancel(a);
	int hung = join(a, &jms) < 0;
	int bad = timed(name, &ams);
	printf("leader hung=%d join_ms=%ld after_bad=%d after_ms=%ld\n", hung, jms, bad, ams);
	fflush(stdout);
	if (hung)
		_exit(1);
	return bad;
}

static int run_follower(char *name, char **others, int nothers)
{
	pthread_t a, b;
	long bjms = 0, ajms = 0, ms, max_ms = 0;
	pthread_create(&a, NULL, one_lookup, name);
	tk_sleep_ms(50);
	pthread_create(&b, NULL, one_lookup, name);
	tk_sleep_ms(100);
	pthread_cancel(b);
	int hung = join(b, &bjms) < 0;
	hung += join(a, &ajms) < 0;
	int bad = 0;
	if (!hung) {
		bad += timed(name, &max_ms);
		for (int i = 0; i < nothers; i++) {
			bad += timed(others[i], &ms);
			if (ms > max_ms)
				max_ms = ms;
		}
	}
	printf("follower hung=%d follower_join_ms=%ld leader_join_ms=%ld after_bad=%d after_max_ms=%ld\n",
	       hung, bjms, ajms, bad, max_ms);
	fflush(stdout);
	if (hung)
		_exit(1);
	return bad != 0;
}

/* ---- storm ------------------------------------------------------------------ */

#define MAXW 64
static char **names;
static int nnames;
static atomic_int stop;
static atomic_long calls, bad_calls;

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	while (!atomic_load(&stop)) {
		const char *n = names[rand_r(&seed) % (unsigned)nnames];
		int r;
		switch (rand_r(&seed) % 3) {
		case 0: r = by_gai(n); break;
		case 1: r = by_ghr(n); break;
		default: r = by_resq(n); break;
		}
		atomic_fetch_add(&calls, 1);
		if (r)
			atomic_fetch_add(&bad_calls, 1);
	}
	return NULL;
}

static int lookup_all(long *max_ms)
{
	int bad = 0;
	long ms;
	*max_ms = 0;
	for (int i = 0; i < nnames; i++) {
		bad += timed(names[i], &ms);
		if (ms > *max_ms)
			*max_ms = ms;
	}
	return bad;
}

static int run_storm(int nthreads, int seconds, unsigned seed, long wait_ms)
{
	pthread_t w[MAXW];
	long ms, cancels = 0, hung = 0;
	lookup_all(&ms);
	tk_sleep_ms((double)wait_ms);
	lookup_all(&ms);
	int fds_before = count_fds();
	for (int i = 0; i < nthreads; i++)
		pthread_create(&w[i], NULL, worker, (void *)(uintptr_t)(seed + (unsigned)i));
	double end = tk_now_ms() + seconds * 1000.0;
	unsigned next = seed + (unsigned)nthreads;
	while (tk_now_ms() < end && hung == 0) {
		tk_sleep_ms(5 + rand_r(&seed) % 56);
		int k = (int)(rand_r(&seed) % (unsigned)nthreads);
		pthread_cancel(w[k]);
		if (join(w[k], NULL) < 0) {
			hung++;
			break;
		}
		cancels++;
		pthread_create(&w[k], NULL, worker, (void *)(uintptr_t)next++);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads && hung == 0; i++)
		if (join(w[i], NULL) < 0)
			hung++;
	long after_max = 0;
	int after_bad = 0, fds_after = -1;
	if (hung == 0) {
		tk_sleep_ms((double)wait_ms);
		after_bad = lookup_all(&after_max);
		fds_after = count_fds();
	}
	printf("storm cancels=%ld hung=%ld calls=%ld bad=%ld after_bad=%d after_max_ms=%ld "
	       "fds_before=%d fds_after=%d\n",
	       cancels, hung, atomic_load(&calls), atomic_load(&bad_calls), after_bad, after_max,
	       fds_before, fds_after);
	fflush(stdout);
	if (hung)
		_exit(1);
	return after_bad || atomic_load(&bad_calls) || fds_after != fds_before;
}

static int usage(void)
{
	fprintf(stderr, "usage: canceltest [-b MS] [-j MS] leader|follower ADDR NAME [OTHER...]\n"
	                "       canceltest [-b MS] [-j MS] [-t N] [-s S] [-r SEED] [-w MS] storm ADDR NAME...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int opt, nthreads = 12, seconds = 3;
	unsigned seed = 1;
	long wait_ms = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "b:j:t:s:r:w:")) != -1) {
		switch (opt) {
		case 'b': bound_ms = atol(optarg); break;
		case 'j': join_ms = atol(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'r': seed = (unsigned)atoi(optarg); break;
		case 'w': wait_ms = atol(optarg); break;
		default: return usage();
		}
	}
	if (argc - optind < 3 || inet_pton(AF_INET, argv[optind + 1], &want) != 1
	    || nthreads < 1 || nthreads > MAXW)
		return usage();
	alarm(120);
	const char *mode = argv[optind];
	char **rest = argv + optind + 2;
	int nrest = argc - optind - 2;
	if (strcmp(mode, "leader") == 0)
		return run_leader(rest[0]);
	if (strcmp(mode, "follower") == 0)
		return run_follower(rest[0], rest + 1, nrest - 1);
	if (strcmp(mode, "storm") == 0) {
		names = rest;
		nnames = nrest;
		return run_storm(nthreads, seconds, seed, wait_ms);
	}
	return usage();
}
