/*
 * fdhost -- a host program that does to its descriptors what daemons and shells do,
 * around resolver calls, and checks that the preloaded library neither read, wrote,
 * closed nor replaced any descriptor the program owns.
 *
 *   fdhost MODE NAME ADDR [NAME2 ADDR2]
 *
 * NAME resolves (getaddrinfo, AF_INET) to ADDR, and NAME2 (default: NAME) to ADDR2
 * (default: ADDR). Before the first lookup the program notes its open descriptors; the
 * descriptors that are open after it and were not before are the library's ("kept": a
 * netlink socket, a log file, the sockets of queries still running). Then, by MODE:
 *
 *   dup2       the program dup2()s its own objects over every kept number;
 *   closefrom  it closes every descriptor >= 3 (close_range, as daemons and closefrom do),
 *              then opens its own objects, which get the same numbers;
 *   fork       as closefrom, then it forks a worker (the daemon case): the worker checks
 *              its objects at once, resolves, checks them again; the parent does the same.
 *
 * The lowest kept number gets a regular file (the daemon's log); each other one gets one
 * end of a socketpair whose other end has written "host-data-FD" into it (data waiting
 * to be read). After the swap, the program sleeps 250 ms (the library looks at its
 * netlink socket at most every 100 ms), resolves NAME2 three times with 150 ms between
 * (the first reaches the nameservers: a new name), and checks every object:
 *   - its number still refers to the same file or socket (st_dev, st_ino);
 *   - nothing was written into the file (size 0);
 *   - the socket's waiting data is still there, unread (recv MSG_PEEK);
 *   - nothing arrived at the socketpair's other end (nothing was written to it).
 *
 * Output: "kept FD WHAT" per kept descriptor, "check WHO FD ok|bad WHY" per object, and
 * "lookup WHO NAME ok|bad ..." per lookup; last line "result ok" or "result bad N".
 * Exit status 0 when every check passed, 1 when one failed, 2 on a usage or setup error.
 * A library that reads a program's blocking socket as its own blocks for ever: SIGALRM
 * ends parent and worker after 30 s (exit by signal 14).
 *
 *   fdhost rlimit N NAME...
 *
 * Closes every descriptor >= 3, sets RLIMIT_NOFILE to N, and resolves each NAME twice in
 * turn (getaddrinfo, AF_UNSPEC, SOCK_STREAM), printing "NAME rc=RC ADDR..." per call,
 * so the output can be compared with glibc's alone. Exit status 0.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

#define MAXFD 64

struct obj {
	int fd;          /* the kept number it now occupies */
	int peer;        /* the socketpair's other end (-1 for the file) */
	dev_t dev;
	ino_t ino;
	char data[32];   /* what waits to be read */
};

static struct obj objs[MAXFD];
static int nobjs, bad;
static char tmpdir[] = "/tmp/fdhost.XXXXXX";

/* Open descriptors of this process, ascending, into FDS; return the count. */
static int open_fds(int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, self = d ? dirfd(d) : -1;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != self)
			fds[n++] = fd;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	return n;
}

static void describe(int fd, char *out, size_t len)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, out, len - 1);
	out[n > 0 ? n : 0] = 0;
}

/* 0 when NAME resolves to WANT (first IPv4 address). */
static int lookup(const char *who, const char *name, const char *want)
{
	struct addrinfo hints, *res = NULL;
	char got[INET_ADDRSTRLEN] = "-";
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	double t0 = tk_now_ms();
	int rc = getaddrinfo(name, NULL, &hints, &res);
	double ms = tk_now_ms() - t0;
	if (rc == 0 && res != NULL)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, got, sizeof got);
	int ok = rc == 0 && strcmp(got, want) == 0;
	printf("lookup %s %s %s rc=%d addr=%s %.1f ms\n", who, name, ok ? "ok" : "bad", rc, got, ms);
	if (res != NULL)
		freeaddrinfo(res);
	bad += !ok;
	return ok ? 0 : -1;
}

static int move_high(int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	close(fd);
	return nfd;
}

