/*
 * lookup -- perform resolver calls described by argv and print every result in a
 * canonical, diffable text form. Used by the differential test (glibc alone vs.
 * glibc with the shim preloaded) and by any test that needs "what did the call
 * return, exactly".
 *
 *   lookup [-r N] [-t] CALL [-- CALL ...]
 *
 * CALL is one of
 *   gai  NODE SERVICE [family=F] [socktype=S] [protocol=P] [flags=A|B] [hints=null]
 *   gh   NAME                       gethostbyname
 *   gh2  NAME FAMILY                gethostbyname2
 *   ghr  NAME [BUFLEN|grow|edge]    gethostbyname_r
 *   gh2r NAME FAMILY [BUFLEN|grow|edge]  gethostbyname2_r
 *   gha  ADDR [family=F] [len=N]    gethostbyaddr (ADDR is IPv4 or IPv6 text)
 *   ghar ADDR [BUFLEN|grow|edge] [family=F] [len=N]   gethostbyaddr_r
 *   gni  ADDR PORT FLAGS [hostlen=N] [servlen=N] [salen=N]   getnameinfo
 *
 * NODE/SERVICE/NAME "-" means NULL; "" is the empty string. Symbolic values are
 * the C names (AF_INET6, SOCK_DGRAM, IPPROTO_UDP, AI_CANONNAME, NI_NAMEREQD) or
 * the short forms unspec/inet/inet6/stream/dgram/raw/tcp/udp, or numbers (0x..).
 * Flags are joined with '|' or ','. ADDR for gni may carry a scope: fe80::1%lo.
 * BUFLEN "grow" starts at 16 bytes and doubles on ERANGE, like a real caller.
 *
 * Options: -r N  run every call N times; print the first result and check the
 *                others print the same (exit 3 if not);
 *          -t    print per-call timings to stderr (not part of the result);
 *          -x    exact: for the _r calls' successes also the buffer layout (each
 *                pointer as an offset into the buffer).
 *
 * BUFLEN "edge" finds the ERANGE threshold: the smallest length (from 1 up) that
 * gets something other than ERANGE, printed as "edge=T", then the results with
 * buffers of T-1, T and T+1 bytes.
 *
 * Exit status: 0 all calls ran (whatever they returned), 2 usage error,
 * 3 an inconsistency the tool itself detected (see the "BUG:" lines).
 *
 * h_errno: before every call the thread's h_errno and _res.res_h_errno (where
 * glibc's res_* code stores it too) are set to HERR_SENTINEL, and an _r call's
 * out-parameter to OUT_SENTINEL; after it, every call prints a line
 * "  h_errno=NAME res_h_errno=NAME" ("unchanged" when the call left it alone),
 * the _r calls with " out=NAME" after them (the out-parameter; "untouched" when
 * not written). Success or failure, all are part of the result.
 *
 * errno: after a failure, an "  errno=NAME" line where errno carries meaning
 * (EAI_SYSTEM, h_errno NETDB_INTERNAL, an _r call's non-zero return or any _r
 * failure's: glibc's _r functions set it to their return value). Lines starting
 * with "  errno-after-success=" report whether errno changed across a successful
 * call. POSIX allows that, so the differential test treats a difference there as
 * a note, not a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <locale.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ERRNO_CANARY EDOM /* no resolver path sets EDOM */
#define HERR_SENTINEL 777 /* no h_errno value: the global, before every call */
#define OUT_SENTINEL 12345 /* no h_errno value: an _r call's out-parameter */

static int exact; /* -x */

struct sym {
	const char *name;
	long value;
};
#define SYM(x) { #x, (long)(x) }

