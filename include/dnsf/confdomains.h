/* confdomains — the `domains` key: nameservers per domain suffix, checked
 * and compiled into the config's struct dnsf_domains (config.h), which
 * route.h reads.
 *
 * The form (at the top level and inside an apps entry):
 *   domains = ( { suffix = [ "corp.example", "10.in-addr.arpa" ];
 *                 nameservers = [ "10.1.2.3", "10.1.2.4" ];
 *                 strategy = "sequence"; timeout_ms = 500; } );
 * suffix and nameservers are required; strategy, timeout_ms, attempts,
 * hedge_min_ms and hedge_max_ms are optional and, when absent, those of
 * the config in effect (the app's, else the top level's). deadline_ms is
 * refused in an entry: a lookup has one deadline whatever it routes.
 *
 * Suffixes: letters, digits, '-' and '_', dot-separated labels of 1 to 63
 * characters, at most 253 characters; stored in lower case, a trailing dot
 * dropped, so "Corp.Example." and "corp.example" are the same suffix. The
 * root "." is refused: it would route every name, which is what the
 * `nameservers` key (top level or per app) already says, and two ways to
 * say it where one silently wins is a trap. The same suffix twice in one
 * list is an error (which entry should win?); across the top level's list
 * and an app's, the app's entry wins for that suffix, and the top level's
 * entries keep their other suffixes.
 *
 * Errors are "FILE:LINE: KEY: message" like config.c's, KEY naming the
 * entry ("domains[1].suffix", "apps[0].domains[0].nameservers"). */
#ifndef DNSF_CONFDOMAINS_H
#define DNSF_CONFDOMAINS_H

#include <libconfig.h>
#include <stddef.h>

#include "dnsf/config.h"

/* libconfig's two accessors that are functions, not macros: config.c
 * dlopens libconfig and lends them. */
struct confdomains_lc {
    int (*length)(const config_setting_t *);
    config_setting_t *(*elem)(const config_setting_t *, unsigned int);
};

/* Merge the `domains` list S over C->domains: S's entries are added, and
 * every suffix S names is taken from the entries already there (an entry
 * left without a suffix goes). At the top level the table is empty, so the
 * result is S; in an apps entry it is S over the top level's. FILE names
 * the file in errors. Return 0, or -1 with ERR set (C is then half-built:
 * the caller drops it). */
int confdomains_apply(const config_setting_t *s, const struct confdomains_lc *lc,
                      const char *file, struct dnsf_config *c, char *err, size_t errlen);

/* Once every key of a level is applied (the top level, or an apps entry
 * over it): set each entry's values in effect from its own and C's, check
 * hedge_min_ms <= hedge_max_ms for each, and index the suffixes. Return 0,
 * or -1 with ERR set. */
int confdomains_finish(struct dnsf_config *c, const char *file, char *err, size_t errlen);

/* The keys of one entry, for config_schema_each ("domains.suffix", ...). */
void confdomains_schema_each(void (*fn)(const char *path, const char *type, long min,
                                        long max, void *arg), void *arg);

#endif