/* Put one of our objects on number FD (which may or may not be open now). */
static int occupy(int fd, int first)
{
	struct obj *o = &objs[nobjs];
	int src, sv[2] = { -1, -1 };
	if (first) {
		char path[64];
		snprintf(path, sizeof path, "%s/daemon.log", tmpdir);
		src = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	} else {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		src = sv[0];
	}
	if (src < 0)
		return -1;
	/* Both ends out of the way of the numbers still to be occupied. */
	src = move_high(src);
	if (!first)
		sv[1] = move_high(sv[1]);
	if (src < 0 || (!first && sv[1] < 0))
		return -1;
	if (src != fd) {
		if (dup3(src, fd, O_CLOEXEC) < 0)
			return -1;
		close(src);
	}
	o->fd = fd;
	o->peer = first ? -1 : sv[1];
	if (!first) {
		snprintf(o->data, sizeof o->data, "host-data-%d", fd);
		if (send(o->peer, o->data, strlen(o->data), 0) < 0)
			return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	nobjs++;
	return 0;
}

static void check(const char *who)
{
	for (int i = 0; i < nobjs; i++) {
		struct obj *o = &objs[i];
		struct stat st;
		char what[256] = "";
		if (fstat(o->fd, &st) < 0)
			snprintf(what, sizeof what, "closed (%s)", strerror(errno));
		else if (st.st_dev != o->dev || st.st_ino != o->ino) {
			char now[200];
			describe(o->fd, now, sizeof now);
			snprintf(what, sizeof what, "replaced: now %s", now);
		} else if (o->peer < 0 && st.st_size != 0)
			snprintf(what, sizeof what, "%lld bytes written into the program's file",
			         (long long)st.st_size);
		else if (o->peer >= 0) {
			char buf[64];
			ssize_t n = recv(o->fd, buf, sizeof buf - 1, MSG_PEEK | MSG_DONTWAIT);
			buf[n > 0 ? n : 0] = 0;
			if (n < 0 || strcmp(buf, o->data) != 0)
				snprintf(what, sizeof what, "waiting data gone (read: \"%s\")", buf);
			else if ((n = recv(o->peer, buf, sizeof buf, MSG_DONTWAIT)) >= 0)
				snprintf(what, sizeof what, "%zd bytes were written to it", n);
		}
		printf("check %s %d %s%s%s\n", who, o->fd, what[0] ? "bad" : "ok", what[0] ? " " : "",
		       what);
		bad += what[0] != 0;
	}
}

static void lookups_and_check(const char *who, const char *name2, const char *addr2)
{
	tk_sleep_ms(250);
	for (int i = 0; i < 3; i++) {
		lookup(who, name2, addr2);
		tk_sleep_ms(150);
	}
	check(who);
}

static int run_rlimit(int n, char **names, int nnames)
{
	syscall(SYS_close_range, 3u, ~0u, 0u);
	struct rlimit rl = { (rlim_t)n, (rlim_t)n };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("setrlimit");
		return 2;
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < nnames; i++) {
			struct addrinfo hints, *res = NULL;
			memset(&hints, 0, sizeof hints);
			hints.ai_socktype = SOCK_STREAM;
			int rc = getaddrinfo(names[i], NULL, &hints, &res);
			printf("%s rc=%d", names[i], rc);
			for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
				char h[INET6_ADDRSTRLEN];
				getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof h, NULL, 0, NI_NUMERICHOST);
				printf(" %s", h);
			}
			printf("\n");
			if (res != NULL)
				freeaddrinfo(res);
		}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "rlimit") == 0)
		return run_rlimit(atoi(argv[2]), argv + 3, argc - 3);
	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: fdhost dup2|closefrom|fork NAME ADDR [NAME2 ADDR2]\n"
		                "       fdhost rlimit N NAME...\n");
		return 2;
	}
	const char *mode = argv[1], *name = argv[2], *addr = argv[3];
	const char *name2 = argc == 6 ? argv[4] : name, *addr2 = argc == 6 ? argv[5] : addr;
	alarm(30);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	int before[MAXFD], after[MAXFD], kept[MAXFD], nk = 0;
	int nb = open_fds(before, MAXFD);
	if (lookup("first", name, addr) < 0)
		return 2;
	int na = open_fds(after, MAXFD);
	for (int i = 0; i < na; i++) {
		int old = 0;
		for (int j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (!old) {
			char what[200];
			describe(after[i], what, sizeof what);
			printf("kept %d %s\n", after[i], what);
			kept[nk++] = after[i];
		}
	}
	if (strcmp(mode, "dup2") != 0)
		syscall(SYS_close_range, 3u, ~0u, 0u);
	for (int i = 0; i < nk; i++)
		if (occupy(kept[i], i == 0) < 0) {
			perror("occupy");
			return 2;
		}
	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			alarm(30);
			check("child-at-fork");
			lookups_and_check("child", name2, addr2);
			_exit(bad ? 1 : 0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("check child - bad exit status %d\n", st);
			bad++;
		}
	}
	lookups_and_check(mode, name2, addr2);
	if (bad)
		printf("result bad %d\n", bad);
	else
		printf("result ok\n");
	char path[64];
	snprintf(path, sizeof path, "%s/daemon.log", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return bad ? 1 : 0;
}
