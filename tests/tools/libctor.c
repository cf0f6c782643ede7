/*
 * libctor.so -- a library whose constructor resolves a name, to test the shim when the
 * first lookup of a process happens before main(), possibly before the shim's own
 * constructors ran (LD_PRELOAD=libctor.so:libdnsfailover.so), or inside dlopen().
 *
 * The constructor calls getaddrinfo(NAME, NULL, AF_INET/SOCK_STREAM) where NAME is
 * $LIBCTOR_NAME (default www.dnsf.test), then getnameinfo on the first address, and
 * prints one line on stderr:
 *   libctor: PROG: getaddrinfo(NAME) rc=RC addr=ADDR getnameinfo rc=RC host=HOST
 * If $LIBCTOR_PROG is set, only a program of that short name does this (so that helper
 * programs sharing the environment, such as timeout(1), stay quiet).
 * libctor_done() tells the main program whether the constructor resolved (1 ok, 0 not
 * ok, -1 did not run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int result = -1;

int libctor_done(void);
int libctor_done(void)
{
	return result;
}

__attribute__((constructor)) static void libctor_init(void)
{
	const char *only = getenv("LIBCTOR_PROG");
	if (only != NULL && strcmp(only, program_invocation_short_name) != 0)
		return;
	const char *name = getenv("LIBCTOR_NAME");
	if (name == NULL || name[0] == 0)
		name = "www.dnsf.test";
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	char addr[INET_ADDRSTRLEN] = "-", host[NI_MAXHOST] = "-";
	int nrc = -999;
	if (rc == 0) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
		nrc = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, NULL, 0, NI_NAMEREQD);
		if (nrc != 0)
			snprintf(host, sizeof host, "-");
		freeaddrinfo(res);
	}
	fprintf(stderr, "libctor: %s: getaddrinfo(%s) rc=%d addr=%s getnameinfo rc=%d host=%s\n",
		program_invocation_short_name, name, rc, addr, nrc, host);
	result = rc == 0 && nrc == 0;
}
