/*
 * benchlookup -- time getaddrinfo calls, one by one, and print their latency
 * distribution.  Used by tests/bench.sh (and handy by hand) to compare glibc
 * alone with glibc plus the dnsfailover shim on the same names and servers.
 *
 *   benchlookup [--family unspec|inet|inet6] [--threads N] [--count N]
 *               [--budget-ms MS] [--interval-ms MS] [--socktype stream|dgram|any]
 *               [--json] [--distinct PREFIX [--suffix DOMAIN] | --names-file F | NAME...]
 *
 *   --count N        lookups in all (default: one per name, or 200 with
 *                    --distinct).  Names are used in order and cycled.
 *   --threads N      N threads share the lookups (default 1); each takes the
 *                    next index, so call i always asks name i % names.
 *   --distinct P     generate the names P-0001.DOMAIN .. P-NNNN.DOMAIN (one
 *                    per lookup, so no two lookups ask the same question);
 *                    DOMAIN is --suffix (default dnsf.test).  Under dnsf.test
 *                    the test NSD answers NXDOMAIN; under wild.dnsf.test its
 *                    wildcard answers A 192.0.2.70 (and NODATA for AAAA).
 *   --names-file F   one name per line (blank lines and #comments skipped).
 *   --budget-ms MS   start no new lookup once MS ms have passed since the
 *                    first one began (a time budget for slow cases: a lookup
 *                    that is under way is always finished).  `count` then
 *                    says how many ran, `requested` how many were asked for.
 *   --interval-ms MS pause MS ms after each lookup (per thread), to spread
 *                    lookups over time (health memory, probes, recovery).
 *   --socktype S     hints.ai_socktype (default stream: one result per
 *                    address, as most programs ask).
 *   --json           one JSON object instead of key=value lines.
 *
 * Each call is timed with CLOCK_MONOTONIC around getaddrinfo alone; the list
 * is freed outside the timed region.  Outcomes: `ok` (return 0), `nxdomain`
 * (EAI_NONAME: the name does not exist, a fair answer, counted as answered),
 * `nodata` (EAI_NODATA, likewise) and `failures` (anything else, e.g.
 * EAI_AGAIN when no server answered; listed per code as err_EAI_...).
 *
 * Output keys (times in ns, integers): count requested threads family
 * answered ok nxdomain nodata failures err_* first_ns min_ns p50_ns p90_ns
 * p99_ns max_ns mean_ns total_ns lookups_per_sec.  Percentiles are
 * nearest-rank over all calls of all threads; `first` is call 0's latency
 * (the first lookup of the process when --threads is 1).
 *
 * Exit status: 0 when it ran (whatever the lookups returned), 2 usage error,
 * 1 internal error (out of memory, thread creation).
 */
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

struct call {
	uint64_t ns;
	int rc;
};

static char **names;
static size_t nnames;
static size_t count;
static struct call *calls;
static atomic_size_t next_index;
static atomic_int over_budget;
static uint64_t budget_ns;
static long interval_ms;
static uint64_t start_ns;
static struct addrinfo hints;
static char *distinct_prefix;
static const char *distinct_suffix = "dnsf.test";

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "benchlookup: out of memory\n");
		exit(1);
	}
	return p;
}

static void add_name(const char *s)
{
	static size_t cap;
	if (nnames == cap) {
		cap = cap ? cap * 2 : 64;
		names = realloc(names, cap * sizeof *names);
		if (names == NULL) {
			fprintf(stderr, "benchlookup: out of memory\n");
			exit(1);
		}
	}
	names[nnames] = strdup(s);
	if (names[nnames] == NULL) {
		fprintf(stderr, "benchlookup: out of memory\n");
		exit(1);
	}
	nnames++;
}

static void read_names(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1100];
	if (f == NULL) {
		fprintf(stderr, "benchlookup: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *e;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t\r\n#");
		*e = 0;
		if (*p)
			add_name(p);
	}
	fclose(f);
}

