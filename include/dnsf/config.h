/* config — the libconfig file, turned into an immutable struct dnsf_config.
 *
 * Contract: a config object is built completely, validated, then published;
 * it is never modified afterwards, so readers need no lock. A file with any
 * error is rejected whole (never half-applied) and the caller fails open. */
#ifndef DNSF_CONFIG_H
#define DNSF_CONFIG_H

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* glibc's MAXNS is 3; we allow more servers from our own config. */
#define DNSF_MAX_SERVERS 8
#define DNSF_SYSTEM_CONF "/etc/dnsfailover.conf"
/* The default state_dir (shstate.h): on tmpfs, emptied at boot, like the
 * state the health files hold. */
#define DNSF_STATE_DIR "/run/dnsfailover"

/* What a config file may be (derivations in confscan.c): at most this many
 * bytes, settings per group, and levels of { [ ( nesting. */
#define DNSF_CONFIG_MAX_BYTES 65536
#define DNSF_CONFIG_MAX_GROUP_KEYS 64
#define DNSF_CONFIG_MAX_DEPTH 16

struct dnsf_server {
    struct sockaddr_storage addr;  /* port included */
    socklen_t addrlen;
    char text[64];                 /* "192.0.2.1:53", "[2001:db8::1]:53" */
};

/* STRATEGY_BALANCE: a hedge whose first choice is spread over the servers
 * whose smoothed RTT is within a band of the best one (balance.h). */
enum dnsf_strategy { STRATEGY_HEDGE = 0, STRATEGY_RACE, STRATEGY_SEQUENCE, STRATEGY_BALANCE,
                     STRATEGY_COUNT };

/* `domains`: nameservers per domain suffix, compiled by confdomains.c and
 * read by route.c (route.h says how a lookup uses it). Fixed-size arrays,
 * no pointers, so the whole table lives inside the immutable config
 * snapshot, is copied with it, and is never freed on its own. Sizes: an
 * off-boarding site routes a handful of acquired zones and their reverse
 * zones to two or three servers each; these leave room for 16 entries of
 * 4 suffixes and 1.5 servers on average, in 9.1 KB (sizeof on x86-64;
 * the servers take 4.8 KB of it). */
#define DNSF_MAX_DOMAINS 16           /* entries in effect (top level + app, merged) */
#define DNSF_MAX_SUFFIXES 64          /* suffixes over all entries */
#define DNSF_MAX_DOMAIN_SERVERS 24    /* nameservers over all entries */
#define DNSF_SUFFIX_BYTES 2048        /* the suffixes' wire forms, one after another */
#define DNSF_SUFFIX_SLOTS 128         /* hash slots: a power of two, 2 x the suffixes */

struct dnsf_domain {
    /* In effect for a lookup this entry routes: the entry's own value, else
     * the config's (the app's, else the top level's). deadline_ms is always
     * the config's: one lookup has one deadline. */
    enum dnsf_strategy strategy;
    int timeout_ms, attempts, hedge_min_ms, hedge_max_ms;
    /* As written in the entry; -1: not set, inherited. */
    struct { int strategy, timeout_ms, attempts, hedge_min_ms, hedge_max_ms; } own;
    int first_server, nservers;       /* dnsf_domains.servers[first_server ..] */
    unsigned line;                    /* where the entry is in the file */
    char origin[48];                  /* "domains[0]", "apps[2].domains[1]" */
};

struct dnsf_suffix {
    uint32_t hash;                    /* route_suffix_hash() of the wire form */
    uint16_t off;                     /* wire form (lower case) at names[off] */
    uint8_t domain;                   /* index into dnsf_domains.d */
    uint8_t labels;                   /* label count */
};

struct dnsf_domains {
    int n, nsuffixes, nservers, names_used;
    struct dnsf_domain d[DNSF_MAX_DOMAINS];
    struct dnsf_suffix s[DNSF_MAX_SUFFIXES];
    uint8_t slot[DNSF_SUFFIX_SLOTS];  /* 0: empty, else index into s + 1 */
    struct dnsf_server servers[DNSF_MAX_DOMAIN_SERVERS];
    uint8_t names[DNSF_SUFFIX_BYTES];
};

