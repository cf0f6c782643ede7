/*
 * cache_client -- one long-lived resolver process, driven line by line, for the
 * cache tests (tests/integration/6*_cache*.sh).
 *
 * The answer cache and the memo live inside one process, so a test that wants to
 * see "the second lookup sent no query" must make both lookups in the same
 * process, with the test script checking the fault proxy's counters in between.
 * cache_client reads one command per line on stdin and answers each with exactly
 * one line on stdout (flushed), so a script can interleave lookups, proxy mode
 * switches and counter reads.
 *
 * Commands (words separated by blanks):
 *   gai NAME [FAMILY [SOCKTYPE]]   getaddrinfo(NAME, NULL, {family, socktype})
 *                                  FAMILY unspec|inet|inet6 (default unspec),
 *                                  SOCKTYPE stream|dgram|any (default stream)
 *       -> rc=RC ms=MS addrs=A,B,...   (RC: 0 or the EAI_ name; addrs "-" if none;
 *                                       addresses in the order getaddrinfo gave them)
 *   ghbn NAME                      gethostbyname(NAME)
 *       -> rc=0|HERR ms=MS addrs=... name=H_NAME   (HERR: HOST_NOT_FOUND, TRY_AGAIN,
 *                                        NO_RECOVERY, NO_DATA; name "-" if none)
 *   ghbnr NAME                     gethostbyname_r(NAME), 8 KiB buffer   -> the same
 *   ghba ADDR                      gethostbyaddr(ADDR) (IPv4 or IPv6 text) -> the same
 *   gni ADDR                       getnameinfo(ADDR port 0, NI_NAMEREQD)
 *       -> rc=RC ms=MS name=HOST            (RC: 0 or the EAI_ name; name "-" if none)
 *   mark                           remember now as t0            -> ok
 *   at MS                          sleep until t0 + MS ms         -> ok late_ms=N
 *   sleep MS                       sleep MS ms                    -> ok
 *   threads N NAME [FAMILY]        N threads wait at a barrier, then each calls
 *                                  getaddrinfo(NAME) once
 *       -> ok=N fail=N same=0|1 max_ms=MS rc=RC addrs=...   (same=1: every thread got
 *          the same rc and addresses; rc/addrs are thread 0's)
 *   many PREFIX SUFFIX FROM TO [FAMILY [SOCKTYPE]]
 *                                  getaddrinfo(PREFIX-NNNNN.SUFFIX) for NNNNN from FROM to TO
 *       -> ok=N fail=N ms=MS
 *   fork NAME [FAMILY [SOCKTYPE]]  fork; the child calls getaddrinfo and reports
 *       -> child rc=RC ms=MS addrs=...
 *   forkinflight NAME WAIT_MS [FAMILY]
 *                                  a thread starts getaddrinfo(NAME); WAIT_MS later (while
 *                                  that lookup is in flight) the main thread forks; the
 *                                  child calls getaddrinfo(NAME) itself (killed after 20 s)
 *       -> child rc=RC ms=MS addrs=... thread rc=RC ms=MS addrs=...
 *   rss                            -> rss_kb=N   (VmRSS from /proc/self/status)
 *   quit                           -> bye, then exit 0
 * Unknown or malformed commands -> error TEXT (the process goes on).
 *
 * Exit status: 0 after quit or end of input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

#define OUTLEN 4096

/* getaddrinfo's return value by name, "EAI_<n>" if unknown. */
static const char *eai_name(int rc)
{
	static __thread char buf[32];
	const char *n = tk_eai_name(rc);
	if (n != NULL)
		return n;
	snprintf(buf, sizeof buf, "EAI_%d", rc);
	return buf;
}

static int parse_family(const char *s, int *out)
{
	if (s == NULL || strcmp(s, "unspec") == 0)
		*out = AF_UNSPEC;
	else if (strcmp(s, "inet") == 0)
		*out = AF_INET;
	else if (strcmp(s, "inet6") == 0)
		*out = AF_INET6;
	else
		return -1;
	return 0;
}

