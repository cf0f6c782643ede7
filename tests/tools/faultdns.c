/*
 * faultdns: a fault-injecting DNS proxy for the dnsfailover tests.
 *
 * It sits in front of a real nameserver (NSD in the tests), listens on UDP
 * and TCP at one address:port, and forwards to the upstream, applying one
 * fault mode.  Single-threaded, poll()-based, libc only.
 *
 * Usage:
 *   faultdns --listen ADDR:PORT --upstream ADDR:PORT [--mode MODE]
 *            [--mode-file FILE] [--stats FILE] [--pidfile FILE] [--seed N]
 *            [--max-outstanding N] [--upstream-timeout MS] [--max-tcp N]
 *            [--tcp-idle MS] [--allow-non-loopback] [--verbose]
 *
 *   ADDR:PORT is 127.0.0.1:53 or [::1]:53.  Both addresses must be loopback
 *   unless --allow-non-loopback is given (the tests never leave loopback).
 *
 * Modes (MODE; the same syntax in --mode-file):
 *   pass             forward faithfully over UDP and TCP
 *   blackhole        read and drop every query (TCP connections are accepted
 *                    and read, never answered)
 *   closed           no listener at all: the UDP and TCP sockets are closed,
 *                    so UDP queries get ICMP port unreachable (ECONNREFUSED)
 *                    and TCP connects get a RST.  Switching from closed to
 *                    another mode re-binds the same address.  (A port nobody
 *                    listens on behaves the same; `closed` just keeps the
 *                    scripts uniform and lets a test "close" a live server.)
 *   delay=MS[,jitter=MS]
 *                    forward, but hold each reply MS ms (uniformly MS-jitter
 *                    .. MS+jitter, never below 0).  Replies wait in a timer
 *                    heap; nothing sleeps, so many queries are in flight.
 *   servfail | refused | formerr | notimp
 *                    answer at once with that rcode, echoing the ID, flags
 *                    (opcode, RD) and the first question; upstream unused
 *   nxdomain         answer at once NXDOMAIN (AA set, no SOA), upstream unused
 *   truncate         UDP: the upstream answer cut to header + question with TC
 *                    set and all section counts but QDCOUNT zero; TCP:
 *                    forwarded faithfully, so clients must retry over TCP
 *   garbage          reply with random bytes of random length (0..599); one
 *                    third pure noise, one third starting with the query ID,
 *                    one third with the query ID and the QR bit set.  Over
 *                    TCP the length prefix is right and the content garbage
 *   wrongid          forward, but the reply's ID is the query ID xor 0x5a5a
 *                    (UDP and TCP)
 *   wrongport        UDP: the real answer is sent from a second socket bound
 *                    to the same address on another (ephemeral) port; TCP:
 *                    forwarded faithfully
 *   flap=UP_MS/DOWN_MS
 *                    pass for UP_MS, then blackhole for DOWN_MS, repeating,
 *                    starting with "up" when the mode is set
 *   drop=PCT         drop PCT % (0..100, decimals allowed) of UDP queries and
 *                    forward the rest; TCP is never dropped.  The decisions
 *                    come from a PRNG seeded by --seed (default 1), restarted
 *                    every time the mode is (re)loaded, so a run is repeatable
 *   outage=MS        blackhole for MS ms from the first query received after
 *                    the mode is set, then pass: an outage that starts with
 *                    the client's first lookup, whatever the start-up delays
 *   counts=an|ns|ar  forward, then overstate one section count in the reply
 *                    (UDP and TCP), as broken proxies do:
 *                      ar  ARCOUNT + 1, no record added (a stripped OPT RR)
 *                      ns  NSCOUNT + 1, no record added (so the last
 *                          additional record is missing, or the last
 *                          authority one when there is none)
 *                      an  the authority and additional sections removed
 *                          (their counts zeroed), then ANCOUNT + 1: the
 *                          last answer record is missing
 *   bigudp=N         answer at once (upstream unused) with N records of the
 *                    asked type, 1..2000: A 10.0.x.y, AAAA 2001:db8::x:y,
 *                    owner a pointer to the question; other types NODATA.
 *                    One UDP datagram however large, TC never set (RFC 1035
 *                    §4.2.1 allows 512 octets: a broken server); the same
 *                    reply over TCP
 *   chaos=MIN_MS/MAX_MS
 *                    switch between other modes on a seeded schedule: each
 *                    period lasts MIN_MS..MAX_MS (uniformly) and applies one
 *                    of pass, blackhole, servfail, refused, garbage, truncate,
 *                    wrongid, drop=50, delay=400,jitter=350 (late) and
 *                    delay=1500,jitter=500 (very late), picked uniformly.  The
 *                    picks and lengths come from a PRNG seeded by --seed and
 *                    restarted when the mode is (re)loaded, so the sequence
 *                    of modes is repeatable; a period starts at the first
 *                    query after the previous one ended.  Pass and blackhole
 *                    following each other make it flap
 *
 *   A query's fate (drop, answer, forward) is decided when it arrives, with
 *   the mode in force then: queries dropped during blackhole stay dropped
 *   after a switch to pass.  UDP replies are shaped with the mode captured at
 *   query time; TCP replies with the mode in force when the reply arrives.
 *
 * Signals:
 *   SIGUSR1   re-read the mode from --mode-file (first non-blank line not
 *             starting with '#').  The listening sockets stay bound (except
 *             for a switch to or from `closed`).  A bad file keeps the old
 *             mode and logs an error.  The stats counter mode_switches counts
 *             applied switches.
 *   SIGUSR2   write the stats file (atomically: FILE.tmp, then rename).
 *   SIGTERM, SIGINT, SIGHUP
 *             write the stats file, remove the pidfile, exit 0.
 *   A test that needs to know a switch happened sends SIGUSR1 then SIGUSR2
 *   after removing the stats file, and waits for the file: signals are
 *   handled in that order, so the file shows the new mode_switches.
 *
 * Stats file, one "name N" line each:
 *   queries          DNS messages received from clients (UDP + TCP)
 *   udp, tcp         the same split by transport
 *   answered         replies sent to clients (at most one per query;
 *                    synthetic, garbage and forwarded replies alike)
 *   dropped          queries that got no reply: the fault's drops plus the
 *                    malformed, overflow, upstream_timeout and undeliverable
 *                    ones below
 *   forwarded        queries sent upstream
 *   upstream_replies replies read from upstream
 *   upstream_timeout forwarded UDP queries upstream never answered in time
 *   malformed        messages shorter than a header or with QR set
 *   overflow         queries refused for lack of room (outstanding table,
 *                    delay heap, TCP connection limit, buffers)
 *   undeliverable    replies that could not be sent (client connection gone,
 *                    send error, listener closed)
 *   inflight         queries still waiting (forwarded or delayed)
 *   tcp_connections  TCP connections accepted
 *   mode_switches    modes applied by SIGUSR1
 *   chaos_switches   periods chaos has begun (each picks a mode)
 *   qtype_NAME       queries per question type (qtype_A and qtype_AAAA are
 *                    always present; others when non-zero, unknown types as
 *                    qtype_TYPEnnn)
 *   Invariant: queries = answered + dropped + inflight.
 *
 * Output: "ready" on stdout (flushed) once the sockets are bound and the
 * pidfile written.  Log lines go to stderr.
 *
 * Design:
 *   - UDP forwarding uses one connected upstream socket and rewrites query
 *     IDs: each forwarded query takes a slot in a fixed table
 *     (--max-outstanding, default 4096) and a fresh 16-bit upstream ID that is
 *     not in use; id2slot[] maps the upstream ID back to the slot, which holds
 *     the client's address, its original ID and the mode.  Replies with an
 *     unknown ID (late or stray) are discarded.  Slots are kept in arrival
 *     order, so expiry (--upstream-timeout, default 3000 ms) only looks at
 *     the oldest.  A full table drops the query (overflow).
 *   - TCP: each client connection gets its own upstream TCP connection,
 *     opened on its first forwarded query; replies go back on the client's
 *     connection, IDs unchanged.  Connections are capped (--max-tcp,
 *     default 256) and closed after --tcp-idle ms (default 30000) without
 *     traffic; buffers are capped at 256 KiB per direction.
 *   - delay: replies wait in a binary min-heap ordered by due time (capped at
 *     --max-outstanding); the poll timeout is the earliest due time.
 *     TCP entries carry the connection's generation number, so a reply for a
 *     connection that has since closed is discarded.
 *   - Every socket is non-blocking and close-on-exec.  Signals are blocked
 *     except inside ppoll(), so none is lost between checks.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

#define UDP_BUF        65536
#define TCP_MSG_MAX    65535
#define BUF_CAP        (256u * 1024u)
#define UDP_BATCH      256
#define WRONGID_XOR    0x5a5a
#define GARBAGE_MAX    600

enum mode_kind {
	M_PASS, M_BLACKHOLE, M_CLOSED, M_DELAY, M_SERVFAIL, M_REFUSED,
	M_FORMERR, M_NOTIMP, M_NXDOMAIN, M_TRUNCATE, M_GARBAGE, M_WRONGID,
	M_WRONGPORT, M_FLAP, M_DROP, M_OUTAGE, M_COUNTS, M_BIGUDP, M_CHAOS
};

/* counts=: which section count to overstate. */
enum { COUNT_AN = 1, COUNT_NS, COUNT_AR };
#define BIGUDP_MAX 2000

