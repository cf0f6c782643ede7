/*
 * fault_client -- many name lookups in ONE process, one result line each, for
 * the failover tests (tests/integration/40_*.sh .. 42_*.sh).
 *
 * The shim's health memory lives in the process, so "the first lookup pays
 * the hedge delay, later ones do not" can only be seen by a program that keeps
 * running; benchlookup gives only a distribution and no addresses, lookup only
 * one call per argv group.  This prints every call: when it started, how long
 * it took, what came back.
 *
 *   fault_client [-n COUNT | -d MS] [-i MS] [-t THREADS] CALL...
 *
 *   CALL     FAMILY:NAME
 *            FAMILY  unspec | inet | inet6: getaddrinfo(NAME, NULL) with that
 *                    ai_family, ai_socktype SOCK_STREAM, no flags;
 *                    gh: gethostbyname(NAME) (rc is the h_errno name).
 *            Every "{}" in NAME becomes the call number, 4 digits
 *            ("h{}.wild.dnsf.test" -> "h0007.wild.dnsf.test"), so a run can ask
 *            a fresh name each time (no cache can answer it).
 *   -n COUNT make COUNT calls, cycling through the CALLs (default: one each)
 *   -d MS    instead: keep making calls until MS ms have passed
 *   -i MS    start consecutive calls MS ms apart (default 0: back to back;
 *            a call that overruns is followed at once by the next)
 *   -t N     bursts: N threads make N consecutive calls at once, released
 *            together by a barrier (-i then separates bursts); after each
 *            burst a line "burst=B calls=N ms=WALL" (barrier release to the
 *            last call's return). The gh family is not thread-safe: getaddrinfo
 *            families only.
 *
 * Output, one line per call (stdout, flushed each line):
 *   call=N start=EPOCH_MS ms=LATENCY fam=FAMILY name=NAME rc=RC addrs=LIST
 *   N counts from 1; EPOCH_MS is CLOCK_REALTIME in ms with 3 decimals (to line
 *   up with a shell's $EPOCHREALTIME); LATENCY is CLOCK_MONOTONIC ms (3
 *   decimals) around the call alone; RC is 0 or the EAI_xxx / h_errno name;
 *   LIST is the distinct addresses, sorted as strings, comma-separated, or "-".
 *
 * Exit status: 0 when every call ran (whatever it returned), 2 usage error.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

#define MAXADDR 256

static double real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and print the distinct addresses in ADDRS (freed here). */
static void print_addrs(char **addrs, int n)
{
	int printed = 0;
	qsort(addrs, (size_t)n, sizeof *addrs, cmp_str);
	for (int i = 0; i < n; i++) {
		if (i == 0 || strcmp(addrs[i], addrs[i - 1]) != 0) {
			printf("%s%s", printed ? "," : "", addrs[i]);
			printed = 1;
		}
	}
	if (!printed)
		printf("-");
	for (int i = 0; i < n; i++)
		free(addrs[i]);
}

static char *addr_text(int family, const void *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (inet_ntop(family, a, buf, sizeof buf) == NULL)
		snprintf(buf, sizeof buf, "?");
	return strdup(buf);
}

/* Expand every "{}" in TEMPLATE to the call number. */
static void expand(const char *tmpl, unsigned long call, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = tmpl; *p != 0 && o + 1 < outlen;) {
		if (p[0] == '{' && p[1] == '}') {
			int w = snprintf(out + o, outlen - o, "%04lu", call);
			if (w < 0 || (size_t)w >= outlen - o)
				break;
			o += (size_t)w;
			p += 2;
		} else
			out[o++] = *p++;
	}
	out[o] = 0;
}

