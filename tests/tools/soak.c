/*
 * soak -- many threads of mixed resolver calls for a long time, every answer checked,
 * while threads are cancelled and the process forks (tests/soak/soak.sh drives it).
 *
 *   soak -p                print the expected result of every case, one line each,
 *                          from a single-threaded pass (run it with glibc alone against
 *                          the healthy server), and exit 0
 *   soak -e FILE [-t THREADS] [-n LOOKUPS] [-s SEED] [-c MS] [-f MS] [-w SECONDS]
 *        [-g SECONDS] [-r KIB]
 *
 *   -e FILE  the expected lines (the output of `soak -p`)
 *   -t N     lookup threads (default 8)
 *   -n N     lookups per thread (default 100000)
 *   -s N     seed of the threads' choices (default 1)
 *   -c MS    cancel: another thread cancels a random lookup thread every 1..MS ms
 *            (pthread_cancel, at whatever point its lookup has reached), joins it and
 *            starts a new one in its place, which carries on with the remaining lookups
 *   -f MS    fork storms: every MS ms (on average) fork a child that makes two lookups,
 *            checks them and exits; each child must finish within 10 s
 *   -w S     watchdog: give up (exit 4) when no lookup has finished for S seconds
 *            (default 60), or a cancelled thread cannot be joined within S seconds
 *   -g S     give up (exit 4) after S seconds in all (default 3600)
 *   -r KIB   RSS bound: VmRSS may grow by at most KIB KiB from the moment a quarter of
 *            the lookups are done to the end (default 32768; 0: not judged)
 *
 * The cases: fixed names of tests/fixtures (getaddrinfo AF_UNSPEC, AF_INET and AF_INET6,
 * gethostbyname_r, gethostbyname2_r, gethostbyaddr_r, getnameinfo, res_query; positive
 * and negative answers; a reply that needs TCP) and, for half the lookups, a name never
 * asked before under the zone's wildcard *.wild.dnsf.test, so that the cache cannot
 * answer and every such lookup goes to the servers: half of those a name of the thread's
 * own, the other half a name that all threads share for 20 ms, so that several threads
 * miss the cache on the same name at once (one leads the lookup, the others wait for
 * it: the single flight, and the cancels that hit it). A wildcard name's result is compared
 * with the expected line of the name w0.wild.dnsf.test, the name itself replaced by NAME.
 * TTLs are not compared (a cached answer's TTL has counted down).
 *
 * Every result must equal its expected line: a failed lookup counts as a failure (the
 * driver keeps a healthy server up all along). A fork child that hangs in a futex of
 * libc.so.6 (glibc's own fork-safety gap, see toolkit.h tk_where_hung) is counted as
 * hung_libc, not as a failure; any other hang is.
 *
 * Output: mismatches (at most 20) on stderr, progress every 10 % on stderr, then one
 * line on stdout:
 *   soak threads=N lookups=N calls=N ok=N wrong=N failed=N gai=N ghr=N ghar=N gni=N
 *   resq=N wild=N cancels=N cancel_hangs=N forks=N fork_ok=N fork_bad=N hung_libc=N
 *   hung_other=N rss_q1_kb=N rss_end_kb=N rss_max_kb=N ms=N
 * Exit status: 0 everything right, 1 a wrong answer, failure, bad fork child or RSS
 * beyond the bound, 2 usage, 4 watchdog (a hang).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

enum kind { GAI, GHR, GH2R, GHAR, GNI, RESQ };

struct scase {
	enum kind kind;
	const char *arg;   /* name or address text; NULL: a fresh wildcard name */
	int family;        /* GAI hint, GH2R family, GHAR/GNI address family */
	int flags;         /* GAI ai_flags, GNI flags */
	int type;          /* RESQ type; GNI port */
};

