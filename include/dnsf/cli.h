/* cli — the command's subcommands that live outside cli.c (which parses the
 * command line and dispatches). Each returns the process exit code. */
#ifndef DNSF_CLI_H
#define DNSF_CLI_H
#include <stddef.h>
#include <stdio.h>

#include "dnsf/config.h"

/* The usage text, on F. */
void cli_usage(FILE *f);
/* Load the configuration PATH (NULL: $DNSFAILOVER_CONF, else the system
 * file) as the program APP (a name, or an absolute path for path globs;
 * NULL: "dnsfailover") sees it, into C. Return 0, or -1 having said why on
 * stderr. */
int cli_load_config(const char *path, const char *app, struct dnsf_config *c);
/* `dnsfailover resolve ...`; ARGV[0] is "resolve". Exit codes: 0 answered,
 * 1 lookup failed, 2 usage, 3 bad configuration. */
int cli_resolve(int argc, char **argv);

/* The library dnsfailover preloads: the one ld.so.preload names, or else the
 * installed one (compiled in from the Makefile's LIBDIR). */
extern const char cli_installed_lib[];

/* `dnsfailover preload enable [--lib PATH] [--check-name NAME] | disable
 * [--lib PATH] | status [--lib PATH]`; ARGV[0] is "preload". Exit codes:
 * 0 done (status: enabled), 1 not done (status: not enabled), 2 usage. */
int cli_preload(int argc, char **argv);

/* The first entry of /etc/ld.so.preload that is a dnsfailover library (by
 * file name: libdnsfailover.so or libnss_dnsfailover.so.2), copied to PATH.
 * Return 1 if there is one, 0 if not (or the file is missing). */
int cli_preload_listed(char *path, size_t len);

/* 1 if NAME (LEN bytes) is a path whose file name is one of dnsfailover's
 * library names. */
int cli_is_dnsfailover_lib(const char *name, size_t len);

/* What separates entries of /etc/ld.so.preload (glibc 2.36 elf/rtld.c,
 * dl_main); a path holding one cannot be listed. */
#define CLI_PRELOAD_SEPARATORS " \t\n:"
/* Prove LIB in child processes before it goes near /etc/ld.so.preload
 * (cli_prove.c): print each step, return 0, or -1 with the reason on
 * stderr. CHECK_NAME, if not NULL, is the name the child resolves. */
int cli_preload_prove(const char *lib, const char *check_name);
/* `preload --probe LIB [NAME]`, the child side of the proof, run under
 * LD_PRELOAD=LIB: every hook binds into LIB, and NAME resolves. Return the
 * exit status. */
int cli_preload_probe(const char *lib, const char *name);

/* The configuration the state commands read: PATH (as cli_load_config;
 * given, it must exist), or, when it is broken, its last good copy
 * (conflast.h), as a fresh preloaded process would use it. Their own
 * problems go to stderr (log.h). Return 0, or -1 having said why. */
int cli_state_config(const char *path, struct dnsf_config *c);
/* `dnsfailover status [--json] [--config F]` and `metrics [--config F]`
 * (cli_status.c); ARGV[0] is "status" or "metrics". */
int cli_status(int argc, char **argv);
/* `dnsfailover flush [--config F]` (cli_flush.c); ARGV[0] is "flush". */
int cli_flush(int argc, char **argv);
struct cli_state;
/* The state in Prometheus text exposition (cli_metrics.c), on F. */
void cli_metrics_print(FILE *f, const struct cli_state *st);

/* For `check`: print which mode is in effect ("mode ..." on OUT) and warn on
 * WARN when dnsfailover would do nothing. */
void cli_mode_report(FILE *out, FILE *warn);

#endif
