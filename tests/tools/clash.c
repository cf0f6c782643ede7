/*
 * clash -- a host program that defines its own ares_init, ares_query, config_init,
 * config_read_file and more (clash_syms.h: wrong signatures, magic results, abort() when
 * called by anyone else) and calls them itself, then resolves names through the shim.
 *
 *   clash [--dlopen-global LIB] NAME IPV4
 *
 * Steps, each reported on stdout as "step: ok|FAILED ...":
 *   own-before   its own definitions answer with their magic values;
 *   lib-before   (when libclash.so is loaded: preloaded, or --dlopen-global LIB, which
 *                dlopen()s it RTLD_GLOBAL) libclash's clash_selftest() passes;
 *   resolve      getaddrinfo(NAME, AF_INET) and gethostbyname_r(NAME) give IPV4 as the
 *                first address (with a DNSFAILOVER_CONF file present the shim dlopen()s
 *                libconfig for it: libconfig and c-ares run next to the clashing names);
 *   libconfig    whether libconfig.so.9 is mapped now (printed, "yes" or "no");
 *   own-after, lib-after   the same checks again.
 * A clashing definition called by the shim, c-ares or libconfig aborts the process.
 * Exit status 0 when every step passed, 1 otherwise, 2 usage.
 *
 * An executable's own functions are visible to the dynamic linker only when it is linked
 * with -rdynamic (the tools rule does not do that): the exported case is libclash.so.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static int clash_main_self;
#define CLASH_SELF clash_main_self
#define CLASH_WHO "clash (main program)"
#include "clash_syms.h"

static int bad;

static void step(const char *name, int good, const char *detail)
{
	printf("%s: %s%s%s\n", name, good ? "ok" : "FAILED", detail[0] ? " " : "", detail);
	fflush(stdout);
	if (!good)
		bad = 1;
}

static int (*selftest)(void);

static void lib_check(const char *name)
{
	char d[64];
	if (selftest == NULL)
		return;
	int n = selftest();
	snprintf(d, sizeof d, "(%d of libclash's definitions captured)", n);
	step(name, n == 0, d);
}

static int libconfig_mapped(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "/libconfig.so.9") != NULL)
			found = 1;
	if (f != NULL)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	int i = 1;
	char d[256];
	if (argc == 5 && strcmp(argv[1], "--dlopen-global") == 0) {
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_GLOBAL);
		if (h == NULL) {
			fprintf(stderr, "clash: %s\n", dlerror());
			return 2;
		}
		i = 3;
	} else if (argc != 3) {
		fprintf(stderr, "usage: clash [--dlopen-global LIB] NAME IPV4\n");
		return 2;
	}
	const char *name = argv[i];
	struct in_addr want;
	if (inet_pton(AF_INET, argv[i + 1], &want) != 1) {
		fprintf(stderr, "clash: bad IPv4 address %s\n", argv[i + 1]);
		return 2;
	}
	*(void **)&selftest = dlsym(RTLD_DEFAULT, "clash_selftest");

	int n = clash_call_all();
	snprintf(d, sizeof d, "(%d of its own definitions misbehaved)", n);
	step("own-before", n == 0, d);
	lib_check("lib-before");

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	char a1[INET_ADDRSTRLEN] = "-", a2[INET_ADDRSTRLEN] = "-";
	if (rc == 0) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, a1, sizeof a1);
		freeaddrinfo(res);
	}
	struct hostent he, *result = NULL;
	char buf[4096];
	int herr = 0;
	int r2 = gethostbyname_r(name, &he, buf, sizeof buf, &result, &herr);
	if (r2 == 0 && result != NULL && he.h_addrtype == AF_INET)
		inet_ntop(AF_INET, he.h_addr_list[0], a2, sizeof a2);
	snprintf(d, sizeof d, "getaddrinfo rc=%d addr=%s gethostbyname_r ret=%d addr=%s", rc, a1, r2, a2);
	step("resolve", strcmp(a1, argv[i + 1]) == 0 && strcmp(a2, argv[i + 1]) == 0, d);
	printf("libconfig: %s\n", libconfig_mapped() ? "yes" : "no");

	n = clash_call_all();
	snprintf(d, sizeof d, "(%d of its own definitions misbehaved)", n);
	step("own-after", n == 0, d);
	lib_check("lib-after");
	return bad;
}