static void one_call(unsigned long call, const char *fam, const char *name)
{
	char *addrs[MAXADDR];
	int n = 0;
	const char *rcs;
	char rcbuf[32];
	double start = real_ms(), t0, t1;

	if (strcmp(fam, "gh") == 0) {
		struct hostent *h;
		h_errno = 0;
		t0 = tk_now_ms();
		h = gethostbyname(name);
		t1 = tk_now_ms();
		if (h != NULL) {
			rcs = "0";
			for (char **a = h->h_addr_list; *a != NULL && n < MAXADDR; a++)
				addrs[n++] = addr_text(h->h_addrtype, *a);
		} else {
			int e = h_errno;
			rcs = tk_herr_name(e);
			if (rcs == NULL) {
				snprintf(rcbuf, sizeof rcbuf, "h_errno%d", e);
				rcs = rcbuf;
			}
		}
	} else {
		struct addrinfo hints, *res = NULL;
		int rc;
		memset(&hints, 0, sizeof hints);
		hints.ai_family = strcmp(fam, "inet") == 0 ? AF_INET
		                : strcmp(fam, "inet6") == 0 ? AF_INET6 : AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		t0 = tk_now_ms();
		rc = getaddrinfo(name, NULL, &hints, &res);
		t1 = tk_now_ms();
		rcs = tk_eai_name(rc);
		if (rcs == NULL) {
			snprintf(rcbuf, sizeof rcbuf, "EAI%d", rc);
			rcs = rcbuf;
		}
		for (struct addrinfo *ai = res; ai != NULL && n < MAXADDR; ai = ai->ai_next) {
			if (ai->ai_family == AF_INET)
				addrs[n++] = addr_text(AF_INET,
				                       &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
			else if (ai->ai_family == AF_INET6)
				addrs[n++] = addr_text(AF_INET6,
				                       &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
		}
		if (res != NULL)
			freeaddrinfo(res);
	}
	for (int i = 0; i < n; i++)
		if (addrs[i] == NULL) {
			fprintf(stderr, "fault_client: out of memory\n");
			exit(1);
		}
	flockfile(stdout);             /* one whole line per call, even from threads */
	printf("call=%lu start=%.3f ms=%.3f fam=%s name=%s rc=%s addrs=", call, start, t1 - t0,
	       fam, name, rcs);
	print_addrs(addrs, n);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
}

/* One call of a burst: FAMILY:NAME template and call number. */
struct job {
	pthread_t th;
	pthread_barrier_t *go;
	unsigned long call;
	const char *arg;
};

static void call_arg(unsigned long call, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char fam[8], name[1100];
	snprintf(fam, sizeof fam, "%.*s", (int)(colon - arg), arg);
	expand(colon + 1, call, name, sizeof name);
	one_call(call, fam, name);
}

static void *burst_thread(void *arg)
{
	struct job *j = arg;
	pthread_barrier_wait(j->go);
	call_arg(j->call, j->arg);
	return NULL;
}

/* Run calls FIRST.. FIRST+N-1 at once; print the burst line. */
static void burst(unsigned long b, unsigned long first, int n, char **args, int nargs)
{
	struct job jobs[256];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		jobs[i].go = &go;
		jobs[i].call = first + (unsigned long)i;
		jobs[i].arg = args[(first - 1 + (unsigned long)i) % (unsigned long)nargs];
		if (pthread_create(&jobs[i].th, NULL, burst_thread, &jobs[i]) != 0) {
			fprintf(stderr, "fault_client: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&go);
	double t0 = tk_now_ms();
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].th, NULL);
	double t1 = tk_now_ms();
	pthread_barrier_destroy(&go);
	printf("burst=%lu calls=%d ms=%.3f\n", b, n, t1 - t0);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: fault_client [-n COUNT | -d MS] [-i MS] [-t THREADS] FAMILY:NAME...\n"
	                "  FAMILY: unspec | inet | inet6 | gh; \"{}\" in NAME = call number\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 0, call;
	double duration = -1, interval = 0, begin, next;
	int c, ncalls, threads = 1;

	while ((c = getopt(argc, argv, "n:d:i:t:")) != -1) {
		switch (c) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'd': duration = strtod(optarg, NULL); break;
		case 'i': interval = strtod(optarg, NULL); break;
		case 't': threads = atoi(optarg); break;
		default: usage();
		}
	}
	if (threads < 1 || threads > 256)
		usage();
	ncalls = argc - optind;
	if (ncalls < 1)
		usage();
	for (int i = optind; i < argc; i++) {
		const char *colon = strchr(argv[i], ':');
		size_t fl = colon ? (size_t)(colon - argv[i]) : 0;
		if (colon == NULL || colon[1] == 0
		    || !((fl == 6 && strncmp(argv[i], "unspec", 6) == 0)
		         || (fl == 4 && strncmp(argv[i], "inet", 4) == 0)
		         || (fl == 5 && strncmp(argv[i], "inet6", 5) == 0)
		         || (fl == 2 && strncmp(argv[i], "gh", 2) == 0 && threads == 1))) {
			fprintf(stderr, "fault_client: bad call \"%s\"\n", argv[i]);
			usage();
		}
	}
	if (count == 0)
		count = (unsigned long)ncalls;
	begin = next = tk_now_ms();
	for (call = 1;; call += (unsigned long)threads) {
		if (duration >= 0 ? tk_now_ms() - begin >= duration : call > count)
			break;
		if (threads > 1)
			burst((call - 1) / (unsigned long)threads + 1, call, threads, argv + optind,
			      ncalls);
		else
			call_arg(call, argv[optind + (int)((call - 1) % (unsigned long)ncalls)]);
		if (interval > 0) {
			next += interval;
			double now = tk_now_ms();
			if (next > now)
				tk_sleep_ms(next - now);
			else
				next = now;
		}
	}
	return 0;
}