static const struct sym eai_syms[] = {
	{ "0", 0 },
	SYM(EAI_BADFLAGS), SYM(EAI_NONAME), SYM(EAI_AGAIN), SYM(EAI_FAIL),
	SYM(EAI_FAMILY), SYM(EAI_SOCKTYPE), SYM(EAI_SERVICE), SYM(EAI_MEMORY),
	SYM(EAI_SYSTEM), SYM(EAI_OVERFLOW), SYM(EAI_NODATA), SYM(EAI_ADDRFAMILY),
	SYM(EAI_INPROGRESS), SYM(EAI_CANCELED), SYM(EAI_NOTCANCELED),
	SYM(EAI_ALLDONE), SYM(EAI_INTR), SYM(EAI_IDN_ENCODE),
	{ NULL, 0 }
};
static const struct sym ai_flag_syms[] = {
	SYM(AI_PASSIVE), SYM(AI_CANONNAME), SYM(AI_NUMERICHOST), SYM(AI_V4MAPPED),
	SYM(AI_ALL), SYM(AI_ADDRCONFIG), SYM(AI_IDN), SYM(AI_CANONIDN),
	SYM(AI_NUMERICSERV),
	{ NULL, 0 }
};
static const struct sym ni_flag_syms[] = {
	SYM(NI_NUMERICHOST), SYM(NI_NUMERICSERV), SYM(NI_NOFQDN), SYM(NI_NAMEREQD),
	SYM(NI_DGRAM), SYM(NI_IDN),
	{ NULL, 0 }
};
static const struct sym family_syms[] = {
	SYM(AF_UNSPEC), SYM(AF_INET), SYM(AF_INET6), SYM(AF_UNIX), SYM(AF_PACKET),
	{ "unspec", AF_UNSPEC }, { "inet", AF_INET }, { "inet6", AF_INET6 },
	{ "unix", AF_UNIX },
	{ NULL, 0 }
};
static const struct sym socktype_syms[] = {
	SYM(SOCK_STREAM), SYM(SOCK_DGRAM), SYM(SOCK_RAW), SYM(SOCK_RDM),
	SYM(SOCK_SEQPACKET), SYM(SOCK_DCCP), SYM(SOCK_PACKET),
	{ "stream", SOCK_STREAM }, { "dgram", SOCK_DGRAM }, { "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET },
	{ NULL, 0 }
};
static const struct sym proto_syms[] = {
	SYM(IPPROTO_IP), SYM(IPPROTO_ICMP), SYM(IPPROTO_TCP), SYM(IPPROTO_UDP),
	SYM(IPPROTO_IPV6), SYM(IPPROTO_ICMPV6), SYM(IPPROTO_SCTP),
	SYM(IPPROTO_UDPLITE), SYM(IPPROTO_RAW), SYM(IPPROTO_DCCP),
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP },
	{ "raw", IPPROTO_RAW },
	{ NULL, 0 }
};
static const struct sym herrno_syms[] = {
	SYM(NETDB_INTERNAL), SYM(NETDB_SUCCESS), SYM(HOST_NOT_FOUND),
	SYM(TRY_AGAIN), SYM(NO_RECOVERY), SYM(NO_DATA),
	{ NULL, 0 }
};

static const char *prog = "lookup";
static int tool_bug; /* set when a "BUG:" line was printed */

/* One call's output goes to a memory stream so that repeats can be compared. */
static FILE *out;

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-r N] [-t] [-x] CALL [-- CALL ...]\n"
		"  gai NODE SERVICE [family=] [socktype=] [protocol=] [flags=] [hints=null]\n"
		"  gh NAME | gh2 NAME FAMILY | ghr NAME [BUFLEN|grow|edge]\n"
		"  gh2r NAME FAMILY [BUFLEN|grow|edge]\n"
		"  gha ADDR [family=] [len=] | ghar ADDR [BUFLEN|grow|edge] [family=] [len=]\n"
		"  gni ADDR PORT FLAGS [hostlen=] [servlen=] [salen=]\n",
		prog);
	exit(2);
}

static void die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s: '%s'\n", prog, what, arg);
	exit(2);
}

/* ---- symbols ---------------------------------------------------------------- */

static const char *sym_name(const struct sym *t, long v, char *buf, size_t len)
{
	for (; t->name; t++)
		if (t->value == v && (t->name[0] < 'a' || t->name[0] > 'z'))
			return t->name;
	snprintf(buf, len, "%ld", v);
	return buf;
}

static long parse_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0')
		die_usage(what, s);
	return v;
}

