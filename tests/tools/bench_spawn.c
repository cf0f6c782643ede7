/*
 * bench_spawn -- what a preload costs a fresh process, and what a run of fresh
 * processes costs one after the other.
 *
 *   bench_spawn [--runs N] [--warmup N] --preload LIB -- PROGRAM [ARG...]
 *   bench_spawn --sequence N --prefix P --suffix S [--budget-ms MS] [--skip K]
 *               [--preload LIB] -- PROGRAM [ARG...]
 *
 * Pairs (the default): runs PROGRAM 2 x N times, alternating a plain run
 * (LD_PRELOAD removed from the environment) and a run with LD_PRELOAD=LIB,
 * after --warmup runs of each (default 10) that are not counted.  For every
 * run it takes the wall time from fork to wait4 (CLOCK_MONOTONIC) and the
 * child's peak RSS (ru_maxrss from wait4), then prints medians and spread as
 * key=value lines:
 *   runs  plain_wall_p10_us plain_wall_p50_us plain_wall_p90_us
 *         preload_wall_p10_us ... plain_rss_p50_kb preload_rss_p50_kb
 *         plain_rss_min_kb plain_rss_max_kb preload_rss_min_kb ...
 *         diff_wall_p10_us diff_wall_p50_us ... (per pair: the preloaded
 *         run's wall time minus the plain run's just before it)
 *         failures (runs that did not exit 0)
 *
 * Sequence (--sequence N): runs PROGRAM up to N times one after the other, no
 * warm-up, each run with one more argument, a distinct name P-0001.S,
 * P-0002.S, ...; every run preloaded with LIB when --preload is given, none
 * otherwise.  No run starts once --budget-ms have passed since the first
 * (a run under way is finished).  Prints:
 *   requested count failures elapsed_ms first_wall_us
 *   wall_min_us wall_p10_us wall_p50_us wall_p90_us wall_max_us
 *   after_skip after_wall_p50_us (the median over runs K+1..count; absent
 *         when count <= K)
 *   rss_min_kb rss_p10_kb rss_p50_kb ...
 *   walls_us (every run's wall time, in order, comma-separated)
 *   failed_runs (the numbers of the runs that did not exit 0, or "none")
 *
 * Why a C helper, built static by tests/bench.sh: a child's ru_maxrss is the
 * larger of its peak before exec (a copy of the parent's memory) and after.
 * Measured from python3 (fork or posix_spawn) it is python's 5-8 MB, whatever
 * the program; /usr/bin/time is close to /bin/true's own size.  A static
 * helper keeps the pre-exec peak far below what any dynamic program maps, so
 * the figure is the program's.  (Built dynamic, as `make tools` does, it
 * still works; the RSS floor is then the helper's own.)
 *
 * Exit status: 0 all runs done (see failures), 2 usage, 1 fork/exec error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

extern char **environ;

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of n sorted values */
static long pct(const long *v, int n, int p)
{
	int k = (p * n + 99) / 100;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* one run; returns 0 if it exited 0 */
static int run(char **argv, char **envp, long *wall_us, long *rss_kb)
{
	struct rusage ru;
	int status;
	uint64_t t0 = tk_now_ns();
	pid_t pid = fork();

	if (pid < 0) {
		perror("bench_spawn: fork");
		exit(1);
	}
	if (pid == 0) {
		/* The program's output (getent prints its answer) is not ours. */
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && null != STDOUT_FILENO)
			dup2(null, STDOUT_FILENO);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("bench_spawn: wait4");
		exit(1);
	}
	*wall_us = (long)((tk_now_ns() - t0) / 1000);
	*rss_kb = ru.ru_maxrss;
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Sorts V (n >= 1) and prints its spread as WHAT_min_UNIT=... lines. */
static void report(const char *what, long *v, int n, const char *unit)
{
	qsort(v, (size_t)n, sizeof *v, cmp_long);
	printf("%s_min_%s=%ld\n", what, unit, v[0]);
	printf("%s_p10_%s=%ld\n", what, unit, pct(v, n, 10));
	printf("%s_p50_%s=%ld\n", what, unit, pct(v, n, 50));
	printf("%s_p90_%s=%ld\n", what, unit, pct(v, n, 90));
	printf("%s_max_%s=%ld\n", what, unit, v[n - 1]);
}

/* Alternating plain and preloaded runs of ARGV; see the header. */
static int pairs(char **argv, char **plain_env, char **pre_env, int runs, int warmup)
{
	long *pw = calloc((size_t)runs, sizeof *pw), *pr = calloc((size_t)runs, sizeof *pr);
	long *lw = calloc((size_t)runs, sizeof *lw), *lr = calloc((size_t)runs, sizeof *lr);
	long *dw = calloc((size_t)runs, sizeof *dw);
	int failures = 0;

	if (!pw || !pr || !lw || !lr || !dw) {
		fprintf(stderr, "bench_spawn: out of memory\n");
		return 1;
	}
	for (int i = 0; i < warmup; i++) {
		long w, r;
		run(argv, plain_env, &w, &r);
		run(argv, pre_env, &w, &r);
	}
	for (int i = 0; i < runs; i++) {
		failures += run(argv, plain_env, &pw[i], &pr[i]);
		failures += run(argv, pre_env, &lw[i], &lr[i]);
		dw[i] = lw[i] - pw[i];
	}
	printf("runs=%d\n", runs);
	printf("failures=%d\n", failures);
	report("plain_wall", pw, runs, "us");
	report("preload_wall", lw, runs, "us");
	report("diff_wall", dw, runs, "us");
	report("plain_rss", pr, runs, "kb");
	report("preload_rss", lr, runs, "kb");
	return 0;
}

/* Up to COUNT fresh runs of ARGV + one distinct name each, one after the
 * other, all with ENVP; see the header. */
static int sequence(char **argv, char **envp, int count, const char *prefix, const char *suffix,
                    long budget_ms, int skip)
{
	int argc = 0, n = 0, failures = 0;
	long *wall = calloc((size_t)count, sizeof *wall), *rss = calloc((size_t)count, sizeof *rss);
	char *failed = calloc((size_t)count, 1);
	char **args, *name;
	size_t name_len = strlen(prefix) + strlen(suffix) + 16;
	uint64_t t0 = tk_now_ns();

	while (argv[argc])
		argc++;
	args = calloc((size_t)argc + 2, sizeof *args);
	name = malloc(name_len);
	if (!wall || !rss || !failed || !args || !name) {
		fprintf(stderr, "bench_spawn: out of memory\n");
		return 1;
	}
	memcpy(args, argv, (size_t)argc * sizeof *args);
	args[argc] = name;
	for (; n < count; n++) {
		if (budget_ms > 0 && n > 0 && (tk_now_ns() - t0) / 1000000 >= (uint64_t)budget_ms)
			break;
		snprintf(name, name_len, "%s-%04d.%s", prefix, n + 1, suffix);
		failed[n] = (char)run(args, envp, &wall[n], &rss[n]);
		failures += failed[n];
	}
	printf("failed_runs=");
	for (int i = 0, k = 0; i < n; i++)
		if (failed[i])
			printf("%s%d", k++ ? "," : "", i + 1);
	printf("%s\n", failures ? "" : "none");
	printf("requested=%d\n", count);
	printf("count=%d\n", n);
	printf("failures=%d\n", failures);
	printf("elapsed_ms=%llu\n", (unsigned long long)((tk_now_ns() - t0) / 1000000));
	printf("first_wall_us=%ld\n", wall[0]);
	printf("walls_us=");
	for (int i = 0; i < n; i++)
		printf("%s%ld", i ? "," : "", wall[i]);
	printf("\n");
	printf("after_skip=%d\n", skip);
	if (n > skip) {
		/* runs skip+1..n: sorted in place, after walls_us is printed */
		qsort(wall + skip, (size_t)(n - skip), sizeof *wall, cmp_long);
		printf("after_wall_p50_us=%ld\n", pct(wall + skip, n - skip, 50));
	}
	report("wall", wall, n, "us");
	report("rss", rss, n, "kb");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "preload", required_argument, NULL, 'p' },
		{ "sequence", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "suffix", required_argument, NULL, 'S' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "skip", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int runs = 200, warmup = 10, seq = 0, skip = 10, c, ne = 0;
	long budget_ms = 0;
	const char *lib = NULL, *prefix = NULL, *suffix = NULL;
	char **plain_env, **pre_env, *pre_var = NULL;

	while ((c = getopt_long(argc, argv, "+n:w:p:s:P:S:b:k:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'p': lib = optarg; break;
		case 's': seq = atoi(optarg); break;
		case 'P': prefix = optarg; break;
		case 'S': suffix = optarg; break;
		case 'b': budget_ms = atol(optarg); break;
		case 'k': skip = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc || runs < 1 || warmup < 0 || seq < 0 || skip < 0 || budget_ms < 0)
		goto usage;
	if (seq == 0 ? lib == NULL : prefix == NULL || suffix == NULL)
		goto usage;
	argv += optind;

	for (char **e = environ; *e; e++)
		ne++;
	plain_env = calloc((size_t)ne + 1, sizeof *plain_env);
	pre_env = calloc((size_t)ne + 2, sizeof *pre_env);
	if (lib != NULL && (pre_var = malloc(strlen(lib) + sizeof "LD_PRELOAD=")) != NULL)
		sprintf(pre_var, "LD_PRELOAD=%s", lib);
	if (!plain_env || !pre_env || (lib != NULL && pre_var == NULL)) {
		fprintf(stderr, "bench_spawn: out of memory\n");
		return 1;
	}
	{
		int a = 0, b = 0;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
				continue;
			plain_env[a++] = *e;
			pre_env[b++] = *e;
		}
		pre_env[b++] = pre_var;
	}
	if (seq > 0)
		return sequence(argv, lib ? pre_env : plain_env, seq, prefix, suffix, budget_ms, skip);
	return pairs(argv, plain_env, pre_env, runs, warmup);

usage:
	fprintf(stderr, "usage: bench_spawn [--runs N] [--warmup N] --preload LIB -- PROGRAM [ARG...]\n"
	                "       bench_spawn --sequence N --prefix P --suffix S [--budget-ms MS] [--skip K]\n"
	                "                   [--preload LIB] -- PROGRAM [ARG...]\n");
	return 2;
}