/* The health.* keys: what health.c reads. */
struct dnsf_health_config {
    int fail_threshold, probe_interval_ms, max_down_ms;
};

/* The cache.* keys: what cache.c (and the memo's max_entries) reads. */
struct dnsf_cache_config {
    int enabled, max_entries, min_ttl, max_ttl, negative_max_ttl;
    int serve_stale, max_stale;
};

/* Every setting, in one place. The engine reads it where each setting is
 * used, from the snapshot its lookup holds (confsnap.h); nothing copies a
 * setting into a struct of its own. */
struct dnsf_config {
    int enabled;                   /* 0: every hook is a pass-through */
    int nservers;                  /* 0: take them from resolv.conf */
    struct dnsf_server servers[DNSF_MAX_SERVERS];
    enum dnsf_strategy strategy;
    int timeout_ms, attempts, deadline_ms;
    int hedge_min_ms, hedge_max_ms;
    struct dnsf_health_config health;
    struct dnsf_cache_config cache;
    int ndots;                     /* -1: from resolv.conf */
    int nsearch;                   /* -1: from resolv.conf */
    char search[6][256];
    int log_level;
    char log_target[PATH_MAX];     /* "syslog", "stderr" or an absolute path */
    char state_dir[PATH_MAX];      /* health shared across processes; "": not shared */
    int stats_on_exit;
    char source[PATH_MAX];         /* the file read, "" for built-in defaults */
    char app[128];                 /* the apps entry that matched, "" if none */
    struct dnsf_domains domains;   /* `domains`, merged with the matched app's */
};

/* Fill C with the built-in defaults (documented in conf/dnsfailover.conf). */
void config_defaults(struct dnsf_config *c);

/* Who is asking: used to pick the first matching apps entry. */
struct dnsf_identity {
    const char *progname;          /* program_invocation_short_name */
    const char *exe;               /* readlink(/proc/self/exe), may be NULL */
    /* When exe is NULL and this is set: called for it, only when an apps
     * entry names a path (a readlink costs 15-30 us here, and most files
     * have no such entry). May return NULL. */
    const char *(*exe_lookup)(void);
};

/* Read PATH into C (defaults first, then global keys, then the first apps
 * entry matching ID). Return 0 on success, 1 if PATH does not exist (C holds
 * the defaults), -1 on any error: ERR then holds "FILE:LINE: message" (LINE
 * 0 for the file as a whole), and C the defaults. PATH is followed through
 * symlinks and must be a regular file of at most DNSF_CONFIG_MAX_BYTES; it
 * is opened non-blocking, so nothing here can wait on a FIFO or a device. */
int config_load_file(const char *path, const struct dnsf_identity *id,
                     struct dnsf_config *c, char *err, size_t errlen);
/* The same for the LEN bytes at BUF (any bytes; no NUL needed), named NAME
 * in errors and in C->source. The whole file path ends here, so this is
 * the entry point for a fuzzer. */
int config_load_buffer(const char *buf, size_t len, const char *name,
                       const struct dnsf_identity *id, struct dnsf_config *c, char *err,
                       size_t errlen);

/* Parse "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:53"
 * into S (default port 53). Return 0 or -1. */
int config_parse_server(const char *text, struct dnsf_server *s);
const char *config_strategy_name(enum dnsf_strategy s);
/* Same family, address and port (and IPv6 scope). Only those fields are
 * compared: sin_zero and sin6_flowinfo may be uninitialised in addresses
 * glibc filled in. */
int config_same_addr(const struct sockaddr *a, const struct sockaddr *b);
/* The range of the integer key PATH ("timeout_ms"): 0, or -1 if the schema
 * has no such integer key. */
int config_key_range(const char *path, long *min, long *max);
/* Call FN for every key the schema accepts (the README is checked against
 * this list), then the keys of a `domains` entry ("domains.suffix", ...),
 * "apps" last. */
void config_schema_each(void (*fn)(const char *path, const char *type, long min, long max,
                                   void *arg), void *arg);

#endif