static long parse_sym(const struct sym *t, const char *s, const char *what)
{
	for (const struct sym *p = t; p->name; p++)
		if (strcmp(p->name, s) == 0)
			return p->value;
	return parse_num(s, what);
}

static long parse_flags(const struct sym *t, const char *s, const char *what)
{
	long v = 0;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		abort();
	for (char *tok = strtok_r(copy, "|,", &save); tok; tok = strtok_r(NULL, "|,", &save))
		v |= parse_sym(t, tok, what);
	free(copy);
	return v;
}

static void print_flags(const struct sym *t, long v)
{
	if (v == 0) {
		fputs("0", out);
		return;
	}
	const char *sep = "";
	for (; t->name; t++) {
		if (t->value && (v & t->value) == t->value) {
			fprintf(out, "%s%s", sep, t->name);
			sep = "|";
			v &= ~t->value;
		}
	}
	if (v)
		fprintf(out, "%s0x%lx", sep, (unsigned long)v);
}

static const char *errno_name(int e)
{
	static char buf[32];
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

static const char *eai_name(int rc)
{
	static char buf[32];
	return sym_name(eai_syms, rc, buf, sizeof buf);
}

static const char *herrno_name(int h)
{
	static char buf[32];
	return sym_name(herrno_syms, h, buf, sizeof buf);
}

static const char *family_name(int f)
{
	static char buf[32];
	return sym_name(family_syms, f, buf, sizeof buf);
}

/* A string, quoted, with anything outside printable ASCII (and '"', '\\') escaped. */
static void print_str(const char *s)
{
	if (!s) {
		fputs("NULL", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static const char *arg_or_null(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/* Before a call: the sentinels in the thread's h_errno and _res.res_h_errno. */
static void set_herrno_sentinels(void)
{
	h_errno = HERR_SENTINEL;
	_res.res_h_errno = HERR_SENTINEL;
}

/* After a call: the thread's h_errno H and _res.res_h_errno ("unchanged":
 * still the sentinel), without the line's end. */
static void print_herrno_noeol(int h)
{
	int r = _res.res_h_errno;
	fprintf(out, "  h_errno=%s", h == HERR_SENTINEL ? "unchanged" : herrno_name(h));
	fprintf(out, " res_h_errno=%s", r == HERR_SENTINEL ? "unchanged" : herrno_name(r));
}

static void print_global_herrno(int h)
{
	print_herrno_noeol(h);
	fputc('\n', out);
}

/* errno after a failure, where it carries meaning. */
static void print_errno(int e)
{
	fprintf(out, "  errno=%s\n", e == ERRNO_CANARY ? "unchanged" : errno_name(e));
}

static void errno_after_success(int e)
{
	if (e == ERRNO_CANARY)
		fputs("  errno-after-success=unchanged\n", out);
	else
		fprintf(out, "  errno-after-success=changed(%s)\n", errno_name(e));
}

/* ---- timing ------------------------------------------------------------------- */

static struct timespec t0;
static long long last_ns;

static void tstart(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static void tstop(void)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	last_ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
}

/* ---- address text ------------------------------------------------------------- */

static void print_sockaddr(const struct sockaddr *sa, socklen_t len)
{
	char a[INET6_ADDRSTRLEN];
	if (!sa) {
		fputs("addr=NULL", out);
		return;
	}
	if (sa->sa_family == AF_INET && len == sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		fprintf(out, "%s port=%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		fprintf(out, "%s port=%u scope=%u flow=%u", a, ntohs(s6->sin6_port),
			s6->sin6_scope_id, ntohl(s6->sin6_flowinfo));
	} else {
		fprintf(out, "sa_family=%s addrlen=%u", family_name(sa->sa_family), (unsigned)len);
	}
}

/* Parse "ADDR[%scope]" into a sockaddr. Never calls the resolver. */
static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[128];
	memset(ss, 0, sizeof *ss);
	if (strlen(text) >= sizeof buf)
		return -1;
	strcpy(buf, text);
	char *pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!pct && inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		if (pct) {
			char *end;
			unsigned long id = strtoul(pct, &end, 10);
			if (*pct && *end == '\0')
				s6->sin6_scope_id = (uint32_t)id;
			else if ((s6->sin6_scope_id = if_nametoindex(pct)) == 0)
				return -1;
		}
		*len = sizeof *s6;
		return 0;
	}
	return -1;
}

/* ---- hostent ------------------------------------------------------------------- */

static int in_buf(const void *p, size_t n, const char *buf, size_t buflen)
{
	const char *c = p;
	return buf && c >= buf && c + n <= buf + buflen;
}

/* Print a hostent; when buf is given (the _r variants) also check that every
 * pointer lies inside the caller's buffer. */
static void print_hostent(const struct hostent *h, const char *buf, size_t buflen)
{
	int outside = 0;
	fputs("  h_name=", out);
	print_str(h->h_name);
	fputc('\n', out);
	if (buf && h->h_name && !in_buf(h->h_name, strlen(h->h_name) + 1, buf, buflen))
		outside = 1;
	if (!h->h_aliases) {
		fputs("  h_aliases=NULL\n", out);
	} else {
		for (char **a = h->h_aliases; *a; a++) {
			fputs("  h_alias=", out);
			print_str(*a);
			fputc('\n', out);
			if (buf && (!in_buf(a, sizeof *a, buf, buflen) ||
				    !in_buf(*a, strlen(*a) + 1, buf, buflen)))
				outside = 1;
		}
	}
	fprintf(out, "  h_addrtype=%s h_length=%d\n", family_name(h->h_addrtype), h->h_length);
	if (!h->h_addr_list) {
		fputs("  h_addr_list=NULL\n", out);
	} else {
		for (char **p = h->h_addr_list; *p; p++) {
			char a[INET6_ADDRSTRLEN];
			if ((h->h_addrtype == AF_INET && h->h_length == 4) ||
			    (h->h_addrtype == AF_INET6 && h->h_length == 16))
				inet_ntop(h->h_addrtype, *p, a, sizeof a);
			else
				snprintf(a, sizeof a, "?");
			fprintf(out, "  h_addr=%s\n", a);
			if (buf && (!in_buf(p, sizeof *p, buf, buflen) ||
				    !in_buf(*p, (size_t)h->h_length, buf, buflen)))
				outside = 1;
		}
	}
	if (outside) {
		fputs("  BUG: hostent points outside the caller's buffer\n", out);
		tool_bug = 1;
	}
}

/* ---- calls ----------------------------------------------------------------------- */

static void call_gai(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *node = arg_or_null(argv[1]), *service = arg_or_null(argv[2]);
	struct addrinfo hints, *hp = &hints;
	memset(&hints, 0, sizeof hints);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "family=", 7) == 0)
			hints.ai_family = (int)parse_sym(family_syms, a + 7, "family");
		else if (strncmp(a, "socktype=", 9) == 0)
			hints.ai_socktype = (int)parse_sym(socktype_syms, a + 9, "socktype");
		else if (strncmp(a, "protocol=", 9) == 0)
			hints.ai_protocol = (int)parse_sym(proto_syms, a + 9, "protocol");
		else if (strncmp(a, "flags=", 6) == 0)
			hints.ai_flags = (int)parse_flags(ai_flag_syms, a + 6, "flags");
		else if (strcmp(a, "hints=null") == 0)
			hp = NULL;
		else
			die_usage("unknown gai option", a);
	}

	char b1[32], b2[32];
	fputs("gai node=", out);
	print_str(node);
	fputs(" service=", out);
	print_str(service);
	if (hp) {
		fprintf(out, " family=%s socktype=%s protocol=%s flags=",
			family_name(hints.ai_family),
			sym_name(socktype_syms, hints.ai_socktype, b1, sizeof b1),
			sym_name(proto_syms, hints.ai_protocol, b2, sizeof b2));
		print_flags(ai_flag_syms, hints.ai_flags);
	} else {
		fputs(" hints=NULL", out);
	}
	fputc('\n', out);

	struct addrinfo canary;
	struct addrinfo *res = &canary;
	set_herrno_sentinels();
	errno = ERRNO_CANARY;
	tstart();
	int rc = getaddrinfo(node, service, hp, &res);
	tstop();
	int e = errno, herr = h_errno;

	fprintf(out, "  rc=%s\n", eai_name(rc));
	if (rc == EAI_SYSTEM)
		print_errno(e);
	print_global_herrno(herr);
	if (rc != 0) {
		if (res == &canary)
			fputs("  res=untouched\n", out);
		else if (res == NULL)
			fputs("  res=NULL\n", out);
		else {
			fputs("  BUG: *res changed on failure\n", out);
			tool_bug = 1;
		}
		return;
	}
	if (res == &canary || res == NULL) {
		fprintf(out, "  BUG: success but res=%s\n", res ? "untouched" : "NULL");
		tool_bug = 1;
		return;
	}
	int n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next, n++) {
		fprintf(out, "  [%d] %s %s %s ", n, family_name(ai->ai_family),
			sym_name(socktype_syms, ai->ai_socktype, b1, sizeof b1),
			sym_name(proto_syms, ai->ai_protocol, b2, sizeof b2));
		print_sockaddr(ai->ai_addr, ai->ai_addrlen);
		fputs(" canon=", out);
		print_str(ai->ai_canonname);
		fputs(" flags=", out);
		print_flags(ai_flag_syms, ai->ai_flags);
		fputc('\n', out);
		if (ai->ai_addr && ai->ai_addr->sa_family != ai->ai_family) {
			fputs("  BUG: ai_family differs from ai_addr->sa_family\n", out);
			tool_bug = 1;
		}
	}
	errno_after_success(e);
	freeaddrinfo(res);
}

