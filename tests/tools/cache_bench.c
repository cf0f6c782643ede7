/*
 * cache_bench -- the measurements behind the cache section of tests/bench.sh.
 *
 * Latency (default mode):
 *   cache_bench [--call CALL] [--family unspec|inet|inet6] [--threads N] [--iters N]
 *               [--warmup N] NAME...
 *   Each thread first makes --warmup untimed calls (default 1000; they fill the
 *   cache when the shim is preloaded), then waits at a barrier, then makes --iters
 *   timed calls (default 100000), cycling through the NAMEs (thread t starts at name
 *   t). One call is getaddrinfo(NAME, NULL, {family, SOCK_STREAM}) and freeaddrinfo
 *   of its result: the list is built and freed every time. Each call is timed with
 *   CLOCK_MONOTONIC; gai_* figures time getaddrinfo alone, call_* the pair.
 *
 *   --call picks another call (default gai, the above); each is timed alone, so for
 *   these gai_* and call_* are the same figures. NAME is a host name, or for the
 *   address calls an IPv4 or IPv6 address:
 *     gh    gethostbyname(NAME)
 *     gh2   gethostbyname2(NAME, family)            (unspec: AF_INET)
 *     ghr   gethostbyname_r(NAME), an 8 KiB buffer per thread
 *     gh2r  gethostbyname2_r(NAME, family), the same buffer
 *     gha   gethostbyaddr(ADDR)
 *     ghar  gethostbyaddr_r(ADDR), the same buffer
 *     gni   getnameinfo(ADDR port 80, flags 0), NI_MAXHOST and NI_MAXSERV buffers
 *   A call fails when it returns no result (no hostent, or an rc other than 0).
 *   Keys: call family threads calls failures gai_p50_ns gai_p90_ns gai_p99_ns gai_min_ns
 *         call_p50_ns call_p90_ns call_p99_ns call_mean_ns wall_ns lookups_per_sec
 *         clock_ns (the median cost of one clock_gettime pair, included in every
 *         timed figure).
 *
 * Throughput:
 *   cache_bench --duration-ms MS [--family F] [--threads N] [--warmup N] NAME...
 *   As above, but untimed calls for MS ms after the barrier; lookups_per_sec is all
 *   threads' calls over the wall time. Keys: family threads calls failures wall_ns
 *   lookups_per_sec.
 *
 * Memory:
 *   cache_bench --rss --count N --prefix P --suffix S [--family F]
 *   Resolves P-00000.S, reads VmRSS (/proc/self/status), resolves P-00001.S ..
 *   P-N.S (distinct names, each once), reads VmRSS again.
 *   Keys: family count failures rss_before_kb rss_after_kb rss_delta_kb
 *         bytes_per_name resolve_ms.
 *
 * Exit status 0 when it ran (failed lookups are counted, not fatal), 1 internal
 * error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "toolkit.h"

enum call { C_GAI, C_GH, C_GH2, C_GHR, C_GH2R, C_GHA, C_GHAR, C_GNI };
static const char *const call_names[] = { "gai", "gh", "gh2", "ghr", "gh2r", "gha", "ghar",
					  "gni", NULL };
static enum call call = C_GAI;
static struct addrinfo hints;
static char **names;
/* The address calls' arguments, parsed once from NAMES. */
static struct sockaddr_storage *addrs;
static socklen_t *addrlens;
static int nnames;
static long iters = 100000, warmup = 1000, duration_ms;
static pthread_barrier_t barrier;
static atomic_int stop_flag;

struct tstate {
	pthread_t tid;
	int index;
	uint64_t *gai_ns, *call_ns;
	long calls, failures;
};

static int one_call(const char *name)
{
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == 0)
		freeaddrinfo(res);
	return rc;
}

/* The address bytes of addrs[K]. */
static const void *addr_of(int k, socklen_t *len)
{
	if (addrs[k].ss_family == AF_INET) {
		*len = 4;
		return &((struct sockaddr_in *)&addrs[k])->sin_addr;
	}
	*len = 16;
	return &((struct sockaddr_in6 *)&addrs[k])->sin6_addr;
}

