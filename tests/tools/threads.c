/*
 * threads -- many threads making mixed resolver calls at once, every result checked.
 *
 *   threads -p                       print the canonical result of every case, one line
 *                                    each, from a single-threaded pass, and exit 0
 *   threads [-t N] [-i N] [-e FILE] [-E] [-w SECONDS]
 *                                    run N threads (default 16), each calling every case
 *                                    -i times (default 20) in its own rotating order, and
 *                                    compare each result with the expected line
 *
 *   -e FILE  the expected lines (the output of `threads -p` from a reference run, e.g.
 *            glibc alone). Without -e the expectation is this process's own first,
 *            single-threaded pass. With -e that first pass is checked against FILE too.
 *   -E       also require errno to be unchanged by every successful call
 *   -w S     watchdog: give up (exit 4) after S seconds (default 240)
 *
 * The cases (fixed, see `cases` below; names from tests/fixtures) mix getaddrinfo with
 * AF_UNSPEC, AF_INET and AF_INET6 (with and without AI_CANONNAME), gethostbyname_r,
 * gethostbyname2_r, gethostbyaddr_r and getnameinfo, including negative answers and a
 * name from /etc/hosts.
 *
 * Output: mismatches (at most 20 shown) on stderr, then one line on stdout
 *   threads=N iterations=N cases=N calls=N mismatches=N errno_changes=N ms=N
 * Exit status: 0 all results right, 1 a mismatch (or errno change with -E), 2 usage,
 * 4 watchdog.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

enum kind { GAI, GHR, GH2R, GHAR, GNI };

struct tcase {
	enum kind kind;
	const char *arg;   /* name or address text */
	int family;        /* GAI hint, GH2R family */
	int flags;         /* GAI ai_flags, GNI flags */
	int port;          /* GNI */
};