static const struct scase cases[] = {
	{ GAI, "www.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "www.dnsf.test", AF_INET, 0, 0 },
	{ GAI, "www.dnsf.test", AF_INET6, 0, 0 },
	{ GAI, "multi.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "alias1.dnsf.test", AF_UNSPEC, AI_CANONNAME, 0 },
	{ GAI, "v6only.dnsf.test", AF_INET6, 0, 0 },
	{ GAI, "v4only.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "cname-out.dnsf.test", AF_INET, AI_CANONNAME, 0 },
	{ GAI, "no-such-name.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "many.dnsf.test", AF_INET, 0, 0 },
	{ GHR, "www.dnsf.test", AF_INET, 0, 0 },
	{ GHR, "alias2.dnsf.test", AF_INET, 0, 0 },
	{ GH2R, "v6only.dnsf.test", AF_INET6, 0, 0 },
	{ GH2R, "v4only.dnsf.test", AF_INET6, 0, 0 },
	{ GHAR, "192.0.2.10", AF_INET, 0, 0 },
	{ GHAR, "192.0.2.13", AF_INET, 0, 0 },
	{ GHAR, "2001:db8::11", AF_INET6, 0, 0 },
	{ GHAR, "192.0.2.11", AF_INET, 0, 0 },
	{ GNI, "192.0.2.21", AF_INET, 0, 80 },
	{ GNI, "192.0.2.12", AF_INET, NI_NAMEREQD, 0 },
	{ RESQ, "www.dnsf.test", 0, 0, ns_t_a },
	{ RESQ, "mx.dnsf.test", 0, 0, ns_t_mx },
	{ RESQ, "nosuch.dnsf.test", 0, 0, ns_t_a },
	{ RESQ, "bigtxt.dnsf.test", 0, 0, ns_t_txt },
	/* Wildcard templates (arg NULL): a fresh name each time. */
	{ GAI, NULL, AF_INET, 0, 0 },
	{ GAI, NULL, AF_UNSPEC, 0, 0 },
	{ GAI, NULL, AF_INET6, 0, 0 },
	{ GHR, NULL, AF_INET, 0, 0 },
	{ RESQ, NULL, 0, 0, ns_t_a },
};
#define NCASES (sizeof cases / sizeof cases[0])
#define NFIXED 24
#define LINE 4096
#define WILD_EXPECT_NAME "w0.wild.dnsf.test"

static char expected[NCASES][LINE];

/* ---- running one case, canonically ------------------------------------------ */

/* Enable cancellation only inside the resolver call itself: the soak's own
 * bookkeeping (locks, stdio) must never be cut short. */
#define CANCELLABLE(call)                                                        \
	do {                                                                     \
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);             \
		call;                                                            \
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);            \
	} while (0)

static void run_gai(const struct scase *c, const char *name, struct tk_sbuf *b)
{
	struct addrinfo hints, *res = NULL;
	int rc;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = c->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = c->flags;
	CANCELLABLE(rc = getaddrinfo(name, NULL, &hints, &res));
	tk_put(b, "gai %s family=%d flags=%d rc=%d", name, c->family, c->flags, rc);
	if (rc != 0)
		return;
	tk_put_addrinfo(b, res);
	freeaddrinfo(res);
}

static void free_ptr(void *p) { free(*(void **)p); }

/* The _r call of case C with a buffer grown on ERANGE, as a real caller does;
 * the buffer is left in *BUFP (freed by the caller, also when cancelled). */
static int call_hostent(const struct scase *c, const char *name, const unsigned char *addr,
			struct hostent *he, char **bufp, struct hostent **result, int *herr)
{
	socklen_t alen = c->family == AF_INET ? 4 : 16;
	int ret = 0;
	for (size_t buflen = 512;; buflen *= 2) {
		char *nb = realloc(*bufp, buflen);
		if (nb == NULL)
			abort();
		*bufp = nb;
		if (c->kind == GHR)
			CANCELLABLE(ret = gethostbyname_r(name, he, nb, buflen, result, herr));
		else if (c->kind == GH2R)
			CANCELLABLE(ret = gethostbyname2_r(name, c->family, he, nb, buflen, result, herr));
		else
			CANCELLABLE(ret = gethostbyaddr_r(addr, alen, c->family, he, nb, buflen, result,
							  herr));
		if (ret != ERANGE || buflen > 65536)
			return ret;
	}
}

static void run_hostent(const struct scase *c, const char *name, struct tk_sbuf *b)
{
	struct hostent he, *result = NULL;
	int herr = 0;
	char *buf = NULL;
	unsigned char addr[16];
	if (c->kind == GHAR && inet_pton(c->family, name, addr) != 1) {
		tk_put(b, "bad address %s", name);
		return;
	}
	pthread_cleanup_push(free_ptr, &buf);
	int ret = call_hostent(c, name, addr, &he, &buf, &result, &herr);
	tk_put(b, "%s %s family=%d ret=%d", c->kind == GHR ? "ghr" : c->kind == GH2R ? "gh2r" : "ghar",
	    name, c->family, ret);
	if (ret == 0 && result == &he) {
		tk_put_hostent(b, &he);
	} else {
		tk_put(b, " result=%s herr=%d", result ? "non-NULL" : "NULL", herr);
	}
	pthread_cleanup_pop(1);
}

static void run_gni(const struct scase *c, struct tk_sbuf *b)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int rc;
	sl = tk_sockaddr(c->family, c->arg, c->type, &ss);
	CANCELLABLE(rc = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv,
				     sizeof serv, c->flags));
	tk_put(b, "gni %s port=%d flags=%d rc=%d", c->arg, c->type, c->flags, rc);
	if (rc == 0)
		tk_put(b, " host=%s serv=%s", host, serv);
}