static int parse_family_arg(const char *s)
{
	return (int)parse_sym(family_syms, s, "family");
}

static void print_hostent_result(const char *call, struct hostent *h, int herr, int e)
{
	(void)call;
	fputs(h ? "  ret=hostent\n" : "  ret=NULL\n", out);
	print_global_herrno(herr);
	if (h) {
		print_hostent(h, NULL, 0);
		errno_after_success(e);
	} else if (herr == NETDB_INTERNAL) {
		print_errno(e);
	}
}

static void call_gh(int argc, char **argv, int two)
{
	if (argc < (two ? 3 : 2))
		usage();
	const char *name = arg_or_null(argv[1]);
	int af = two ? parse_family_arg(argv[2]) : AF_INET;
	fprintf(out, "%s name=", argv[0]);
	print_str(name);
	if (two)
		fprintf(out, " family=%s", family_name(af));
	fputc('\n', out);
	if (!name) {
		fputs("  skipped: NULL name would crash glibc\n", out);
		return;
	}
	set_herrno_sentinels();
	errno = ERRNO_CANARY;
	tstart();
	struct hostent *h = two ? gethostbyname2(name, af) : gethostbyname(name);
	tstop();
	int e = errno, herr = h_errno;
	print_hostent_result(argv[0], h, herr, e);
}