static const struct tcase cases[] = {
	{ GAI, "www.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "www.dnsf.test", AF_INET, 0, 0 },
	{ GAI, "www.dnsf.test", AF_INET6, 0, 0 },
	{ GAI, "multi.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "alias1.dnsf.test", AF_UNSPEC, AI_CANONNAME, 0 },
	{ GAI, "v6only.dnsf.test", AF_INET6, 0, 0 },
	{ GAI, "v4only.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "cname-out.dnsf.test", AF_INET, AI_CANONNAME, 0 },
	{ GAI, "no-such-name.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GAI, "hostsonly.dnsf.test", AF_UNSPEC, 0, 0 },
	{ GHR, "www.dnsf.test", AF_INET, 0, 0 },
	{ GHR, "alias2.dnsf.test", AF_INET, 0, 0 },
	{ GHR, "multi.dnsf.test", AF_INET, 0, 0 },
	{ GH2R, "v6only.dnsf.test", AF_INET6, 0, 0 },
	{ GH2R, "multi.dnsf.test", AF_INET6, 0, 0 },
	{ GH2R, "v4only.dnsf.test", AF_INET6, 0, 0 },
	{ GHAR, "192.0.2.10", AF_INET, 0, 0 },
	{ GHAR, "192.0.2.13", AF_INET, 0, 0 },
	{ GHAR, "2001:db8::11", AF_INET6, 0, 0 },
	{ GHAR, "192.0.2.11", AF_INET, 0, 0 },
	{ GNI, "192.0.2.21", AF_INET, 0, 80 },
	{ GNI, "2001:db8::10", AF_INET6, NI_NAMEREQD, 443 },
	{ GNI, "192.0.2.12", AF_INET, NI_NAMEREQD, 0 },
	{ GNI, "192.0.2.11", AF_INET, NI_NAMEREQD, 0 },
};
#define NCASES (sizeof cases / sizeof cases[0])
#define LINE 2048

static char expected[NCASES][LINE];
static int nthreads = 16, iterations = 20, check_errno;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static long total_calls, total_mismatches, total_errno;
static int shown;

/* Run one case, write its canonical text to out. Returns 1 if errno changed on success. */
static int run_case(const struct tcase *c, char *out, size_t outlen)
{
	struct tk_sbuf b = { out, outlen, 0 };
	int changed = 0;
	out[0] = 0;
	switch (c->kind) {
	case GAI: {
		struct addrinfo hints, *res = NULL;
		memset(&hints, 0, sizeof hints);
		hints.ai_family = c->family;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = c->flags;
		errno = EDOM;
		int rc = getaddrinfo(c->arg, NULL, &hints, &res);
		tk_put(&b, "gai %s family=%d flags=%d rc=%d", c->arg, c->family, c->flags, rc);
		if (rc == 0) {
			changed = errno != EDOM;
			tk_put_addrinfo(&b, res);
			freeaddrinfo(res);
		}
		break;
	}
	case GHR:
	case GH2R:
	case GHAR: {
		struct hostent he, *result = NULL;
		int herr = 0, ret;
		size_t buflen = 512;
		char *buf = NULL;
		unsigned char addr[16];
		socklen_t alen = c->family == AF_INET ? 4 : 16;
		if (c->kind == GHAR && inet_pton(c->family, c->arg, addr) != 1) {
			tk_put(&b, "bad address %s", c->arg);
			break;
		}
		for (;;) {
			char *nb = realloc(buf, buflen);
			if (nb == NULL)
				abort();
			buf = nb;
			errno = EDOM;
			if (c->kind == GHR)
				ret = gethostbyname_r(c->arg, &he, buf, buflen, &result, &herr);
			else if (c->kind == GH2R)
				ret = gethostbyname2_r(c->arg, c->family, &he, buf, buflen, &result, &herr);
			else
				ret = gethostbyaddr_r(addr, alen, c->family, &he, buf, buflen, &result, &herr);
			if (ret != ERANGE || buflen > 65536)
				break;
			if (result != NULL)
				tk_put(&b, " BUG:ERANGE-with-result");
			buflen *= 2;
		}
		tk_put(&b, "%s %s family=%d ret=%d", c->kind == GHR ? "ghr" : c->kind == GH2R ? "gh2r" : "ghar",
		    c->arg, c->family, ret);
		if (ret == 0 && result == &he) {
			changed = errno != EDOM;
			tk_put_hostent(&b, &he);
		} else {
			tk_put(&b, " result=%s herr=%d", result ? "non-NULL(BUG)" : "NULL", herr);
		}
		free(buf);
		break;
	}
	case GNI: {
		struct sockaddr_storage ss;
		socklen_t sl;
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		sl = tk_sockaddr(c->family, c->arg, c->port, &ss);
		errno = EDOM;
		int rc = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
				     c->flags);
		tk_put(&b, "gni %s port=%d flags=%d rc=%d", c->arg, c->port, c->flags, rc);
		if (rc == 0) {
			changed = errno != EDOM;
			tk_put(&b, " host=%s serv=%s", host, serv);
		}
		break;
	}
	}
	return changed;
}

static void *worker(void *arg)
{
	long id = (long)arg, calls = 0, bad = 0, errs = 0;
	char got[LINE];
	for (int it = 0; it < iterations; it++) {
		for (size_t k = 0; k < NCASES; k++) {
			size_t i = (k + (size_t)id * 7 + (size_t)it * 3) % NCASES;
			int ch = run_case(&cases[i], got, sizeof got);
			calls++;
			if (ch && check_errno)
				errs++;
			if (strcmp(got, expected[i]) != 0) {
				bad++;
				pthread_mutex_lock(&report_lock);
				if (shown++ < 20)
					fprintf(stderr, "MISMATCH thread %ld iteration %d case %zu:\n  want: %s\n  got:  %s\n",
						id, it, i, expected[i], got);
				pthread_mutex_unlock(&report_lock);
			}
		}
	}
	pthread_mutex_lock(&report_lock);
	total_calls += calls;
	total_mismatches += bad;
	total_errno += errs;
	pthread_mutex_unlock(&report_lock);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "threads: WATCHDOG: gave up waiting (hang?)\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(4);
}

static void usage(void)
{
	fprintf(stderr, "usage: threads -p | threads [-t N] [-i N] [-e FILE] [-E] [-w SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int print_only = 0, opt, watchdog = 240;
	const char *efile = NULL;
	while ((opt = getopt(argc, argv, "pt:i:e:Ew:")) != -1) {
		switch (opt) {
		case 'p': print_only = 1; break;
		case 't': nthreads = atoi(optarg); break;
		case 'i': iterations = atoi(optarg); break;
		case 'e': efile = optarg; break;
		case 'E': check_errno = 1; break;
		case 'w': watchdog = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > 1024 || iterations < 1 || watchdog < 1)
		usage();
	signal(SIGALRM, on_alarm);
	alarm((unsigned)watchdog);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long first_bad = 0, first_errno = 0;
	char got[LINE];
	if (efile != NULL) {
		FILE *f = fopen(efile, "r");
		if (f == NULL) {
			perror(efile);
			return 2;
		}
		size_t n = 0;
		while (n < NCASES && fgets(expected[n], LINE, f) != NULL) {
			expected[n][strcspn(expected[n], "\n")] = 0;
			n++;
		}
		fclose(f);
		if (n != NCASES) {
			fprintf(stderr, "threads: %s has %zu lines, want %zu\n", efile, n, NCASES);
			return 2;
		}
	}
	/* The single-threaded first pass: the expectation itself, or checked against -e. */
	for (size_t i = 0; i < NCASES; i++) {
		int ch = run_case(&cases[i], got, sizeof got);
		if (print_only) {
			printf("%s\n", got);
			continue;
		}
		if (ch && check_errno)
			first_errno++;
		if (efile == NULL) {
			memcpy(expected[i], got, LINE);
		} else if (strcmp(got, expected[i]) != 0) {
			first_bad++;
			fprintf(stderr, "MISMATCH single-threaded pass, case %zu:\n  want: %s\n  got:  %s\n", i,
				expected[i], got);
		}
	}
	if (print_only)
		return 0;

	pthread_t *th = calloc((size_t)nthreads, sizeof *th);
	if (th == NULL)
		abort();
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t) != 0) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 2;
		}
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(th);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	total_mismatches += first_bad;
	total_errno += first_errno;
	total_calls += (long)NCASES;
	printf("threads=%d iterations=%d cases=%zu calls=%ld mismatches=%ld errno_changes=%ld ms=%ld\n",
	       nthreads, iterations, NCASES, total_calls, total_mismatches, total_errno, ms);
	return total_mismatches == 0 && total_errno == 0 ? 0 : 1;
}