/* res_query: length (less the name's, which a fresh wildcard name changes), rcode, TC
 * and the answer records without their TTLs. */
static void run_resq(const struct scase *c, const char *name, struct tk_sbuf *b)
{
	unsigned char ans[4096];
	ns_msg msg;
	int n;
	CANCELLABLE(n = res_query(name, ns_c_in, c->type, ans, sizeof ans));
	tk_put(b, "resq %s type=%d", name, c->type);
	if (n < 0) {
		tk_put(b, " rc=-1 herr=%d", h_errno);
		return;
	}
	if (ns_initparse(ans, n < (int)sizeof ans ? n : (int)sizeof ans, &msg) < 0) {
		tk_put(b, " len=%d unparsable", n);
		return;
	}
	tk_put(b, " len-name=%d rcode=%d tc=%d an=%d:", n - (int)strlen(name), ns_msg_getflag(msg, ns_f_rcode),
	    ns_msg_getflag(msg, ns_f_tc), ns_msg_count(msg, ns_s_an));
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
			tk_put(b, " bad-rr");
			break;
		}
		tk_put(b, " %s/%d/", ns_rr_name(rr), ns_rr_type(rr));
		for (int k = 0; k < ns_rr_rdlen(rr); k++)
			tk_put(b, "%02x", ns_rr_rdata(rr)[k]);
	}
}

/* Run case C for NAME; write the canonical line, the name replaced by NAME for
 * a wildcard case. */
static void run_case(const struct scase *c, const char *name, char *out, size_t outlen)
{
	char raw[LINE];
	struct tk_sbuf b = { raw, sizeof raw, 0 };
	raw[0] = 0;
	switch (c->kind) {
	case GAI: run_gai(c, name, &b); break;
	case GHR: case GH2R: case GHAR: run_hostent(c, name, &b); break;
	case GNI: run_gni(c, &b); break;
	case RESQ: run_resq(c, name, &b); break;
	}
	if (c->arg != NULL) {
		snprintf(out, outlen, "%s", raw);
		return;
	}
	/* Replace every occurrence of the name (case-insensitively: a CNAME target or a
	 * cached answer may spell it otherwise) by NAME. */
	size_t nl = strlen(name), o = 0;
	for (const char *p = raw; *p && o + 5 < outlen;) {
		if (strncasecmp(p, name, nl) == 0) {
			memcpy(out + o, "NAME", 4);
			o += 4;
			p += nl;
		} else
			out[o++] = *p++;
	}
	out[o] = 0;
}

/* ---- the soak --------------------------------------------------------------- */

static int nthreads = 8, cancel_ms, fork_ms, watchdog_s = 60;
static long lookups = 100000;
static unsigned long seed = 1;

static atomic_long done_total, ok_total, wrong_total, failed_total, wild_total;
static atomic_long by_kind[6];
static atomic_long cancels, cancel_hangs;
static atomic_long forks, fork_ok, fork_bad, hung_libc, hung_other;
static atomic_int stop;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int shown;

/* One slot per lookup thread: a cancelled thread's successor carries on there. */
struct slot {
	pthread_t th;
	int id;
	long done;              /* lookups finished in this slot */
	uint64_t rng;
	unsigned gen;           /* threads started in this slot */
	atomic_int running;     /* the current thread has not returned */
	atomic_int tid;         /* the current thread's kernel id */
};
static struct slot *slots;

static void report(const char *label, const char *what, const char *want, const char *got)
{
	pthread_mutex_lock(&report_lock);
	if (shown++ < 20)
		fprintf(stderr, "%s %s:\n  want: %s\n  got:  %s\n", label, what, want, got);
	pthread_mutex_unlock(&report_lock);
}