/* One call of the kind --call picked, on names[K]: 0 when it gave a result. */
static int other_call(int k)
{
	static __thread char buf[8192];
	struct hostent he, *h = NULL;
	int herr, af = hints.ai_family == AF_UNSPEC ? AF_INET : hints.ai_family;
	socklen_t len;
	const void *a;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	switch (call) {
	case C_GH:
		return gethostbyname(names[k]) == NULL;
	case C_GH2:
		return gethostbyname2(names[k], af) == NULL;
	case C_GHR:
		return gethostbyname_r(names[k], &he, buf, sizeof buf, &h, &herr) != 0 || h == NULL;
	case C_GH2R:
		return gethostbyname2_r(names[k], af, &he, buf, sizeof buf, &h, &herr) != 0 || h == NULL;
	case C_GHA:
		a = addr_of(k, &len);
		return gethostbyaddr(a, len, addrs[k].ss_family) == NULL;
	case C_GHAR:
		a = addr_of(k, &len);
		return gethostbyaddr_r(a, len, addrs[k].ss_family, &he, buf, sizeof buf, &h, &herr) != 0
		       || h == NULL;
	case C_GNI:
		return getnameinfo((struct sockaddr *)&addrs[k], addrlens[k], host, sizeof host, serv,
				   sizeof serv, 0) != 0;
	case C_GAI:
		break;
	}
	return one_call(names[k]);
}