static int parse_socktype(const char *s, int *out)
{
	if (s == NULL || strcmp(s, "stream") == 0)
		*out = SOCK_STREAM;
	else if (strcmp(s, "dgram") == 0)
		*out = SOCK_DGRAM;
	else if (strcmp(s, "any") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Append the text form of one address to OUT. */
static void append_addr(char *out, size_t cap, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN];
	size_t n = strlen(out);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof a);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof a);
	else
		snprintf(a, sizeof a, "af%d", sa->sa_family);
	snprintf(out + n, cap > n ? cap - n : 0, "%s%s", n ? "," : "", a);
}

struct result {
	int rc;
	double ms;
	char addrs[OUTLEN];
};

static void do_gai(const char *name, int family, int socktype, struct result *r)
{
	struct addrinfo hints, *res = NULL;
	double t0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	r->addrs[0] = 0;
	t0 = tk_now_ms();
	r->rc = getaddrinfo(name, NULL, &hints, &res);
	r->ms = tk_now_ms() - t0;
	if (r->rc == 0) {
		for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
			append_addr(r->addrs, sizeof r->addrs, ai->ai_addr);
		freeaddrinfo(res);
	}
	if (r->addrs[0] == 0)
		strcpy(r->addrs, "-");
}

static void print_result(const char *prefix, const struct result *r)
{
	printf("%src=%s ms=%.3f addrs=%s", prefix, eai_name(r->rc), r->ms, r->addrs);
}

/* ---- threads ------------------------------------------------------------- */

struct tjob {
	pthread_barrier_t *barrier;
	const char *name;
	int family;
	struct result r;
};

static void *tjob_run(void *arg)
{
	struct tjob *j = arg;
	if (j->barrier != NULL)
		pthread_barrier_wait(j->barrier);
	do_gai(j->name, j->family, SOCK_STREAM, &j->r);
	return NULL;
}

