/*
 * bench_spawn -- what a preload costs a program that never resolves a name.
 *
 *   bench_spawn [--runs N] [--warmup N] --preload LIB -- PROGRAM [ARG...]
 *
 * Runs PROGRAM 2 x N times, alternating a plain run (LD_PRELOAD removed from
 * the environment) and a run with LD_PRELOAD=LIB, after --warmup runs of each
 * (default 10) that are not counted.  For every run it takes the wall time
 * from fork to wait4 (CLOCK_MONOTONIC) and the child's peak RSS (ru_maxrss
 * from wait4), then prints medians and spread as key=value lines:
 *   runs  plain_wall_p10_us plain_wall_p50_us plain_wall_p90_us
 *         preload_wall_p10_us ... plain_rss_p50_kb preload_rss_p50_kb
 *         plain_rss_min_kb plain_rss_max_kb preload_rss_min_kb ...
 *         failures (runs that did not exit 0)
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

static void report(const char *what, long *v, int n, const char *unit)
{
	qsort(v, (size_t)n, sizeof *v, cmp_long);
	printf("%s_min_%s=%ld\n", what, unit, v[0]);
	printf("%s_p10_%s=%ld\n", what, unit, pct(v, n, 10));
	printf("%s_p50_%s=%ld\n", what, unit, pct(v, n, 50));
	printf("%s_p90_%s=%ld\n", what, unit, pct(v, n, 90));
	printf("%s_max_%s=%ld\n", what, unit, v[n - 1]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "preload", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int runs = 200, warmup = 10, c, failures = 0, ne = 0;
	const char *lib = NULL;
	char **plain_env, **pre_env, *pre_var;
	long *pw, *pr, *lw, *lr;

	while ((c = getopt_long(argc, argv, "n:w:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'p': lib = optarg; break;
		default: goto usage;
		}
	}
	if (lib == NULL || optind >= argc || runs < 1 || warmup < 0)
		goto usage;
	argv += optind;

	for (char **e = environ; *e; e++)
		ne++;
	plain_env = calloc((size_t)ne + 1, sizeof *plain_env);
	pre_env = calloc((size_t)ne + 2, sizeof *pre_env);
	pre_var = malloc(strlen(lib) + sizeof "LD_PRELOAD=");
	pw = calloc((size_t)runs, sizeof *pw);
	pr = calloc((size_t)runs, sizeof *pr);
	lw = calloc((size_t)runs, sizeof *lw);
	lr = calloc((size_t)runs, sizeof *lr);
	if (!plain_env || !pre_env || !pre_var || !pw || !pr || !lw || !lr) {
		fprintf(stderr, "bench_spawn: out of memory\n");
		return 1;
	}
	sprintf(pre_var, "LD_PRELOAD=%s", lib);
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

	for (int i = 0; i < warmup; i++) {
		long w, r;
		run(argv, plain_env, &w, &r);
		run(argv, pre_env, &w, &r);
	}
	for (int i = 0; i < runs; i++) {
		failures += run(argv, plain_env, &pw[i], &pr[i]);
		failures += run(argv, pre_env, &lw[i], &lr[i]);
	}
	printf("runs=%d\n", runs);
	printf("failures=%d\n", failures);
	report("plain_wall", pw, runs, "us");
	report("preload_wall", lw, runs, "us");
	report("plain_rss", pr, runs, "kb");
	report("preload_rss", lr, runs, "kb");
	return 0;

usage:
	fprintf(stderr, "usage: bench_spawn [--runs N] [--warmup N] --preload LIB -- PROGRAM [ARG...]\n");
	return 2;
}
