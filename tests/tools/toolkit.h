/* toolkit.h -- small helpers shared by the test and benchmark tools in tests/tools
 * (each tool is one .c file; these are static so every tool stays self-contained). */
#ifndef DNSF_TOOLKIT_H
#define DNSF_TOOLKIT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
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

/* ---- canonical text of results (diffable lines) ------------------------------ */

/* A bounded text buffer: tk_put appends, silently stopping at the end. */
struct tk_sbuf {
	char *p;
	size_t len, used;
};

static inline void tk_put(struct tk_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tk_put(struct tk_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n;
}

/* " ADDR" in presentation form. */
static inline void tk_put_addr(struct tk_sbuf *b, int af, const void *a)
{
	char t[INET6_ADDRSTRLEN];
	if (inet_ntop(af, a, t, sizeof t) == NULL)
		snprintf(t, sizeof t, "?");
	tk_put(b, " %s", t);
}

/* " canon=NAME addrs= A B ..." of a getaddrinfo result list. */
static inline void tk_put_addrinfo(struct tk_sbuf *b, const struct addrinfo *res)
{
	tk_put(b, " canon=%s addrs=", res->ai_canonname ? res->ai_canonname : "-");
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			tk_put_addr(b, AF_INET, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
			tk_put_addr(b, AF_INET6, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
		else
			tk_put(b, " family%d", ai->ai_family);
	}
}

/* " name=N aliases=A,B, type=T len=L addrs= A B ..." of a hostent. */
static inline void tk_put_hostent(struct tk_sbuf *b, const struct hostent *h)
{
	tk_put(b, " name=%s aliases=", h->h_name ? h->h_name : "(null)");
	for (char **a = h->h_aliases; a && *a; a++)
		tk_put(b, "%s,", *a);
	tk_put(b, " type=%d len=%d addrs=", h->h_addrtype, h->h_length);
	for (char **p = h->h_addr_list; p && *p; p++)
		tk_put_addr(b, h->h_addrtype, *p);
}

/* Fill SS with the IPv4 or IPv6 address TEXT (family AF) and PORT; return its length. */
static inline socklen_t tk_sockaddr(int af, const char *text, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((unsigned short)port);
		inet_pton(AF_INET, text, &s->sin_addr);
		return sizeof *s;
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((unsigned short)port);
	inet_pton(AF_INET6, text, &s->sin6_addr);
	return sizeof *s;
}

/* xorshift64*: a small PRNG for test choices (the state must not be zero). */
static inline uint64_t tk_rand64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Where is the hung process PID waiting? Writes a description to OUT and returns 1 if it
 * is a futex wait on an address inside a mapping of libc.so.6: a lock of glibc's own,
 * which glibc does not reset in a fork child (e.g. its resolv.conf lock), with or
 * without a preload. */
static inline int tk_where_hung(pid_t pid, char *out, size_t outlen)
{
	char path[64], line[512];
	unsigned long nr = 0, uaddr = 0;
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL || fgets(line, sizeof line, f) == NULL) {
		snprintf(out, outlen, "? (cannot read %s)", path);
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	if (sscanf(line, "%lu %lx", &nr, &uaddr) != 2 || nr != SYS_futex) {
		line[strcspn(line, "\n")] = 0;
		snprintf(out, outlen, "syscall line \"%.60s\" (not a futex wait)", line);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	snprintf(out, outlen, "futex 0x%lx in no mapping", uaddr);
	int in_libc = 0;
	char prev_file[400] = "";
	unsigned long prev_hi = 0, file_lo = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		char file[400] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %399s", &lo, &hi, file) < 2)
			continue;
		/* An anonymous mapping right after a file's mappings is that file's .bss. */
		const char *owner = file;
		const char *what = "";
		if (file[0] == 0 && lo == prev_hi && prev_file[0] == '/') {
			owner = prev_file;
			what = " (.bss)";
		}
		if (file[0] != 0 && strcmp(file, prev_file) != 0)
			file_lo = lo;   /* where this file's first mapping starts */
		if (uaddr >= lo && uaddr < hi) {
			/* +OFFSET: from the file's first mapping, i.e. its address for nm. */
			snprintf(out, outlen, "futex 0x%lx in %s%s +0x%lx", uaddr,
				 owner[0] ? owner : "(anonymous)", what, owner[0] ? uaddr - file_lo : 0);
			in_libc = strstr(owner, "/libc.so.6") != NULL;
			break;
		}
		if (file[0] != 0)
			snprintf(prev_file, sizeof prev_file, "%s", file);
		else if (lo != prev_hi)
			prev_file[0] = 0;
		prev_hi = hi;
	}
	if (f)
		fclose(f);
	return in_libc;
}

#endif
