/*
 * fresh_lookup -- one getaddrinfo in a process of its own: the whole life of a
 * short-lived program that resolves one name (tests/bench.sh, section fresh).
 *
 *   fresh_lookup [--expect IPV4] NAME
 *
 * Asks getaddrinfo(NAME, NULL, hints) with the hints of `getent ahosts`
 * (glibc nss/getent.c, ahosts_keys_int: AF_UNSPEC, socktype 0,
 * AI_V4MAPPED | AI_ADDRCONFIG | AI_CANONNAME), prints nothing on success.
 * With --expect, the answer must include that IPv4 address.
 *
 * Libc only and no glibc extension, so the same file builds with glibc
 * (`make tools`) and statically with musl (`musl-gcc -static`, by the bench).
 *
 * Exit status: 0 answered (as expected), 1 getaddrinfo failed (its message on
 * stderr), 3 answered without the expected address, 2 usage.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* 1 when LIST holds the IPv4 address WANT (as itself or v4-mapped). */
static int has_v4(const struct addrinfo *list, struct in_addr want)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET
		    && ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr.s_addr == want.s_addr)
			return 1;
		if (ai->ai_family == AF_INET6) {
			const unsigned char *a =
				((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr.s6_addr;
			if (memcmp(a, mapped, sizeof mapped) == 0 && memcmp(a + 12, &want, 4) == 0)
				return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *res = NULL;
	struct in_addr want;
	const char *expect = NULL;
	int rc, ok;

	if (argc == 4 && strcmp(argv[1], "--expect") == 0) {
		expect = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || (expect != NULL && inet_pton(AF_INET, expect, &want) != 1)) {
		fprintf(stderr, "usage: fresh_lookup [--expect IPV4] NAME\n");
		return 2;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG | AI_CANONNAME;
	rc = getaddrinfo(argv[1], NULL, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "fresh_lookup: %s: %s\n", argv[1], gai_strerror(rc));
		return 1;
	}
	ok = expect == NULL || has_v4(res, want);
	if (!ok)
		fprintf(stderr, "fresh_lookup: %s: no %s in the answer\n", argv[1], expect);
	freeaddrinfo(res);
	return ok ? 0 : 3;
}