/* One lookup picked with RNG; 0 right, 1 wrong, 2 failed (no answer at all). WHAT
 * says which case and name, *CASEP which expected line applies. */
static int one_lookup(uint64_t *rng, int id, long n, char *what, size_t whatlen, char *got,
		      size_t *casep)
{
	size_t i;
	char name[128];
	uint64_t r = tk_rand64(rng);
	if (r % 2 == 0) {
		i = (size_t)(r >> 8) % NFIXED;
		snprintf(name, sizeof name, "%s", cases[i].arg);
	} else {
		i = NFIXED + (size_t)(r >> 8) % (NCASES - NFIXED);
		if (r & 0x80)
			snprintf(name, sizeof name, "s%lu-%d-%ld-%lx.wild.dnsf.test", seed, id, n,
				 (unsigned long)(tk_rand64(rng) & 0xffffff));
		else
			snprintf(name, sizeof name, "f%lu-%llu.wild.dnsf.test", seed,
				 (unsigned long long)(tk_now_ns() / 20000000u));
	}
	run_case(&cases[i], name, got, LINE);
	snprintf(what, whatlen, "case %zu (%s)", i, name);
	*casep = i;
	atomic_fetch_add(&by_kind[cases[i].kind], 1);
	if (cases[i].arg == NULL)
		atomic_fetch_add(&wild_total, 1);
	if (strcmp(got, expected[i]) == 0)
		return 0;
	/* No answer where glibc had one: the servers were not reached in time. */
	int failed = strstr(got, "rc=-3") != NULL /* EAI_AGAIN */
		  || strstr(got, "herr=2") != NULL /* TRY_AGAIN */;
	return failed ? 2 : 1;
}

static void *worker(void *arg)
{
	struct slot *s = arg;
	char got[LINE], what[256];
	size_t i;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	atomic_store(&s->tid, (int)gettid());
	while (s->done < lookups && !atomic_load(&stop)) {
		int v = one_lookup(&s->rng, s->id, s->done, what, sizeof what, got, &i);
		if (v == 0)
			atomic_fetch_add(&ok_total, 1);
		else {
			atomic_fetch_add(v == 1 ? &wrong_total : &failed_total, 1);
			report(v == 1 ? "WRONG" : "FAILED", what, expected[i], got);
		}
		s->done++;
		atomic_fetch_add(&done_total, 1);
	}
	atomic_store(&s->running, 0);
	return NULL;
}

static int start_slot(struct slot *s)
{
	s->gen++;
	atomic_store(&s->running, 1);
	if (pthread_create(&s->th, NULL, worker, s) != 0) {
		atomic_store(&s->running, 0);
		return -1;
	}
	return 0;
}

/* Cancel random lookup threads at random points and start their successors. */
static void *canceller(void *arg)
{
	uint64_t rng = seed * 7919 + 17;
	(void)arg;
	while (!atomic_load(&stop)) {
		tk_sleep_ms(1 + (double)(tk_rand64(&rng) % (uint64_t)cancel_ms));
		struct slot *s = &slots[tk_rand64(&rng) % (uint64_t)nthreads];
		if (!atomic_load(&s->running))
			continue;
		pthread_cancel(s->th);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += watchdog_s;
		int rc = pthread_timedjoin_np(s->th, NULL, &until);
		if (rc != 0) {
			char where[512];
			atomic_fetch_add(&cancel_hangs, 1);
			tk_where_hung((pid_t)atomic_load(&s->tid), where, sizeof where);
			fprintf(stderr, "CANCEL HANG: thread %d (generation %u) did not end within %d s "
					"of pthread_cancel; it waits in %s\n", s->id, s->gen, watchdog_s, where);
			static const char msg[] = "soak: giving up (a cancelled thread hangs)\n";
			ssize_t w = write(2, msg, sizeof msg - 1);
			(void)w;
			_exit(4);
		}
		atomic_fetch_add(&cancels, 1);
		/* The cancelled lookup is not counted; the successor carries on. */
		if (s->done < lookups && start_slot(s) < 0) {
			fprintf(stderr, "soak: pthread_create failed\n");
			_exit(2);
		}
	}
	return NULL;
}

/* A child: two lookups (a fixed case, a fresh wildcard name), checked. It never
 * outlives the soak: it dies with the thread that forked it, or after 30 s. */