static void call_gha(int argc, char **argv)
{
	if (argc < 2)
		usage();
	struct sockaddr_storage ss;
	socklen_t salen;
	if (parse_addr(argv[1], &ss, &salen) < 0)
		die_usage("bad address", argv[1]);
	int af = ss.ss_family;
	const void *addr = af == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
					 : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	socklen_t len = af == AF_INET ? 4 : 16;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "family=", 7) == 0)
			af = parse_family_arg(argv[i] + 7);
		else if (strncmp(argv[i], "len=", 4) == 0)
			len = (socklen_t)parse_num(argv[i] + 4, "len");
		else
			die_usage("unknown gha option", argv[i]);
	}
	if (len > 16)
		die_usage("len must be <= 16", argv[1]);
	fprintf(out, "gha addr=%s family=%s len=%u\n", argv[1], family_name(af), (unsigned)len);
	set_herrno_sentinels();
	errno = ERRNO_CANARY;
	tstart();
	struct hostent *h = gethostbyaddr(addr, len, af);
	tstop();
	int e = errno, herr = h_errno;
	print_hostent_result("gha", h, herr, e);
}

/* The _r calls share this: run fn with a buffer of exactly buflen bytes (heap, so
 * valgrind and ASan see overruns); "grow" doubles from 16 on ERANGE. */