static void *worker(void *arg)
{
	char buf[1100];
	(void)arg;
	for (;;) {
		size_t i;
		const char *name;
		struct addrinfo *res = NULL;
		uint64_t t0, t1;

		if (atomic_load(&over_budget))
			break;
		i = atomic_fetch_add(&next_index, 1);
		if (i >= count)
			break;
		if (budget_ns && tk_now_ns() - start_ns >= budget_ns && i > 0) {
			atomic_store(&over_budget, 1);
			calls[i].rc = INT32_MIN; /* not run */
			break;
		}
		if (distinct_prefix != NULL) {
			snprintf(buf, sizeof buf, "%s-%04zu.%s", distinct_prefix, i + 1,
				 distinct_suffix);
			name = buf;
		} else {
			name = names[i % nnames];
		}
		t0 = tk_now_ns();
		calls[i].rc = getaddrinfo(name, NULL, &hints, &res);
		t1 = tk_now_ns();
		calls[i].ns = t1 - t0;
		if (calls[i].rc == 0)
			freeaddrinfo(res);
		if (interval_ms > 0) {
			struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: benchlookup [--family unspec|inet|inet6] [--threads N] [--count N]\n"
		"                   [--budget-ms MS] [--interval-ms MS] [--socktype stream|dgram|any]\n"
		"                   [--json]"
		" [--distinct PREFIX [--suffix DOMAIN] | --names-file F | NAME...]\n");
	exit(2);
}

static long parse_num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == 0 || *end != 0 || v < min || v > max) {
		fprintf(stderr, "benchlookup: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "names-file", required_argument, NULL, 'F' },
		{ "distinct", required_argument, NULL, 'd' },
		{ "suffix", required_argument, NULL, 's' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "socktype", required_argument, NULL, 'S' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *family = "unspec";
	long nthreads = 1, ncount = -1;
	int json = 0, c;
	pthread_t *tids;
	uint64_t end_ns, *sorted, sum = 0;
	size_t ran = 0, ok = 0, nx = 0, nd = 0, fail = 0;
	int errcodes[64], errcounts[64], nerr = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	while ((c = getopt_long(argc, argv, "f:t:n:F:d:s:b:S:i:jh", opts, NULL)) != -1) {
		switch (c) {
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
		case 't': nthreads = parse_num(optarg, "--threads", 1, 1024); break;
		case 'n': ncount = parse_num(optarg, "--count", 1, 100000000); break;
		case 'F': read_names(optarg); break;
		case 'd': distinct_prefix = optarg; break;
		case 's': distinct_suffix = optarg; break;
		case 'b': budget_ns = (uint64_t)parse_num(optarg, "--budget-ms", 1, 86400000) * 1000000u; break;
		case 'S':
			if (strcmp(optarg, "stream") == 0)
				hints.ai_socktype = SOCK_STREAM;
			else if (strcmp(optarg, "dgram") == 0)
				hints.ai_socktype = SOCK_DGRAM;
			else if (strcmp(optarg, "any") == 0)
				hints.ai_socktype = 0;
			else
				usage();
			break;
		case 'i': interval_ms = parse_num(optarg, "--interval-ms", 0, 3600000); break;
		case 'j': json = 1; break;
		default: usage();
		}
	}
	for (; optind < argc; optind++)
		add_name(argv[optind]);
	if (distinct_prefix != NULL && nnames > 0) {
		fprintf(stderr, "benchlookup: --distinct excludes names\n");
		usage();
	}
	if (distinct_prefix == NULL && nnames == 0)
		usage();
	if (ncount < 0)
		ncount = distinct_prefix != NULL ? 200 : (long)nnames;
	count = (size_t)ncount;

	calls = xmalloc(count * sizeof *calls);
	for (size_t i = 0; i < count; i++)
		calls[i].rc = INT32_MIN;
	tids = xmalloc((size_t)nthreads * sizeof *tids);
	start_ns = tk_now_ns();
	for (long i = 0; i < nthreads; i++) {
		int e = pthread_create(&tids[i], NULL, worker, NULL);
		if (e != 0) {
			fprintf(stderr, "benchlookup: pthread_create: %s\n", strerror(e));
			return 1;
		}
	}
	for (long i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	end_ns = tk_now_ns();

	sorted = xmalloc(count * sizeof *sorted);
	for (size_t i = 0; i < count; i++) {
		int rc = calls[i].rc, k;
		if (rc == INT32_MIN)
			continue;
		sorted[ran++] = calls[i].ns;
		sum += calls[i].ns;
		if (rc == 0) {
			ok++;
			continue;
		}
		if (rc == EAI_NONAME) {
			nx++;
			continue;
		}
		if (rc == EAI_NODATA) {
			nd++;
			continue;
		}
		fail++;
		for (k = 0; k < nerr && errcodes[k] != rc; k++)
			;
		if (k == nerr && nerr < 64) {
			errcodes[nerr] = rc;
			errcounts[nerr++] = 0;
		}
		if (k < 64)
			errcounts[k]++;
	}
	qsort(sorted, ran, sizeof *sorted, tk_cmp_u64);

	{
		uint64_t total = end_ns - start_ns;
		double lps = total ? (double)ran * 1e9 / (double)total : 0.0;
		struct {
			const char *k;
			uint64_t v;
		} kv[] = {
			{ "count", ran },
			{ "requested", count },
			{ "threads", (uint64_t)nthreads },
			{ "answered", ok + nx + nd },
			{ "ok", ok },
			{ "nxdomain", nx },
			{ "nodata", nd },
			{ "failures", fail },
			{ "first_ns", ran ? calls[0].ns : 0 },
			{ "min_ns", ran ? sorted[0] : 0 },
			{ "p50_ns", tk_pct(sorted, ran, 50) },
			{ "p90_ns", tk_pct(sorted, ran, 90) },
			{ "p99_ns", tk_pct(sorted, ran, 99) },
			{ "max_ns", ran ? sorted[ran - 1] : 0 },
			{ "mean_ns", ran ? sum / ran : 0 },
			{ "total_ns", total },
		};
		size_t nkv = sizeof kv / sizeof kv[0];
		if (json) {
			printf("{\"family\": \"%s\"", family);
			for (size_t i = 0; i < nkv; i++)
				printf(", \"%s\": %llu", kv[i].k, (unsigned long long)kv[i].v);
			printf(", \"lookups_per_sec\": %.1f, \"errors\": {", lps);
			for (int k = 0; k < nerr; k++) {
				const char *n = tk_eai_name(errcodes[k]);
				if (n)
					printf("%s\"%s\": %d", k ? ", " : "", n, errcounts[k]);
				else
					printf("%s\"EAI_%d\": %d", k ? ", " : "", errcodes[k], errcounts[k]);
			}
			printf("}}\n");
		} else {
			printf("family=%s\n", family);
			for (size_t i = 0; i < nkv; i++)
				printf("%s=%llu\n", kv[i].k, (unsigned long long)kv[i].v);
			printf("lookups_per_sec=%.1f\n", lps);
			for (int k = 0; k < nerr; k++) {
				const char *n = tk_eai_name(errcodes[k]);
				if (n)
					printf("err_%s=%d\n", n, errcounts[k]);
				else
					printf("err_EAI_%d=%d\n", errcodes[k], errcounts[k]);
			}
		}
	}
	free(sorted);
	free(tids);
	free(calls);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return 0;
}