struct mode {
	enum mode_kind kind;
	long a;         /* delay ms, flap up ms, outage ms, counts COUNT_*,
			   bigudp records, chaos shortest period */
	long b;         /* jitter ms, flap down ms, chaos longest period */
	long pct100;    /* drop: percent * 100 (0..10000) */
	char text[96];
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* A forwarded UDP query waiting for its upstream reply. */
struct slot {
	int used;
	uint16_t up_id, client_id;
	enum mode_kind kind;
	long a, b;
	uint64_t t;
	struct sockaddr_storage from;
	socklen_t fromlen;
	int prev, next;         /* arrival-ordered list of live slots */
};

struct conn {
	int fd;                 /* client side, -1 when the slot is free */
	int up;                 /* upstream side, -1 when not connected */
	int up_connecting;
	unsigned gen;
	long up_pending;        /* queries forwarded, not yet answered */
	uint64_t last;
	struct buf in, out, upin, upout;
};

struct delayed {
	uint64_t due;
	int tcp;                /* 1: to conns[conn] if gen matches */
	int alt;                /* UDP: send from the wrong-port socket */
	int conn;
	unsigned gen;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	uint8_t data[];
};

static struct {
	struct sockaddr_storage listen_ss, up_ss;
	socklen_t listen_len, up_len;
	const char *listen_str, *up_str;
	const char *mode_file, *stats_file, *pid_file;
	uint64_t seed;
	long max_outstanding, max_tcp, up_timeout_ms, tcp_idle_ms;
	int verbose, allow_any, pid_written;
	int udp_fd, tcp_fd, alt_fd, up_udp_fd;
	int alt_port;
	struct mode mode;
	uint64_t mode_t0;
	int outage_started;     /* outage=: the first query has arrived */
	int need_rebind;
	uint64_t next_rebind;
	uint64_t rng_misc, rng_drop;
} g;

static struct {
	uint64_t queries, udp, tcp, answered, dropped, forwarded,
		 upstream_replies, upstream_timeout, malformed, overflow,
		 undeliverable, tcp_connections, mode_switches, chaos_switches;
} st;
static uint32_t qtype_count[65536];

static struct slot *slots;
static int free_head = -1, live_head = -1, live_tail = -1, nlive;
static int32_t id2slot[65536];
static uint16_t next_id;

static struct conn *conns;
static int nconns;

static struct delayed **heap;
static long heap_n;

static volatile sig_atomic_t sig_term, sig_usr1, sig_usr2;

/* chaos: the modes it switches between, the one in force and until when. */
static const char *const chaos_modes[] = {
	"pass", "blackhole", "servfail", "refused", "garbage", "truncate", "wrongid",
	"drop=50", "delay=400,jitter=350", "delay=1500,jitter=500",
};
#define NCHAOS (sizeof chaos_modes / sizeof chaos_modes[0])
static struct {
	struct mode cur;
	uint64_t until;
	uint64_t rng;
} chaos;

/* ---------------------------------------------------------------- utils */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "faultdns[%ld]: %s\n", (long)getpid(), line);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}


static int buf_reserve(struct buf *b, size_t need)
{
	size_t nc;
	uint8_t *np;

	if (need <= b->cap)
		return 0;
	nc = b->cap ? b->cap : 4096;
	while (nc < need)
		nc *= 2;
	np = realloc(b->p, nc);
	if (!np)
		return -1;
	b->p = np;
	b->cap = nc;
	return 0;
}

static int buf_append_framed(struct buf *b, const uint8_t *d, size_t n)
{
	if (n > TCP_MSG_MAX || b->len + n + 2 > BUF_CAP)
		return -1;
	if (buf_reserve(b, b->len + n + 2) < 0)
		return -1;
	b->p[b->len] = (uint8_t)(n >> 8);
	b->p[b->len + 1] = (uint8_t)n;
	if (n)
		memcpy(b->p + b->len + 2, d, n);
	b->len += n + 2;
	return 0;
}

static void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offset just past the first question, or -1 (no question, malformed). */
static long question_end(const uint8_t *m, size_t n)
{
	size_t o = 12, namelen = 0;

	if (n < 12 || get16(m + 4) == 0)
		return -1;
	for (;;) {
		uint8_t l;

		if (o >= n)
			return -1;
		l = m[o];
		if (l == 0) {
			o++;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (o + 1 >= n)
				return -1;
			o += 2;
			break;
		}
		if (l & 0xc0)
			return -1;
		namelen += (size_t)l + 1;
		if (namelen > 255)
			return -1;
		o += (size_t)l + 1;
	}
	if (o + 4 > n)
		return -1;
	return (long)(o + 4);
}

/* ---------------------------------------------------------- addresses */

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	char *end;
	long p;
	size_t hl;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof host)
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof host)
			return -1;
		memcpy(host, s, hl);
		host[hl] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || end == port || *end || p < 1 || p > 65535)
		return -1;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof *a6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*len = sizeof *a4;
	}
	return 0;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;

		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) &&
		       a6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* ---------------------------------------------------------------- modes */