enum r_kind { R_GH, R_GH2, R_GHA };
struct r_args {
	enum r_kind kind;
	const char *name;
	int af;
	const void *addr;
	socklen_t addrlen;
};

static int run_r(const struct r_args *a, struct hostent *he, char *buf, size_t buflen,
		 struct hostent **result, int *herr)
{
	switch (a->kind) {
	case R_GH:
		return gethostbyname_r(a->name, he, buf, buflen, result, herr);
	case R_GH2:
		return gethostbyname2_r(a->name, a->af, he, buf, buflen, result, herr);
	case R_GHA:
		return gethostbyaddr_r(a->addr, a->addrlen, a->af, he, buf, buflen, result, herr);
	}
	return -1;
}

/* One _r call with a fresh heap buffer of exactly BUFLEN bytes (so valgrind and
 * ASan see overruns), and everything it left behind. */
struct r_res {
	size_t buflen;
	char *buf;
	struct hostent he, canary_he, *result;
	int ret, herr, gherr, e;
};

static void r_call(const struct r_args *a, size_t buflen, struct r_res *r)
{
	r->buflen = buflen;
	r->buf = malloc(buflen ? buflen : 1);
	if (!r->buf)
		abort();
	memset(&r->he, 0, sizeof r->he);
	r->result = &r->canary_he;
	r->herr = OUT_SENTINEL;
	set_herrno_sentinels();
	errno = ERRNO_CANARY;
	tstart();
	r->ret = run_r(a, &r->he, r->buf, buflen, &r->result, &r->herr);
	tstop();
	r->e = errno;
	r->gherr = h_errno;
}

/* -x: where each pointer of a result points, as an offset into the buffer. */
static void print_layout(const struct hostent *h, const char *buf)
{
	fprintf(out, "  layout: name=%+td aliases=%+td[", h->h_name - buf, (char *)h->h_aliases - buf);
	for (char **p = h->h_aliases; p && *p; p++)
		fprintf(out, "%s%+td", p == h->h_aliases ? "" : ",", *p - buf);
	fprintf(out, "] addrs=%+td[", (char *)h->h_addr_list - buf);
	for (char **p = h->h_addr_list; p && *p; p++)
		fprintf(out, "%s%+td", p == h->h_addr_list ? "" : ",", *p - buf);
	fputs("]\n", out);
}

/* Print R (NOTE, if not NULL, as a line of its own), then free its buffer. */
static void r_print(struct r_res *r, const char *note)
{
	fprintf(out, "  ret=%s", errno_name(r->ret));
	if (r->result == &r->canary_he)
		fputs(" result=untouched", out);
	else if (r->result == NULL)
		fputs(" result=NULL", out);
	else if (r->result == &r->he)
		fputs(" result=&he", out);
	else
		fputs(" result=other", out);
	fputc('\n', out);
	print_herrno_noeol(r->gherr);
	fprintf(out, " out=%s\n", r->herr == OUT_SENTINEL ? "untouched" : herrno_name(r->herr));
	if (r->ret != 0 || r->result != &r->he)
		print_errno(r->e);
	if (note)
		fprintf(out, "  %s\n", note);
	if (r->ret == 0 && r->result == &r->he) {
		print_hostent(&r->he, r->buf, r->buflen);
		if (exact)
			print_layout(&r->he, r->buf);
		errno_after_success(r->e);
	} else if (r->result != NULL) {
		fputs("  BUG: failure but *result not NULL\n", out);
		tool_bug = 1;
	}
	free(r->buf);
}

