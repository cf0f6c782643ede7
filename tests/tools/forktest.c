/*
 * forktest -- fork while other threads are in the middle of lookups; every child must
 * resolve at once and correctly.
 *
 *   forktest [-t THREADS] [-f FORKS] [-b BOUND_MS] [-w SECONDS] [-n] NAME ADDR
 *
 * The parent starts THREADS threads (default 4) that call getaddrinfo(NAME, AF_INET) and
 * gethostbyname_r(NAME) in a loop, each result checked against ADDR (the first IPv4
 * address expected). Once they are running, the main thread forks FORKS children
 * (default 20), a few milliseconds apart. Each child immediately resolves NAME with
 * getaddrinfo and gethostbyname_r, checks both against ADDR, and exits:
 *   0 right answers within BOUND_MS (default 3000) ms, 1 wrong answer, 2 a lookup failed,
 *   3 right but slower than BOUND_MS.
 * Each child prints "child I: STATUS MS ms" on stdout.
 * A child still running after twice the bound is hung: before killing it, the parent
 * reads /proc/CHILD/syscall and /proc/CHILD/maps to say where it waits. A futex wait
 * whose address lies in a mapping of libc.so.6 is a lock of glibc's own (counted as
 * hung_libc: glibc does not reset e.g. its resolv.conf lock in a fork child, with or
 * without a preload); any other hang (the preload's locks, the heap, ...) is hung_other.
 * It prints "child I: hung in WHERE".
 * -n: the parent never resolves anything (no threads): the children are the first
 *     resolver users in the process image.
 * -w: the parent's own watchdog (default 90 s): SIGALRM kills it if it hangs.
 *
 * Last line on stdout:
 *   forks=N ok=N wrong=N failed=N slow=N killed=N hung_libc=N hung_other=N parent_calls=N parent_bad=N
 * (killed: died of a signal of its own, e.g. SIGSEGV.)
 * Exit status 0 when every child was ok and no parent lookup went wrong (and, without -n,
 * the parent threads did resolve), 1 otherwise, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

static const char *name;
static struct in_addr want;
static atomic_int stop;
static atomic_long parent_calls, parent_bad;

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* 0 right, 1 wrong answer, 2 failed. */
static int resolve_gai(void)
{
	return tk_gai_v4_is(name, want);
}

static int resolve_ghr(void)
{
	return tk_ghr_v4_is(name, want);
}

static void *spinner(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		int r = (i & 1) ? resolve_ghr() : resolve_gai();
		atomic_fetch_add(&parent_calls, 1);
		if (r != 0)
			atomic_fetch_add(&parent_bad, 1);
	}
	return NULL;
}

static void child(int i, long bound)
{
	(void)bound;
	long t0 = now_ms();
	int r = resolve_gai();
	int r2 = resolve_ghr();
	long ms = now_ms() - t0;
	if (r2 > r)
		r = r2;
	if (r == 0 && ms > bound)
		r = 3;
	static const char *const what[] = { "ok", "wrong", "failed", "slow" };
	char line[96];
	int n = snprintf(line, sizeof line, "child %d: %s %ld ms\n", i, what[r], ms);
	ssize_t w = write(1, line, (size_t)n);
	(void)w;
	_exit(r);
}

int main(int argc, char **argv)
{
	int nthreads = 4, forks = 20, never = 0, watchdog = 90, opt;
	long bound = 3000;
	while ((opt = getopt(argc, argv, "t:f:b:w:n")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'f': forks = atoi(optarg); break;
		case 'b': bound = atol(optarg); break;
		case 'w': watchdog = atoi(optarg); break;
		case 'n': never = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || nthreads < 0 || nthreads > 256 || forks < 1 || bound < 1 || watchdog < 1 ||
	    inet_pton(AF_INET, argv[optind + 1], &want) != 1)
		goto usage;
	name = argv[optind];
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm((unsigned)watchdog);

	pthread_t th[256];
	int started = 0;
	if (!never) {
		for (; started < nthreads; started++)
			if (pthread_create(&th[started], NULL, spinner, NULL) != 0)
				break;
		/* Let the threads get going: wait for their first results, so that later
		 * forks land while lookups are in flight. */
		for (int w = 0; w < 500 && atomic_load(&parent_calls) < nthreads; w++)
			usleep(10000);
	}

	int ok = 0, wrong = 0, failed = 0, slow = 0, killed = 0, hung_libc = 0, hung_other = 0;
	srand((unsigned)getpid());
	for (int i = 0; i < forks; i++) {
		usleep((useconds_t)(rand() % 40000));
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			failed++;
			continue;
		}
		if (p == 0)
			child(i, bound);
		int st = 0;
		/* Reap now, so a slow child shows up as slow, not as a backlog. */
		long t0 = now_ms();
		pid_t r;
		while ((r = waitpid(p, &st, WNOHANG)) == 0 && now_ms() - t0 < 2 * bound)
			usleep(1000);
		if (r == 0) {
			char where[512];
			if (tk_where_hung(p, where, sizeof where))
				hung_libc++;
			else
				hung_other++;
			printf("child %d: hung in %s\n", i, where);
			kill(p, SIGKILL);
			while (waitpid(p, &st, 0) < 0 && errno == EINTR)
				;
			continue;
		}
		if (WIFSIGNALED(st)) {
			killed++;
			printf("child %d: killed by signal %d (%s)\n", i, WTERMSIG(st), strsignal(WTERMSIG(st)));
		} else {
			switch (WEXITSTATUS(st)) {
			case 0: ok++; break;
			case 1: wrong++; break;
			case 3: slow++; break;
			default: failed++; break;
			}
		}
	}
	atomic_store(&stop, 1);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	long pc = atomic_load(&parent_calls), pb = atomic_load(&parent_bad);
	printf("forks=%d ok=%d wrong=%d failed=%d slow=%d killed=%d hung_libc=%d hung_other=%d "
	       "parent_calls=%ld parent_bad=%ld\n",
	       forks, ok, wrong, failed, slow, killed, hung_libc, hung_other, pc, pb);
	int good = ok == forks && pb == 0 && (never ? pc == 0 : pc > 0);
	return good ? 0 : 1;
usage:
	fprintf(stderr, "usage: forktest [-t THREADS] [-f FORKS] [-b BOUND_MS] [-w SECONDS] [-n] NAME IPV4\n");
	return 2;
}
