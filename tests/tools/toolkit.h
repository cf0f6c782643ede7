/* toolkit.h -- small helpers shared by the test and benchmark tools in tests/tools
 * (each tool is one .c file; these are static so every tool stays self-contained). */
#ifndef DNSF_TOOLKIT_H
#define DNSF_TOOLKIT_H

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds / milliseconds. */
static inline uint64_t tk_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double tk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sleep MS milliseconds (nothing if MS <= 0), through signals. */
static inline void tk_sleep_ms(double ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* qsort comparator for uint64_t. */
static inline int tk_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile P (0-100) of N sorted values; 0 when N is 0. */
static inline uint64_t tk_pct(const uint64_t *v, size_t n, double p)
{
	size_t k;
	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* VmRSS of this process in KiB, from /proc/self/status; -1 if unknown. */
static inline long tk_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* The C name of a getaddrinfo return value ("0" for success); NULL if unknown
 * (each tool prints unknown codes its own way). */
static inline const char *tk_eai_name(int rc)
{
	switch (rc) {
	case 0: return "0";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	case EAI_OVERFLOW: return "EAI_OVERFLOW";
	case EAI_NODATA: return "EAI_NODATA";
	case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
	default: return NULL;
	}
}

/* getaddrinfo(NAME, {AF_INET, SOCK_STREAM}): 0 when its first address is
 * WANT, 1 when it is another, 2 when the call failed. */
static inline int tk_gai_v4_is(const char *name, struct in_addr want)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 2;
	int r = !(res != NULL && res->ai_family == AF_INET
	          && ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == want.s_addr);
	freeaddrinfo(res);
	return r;
}

/* gethostbyname_r(NAME): the same for its first address. */
static inline int tk_ghr_v4_is(const char *name, struct in_addr want)
{
	struct hostent he, *result = NULL;
	char buf[4096];
	int herr = 0;
	if (gethostbyname_r(name, &he, buf, sizeof buf, &result, &herr) != 0 || result == NULL)
		return 2;
	return !(he.h_addrtype == AF_INET && he.h_addr_list[0] != NULL
	         && memcmp(he.h_addr_list[0], &want, 4) == 0);
}

/* The C name of an h_errno value ("0" for none); NULL if unknown. */
static inline const char *tk_herr_name(int h)
{
	switch (h) {
	case 0: return "0";
	case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
	case TRY_AGAIN: return "TRY_AGAIN";
	case NO_RECOVERY: return "NO_RECOVERY";
	case NO_DATA: return "NO_DATA";
	case NETDB_INTERNAL: return "NETDB_INTERNAL";
	default: return NULL;
	}
}

#endif