static void do_r(const struct r_args *a, const char *buflen_arg)
{
	int grow = buflen_arg && strcmp(buflen_arg, "grow") == 0;
	int edge = buflen_arg && strcmp(buflen_arg, "edge") == 0;
	size_t buflen = grow ? 16 : edge ? 1 : buflen_arg ? (size_t)parse_num(buflen_arg, "buflen") : 8192;
	fprintf(out, " buflen=%s\n", buflen_arg ? buflen_arg : "8192");

	struct r_res r;
	for (;;) {
		r_call(a, buflen, &r);
		if ((!grow && !edge) || r.ret != ERANGE || buflen >= (1u << 20))
			break;
		if (r.result != NULL) {
			fputs("  BUG: ERANGE but *result not NULL\n", out);
			tool_bug = 1;
		}
		free(r.buf);
		buflen = grow ? buflen * 2 : buflen + 1;
	}
	if (edge) {
		/* The threshold, then the results on both sides of it. */
		fprintf(out, "  edge=%zu\n", buflen);
		free(r.buf);
		for (size_t b = buflen > 1 ? buflen - 1 : buflen; b <= buflen + 1; b++) {
			fprintf(out, "  buflen=%zu\n", b);
			r_call(a, b, &r);
			r_print(&r, NULL);
		}
		return;
	}
	r_print(&r, !grow ? NULL : r.ret == ERANGE ? "grow=gave-up" : "grow=done");
}

static void call_ghr(int argc, char **argv, int two)
{
	if (argc < (two ? 3 : 2))
		usage();
	struct r_args a = { .kind = two ? R_GH2 : R_GH, .name = arg_or_null(argv[1]) };
	a.af = two ? parse_family_arg(argv[2]) : AF_INET;
	const char *bl = argc > (two ? 3 : 2) ? argv[two ? 3 : 2] : NULL;
	fprintf(out, "%s name=", argv[0]);
	print_str(a.name);
	if (two)
		fprintf(out, " family=%s", family_name(a.af));
	if (!a.name) {
		fputs("\n  skipped: NULL name would crash glibc\n", out);
		return;
	}
	do_r(&a, bl);
}

static void call_ghar(int argc, char **argv)
{
	if (argc < 2)
		usage();
	struct sockaddr_storage ss;
	socklen_t salen;
	if (parse_addr(argv[1], &ss, &salen) < 0)
		die_usage("bad address", argv[1]);
	struct r_args a = { .kind = R_GHA, .af = ss.ss_family };
	a.addr = a.af == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
				 : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	a.addrlen = a.af == AF_INET ? 4 : 16;
	const char *bl = NULL;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "family=", 7) == 0)
			a.af = parse_family_arg(argv[i] + 7);
		else if (strncmp(argv[i], "len=", 4) == 0)
			a.addrlen = (socklen_t)parse_num(argv[i] + 4, "len");
		else
			bl = argv[i];
	}
	if (a.addrlen > 16)
		die_usage("len must be <= 16", argv[1]);
	fprintf(out, "ghar addr=%s family=%s len=%u", argv[1], family_name(a.af),
		(unsigned)a.addrlen);
	do_r(&a, bl);
}

static void call_gni(int argc, char **argv)
{
	if (argc < 4)
		usage();
	struct sockaddr_storage ss;
	socklen_t salen;
	if (parse_addr(argv[1], &ss, &salen) < 0)
		die_usage("bad address", argv[1]);
	long port = parse_num(argv[2], "port");
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	int flags = (int)parse_flags(ni_flag_syms, argv[3], "flags");
	long hostlen = NI_MAXHOST, servlen = NI_MAXSERV;
	for (int i = 4; i < argc; i++) {
		if (strncmp(argv[i], "hostlen=", 8) == 0)
			hostlen = parse_num(argv[i] + 8, "hostlen");
		else if (strncmp(argv[i], "servlen=", 8) == 0)
			servlen = parse_num(argv[i] + 8, "servlen");
		else if (strncmp(argv[i], "salen=", 6) == 0)
			salen = (socklen_t)parse_num(argv[i] + 6, "salen");
		else
			die_usage("unknown gni option", argv[i]);
	}
	if (hostlen < 0 || hostlen > 4096 || servlen < 0 || servlen > 4096)
		die_usage("hostlen/servlen out of range", argv[1]);
	fprintf(out, "gni addr=%s port=%ld flags=", argv[1], port);
	print_flags(ni_flag_syms, flags);
	fprintf(out, " hostlen=%ld servlen=%ld salen=%u\n", hostlen, servlen, (unsigned)salen);

	/* Exact-size heap buffers, prefilled, so an overrun or a stray write shows. */
	char *host = hostlen ? malloc((size_t)hostlen) : NULL;
	char *serv = servlen ? malloc((size_t)servlen) : NULL;
	if (host)
		memset(host, '#', (size_t)hostlen);
	if (serv)
		memset(serv, '#', (size_t)servlen);
	set_herrno_sentinels();
	errno = ERRNO_CANARY;
	tstart();
	int rc = getnameinfo((struct sockaddr *)&ss, salen, host, (socklen_t)hostlen, serv,
			     (socklen_t)servlen, flags);
	tstop();
	int e = errno, herr = h_errno;
	fprintf(out, "  rc=%s\n", eai_name(rc));
	if (rc == EAI_SYSTEM)
		print_errno(e);
	print_global_herrno(herr);
	if (rc == 0) {
		fputs("  host=", out);
		if (host && memchr(host, '\0', (size_t)hostlen))
			print_str(host);
		else
			fputs(host ? "UNTERMINATED" : "NULL", out);
		fputs(" serv=", out);
		if (serv && memchr(serv, '\0', (size_t)servlen))
			print_str(serv);
		else
			fputs(serv ? "UNTERMINATED" : "NULL", out);
		fputc('\n', out);
		errno_after_success(e);
	}
	free(host);
	free(serv);
}