static void child_lookups(long n)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(30);
	uint64_t rng = seed ^ ((uint64_t)n << 20) ^ 0x5eed;
	char got[LINE], what[256];
	size_t i;
	int bad = 0;
	for (int k = 0; k < 2; k++)
		if (one_lookup(&rng, 999, n * 2 + k, what, sizeof what, got, &i) != 0) {
			fprintf(stderr, "FORK CHILD %ld: %s:\n  want: %s\n  got:  %s\n", n, what,
				expected[i], got);
			bad = 1;
		}
	_exit(bad);
}

static void *forker(void *arg)
{
	uint64_t rng = seed * 104729 + 3;
	long n = 0;
	(void)arg;
	while (!atomic_load(&stop)) {
		tk_sleep_ms((double)(tk_rand64(&rng) % (uint64_t)(2 * fork_ms + 1)));
		if (atomic_load(&stop))
			break;
		pid_t p = fork();
		if (p < 0)
			continue;
		if (p == 0)
			child_lookups(n);
		n++;
		atomic_fetch_add(&forks, 1);
		int st = 0;
		pid_t r;
		uint64_t t0 = tk_now_ns();
		while ((r = waitpid(p, &st, WNOHANG)) == 0 && tk_now_ns() - t0 < 10000000000ull)
			tk_sleep_ms(2);
		if (r == 0) {
			char where[512];
			if (tk_where_hung(p, where, sizeof where))
				atomic_fetch_add(&hung_libc, 1);
			else {
				atomic_fetch_add(&hung_other, 1);
				fprintf(stderr, "FORK CHILD %ld: hung in %s\n", n - 1, where);
			}
			kill(p, SIGKILL);
			while (waitpid(p, &st, 0) < 0 && errno == EINTR)
				;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			atomic_fetch_add(&fork_ok, 1);
		else {
			atomic_fetch_add(&fork_bad, 1);
			if (WIFSIGNALED(st))
				fprintf(stderr, "FORK CHILD %ld: killed by signal %d\n", n - 1, WTERMSIG(st));
		}
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "soak: WATCHDOG: the whole run took too long\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(4);
}

static void usage(void)
{
	fprintf(stderr, "usage: soak -p | soak -e FILE [-t N] [-n N] [-s N] [-c MS] [-f MS] [-w S] "
			"[-g S] [-r KIB]\n");
	exit(2);
}

static int read_expected(const char *file)
{
	FILE *f = fopen(file, "r");
	size_t n = 0;
	if (f == NULL) {
		perror(file);
		return -1;
	}
	while (n < NCASES && fgets(expected[n], LINE, f) != NULL) {
		expected[n][strcspn(expected[n], "\n")] = 0;
		n++;
	}
	fclose(f);
	if (n != NCASES) {
		fprintf(stderr, "soak: %s has %zu lines, want %zu\n", file, n, NCASES);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int print_only = 0, opt, give_up = 3600;
	long rss_bound = 32768;
	const char *efile = NULL;
	while ((opt = getopt(argc, argv, "pe:t:n:s:c:f:w:g:r:")) != -1) {
		switch (opt) {
		case 'p': print_only = 1; break;
		case 'e': efile = optarg; break;
		case 't': nthreads = atoi(optarg); break;
		case 'n': lookups = atol(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 10); break;
		case 'c': cancel_ms = atoi(optarg); break;
		case 'f': fork_ms = atoi(optarg); break;
		case 'w': watchdog_s = atoi(optarg); break;
		case 'g': give_up = atoi(optarg); break;
		case 'r': rss_bound = atol(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > 256 || lookups < 1 || fork_ms < 0 || cancel_ms < 0 ||
	    watchdog_s < 1 || give_up < 1 || rss_bound < 0 || (!print_only && efile == NULL))
		usage();
	if (print_only) {
		char got[LINE];
		for (size_t i = 0; i < NCASES; i++) {
			run_case(&cases[i], cases[i].arg ? cases[i].arg : WILD_EXPECT_NAME, got, sizeof got);
			printf("%s\n", got);
		}
		return 0;
	}
	if (read_expected(efile) < 0)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm((unsigned)give_up);
	signal(SIGPIPE, SIG_IGN);

	uint64_t t0 = tk_now_ns();
	slots = calloc((size_t)nthreads, sizeof *slots);
	if (slots == NULL)
		abort();
	for (int t = 0; t < nthreads; t++) {
		slots[t].id = t;
		slots[t].rng = (seed * 1000003u + (uint64_t)t * 7777u) | 1;
		if (start_slot(&slots[t]) < 0) {
			fprintf(stderr, "soak: pthread_create failed\n");
			return 2;
		}
	}
	pthread_t cth, fth;
	if (cancel_ms > 0 && pthread_create(&cth, NULL, canceller, NULL) != 0)
		return 2;
	if (fork_ms > 0 && pthread_create(&fth, NULL, forker, NULL) != 0)
		return 2;

	/* Watch: progress, RSS, hangs. */
	long total = lookups * nthreads, last = -1, rss_q1 = -1, rss_max = 0;
	uint64_t last_change = tk_now_ns();
	int tenth = 0;
	for (;;) {
		tk_sleep_ms(200);
		long d = atomic_load(&done_total);
		long rss = tk_rss_kb();
		if (rss > rss_max)
			rss_max = rss;
		if (rss_q1 < 0 && d >= total / 4)
			rss_q1 = rss;
		if (d * 10 / total > tenth) {
			tenth = (int)(d * 10 / total);
			fprintf(stderr, "soak: %d0 %% (%ld lookups, %ld wrong, %ld failed, %ld cancels, "
					"%ld forks, RSS %ld KiB, %.0f s)\n", tenth, d,
				atomic_load(&wrong_total), atomic_load(&failed_total),
				atomic_load(&cancels), atomic_load(&forks), rss,
				(double)(tk_now_ns() - t0) / 1e9);
		}
		int running = 0;
		for (int t = 0; t < nthreads; t++)
			running += atomic_load(&slots[t].running);
		if (running == 0 && d >= total)
			break;
		if (d != last) {
			last = d;
			last_change = tk_now_ns();
		} else if (tk_now_ns() - last_change > (uint64_t)watchdog_s * 1000000000ull) {
			fprintf(stderr, "soak: HANG: no lookup finished for %d s (%ld of %ld done)\n",
				watchdog_s, d, total);
			_exit(4);
		}
	}
	atomic_store(&stop, 1);
	if (cancel_ms > 0)
		pthread_join(cth, NULL);
	if (fork_ms > 0)
		pthread_join(fth, NULL);
	/* Joining the last generation of every slot (the canceller joined the others). */
	for (int t = 0; t < nthreads; t++)
		pthread_join(slots[t].th, NULL);
	long rss_end = tk_rss_kb();
	if (rss_q1 < 0)
		rss_q1 = rss_end;
	long ms = (long)((tk_now_ns() - t0) / 1000000u);
	long wrong = atomic_load(&wrong_total), failed = atomic_load(&failed_total);
	int rss_bad = rss_bound > 0 && rss_end - rss_q1 > rss_bound;
	if (rss_bad)
		fprintf(stderr, "soak: RSS grew %ld KiB after a quarter of the run (bound %ld KiB)\n",
			rss_end - rss_q1, rss_bound);
	printf("soak threads=%d lookups=%ld calls=%ld ok=%ld wrong=%ld failed=%ld gai=%ld ghr=%ld "
	       "ghar=%ld gni=%ld resq=%ld wild=%ld cancels=%ld cancel_hangs=%ld forks=%ld fork_ok=%ld "
	       "fork_bad=%ld hung_libc=%ld hung_other=%ld rss_q1_kb=%ld rss_end_kb=%ld rss_max_kb=%ld "
	       "ms=%ld\n",
	       nthreads, lookups, atomic_load(&done_total), atomic_load(&ok_total), wrong, failed,
	       atomic_load(&by_kind[GAI]), atomic_load(&by_kind[GHR]) + atomic_load(&by_kind[GH2R]),
	       atomic_load(&by_kind[GHAR]), atomic_load(&by_kind[GNI]), atomic_load(&by_kind[RESQ]),
	       atomic_load(&wild_total), atomic_load(&cancels), atomic_load(&cancel_hangs),
	       atomic_load(&forks), atomic_load(&fork_ok), atomic_load(&fork_bad),
	       atomic_load(&hung_libc), atomic_load(&hung_other), rss_q1, rss_end, rss_max, ms);
	int good = wrong == 0 && failed == 0 && atomic_load(&fork_bad) == 0 &&
		   atomic_load(&hung_other) == 0 && !rss_bad;
	return good ? 0 : 1;
}