static int parse_long(const char *s, char **end, long lo, long hi, long *out)
{
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, end, 10);
	if (errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_mode(const char *s, struct mode *m)
{
	static const struct {
		const char *name;
		enum mode_kind kind;
	} simple[] = {
		{ "pass", M_PASS }, { "blackhole", M_BLACKHOLE },
		{ "closed", M_CLOSED }, { "servfail", M_SERVFAIL },
		{ "refused", M_REFUSED }, { "formerr", M_FORMERR },
		{ "notimp", M_NOTIMP }, { "nxdomain", M_NXDOMAIN },
		{ "truncate", M_TRUNCATE }, { "garbage", M_GARBAGE },
		{ "wrongid", M_WRONGID }, { "wrongport", M_WRONGPORT },
	};
	char *end;
	size_t i;

	memset(m, 0, sizeof *m);
	if (strlen(s) >= sizeof m->text)
		return -1;
	snprintf(m->text, sizeof m->text, "%s", s);
	for (i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (strcmp(s, simple[i].name) == 0) {
			m->kind = simple[i].kind;
			return 0;
		}
	}
	if (strncmp(s, "delay=", 6) == 0) {
		m->kind = M_DELAY;
		if (parse_long(s + 6, &end, 0, 600000, &m->a) < 0)
			return -1;
		if (*end == 0)
			return 0;
		if (strncmp(end, ",jitter=", 8) != 0)
			return -1;
		if (parse_long(end + 8, &end, 0, 600000, &m->b) < 0 || *end)
			return -1;
		return 0;
	}
	if (strncmp(s, "flap=", 5) == 0) {
		m->kind = M_FLAP;
		if (parse_long(s + 5, &end, 0, 3600000, &m->a) < 0 || *end != '/')
			return -1;
		if (parse_long(end + 1, &end, 0, 3600000, &m->b) < 0 || *end)
			return -1;
		return m->a + m->b > 0 ? 0 : -1;
	}
	if (strncmp(s, "outage=", 7) == 0) {
		m->kind = M_OUTAGE;
		return parse_long(s + 7, &end, 0, 3600000, &m->a) < 0 || *end ? -1 : 0;
	}
	if (strncmp(s, "counts=", 7) == 0) {
		m->kind = M_COUNTS;
		m->a = strcmp(s + 7, "an") == 0 ? COUNT_AN : strcmp(s + 7, "ns") == 0 ? COUNT_NS
		     : strcmp(s + 7, "ar") == 0 ? COUNT_AR : 0;
		return m->a ? 0 : -1;
	}
	if (strncmp(s, "bigudp=", 7) == 0) {
		m->kind = M_BIGUDP;
		return parse_long(s + 7, &end, 1, BIGUDP_MAX, &m->a) < 0 || *end ? -1 : 0;
	}
	if (strncmp(s, "chaos=", 6) == 0) {
		m->kind = M_CHAOS;
		if (parse_long(s + 6, &end, 1, 3600000, &m->a) < 0 || *end != '/')
			return -1;
		if (parse_long(end + 1, &end, 1, 3600000, &m->b) < 0 || *end)
			return -1;
		return m->a <= m->b ? 0 : -1;
	}
	if (strncmp(s, "drop=", 5) == 0) {
		long whole, frac = 0, scale = 10;

		m->kind = M_DROP;
		if (parse_long(s + 5, &end, 0, 100, &whole) < 0)
			return -1;
		if (*end == '.') {
			end++;
			if (*end < '0' || *end > '9')
				return -1;
			while (*end >= '0' && *end <= '9') {
				if (scale >= 1) /* keep two decimals */
					frac += (*end - '0') * scale;
				scale /= 10;
				end++;
			}
		}
		if (*end)
			return -1;
		m->pct100 = whole * 100 + frac;
		return m->pct100 <= 10000 ? 0 : -1;
	}
	return -1;
}

static int parse_mode(const char *s, struct mode *m);

/* The mode in force now: g.mode, or the one chaos's schedule has reached
 * (a new one is picked when the current period is over). */
static const struct mode *active_mode(uint64_t now)
{
	if (g.mode.kind != M_CHAOS)
		return &g.mode;
	if (now >= chaos.until) {
		uint64_t span = (uint64_t)(g.mode.b - g.mode.a) + 1;

		parse_mode(chaos_modes[tk_rand64(&chaos.rng) % NCHAOS], &chaos.cur);
		chaos.until = now + (uint64_t)g.mode.a + tk_rand64(&chaos.rng) % span;
		st.chaos_switches++;
		if (g.verbose)
			logmsg("chaos: %s for %llu ms", chaos.cur.text,
			       (unsigned long long)(chaos.until - now));
	}
	return &chaos.cur;
}

/* Mode for a query arriving now (flap and outage resolved to pass or
 * blackhole). */
static enum mode_kind effective_kind(uint64_t now)
{
	const struct mode *m = active_mode(now);

	if (m->kind == M_OUTAGE) {
		if (!g.outage_started) {
			g.outage_started = 1;
			g.mode_t0 = now;
		}
		return now - g.mode_t0 < (uint64_t)m->a ? M_BLACKHOLE : M_PASS;
	}
	if (m->kind == M_FLAP) {
		uint64_t period = (uint64_t)(m->a + m->b);
		uint64_t phase = (now - g.mode_t0) % period;

		return phase < (uint64_t)m->a ? M_PASS : M_BLACKHOLE;
	}
	return m->kind;
}

static int read_mode_file(struct mode *m)
{
	FILE *f;
	char line[256];
	int rc = -1, seen = 0;

	memset(m, 0, sizeof *m);
	f = fopen(g.mode_file, "re");
	if (!f) {
		logmsg("mode file %s: %s", g.mode_file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s = line, *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (*s == 0 || *s == '#')
			continue;
		seen = 1;
		if (parse_mode(s, m) == 0)
			rc = 0;
		else
			logmsg("mode file %s: bad mode '%s'", g.mode_file, s);
		break;
	}
	if (!seen)
		logmsg("mode file %s: no mode in it", g.mode_file);
	fclose(f);
	return rc;
}

/* -------------------------------------------------------------- sockets */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void conn_close(int i);

static void close_listeners(void)
{
	int i;

	close_fd(&g.udp_fd);
	close_fd(&g.tcp_fd);
	for (i = 0; i < g.max_tcp; i++)
		if (conns[i].fd >= 0)
			conn_close(i);
}

static int open_listeners(void)
{
	int one = 1;

	g.udp_fd = socket(g.listen_ss.ss_family,
			  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	g.tcp_fd = socket(g.listen_ss.ss_family,
			  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g.udp_fd < 0 || g.tcp_fd < 0) {
		logmsg("socket: %s", strerror(errno));
		goto fail;
	}
	if (g.listen_ss.ss_family == AF_INET6) {
		setsockopt(g.udp_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		setsockopt(g.tcp_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	/* TCP only: lets a restart bind over TIME_WAIT.  UDP gets no
	 * SO_REUSEADDR so that a second server on the port is an error. */
	setsockopt(g.tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(g.udp_fd, (struct sockaddr *)&g.listen_ss, g.listen_len) < 0) {
		logmsg("bind udp %s: %s", g.listen_str, strerror(errno));
		goto fail;
	}
	if (bind(g.tcp_fd, (struct sockaddr *)&g.listen_ss, g.listen_len) < 0) {
		logmsg("bind tcp %s: %s", g.listen_str, strerror(errno));
		goto fail;
	}
	if (listen(g.tcp_fd, 128) < 0) {
		logmsg("listen %s: %s", g.listen_str, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close_fd(&g.udp_fd);
	close_fd(&g.tcp_fd);
	return -1;
}

static int open_alt_and_upstream(void)
{
	struct sockaddr_storage ss = g.listen_ss;
	socklen_t sl = g.listen_len;

	g.alt_fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g.alt_fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		int one = 1;

		setsockopt(g.alt_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	} else {
		((struct sockaddr_in *)&ss)->sin_port = 0;
	}
	if (bind(g.alt_fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(g.alt_fd, (struct sockaddr *)&ss, &sl) < 0) {
		logmsg("bind wrong-port socket: %s", strerror(errno));
		return -1;
	}
	g.alt_port = ntohs(ss.ss_family == AF_INET6 ?
			   ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);

	g.up_udp_fd = socket(g.up_ss.ss_family,
			     SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g.up_udp_fd < 0 ||
	    connect(g.up_udp_fd, (struct sockaddr *)&g.up_ss, g.up_len) < 0) {
		logmsg("upstream socket %s: %s", g.up_str, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ pending (UDP) */

static struct slot *slot_alloc(void)
{
	int i = free_head;
	struct slot *s;

	if (i < 0)
		return NULL;
	s = &slots[i];
	free_head = s->next;
	s->used = 1;
	s->prev = live_tail;
	s->next = -1;
	if (live_tail >= 0)
		slots[live_tail].next = i;
	else
		live_head = i;
	live_tail = i;
	nlive++;
	return s;
}

static void slot_free(struct slot *s)
{
	int i = (int)(s - slots);

	if (s->prev >= 0)
		slots[s->prev].next = s->next;
	else
		live_head = s->next;
	if (s->next >= 0)
		slots[s->next].prev = s->prev;
	else
		live_tail = s->prev;
	if (id2slot[s->up_id] == i)
		id2slot[s->up_id] = -1;
	s->used = 0;
	s->prev = -1;
	s->next = free_head;
	free_head = i;
	nlive--;
}

static void expire_slots(uint64_t now)
{
	while (live_head >= 0 &&
	       slots[live_head].t + (uint64_t)g.up_timeout_ms <= now) {
		st.upstream_timeout++;
		st.dropped++;
		slot_free(&slots[live_head]);
	}
}

/* ---------------------------------------------------------- delay heap */

static int heap_less(long a, long b)
{
	return heap[a]->due < heap[b]->due;
}

static void heap_swap(long a, long b)
{
	struct delayed *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
}

static int heap_push(struct delayed *d)
{
	long i;

	if (heap_n >= g.max_outstanding)
		return -1;
	i = heap_n++;
	heap[i] = d;
	while (i > 0 && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct delayed *heap_pop(void)
{
	struct delayed *top = heap[0];
	long i = 0;

	heap[0] = heap[--heap_n];
	for (;;) {
		long l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_n && heap_less(l, m))
			m = l;
		if (r < heap_n && heap_less(r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
	return top;
}

static long delay_for(long ms, long jitter)
{
	long d = ms;

	if (jitter > 0)
		d += (long)(tk_rand64(&g.rng_misc) % (uint64_t)(2 * jitter + 1)) - jitter;
	return d < 0 ? 0 : d;
}

/* ------------------------------------------------------------- replies */

static void udp_deliver_now(int alt, const uint8_t *d, size_t n,
			    const struct sockaddr_storage *to, socklen_t tolen)
{
	int fd = alt ? g.alt_fd : g.udp_fd;

	if (fd < 0 ||
	    sendto(fd, d, n, 0, (const struct sockaddr *)to, tolen) < 0) {
		st.undeliverable++;
		st.dropped++;
		return;
	}
	st.answered++;
}

static void conn_flush(int i);

static void tcp_deliver_now(int i, const uint8_t *d, size_t n)
{
	struct conn *c = &conns[i];

	if (c->fd < 0 || buf_append_framed(&c->out, d, n) < 0) {
		st.undeliverable++;
		st.dropped++;
		return;
	}
	st.answered++;
	conn_flush(i);
}

static struct delayed *delayed_new(const uint8_t *d, size_t n, uint64_t due)
{
	struct delayed *x = malloc(sizeof *x + n);

	if (!x)
		return NULL;
	memset(x, 0, sizeof *x);
	x->due = due;
	x->len = n;
	memcpy(x->data, d, n);
	return x;
}

static void schedule_or_drop(struct delayed *x)
{
	if (!x || heap_push(x) < 0) {
		free(x);
		st.overflow++;
		st.dropped++;
	}
}

static void fire_delayed(uint64_t now)
{
	while (heap_n > 0 && heap[0]->due <= now) {
		struct delayed *x = heap_pop();

		if (x->tcp) {
			if (conns[x->conn].fd >= 0 && conns[x->conn].gen == x->gen) {
				tcp_deliver_now(x->conn, x->data, x->len);
			} else {
				st.undeliverable++;
				st.dropped++;
			}
		} else {
			udp_deliver_now(x->alt, x->data, x->len, &x->to, x->tolen);
		}
		free(x);
	}
}

/* Synthetic answer: ID, opcode and RD of the query, the first question. */
static size_t build_rcode(const uint8_t *q, size_t qlen, int rcode, int aa,
			  uint8_t *out)
{
	long qend = question_end(q, qlen);
	size_t n = 12;

	memcpy(out, q, 12);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79) | (aa ? 0x04 : 0));
	out[3] = (uint8_t)(0x80 | (rcode & 0x0f));
	put16(out + 4, qend > 0 ? 1 : 0);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	if (qend > 0) {
		memcpy(out + 12, q + 12, (size_t)qend - 12);
		n = (size_t)qend;
	}
	return n;
}

static size_t build_garbage(const uint8_t *q, uint8_t *out)
{
	size_t n = (size_t)(tk_rand64(&g.rng_misc) % GARBAGE_MAX);
	unsigned variant = (unsigned)(tk_rand64(&g.rng_misc) % 3);
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t r = tk_rand64(&g.rng_misc);
		size_t k;

		for (k = 0; k < 8 && i + k < n; k++)
			out[i + k] = (uint8_t)(r >> (8 * k));
	}
	if (variant >= 1 && n >= 2)
		memcpy(out, q, 2);
	if (variant == 2 && n >= 3)
		out[2] |= 0x80;
	return n;
}

/* Offset just past the name at O, or -1. */
static long name_end(const uint8_t *m, size_t n, size_t o)
{
	for (;;) {
		if (o >= n)
			return -1;
		if ((m[o] & 0xc0) == 0xc0)
			return o + 2 <= n ? (long)(o + 2) : -1;
		if (m[o] & 0xc0)
			return -1;
		if (m[o] == 0)
			return (long)(o + 1);
		o += (size_t)m[o] + 1;
	}
}

/* Offset just past COUNT records starting at O, or -1. */
static long records_end(const uint8_t *m, size_t n, size_t o, unsigned count)
{
	while (count-- > 0) {
		long e = name_end(m, n, o);

		if (e < 0 || (size_t)e + 10 > n)
			return -1;
		o = (size_t)e + 10 + get16(m + e + 8);
		if (o > n)
			return -1;
	}
	return (long)o;
}

/* counts=: overstate one section count of reply R (N bytes); return the new
 * length.  A reply it cannot walk is left alone. */
static size_t overstate_count(uint8_t *r, size_t n, long which)
{
	long qend = question_end(r, n), aend;

	if (n < 12 || qend < 0)
		return n;
	switch (which) {
	case COUNT_AR:
		put16(r + 10, (uint16_t)(get16(r + 10) + 1));
		return n;
	case COUNT_NS:
		put16(r + 8, (uint16_t)(get16(r + 8) + 1));
		return n;
	default:
		aend = records_end(r, n, (size_t)qend, get16(r + 6));
		if (aend < 0)
			return n;
		put16(r + 6, (uint16_t)(get16(r + 6) + 1));
		put16(r + 8, 0);
		put16(r + 10, 0);
		return (size_t)aend;
	}
}

/* bigudp=: COUNT records of the question's type (A or AAAA; others get
 * NODATA), owners pointing at the question.  OUT holds UDP_BUF bytes. */
static size_t build_big(const uint8_t *q, size_t qlen, long count, uint8_t *out)
{
	long qend = question_end(q, qlen);
	size_t n;
	uint16_t qtype;
	unsigned rdlen;
	long i;

	if (qend < 0)
		return build_rcode(q, qlen, 1, 0, out);
	n = build_rcode(q, qlen, 0, 1, out);
	qtype = get16(q + qend - 4);
	rdlen = qtype == 1 ? 4 : qtype == 28 ? 16 : 0;
	if (rdlen == 0)
		return n;
	for (i = 0; i < count && n + 12 + rdlen <= UDP_BUF; i++) {
		uint8_t *p = out + n;

		put16(p, 0xc00c);
		put16(p + 2, qtype);
		put16(p + 4, 1);
		put16(p + 6, 0);
		put16(p + 8, 300);
		put16(p + 10, (uint16_t)rdlen);
		memset(p + 12, 0, rdlen);
		if (rdlen == 4) {
			p[12] = 10;
			p[14] = (uint8_t)(i >> 8);
			p[15] = (uint8_t)i;
		} else {
			put16(p + 12, 0x2001);
			put16(p + 14, 0x0db8);
			p[26] = (uint8_t)(i >> 8);
			p[27] = (uint8_t)i;
		}
		n += 12 + rdlen;
	}
	put16(out + 6, (uint16_t)i);
	return n;
}

/* Upstream answer cut to header + question, TC set. */
static size_t truncate_reply(uint8_t *r, size_t n)
{
	long qend = question_end(r, n);

	if (n < 12)
		return n;
	r[2] |= 0x02;
	put16(r + 4, qend > 0 ? 1 : 0);
	put16(r + 6, 0);
	put16(r + 8, 0);
	put16(r + 10, 0);
	return qend > 0 ? (size_t)qend : 12;
}

/* ------------------------------------------------------------- queries */

enum action { A_DROP, A_REPLY, A_FORWARD };

/* Counts the query and decides its fate.  For A_REPLY, the reply is in out. */
static enum action classify(const uint8_t *q, size_t n, int udp, uint64_t now,
			    enum mode_kind *kind, uint8_t *out, size_t *outlen)
{
	long qend;
	enum mode_kind k;

	st.queries++;
	if (udp)
		st.udp++;
	else
		st.tcp++;
	if (n < 12 || (q[2] & 0x80)) {
		st.malformed++;
		st.dropped++;
		return A_DROP;
	}
	qend = question_end(q, n);
	if (qend > 0)
		qtype_count[get16(q + qend - 4)]++;
	k = effective_kind(now);
	*kind = k;
	if (g.verbose)
		logmsg("%s query id=%u qtype=%d mode=%s", udp ? "udp" : "tcp",
		       get16(q), qend > 0 ? get16(q + qend - 4) : -1, g.mode.text);
	switch (k) {
	case M_BLACKHOLE:
	case M_CLOSED:
		st.dropped++;
		return A_DROP;
	case M_DROP:
		if (udp && (long)(tk_rand64(&g.rng_drop) % 10000) < active_mode(now)->pct100) {
			st.dropped++;
			return A_DROP;
		}
		return A_FORWARD;
	case M_SERVFAIL:
		*outlen = build_rcode(q, n, 2, 0, out);
		return A_REPLY;
	case M_FORMERR:
		*outlen = build_rcode(q, n, 1, 0, out);
		return A_REPLY;
	case M_NXDOMAIN:
		*outlen = build_rcode(q, n, 3, 1, out);
		return A_REPLY;
	case M_NOTIMP:
		*outlen = build_rcode(q, n, 4, 0, out);
		return A_REPLY;
	case M_REFUSED:
		*outlen = build_rcode(q, n, 5, 0, out);
		return A_REPLY;
	case M_GARBAGE:
		*outlen = build_garbage(q, out);
		return A_REPLY;
	case M_BIGUDP:
		*outlen = build_big(q, n, g.mode.a, out);
		return A_REPLY;
	default:
		return A_FORWARD;
	}
}

static void udp_forward(const uint8_t *q, size_t n, enum mode_kind kind,
			const struct sockaddr_storage *from, socklen_t fromlen,
			uint64_t now)
{
	static uint8_t tmp[UDP_BUF];
	struct slot *s;
	uint16_t id = 0;
	int tries;

	s = slot_alloc();
	if (!s) {
		st.overflow++;
		st.dropped++;
		return;
	}
	for (tries = 0; tries < 65536; tries++) {
		id = next_id++;
		if (id2slot[id] < 0)
			break;
	}
	s->up_id = id;
	id2slot[id] = (int32_t)(s - slots);
	s->client_id = get16(q);
	s->kind = kind;
	s->a = active_mode(now)->a;
	s->b = active_mode(now)->b;
	s->t = now;
	memcpy(&s->from, from, fromlen);
	s->fromlen = fromlen;
	memcpy(tmp, q, n);
	put16(tmp, id);
	/* A connected socket reports an earlier ICMP error on the next send:
	 * that is news about an old query, so try this one again. */
	if (send(g.up_udp_fd, tmp, n, 0) < 0 &&
	    (errno != ECONNREFUSED || send(g.up_udp_fd, tmp, n, 0) < 0)) {
		if (g.verbose)
			logmsg("send upstream: %s", strerror(errno));
		st.undeliverable++;
		st.dropped++;
		slot_free(s);
		return;
	}
	st.forwarded++;
}

static void udp_read_clients(uint64_t now)
{
	static uint8_t q[UDP_BUF], out[UDP_BUF];
	int i;

	for (i = 0; i < UDP_BATCH && g.udp_fd >= 0; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		enum mode_kind kind = M_PASS;
		size_t outlen = 0;
		ssize_t r;

		r = recvfrom(g.udp_fd, q, sizeof q, 0, (struct sockaddr *)&from, &fromlen);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		switch (classify(q, (size_t)r, 1, now, &kind, out, &outlen)) {
		case A_REPLY:
			udp_deliver_now(0, out, outlen, &from, fromlen);
			break;
		case A_FORWARD:
			udp_forward(q, (size_t)r, kind, &from, fromlen, now);
			break;
		case A_DROP:
			break;
		}
	}
}

static void udp_read_upstream(uint64_t now)
{
	static uint8_t r[UDP_BUF];
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		struct slot s;
		int32_t idx;
		ssize_t n;
		size_t len;
		int alt = 0;

		n = recv(g.up_udp_fd, r, sizeof r, 0);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;       /* ICMP error reported once */
			break;
		}
		if (n < 12)
			continue;
		idx = id2slot[get16(r)];
		if (idx < 0)
			continue;               /* late or stray */
		s = slots[idx];
		slot_free(&slots[idx]);
		st.upstream_replies++;
		len = (size_t)n;
		put16(r, s.client_id);
		switch (s.kind) {
		case M_TRUNCATE:
			len = truncate_reply(r, len);
			break;
		case M_COUNTS:
			len = overstate_count(r, len, s.a);
			break;
		case M_WRONGID:
			put16(r, (uint16_t)(s.client_id ^ WRONGID_XOR));
			break;
		case M_WRONGPORT:
			alt = 1;
			break;
		case M_DELAY: {
			struct delayed *x = delayed_new(r, len, now + (uint64_t)delay_for(s.a, s.b));

			if (x) {
				x->to = s.from;
				x->tolen = s.fromlen;
			}
			schedule_or_drop(x);
			continue;
		}
		default:
			break;
		}
		udp_deliver_now(alt, r, len, &s.from, s.fromlen);
	}
}

static void drain_alt(void)
{
	uint8_t b[512];
	int i;

	for (i = 0; i < UDP_BATCH; i++)
		if (recv(g.alt_fd, b, sizeof b, 0) < 0 && errno != EINTR)
			break;
}

/* ----------------------------------------------------------------- TCP */

static void conn_close(int i)
{
	struct conn *c = &conns[i];

	if (c->up_pending > 0) {
		st.undeliverable += (uint64_t)c->up_pending;
		st.dropped += (uint64_t)c->up_pending;
	}
	close_fd(&c->fd);
	close_fd(&c->up);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->upin);
	buf_free(&c->upout);
	c->up_pending = 0;
	c->up_connecting = 0;
	c->gen++;
	nconns--;
}

static int flush_buf(int fd, struct buf *b)
{
	while (b->len) {
		ssize_t w = send(fd, b->p, b->len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		buf_consume(b, (size_t)w);
	}
	return 0;
}

static void conn_flush(int i)
{
	if (conns[i].fd >= 0 && flush_buf(conns[i].fd, &conns[i].out) < 0)
		conn_close(i);
}

static void up_close(int i)
{
	struct conn *c = &conns[i];

	close_fd(&c->up);
	c->up_connecting = 0;
	buf_free(&c->upin);
	buf_free(&c->upout);
	/* Queries in flight are lost: tell the client by closing it too. */
	if (c->up_pending > 0)
		conn_close(i);
}

static void up_flush(int i)
{
	struct conn *c = &conns[i];

	if (c->up >= 0 && !c->up_connecting && flush_buf(c->up, &c->upout) < 0)
		up_close(i);
}

static int up_connect(struct conn *c)
{
	int fd = socket(g.up_ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&g.up_ss, g.up_len) == 0) {
		c->up_connecting = 0;
	} else if (errno == EINPROGRESS) {
		c->up_connecting = 1;
	} else {
		close(fd);
		return -1;
	}
	c->up = fd;
	return 0;
}

static void tcp_forward(int i, const uint8_t *q, size_t n)
{
	struct conn *c = &conns[i];

	if (c->up < 0 && up_connect(c) < 0) {
		logmsg("tcp connect upstream %s: %s", g.up_str, strerror(errno));
		st.undeliverable++;
		st.dropped++;
		conn_close(i);
		return;
	}
	if (buf_append_framed(&c->upout, q, n) < 0) {
		st.overflow++;
		st.dropped++;
		return;
	}
	c->up_pending++;
	st.forwarded++;
	up_flush(i);
}

static void tcp_deliver_reply(int i, uint8_t *r, size_t n, uint64_t now)
{
	struct conn *c = &conns[i];
	const struct mode *m = active_mode(now);

	st.upstream_replies++;
	if (c->up_pending > 0)
		c->up_pending--;
	else
		return;                 /* unsolicited */
	if (m->kind == M_WRONGID && n >= 2)
		put16(r, (uint16_t)(get16(r) ^ WRONGID_XOR));
	if (m->kind == M_COUNTS)
		n = overstate_count(r, n, m->a);
	if (m->kind == M_DELAY) {
		struct delayed *x = delayed_new(r, n, now +
				(uint64_t)delay_for(m->a, m->b));

		if (x) {
			x->tcp = 1;
			x->conn = i;
			x->gen = c->gen;
		}
		schedule_or_drop(x);
		return;
	}
	tcp_deliver_now(i, r, n);
}

/* Handles every complete framed message in b; returns -1 if conn i closed. */
static int tcp_messages(int i, int from_upstream, uint64_t now)
{
	static uint8_t out[UDP_BUF];
	struct conn *c = &conns[i];
	unsigned gen = c->gen;

	for (;;) {
		struct buf *b = from_upstream ? &c->upin : &c->in;
		size_t n;
		enum mode_kind kind = M_PASS;
		size_t outlen = 0;

		if (c->fd < 0 || c->gen != gen)
			return -1;
		if (from_upstream && c->up < 0)
			return 0;
		if (b->len < 2)
			return 0;
		n = get16(b->p);
		if (b->len < n + 2)
			return 0;
		if (from_upstream) {
			tcp_deliver_reply(i, b->p + 2, n, now);
		} else {
			switch (classify(b->p + 2, n, 0, now, &kind, out, &outlen)) {
			case A_REPLY:
				tcp_deliver_now(i, out, outlen);
				break;
			case A_FORWARD:
				tcp_forward(i, b->p + 2, n);
				break;
			case A_DROP:
				break;
			}
		}
		if (c->fd < 0 || c->gen != gen)
			return -1;
		buf_consume(b, n + 2);
	}
}

/* Reads what is there into b; returns -1 on EOF or error. */
static int read_into(int fd, struct buf *b)
{
	for (;;) {
		ssize_t r;

		if (buf_reserve(b, b->len + 4096) < 0)
			return -1;
		r = recv(fd, b->p + b->len, b->cap - b->len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (r == 0)
			return -1;
		b->len += (size_t)r;
		/* Framed messages are handled between reads, so an honest peer
		 * never needs more than one message plus a read's worth. */
		if (b->len >= 2 * (TCP_MSG_MAX + 2))
			return 0;
	}
}

static void tcp_accept(uint64_t now)
{
	int k;

	for (k = 0; k < 64 && g.tcp_fd >= 0; k++) {
		int fd = accept4(g.tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		if (nconns >= g.max_tcp) {
			st.overflow++;
			close(fd);
			continue;
		}
		for (i = 0; i < g.max_tcp; i++)
			if (conns[i].fd < 0)
				break;
		conns[i].fd = fd;
		conns[i].up = -1;
		conns[i].last = now;
		nconns++;
		st.tcp_connections++;
	}
}

static void conn_readable(int i, uint64_t now)
{
	struct conn *c = &conns[i];
	int eof = read_into(c->fd, &c->in) < 0;

	c->last = now;
	if (tcp_messages(i, 0, now) < 0)
		return;
	if (eof)
		conn_close(i);
}

static void up_event(int i, short rev, uint64_t now)
{
	struct conn *c = &conns[i];

	if (c->up_connecting) {
		int err = 0;
		socklen_t el = sizeof err;

		if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(c->up, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			logmsg("tcp connect upstream %s: %s", g.up_str,
			       strerror(err ? err : errno));
			up_close(i);
			if (c->fd >= 0)
				conn_close(i);
			return;
		}
		c->up_connecting = 0;
	}
	if (rev & POLLOUT)
		up_flush(i);
	if (c->fd < 0 || c->up < 0)
		return;
	if (rev & (POLLIN | POLLERR | POLLHUP)) {
		int eof = read_into(c->up, &c->upin) < 0;

		c->last = now;
		if (tcp_messages(i, 1, now) < 0)
			return;
		if (eof)
			up_close(i);
	}
}

static void tcp_idle(uint64_t now)
{
	int i;

	for (i = 0; i < g.max_tcp; i++)
		if (conns[i].fd >= 0 &&
		    conns[i].last + (uint64_t)g.tcp_idle_ms <= now)
			conn_close(i);
}

/* --------------------------------------------------------------- stats */

static const char *qtype_name(unsigned t)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 41: return "OPT";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 47: return "NSEC";
	case 48: return "DNSKEY";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 252: return "AXFR";
	case 255: return "ANY";
	case 257: return "CAA";
	default: return NULL;
	}
}

static uint64_t inflight(void)
{
	uint64_t n = (uint64_t)nlive + (uint64_t)heap_n;
	int i;

	for (i = 0; conns && i < g.max_tcp; i++)
		if (conns[i].fd >= 0)
			n += (uint64_t)conns[i].up_pending;
	return n;
}

static void write_stats(void)
{
	char tmp[PATH_MAX];
	FILE *f;
	unsigned t;

	if (!g.stats_file)
		return;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", g.stats_file) >= (int)sizeof tmp)
		return;
	f = fopen(tmp, "we");
	if (!f) {
		logmsg("stats %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "queries %llu\n", (unsigned long long)st.queries);
	fprintf(f, "udp %llu\n", (unsigned long long)st.udp);
	fprintf(f, "tcp %llu\n", (unsigned long long)st.tcp);
	fprintf(f, "answered %llu\n", (unsigned long long)st.answered);
	fprintf(f, "dropped %llu\n", (unsigned long long)st.dropped);
	fprintf(f, "forwarded %llu\n", (unsigned long long)st.forwarded);
	fprintf(f, "upstream_replies %llu\n", (unsigned long long)st.upstream_replies);
	fprintf(f, "upstream_timeout %llu\n", (unsigned long long)st.upstream_timeout);
	fprintf(f, "malformed %llu\n", (unsigned long long)st.malformed);
	fprintf(f, "overflow %llu\n", (unsigned long long)st.overflow);
	fprintf(f, "undeliverable %llu\n", (unsigned long long)st.undeliverable);
	fprintf(f, "inflight %llu\n", (unsigned long long)inflight());
	fprintf(f, "tcp_connections %llu\n", (unsigned long long)st.tcp_connections);
	fprintf(f, "mode_switches %llu\n", (unsigned long long)st.mode_switches);
	fprintf(f, "chaos_switches %llu\n", (unsigned long long)st.chaos_switches);
	fprintf(f, "qtype_A %lu\n", (unsigned long)qtype_count[1]);
	fprintf(f, "qtype_AAAA %lu\n", (unsigned long)qtype_count[28]);
	for (t = 0; t < 65536; t++) {
		const char *name;

		if (t == 1 || t == 28 || qtype_count[t] == 0)
			continue;
		name = qtype_name(t);
		if (name)
			fprintf(f, "qtype_%s %lu\n", name, (unsigned long)qtype_count[t]);
		else
			fprintf(f, "qtype_TYPE%u %lu\n", t, (unsigned long)qtype_count[t]);
	}
	if (fclose(f) != 0 || rename(tmp, g.stats_file) < 0) {
		logmsg("stats %s: %s", g.stats_file, strerror(errno));
		unlink(tmp);
	}
}

static int write_pidfile(void)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", g.pid_file) >= (int)sizeof tmp)
		return -1;
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, g.pid_file) < 0) {
		unlink(tmp);
		return -1;
	}
	g.pid_written = 1;
	return 0;
}

/* ----------------------------------------------------------- mode apply */

static void apply_mode(const struct mode *m, uint64_t now)
{
	int was_closed = g.mode.kind == M_CLOSED;

	g.mode = *m;
	g.mode_t0 = now;
	g.outage_started = 0;
	/* tk_rand64's state must not be zero: splitmix64 of the seed, odd-ed. */
	g.rng_drop = splitmix64(g.seed) | 1;
	chaos.rng = splitmix64(g.seed ^ 0x6368616f73ull) | 1;
	chaos.until = 0;
	if (m->kind == M_CLOSED && !was_closed) {
		close_listeners();
		g.need_rebind = 0;
	} else if (m->kind != M_CLOSED && (was_closed || g.need_rebind)) {
		g.need_rebind = open_listeners() < 0;
		g.next_rebind = now + 200;
		if (g.need_rebind)
			logmsg("cannot re-bind %s yet, retrying", g.listen_str);
	}
}

static void reload_mode(uint64_t now)
{
	struct mode m;

	if (!g.mode_file) {
		logmsg("SIGUSR1 without --mode-file: mode unchanged (%s)", g.mode.text);
		return;
	}
	if (read_mode_file(&m) < 0) {
		logmsg("mode unchanged (%s)", g.mode.text);
		return;
	}
	apply_mode(&m, now);
	st.mode_switches++;
	logmsg("mode %s", g.mode.text);
}

/* ---------------------------------------------------------------- main */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_usr1 = 1;
	else if (sig == SIGUSR2)
		sig_usr2 = 1;
	else
		sig_term = 1;
}

static void usage(FILE *f)
{
	fputs("usage: faultdns --listen ADDR:PORT --upstream ADDR:PORT [--mode MODE]\n"
	      "         [--mode-file FILE] [--stats FILE] [--pidfile FILE] [--seed N]\n"
	      "         [--max-outstanding N] [--upstream-timeout MS] [--max-tcp N]\n"
	      "         [--tcp-idle MS] [--allow-non-loopback] [--verbose]\n"
	      "modes: pass blackhole closed delay=MS[,jitter=MS] servfail refused\n"
	      "       formerr notimp nxdomain truncate garbage wrongid wrongport\n"
	      "       flap=UP_MS/DOWN_MS drop=PCT outage=MS counts=an|ns|ar\n"
	      "       bigudp=N chaos=MIN_MS/MAX_MS\n"
	      "signals: USR1 re-read --mode-file, USR2 write --stats, TERM/INT exit\n",
	      f);
}

static int opt_long(const char *name, const char *s, long lo, long hi, long *out)
{
	char *end;

	if (parse_long(s, &end, lo, hi, out) < 0 || *end) {
		fprintf(stderr, "faultdns: bad %s '%s'\n", name, s);
		return -1;
	}
	return 0;
}

enum {
	O_LISTEN = 256, O_UPSTREAM, O_MODE, O_MODE_FILE, O_STATS, O_PIDFILE,
	O_SEED, O_MAX_OUT, O_UP_TIMEOUT, O_MAX_TCP, O_TCP_IDLE, O_ANY,
	O_VERBOSE, O_HELP
};

static int parse_args(int argc, char **argv, struct mode *m)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "upstream", required_argument, NULL, O_UPSTREAM },
		{ "mode", required_argument, NULL, O_MODE },
		{ "mode-file", required_argument, NULL, O_MODE_FILE },
		{ "stats", required_argument, NULL, O_STATS },
		{ "pidfile", required_argument, NULL, O_PIDFILE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "max-outstanding", required_argument, NULL, O_MAX_OUT },
		{ "upstream-timeout", required_argument, NULL, O_UP_TIMEOUT },
		{ "max-tcp", required_argument, NULL, O_MAX_TCP },
		{ "tcp-idle", required_argument, NULL, O_TCP_IDLE },
		{ "allow-non-loopback", no_argument, NULL, O_ANY },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode_str = NULL;
	long v;
	int o;

	g.seed = 1;
	g.max_outstanding = 4096;
	g.max_tcp = 256;
	g.up_timeout_ms = 3000;
	g.tcp_idle_ms = 30000;
	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case O_LISTEN: g.listen_str = optarg; break;
		case O_UPSTREAM: g.up_str = optarg; break;
		case O_MODE: mode_str = optarg; break;
		case O_MODE_FILE: g.mode_file = optarg; break;
		case O_STATS: g.stats_file = optarg; break;
		case O_PIDFILE: g.pid_file = optarg; break;
		case O_SEED:
			if (opt_long("--seed", optarg, 0, LONG_MAX, &v) < 0)
				return -1;
			g.seed = (uint64_t)v;
			break;
		case O_MAX_OUT:
			if (opt_long("--max-outstanding", optarg, 1, 60000, &g.max_outstanding) < 0)
				return -1;
			break;
		case O_UP_TIMEOUT:
			if (opt_long("--upstream-timeout", optarg, 1, 3600000, &g.up_timeout_ms) < 0)
				return -1;
			break;
		case O_MAX_TCP:
			if (opt_long("--max-tcp", optarg, 1, 4096, &g.max_tcp) < 0)
				return -1;
			break;
		case O_TCP_IDLE:
			if (opt_long("--tcp-idle", optarg, 1, 3600000, &g.tcp_idle_ms) < 0)
				return -1;
			break;
		case O_ANY: g.allow_any = 1; break;
		case 'v':
		case O_VERBOSE: g.verbose = 1; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || !g.listen_str || !g.up_str) {
		usage(stderr);
		return -1;
	}
	if (parse_addr(g.listen_str, &g.listen_ss, &g.listen_len) < 0) {
		fprintf(stderr, "faultdns: bad --listen '%s' (want 127.0.0.1:53 or [::1]:53)\n",
			g.listen_str);
		return -1;
	}
	if (parse_addr(g.up_str, &g.up_ss, &g.up_len) < 0) {
		fprintf(stderr, "faultdns: bad --upstream '%s' (want 127.0.0.1:53 or [::1]:53)\n",
			g.up_str);
		return -1;
	}
	if (!g.allow_any && (!is_loopback(&g.listen_ss) || !is_loopback(&g.up_ss))) {
		fprintf(stderr, "faultdns: --listen and --upstream must be loopback "
			"(or pass --allow-non-loopback)\n");
		return -1;
	}
	if (mode_str) {
		if (parse_mode(mode_str, m) < 0) {
			fprintf(stderr, "faultdns: bad --mode '%s'\n", mode_str);
			return -1;
		}
	} else if (g.mode_file) {
		if (read_mode_file(m) < 0)
			return -1;
	} else {
		parse_mode("pass", m);
	}
	return 0;
}

static int setup(void)
{
	long i;

	g.udp_fd = g.tcp_fd = g.alt_fd = g.up_udp_fd = -1;
	slots = calloc((size_t)g.max_outstanding, sizeof *slots);
	heap = calloc((size_t)g.max_outstanding, sizeof *heap);
	conns = calloc((size_t)g.max_tcp, sizeof *conns);
	if (!slots || !heap || !conns) {
		logmsg("out of memory");
		return -1;
	}
	for (i = 0; i < 65536; i++)
		id2slot[i] = -1;
	for (i = g.max_outstanding - 1; i >= 0; i--) {
		slots[i].prev = -1;
		slots[i].next = free_head;
		free_head = (int)i;
	}
	for (i = 0; i < g.max_tcp; i++)
		conns[i].fd = conns[i].up = -1;
	g.rng_misc = splitmix64(g.seed ^ 0x5eed) | 1;
	next_id = (uint16_t)splitmix64(g.seed);
	return 0;
}

static void teardown(void)
{
	if (conns)
		close_listeners();
	close_fd(&g.alt_fd);
	close_fd(&g.up_udp_fd);
	while (heap_n > 0)
		free(heap_pop());
	free(heap);
	free(slots);
	free(conns);
	if (g.pid_written)
		unlink(g.pid_file);
}

enum { P_UDP, P_TCP, P_ALT, P_UPUDP, P_CONN, P_UP };

struct pref {
	int type, idx;
	unsigned gen;
};

static void loop(void)
{
	size_t cap = 4 + 2 * (size_t)g.max_tcp;
	struct pollfd *pfd = calloc(cap, sizeof *pfd);
	struct pref *ref = calloc(cap, sizeof *ref);
	sigset_t waitmask;

	if (!pfd || !ref) {
		logmsg("out of memory");
		free(pfd);
		free(ref);
		return;
	}
	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGUSR1);
	sigdelset(&waitmask, SIGUSR2);

	while (!sig_term) {
		uint64_t now = now_ms();
		long timeout = 1000;
		struct timespec ts;
		size_t n = 0, k;
		int i, r;

		if (sig_usr1) {
			sig_usr1 = 0;
			reload_mode(now);
		}
		if (sig_usr2) {
			sig_usr2 = 0;
			write_stats();
		}
		if (g.need_rebind && now >= g.next_rebind) {
			g.need_rebind = open_listeners() < 0;
			g.next_rebind = now + 200;
			if (!g.need_rebind)
				logmsg("re-bound %s", g.listen_str);
		}
		fire_delayed(now);
		expire_slots(now);
		tcp_idle(now);

		if (heap_n > 0) {
			long d = (long)(heap[0]->due - now);

			if (d < timeout)
				timeout = d;
		}
		if (live_head >= 0) {
			uint64_t due = slots[live_head].t + (uint64_t)g.up_timeout_ms;
			long d = due > now ? (long)(due - now) : 0;

			if (d < timeout)
				timeout = d;
		}
		if (g.need_rebind && timeout > 200)
			timeout = 200;

		if (g.udp_fd >= 0) {
			pfd[n] = (struct pollfd){ g.udp_fd, POLLIN, 0 };
			ref[n++] = (struct pref){ P_UDP, 0, 0 };
		}
		if (g.tcp_fd >= 0) {
			pfd[n] = (struct pollfd){ g.tcp_fd, POLLIN, 0 };
			ref[n++] = (struct pref){ P_TCP, 0, 0 };
		}
		pfd[n] = (struct pollfd){ g.alt_fd, POLLIN, 0 };
		ref[n++] = (struct pref){ P_ALT, 0, 0 };
		pfd[n] = (struct pollfd){ g.up_udp_fd, POLLIN, 0 };
		ref[n++] = (struct pref){ P_UPUDP, 0, 0 };
		for (i = 0; i < g.max_tcp; i++) {
			struct conn *c = &conns[i];
			short ev = 0;

			if (c->fd < 0)
				continue;
			if (c->out.len < BUF_CAP / 2 && c->upout.len < BUF_CAP / 2)
				ev |= POLLIN;
			if (c->out.len)
				ev |= POLLOUT;
			pfd[n] = (struct pollfd){ c->fd, ev, 0 };
			ref[n++] = (struct pref){ P_CONN, i, c->gen };
			if (c->up >= 0) {
				ev = POLLIN;
				if (c->up_connecting || c->upout.len)
					ev |= POLLOUT;
				pfd[n] = (struct pollfd){ c->up, ev, 0 };
				ref[n++] = (struct pref){ P_UP, i, c->gen };
			}
		}

		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (timeout % 1000) * 1000000L;
		r = ppoll(pfd, (nfds_t)n, &ts, &waitmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			logmsg("ppoll: %s", strerror(errno));
			break;
		}
		if (r == 0)
			continue;
		now = now_ms();
		for (k = 0; k < n; k++) {
			short rev = pfd[k].revents;
			struct conn *c;

			if (!rev)
				continue;
			switch (ref[k].type) {
			case P_UDP:
				udp_read_clients(now);
				break;
			case P_TCP:
				tcp_accept(now);
				break;
			case P_ALT:
				drain_alt();
				break;
			case P_UPUDP:
				udp_read_upstream(now);
				break;
			case P_CONN:
				c = &conns[ref[k].idx];
				if (c->fd < 0 || c->gen != ref[k].gen)
					break;
				if (rev & POLLOUT)
					conn_flush(ref[k].idx);
				if (c->fd < 0 || c->gen != ref[k].gen)
					break;
				if (rev & (POLLIN | POLLERR | POLLHUP))
					conn_readable(ref[k].idx, now);
				break;
			case P_UP:
				c = &conns[ref[k].idx];
				if (c->fd < 0 || c->gen != ref[k].gen || c->up < 0)
					break;
				up_event(ref[k].idx, rev, now);
				break;
			}
		}
	}
	free(pfd);
	free(ref);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block;
	struct mode m;
	int rc = 1;

	if (parse_args(argc, argv, &m) < 0)
		return 2;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	if (setup() < 0)
		goto out;
	/* Bind even for `closed`, so a bad address fails now, not later. */
	if (open_listeners() < 0 || open_alt_and_upstream() < 0)
		goto out;
	g.mode.kind = M_PASS;
	apply_mode(&m, now_ms());
	if (g.pid_file && write_pidfile() < 0) {
		logmsg("pidfile %s: %s", g.pid_file, strerror(errno));
		goto out;
	}
	logmsg("listening on %s (udp+tcp), upstream %s, wrong-port source %d, mode %s",
	       g.listen_str, g.up_str, g.alt_port, g.mode.text);
	printf("ready\n");
	fflush(stdout);

	loop();
	rc = 0;
out:
	write_stats();
	teardown();
	return rc;
}