static void cmd_threads(int n, const char *name, int family)
{
	pthread_barrier_t barrier;
	struct tjob *jobs = calloc((size_t)n, sizeof *jobs);
	pthread_t *tids = calloc((size_t)n, sizeof *tids);
	int ok = 0, fail = 0, same = 1, started = 0;
	double max = 0;
	if (jobs == NULL || tids == NULL || pthread_barrier_init(&barrier, NULL, (unsigned)n) != 0) {
		printf("error out of memory\n");
		free(jobs);
		free(tids);
		return;
	}
	for (int i = 0; i < n; i++) {
		jobs[i].barrier = &barrier;
		jobs[i].name = name;
		jobs[i].family = family;
		if (pthread_create(&tids[i], NULL, tjob_run, &jobs[i]) != 0) {
			printf("error pthread_create failed after %d threads\n", i);
			exit(1);     /* the others wait at the barrier forever */
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (int i = 0; i < n; i++) {
		if (jobs[i].r.rc == 0)
			ok++;
		else
			fail++;
		if (jobs[i].r.ms > max)
			max = jobs[i].r.ms;
		if (jobs[i].r.rc != jobs[0].r.rc || strcmp(jobs[i].r.addrs, jobs[0].r.addrs) != 0)
			same = 0;
	}
	printf("ok=%d fail=%d same=%d max_ms=%.3f rc=%s addrs=%s\n", ok, fail, same, max,
	       eai_name(jobs[0].r.rc), jobs[0].r.addrs);
	pthread_barrier_destroy(&barrier);
	free(jobs);
	free(tids);
}

/* ---- fork ------------------------------------------------------------------ */

/* Run a lookup in a child; its result comes back through a pipe. Return 0 on
 * success, -1 (with *WHY set) when the child did not report. */
static int child_lookup(const char *name, int family, int socktype, struct result *r,
			const char **why)
{
	int fds[2];
	pid_t pid;
	ssize_t got = 0, n;
	int status;
	if (pipe(fds) != 0) {
		*why = "pipe failed";
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*why = "fork failed";
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		struct result cr;
		close(fds[0]);
		alarm(20);
		do_gai(name, family, socktype, &cr);
		if (write(fds[1], &cr, sizeof cr) != (ssize_t)sizeof cr)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	while ((size_t)got < sizeof *r) {
		n = read(fds[0], (char *)r + got, sizeof *r - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if ((size_t)got != sizeof *r) {
		*why = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
			       ? "child hung (killed after 20 s)"
			       : "child died without a result";
		return -1;
	}
	return 0;
}

static void cmd_fork(const char *name, int family, int socktype)
{
	struct result r;
	const char *why = "";
	if (child_lookup(name, family, socktype, &r, &why) < 0) {
		printf("error %s\n", why);
		return;
	}
	print_result("child ", &r);
	printf("\n");
}

static void cmd_forkinflight(const char *name, double wait, int family)
{
	pthread_t tid;
	struct tjob job;
	struct result r;
	const char *why = "";
	int have;
	memset(&job, 0, sizeof job);
	job.name = name;
	job.family = family;
	if (pthread_create(&tid, NULL, tjob_run, &job) != 0) {
		printf("error pthread_create failed\n");
		return;
	}
	tk_sleep_ms(wait);
	have = child_lookup(name, family, SOCK_STREAM, &r, &why) == 0;
	pthread_join(tid, NULL);
	if (!have) {
		printf("error %s ", why);
		print_result("thread ", &job.r);
		printf("\n");
		return;
	}
	print_result("child ", &r);
	print_result(" thread ", &job.r);
	printf("\n");
}

static void cmd_many(const char *prefix, const char *suffix, long from, long to, int family,
		     int socktype)
{
	char name[600];
	struct result r;
	long ok = 0, fail = 0;
	double t0 = tk_now_ms();
	for (long i = from; i <= to; i++) {
		snprintf(name, sizeof name, "%s-%05ld.%s", prefix, i, suffix);
		do_gai(name, family, socktype, &r);
		if (r.rc == 0)
			ok++;
		else
			fail++;
	}
	printf("ok=%ld fail=%ld ms=%.3f\n", ok, fail, tk_now_ms() - t0);
}

/* h_errno by name, "HERR_OTHER" if unknown. */
static const char *herr_name(int h)
{
	const char *n = tk_herr_name(h);
	return n != NULL ? n : "HERR_OTHER";
}

/* The reply line for a hostent call that took MS and returned H (HERR: h_errno). */
static void print_hostent(const struct hostent *h, int herr, double ms)
{
	char addrs[OUTLEN] = "";
	if (h != NULL) {
		for (char **p = h->h_addr_list; *p != NULL; p++) {
			char a[INET6_ADDRSTRLEN];
			size_t n = strlen(addrs);
			inet_ntop(h->h_addrtype, *p, a, sizeof a);
			snprintf(addrs + n, sizeof addrs - n, "%s%s", n ? "," : "", a);
		}
	}
	printf("rc=%s ms=%.3f addrs=%s name=%s\n", h != NULL ? "0" : herr_name(herr), ms,
	       addrs[0] ? addrs : "-", h != NULL ? h->h_name : "-");
}

static void cmd_ghbn(const char *name)
{
	double t0 = tk_now_ms();
	struct hostent *h = gethostbyname(name);
	print_hostent(h, h_errno, tk_now_ms() - t0);
}

static void cmd_ghbnr(const char *name)
{
	static char buf[8192];
	struct hostent he, *h = NULL;
	int herr = 0;
	double t0 = tk_now_ms();
	gethostbyname_r(name, &he, buf, sizeof buf, &h, &herr);
	print_hostent(h, herr, tk_now_ms() - t0);
}

/* ADDR as a socket address (port 0); -1 if it is not an address. */
static int parse_sockaddr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof *s6;
		return 0;
	}
	return -1;
}

static void cmd_ghba(const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_sockaddr(text, &ss, &len) < 0) {
		printf("error bad address\n");
		return;
	}
	double t0 = tk_now_ms();
	struct hostent *h = ss.ss_family == AF_INET
		? gethostbyaddr(&((struct sockaddr_in *)&ss)->sin_addr, 4, AF_INET)
		: gethostbyaddr(&((struct sockaddr_in6 *)&ss)->sin6_addr, 16, AF_INET6);
	print_hostent(h, h_errno, tk_now_ms() - t0);
}

static void cmd_gni(const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[NI_MAXHOST];
	if (parse_sockaddr(text, &ss, &len) < 0) {
		printf("error bad address\n");
		return;
	}
	double t0 = tk_now_ms();
	int rc = getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NAMEREQD);
	printf("rc=%s ms=%.3f name=%s\n", eai_name(rc), tk_now_ms() - t0, rc == 0 ? host : "-");
}

int main(void)
{
	char line[2048];
	double t0 = tk_now_ms();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof line, stdin) != NULL) {
		char *w[8];
		int n = 0, fam, st;
		char *save = NULL;
		for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && n < 8;
		     t = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = t;
		for (int i = n; i < 8; i++)
			w[i] = NULL;
		if (n == 0)
			continue;
		if (strcmp(w[0], "gai") == 0 && n >= 2) {
			struct result r;
			if (parse_family(w[2], &fam) < 0 || parse_socktype(w[3], &st) < 0) {
				printf("error bad family or socktype\n");
				continue;
			}
			do_gai(w[1], fam, st, &r);
			print_result("", &r);
			printf("\n");
		} else if (strcmp(w[0], "ghbn") == 0 && n == 2) {
			cmd_ghbn(w[1]);
		} else if (strcmp(w[0], "ghbnr") == 0 && n == 2) {
			cmd_ghbnr(w[1]);
		} else if (strcmp(w[0], "ghba") == 0 && n == 2) {
			cmd_ghba(w[1]);
		} else if (strcmp(w[0], "gni") == 0 && n == 2) {
			cmd_gni(w[1]);
		} else if (strcmp(w[0], "mark") == 0) {
			t0 = tk_now_ms();
			printf("ok\n");
		} else if (strcmp(w[0], "at") == 0 && n == 2) {
			double due = t0 + atof(w[1]), now = tk_now_ms();
			tk_sleep_ms(due - now);
			printf("ok late_ms=%.0f\n", now > due ? now - due : 0.0);
		} else if (strcmp(w[0], "sleep") == 0 && n == 2) {
			tk_sleep_ms(atof(w[1]));
			printf("ok\n");
		} else if (strcmp(w[0], "threads") == 0 && n >= 3) {
			int k = atoi(w[1]);
			if (k < 1 || k > 1000 || parse_family(w[3], &fam) < 0) {
				printf("error bad thread count or family\n");
				continue;
			}
			cmd_threads(k, w[2], fam);
		} else if (strcmp(w[0], "many") == 0 && n >= 5) {
			if (parse_family(w[5], &fam) < 0 || parse_socktype(w[6], &st) < 0) {
				printf("error bad family or socktype\n");
				continue;
			}
			cmd_many(w[1], w[2], atol(w[3]), atol(w[4]), fam, st);
		} else if (strcmp(w[0], "fork") == 0 && n >= 2) {
			if (parse_family(w[2], &fam) < 0 || parse_socktype(w[3], &st) < 0) {
				printf("error bad family or socktype\n");
				continue;
			}
			cmd_fork(w[1], fam, st);
		} else if (strcmp(w[0], "forkinflight") == 0 && n >= 3) {
			if (parse_family(w[3], &fam) < 0) {
				printf("error bad family\n");
				continue;
			}
			cmd_forkinflight(w[1], atof(w[2]), fam);
		} else if (strcmp(w[0], "rss") == 0) {
			printf("rss_kb=%ld\n", tk_rss_kb());
		} else if (strcmp(w[0], "quit") == 0) {
			printf("bye\n");
			return 0;
		} else {
			printf("error unknown command %s\n", w[0]);
		}
	}
	return 0;
}
