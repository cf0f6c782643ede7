/*
 * ctormain -- the main program for the constructor-order test (34_ctor.sh).
 *
 *   ctormain [--dlopen LIB] NAME
 *
 * With --dlopen, first dlopen()s LIB (RTLD_NOW): a library such as libctor.so then
 * resolves inside dlopen, with the dynamic loader's lock held. Then resolves NAME itself
 * (getaddrinfo AF_INET, SOCK_STREAM) and prints
 *   ctormain: dlopen=ok|failed|none ctor=1|0|-1|none getaddrinfo(NAME) rc=RC addr=ADDR
 * where ctor is libctor_done() of the loaded library (or of a preloaded one).
 * Exit status 0 if everything it tried worked, 1 otherwise.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	const char *lib = NULL, *dl = "none";
	int i = 1, bad = 0;
	if (argc > 2 && strcmp(argv[1], "--dlopen") == 0) {
		lib = argv[2];
		i = 3;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: ctormain [--dlopen LIB] NAME\n");
		return 2;
	}
	void *h = NULL;
	if (lib != NULL) {
		h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		dl = h ? "ok" : "failed";
		if (h == NULL) {
			fprintf(stderr, "ctormain: %s\n", dlerror());
			bad = 1;
		}
	}
	int (*done)(void) = NULL;
	*(void **)&done = dlsym(h ? h : RTLD_DEFAULT, "libctor_done");
	char ctor[16] = "none";
	if (done != NULL) {
		int d = done();
		snprintf(ctor, sizeof ctor, "%d", d);
		if (d != 1)
			bad = 1;
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(argv[i], NULL, &hints, &res);
	char addr[INET_ADDRSTRLEN] = "-";
	if (rc == 0) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
		freeaddrinfo(res);
	} else
		bad = 1;
	printf("ctormain: dlopen=%s ctor=%s getaddrinfo(%s) rc=%d addr=%s\n", dl, ctor, argv[i], rc, addr);
	return bad;
}
