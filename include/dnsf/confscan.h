/* confscan — the bytes of a config file, checked before libconfig sees them.
 *
 * libconfig 1.5 is handed only text that passed this check: no NUL byte
 * (the text would end there, silently), no @include (libconfig would open
 * that file itself, FIFOs included), nesting and group sizes it parses in
 * bounded time, and no integer it would store as another value. The limits
 * are in config.h (DNSF_CONFIG_MAX_*); their derivations in confscan.c.
 *
 * Contract: any bytes at all are safe to pass (a fuzzer feeds it garbage);
 * the check reads BUF[0..LEN) only and allocates nothing. */
#ifndef DNSF_CONFSCAN_H
#define DNSF_CONFSCAN_H

#include <stddef.h>

enum confscan_problem {
    CONFSCAN_OK = 0,
    CONFSCAN_TOO_BIG,              /* more than DNSF_CONFIG_MAX_BYTES (line 0) */
    CONFSCAN_NUL,                  /* a NUL byte */
    CONFSCAN_INCLUDE,              /* an @include directive */
    CONFSCAN_DEPTH,                /* { [ ( nested more than DNSF_CONFIG_MAX_DEPTH deep */
    CONFSCAN_GROUP_KEYS,           /* more than DNSF_CONFIG_MAX_GROUP_KEYS settings in a group */
    CONFSCAN_INTEGER,              /* an integer libconfig 1.5 would not store as written */
};

struct confscan_result {
    enum confscan_problem problem;
    unsigned line;                 /* 1-based line of the problem */
    /* CONFSCAN_INTEGER: the setting it belongs to, as config.c names keys
     * ("health.fail_threshold"; inside an apps entry, the bare key), "" if
     * none; and the literal as written, cut to 32 characters plus "...". */
    char path[128];
    char text[40];
};

/* Check BUF[0..LEN). Return 0, or -1 with R saying what and where (the
 * first problem in the text). */
int confscan_check(const char *buf, size_t len, struct confscan_result *r);

#endif