static void run_call(int argc, char **argv)
{
	const char *c = argv[0];
	if (strcmp(c, "gai") == 0)
		call_gai(argc, argv);
	else if (strcmp(c, "gh") == 0)
		call_gh(argc, argv, 0);
	else if (strcmp(c, "gh2") == 0)
		call_gh(argc, argv, 1);
	else if (strcmp(c, "ghr") == 0)
		call_ghr(argc, argv, 0);
	else if (strcmp(c, "gh2r") == 0)
		call_ghr(argc, argv, 1);
	else if (strcmp(c, "gha") == 0)
		call_gha(argc, argv);
	else if (strcmp(c, "ghar") == 0)
		call_ghar(argc, argv);
	else if (strcmp(c, "gni") == 0)
		call_gni(argc, argv);
	else
		die_usage("unknown call", c);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long repeat = 1;
	int timing = 0, i = 1;
	setlocale(LC_ALL, ""); /* AI_IDN/NI_IDN use the locale's charset */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			repeat = parse_num(argv[++i], "-r");
		else if (strcmp(argv[i], "-t") == 0)
			timing = 1;
		else if (strcmp(argv[i], "-x") == 0)
			exact = 1;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage();
	}
	if (i >= argc || repeat < 1)
		usage();

	long long *ns = calloc((size_t)repeat, sizeof *ns);
	if (!ns)
		abort();
	int status = 0;
	while (i < argc) {
		int j = i;
		while (j < argc && strcmp(argv[j], "--") != 0)
			j++;
		if (j == i)
			usage();
		char *first = NULL;
		size_t first_len = 0;
		for (long r = 0; r < repeat; r++) {
			char *text = NULL;
			size_t len = 0;
			out = open_memstream(&text, &len);
			if (!out)
				abort();
			run_call(j - i, argv + i);
			fclose(out);
			ns[r] = last_ns;
			if (r == 0) {
				first = text;
				first_len = len;
				fwrite(text, 1, len, stdout);
				fflush(stdout);
			} else {
				if (len != first_len || memcmp(text, first, len) != 0) {
					printf("  BUG: repeat %ld printed something else:\n%s", r + 1, text);
					tool_bug = 1;
				}
				free(text);
			}
		}
		free(first);
		if (repeat > 1)
			printf("  repeat=%ld\n", repeat);
		if (timing) {
			long long first_ns = ns[0];
			qsort(ns, (size_t)repeat, sizeof *ns, cmp_ll);
			fprintf(stderr, "time %s %s: first=%.1fus min=%.1fus median=%.1fus n=%ld\n",
				argv[i], j - i > 1 ? argv[i + 1] : "", first_ns / 1e3, ns[0] / 1e3,
				ns[repeat / 2] / 1e3, repeat);
		}
		i = j + 1;
	}
	free(ns);
	if (tool_bug)
		status = 3;
	return status;
}