static void *worker(void *arg)
{
	struct tstate *t = arg;
	int k = t->index % nnames;
	for (long i = 0; i < warmup; i++) {
		other_call(k);
		k = (k + 1) % nnames;
	}
	pthread_barrier_wait(&barrier);
	if (duration_ms > 0) {
		while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
			for (int j = 0; j < 64; j++) {
				if (other_call(k) != 0)
					t->failures++;
				k = (k + 1) % nnames;
			}
			t->calls += 64;
		}
		return NULL;
	}
	for (long i = 0; i < iters; i++) {
		struct addrinfo *res = NULL;
		uint64_t t0 = tk_now_ns(), t1, t2;
		if (call == C_GAI) {
			int rc = getaddrinfo(names[k], NULL, &hints, &res);
			t1 = tk_now_ns();
			if (rc == 0)
				freeaddrinfo(res);
			else
				t->failures++;
			t2 = tk_now_ns();
		} else {
			t->failures += other_call(k);
			t2 = t1 = tk_now_ns();
		}
		t->gai_ns[i] = t1 - t0;
		t->call_ns[i] = t2 - t0;
		k = (k + 1) % nnames;
	}
	t->calls = iters;
	return NULL;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (p == NULL) {
		fprintf(stderr, "cache_bench: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t clock_cost(void)
{
	uint64_t v[1001];
	for (int i = 0; i < 1001; i++) {
		uint64_t a = tk_now_ns(), b = tk_now_ns();
		v[i] = b - a;
	}
	qsort(v, 1001, sizeof *v, tk_cmp_u64);
	return v[500];
}

static int run_rss(long count, const char *prefix, const char *suffix, const char *family)
{
	char name[600];
	long failures = 0;
	snprintf(name, sizeof name, "%s-%05d.%s", prefix, 0, suffix);
	failures += one_call(name) != 0;
	long before = tk_rss_kb();
	uint64_t t0 = tk_now_ns();
	for (long i = 1; i <= count; i++) {
		snprintf(name, sizeof name, "%s-%05ld.%s", prefix, i, suffix);
		failures += one_call(name) != 0;
	}
	uint64_t t1 = tk_now_ns();
	long after = tk_rss_kb();
	printf("family=%s\ncount=%ld\nfailures=%ld\nrss_before_kb=%ld\nrss_after_kb=%ld\n"
	       "rss_delta_kb=%ld\nbytes_per_name=%ld\nresolve_ms=%llu\n",
	       family, count, failures, before, after, after - before,
	       count ? (after - before) * 1024 / count : 0,
	       (unsigned long long)((t1 - t0) / 1000000));
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cache_bench [--call gai|gh|gh2|ghr|gh2r|gha|ghar|gni] [--family F]\n"
		"                   [--threads N] [--iters N] [--warmup N] [--duration-ms MS] NAME...\n"
		"       cache_bench --rss --count N --prefix P --suffix S [--family F]\n");
	exit(2);
}

static long num(const char *s, long min, long max)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == 0 || *end || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "call", required_argument, NULL, 'C' },
		{ "family", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "rss", no_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "suffix", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *family = "unspec", *prefix = NULL, *suffix = NULL;
	long nthreads = 1, count = 0;
	int rss = 0, c;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			for (call = 0; call_names[call] && strcmp(call_names[call], optarg) != 0; call++)
				;
			if (call_names[call] == NULL)
				usage();
			break;
		case 'f':
			family = optarg;
			if (strcmp(optarg, "unspec") == 0)
				hints.ai_family = AF_UNSPEC;
			else if (strcmp(optarg, "inet") == 0)
				hints.ai_family = AF_INET;
			else if (strcmp(optarg, "inet6") == 0)
				hints.ai_family = AF_INET6;
			else
				usage();
			break;
		case 't': nthreads = num(optarg, 1, 256); break;
		case 'n': iters = num(optarg, 1, 100000000); break;
		case 'w': warmup = num(optarg, 0, 100000000); break;
		case 'd': duration_ms = num(optarg, 1, 3600000); break;
		case 'r': rss = 1; break;
		case 'c': count = num(optarg, 1, 10000000); break;
		case 'p': prefix = optarg; break;
		case 's': suffix = optarg; break;
		default: usage();
		}
	}
	if (rss) {
		if (prefix == NULL || suffix == NULL || count == 0 || optind != argc)
			usage();
		return run_rss(count, prefix, suffix, family);
	}
	if (optind >= argc)
		usage();
	names = argv + optind;
	nnames = argc - optind;
	addrs = xcalloc((size_t)nnames, sizeof *addrs);
	addrlens = xcalloc((size_t)nnames, sizeof *addrlens);
	for (int i = 0; i < nnames && (call == C_GHA || call == C_GHAR || call == C_GNI); i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&addrs[i];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addrs[i];
		if (inet_pton(AF_INET, names[i], &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(80);
			addrlens[i] = sizeof *s4;
		} else if (inet_pton(AF_INET6, names[i], &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(80);
			addrlens[i] = sizeof *s6;
		} else
			usage();
	}

	struct tstate *ts = xcalloc((size_t)nthreads, sizeof *ts);
	for (long i = 0; i < nthreads; i++) {
		ts[i].index = (int)i;
		if (duration_ms == 0) {
			ts[i].gai_ns = xcalloc((size_t)iters, sizeof(uint64_t));
			ts[i].call_ns = xcalloc((size_t)iters, sizeof(uint64_t));
		}
	}
	if (pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1) != 0)
		return 1;
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&ts[i].tid, NULL, worker, &ts[i]) != 0) {
			fprintf(stderr, "cache_bench: pthread_create failed\n");
			return 1;
		}
	pthread_barrier_wait(&barrier);
	uint64_t start = tk_now_ns();
	if (duration_ms > 0) {
		struct timespec d = { duration_ms / 1000, (duration_ms % 1000) * 1000000L };
		while (nanosleep(&d, &d) != 0 && errno == EINTR)
			;
		atomic_store(&stop_flag, 1);
	}
	for (long i = 0; i < nthreads; i++)
		pthread_join(ts[i].tid, NULL);
	uint64_t wall = tk_now_ns() - start;

	long calls = 0, failures = 0;
	for (long i = 0; i < nthreads; i++) {
		calls += ts[i].calls;
		failures += ts[i].failures;
	}
	printf("call=%s\nfamily=%s\nthreads=%ld\ncalls=%ld\nfailures=%ld\nwall_ns=%llu\n"
	       "lookups_per_sec=%.0f\n", call_names[call], family, nthreads, calls, failures,
	       (unsigned long long)wall, wall ? (double)calls * 1e9 / (double)wall : 0.0);
	if (duration_ms > 0)
		return 0;

	size_t n = (size_t)calls;
	uint64_t *g = xcalloc(n, sizeof *g), *a = xcalloc(n, sizeof *a), sum = 0;
	for (long i = 0, o = 0; i < nthreads; i++) {
		memcpy(g + o, ts[i].gai_ns, (size_t)iters * sizeof *g);
		memcpy(a + o, ts[i].call_ns, (size_t)iters * sizeof *a);
		o += iters;
	}
	for (size_t i = 0; i < n; i++)
		sum += a[i];
	qsort(g, n, sizeof *g, tk_cmp_u64);
	qsort(a, n, sizeof *a, tk_cmp_u64);
	printf("gai_p50_ns=%llu\ngai_p90_ns=%llu\ngai_p99_ns=%llu\ngai_min_ns=%llu\n"
	       "call_p50_ns=%llu\ncall_p90_ns=%llu\ncall_p99_ns=%llu\ncall_mean_ns=%llu\n"
	       "clock_ns=%llu\n",
	       (unsigned long long)tk_pct(g, n, 50), (unsigned long long)tk_pct(g, n, 90),
	       (unsigned long long)tk_pct(g, n, 99), (unsigned long long)g[0],
	       (unsigned long long)tk_pct(a, n, 50), (unsigned long long)tk_pct(a, n, 90),
	       (unsigned long long)tk_pct(a, n, 99), (unsigned long long)(sum / n),
	       (unsigned long long)clock_cost());
	return 0;
}
