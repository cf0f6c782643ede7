/* nsswitch — put dnsfailover in place of "dns" in the hosts database.
 *
 * We keep every other source the system lists (files, myhostname, mdns,
 * resolve, ...) in its place with its actions, so names those sources answer
 * still resolve exactly as before; only the DNS step becomes ours. */
#ifndef DNSF_NSSWITCH_H
#define DNSF_NSSWITCH_H
#include <stddef.h>

/* glibc's built-in hosts line when nsswitch.conf has none. */
#define NSSWITCH_DEFAULT_HOSTS "dns [!UNAVAIL=return] files"

/* What nsswitch_hosts_line and nsswitch_rewrite found on the hosts line. */
enum {
    NSSWITCH_NO_DNS = 0,     /* neither "dns" nor "dnsfailover": we stay out of the way */
    NSSWITCH_REPLACED = 1,   /* "dns" became "dnsfailover" */
    NSSWITCH_NAMED = 2,      /* the admin named "dnsfailover" (NSS-only mode): the line
                                is used as it is, any "dns" kept; glibc loads and calls
                                the module from the file */
};

/* Compute the new hosts line from the nsswitch.conf at PATH into OUT.
 * Return NSSWITCH_* (above), or -1 if OUT is too small. */
int nsswitch_hosts_line(const char *path, char *out, size_t outlen);
/* Rewrite one hosts specification (the text after "hosts:"). Same returns. */
int nsswitch_rewrite(const char *spec, char *out, size_t outlen);
/* 1 if in LINE only "files" (and actions) come before "dnsfailover" and no
 * action continues or merges after a success: then a result that did not
 * come from DNS came from /etc/hosts (or a numeric address). */
int nsswitch_memo_safe(const char *line);
/* When "files" comes right before "dnsfailover" in LINE, with no action of
 * its own, drop it: dnsfailover then takes the files step too, answering
 * "not in /etc/hosts" from its in-memory index and asking glibc's files
 * module whenever the name may be there (hostsfile.h). The default actions
 * of "files" (return on success, go on otherwise) are what the merged
 * module does. Return 1 if merged (LINE is rewritten in place), else 0. */
int nsswitch_merge_files(char *line);
/* Install LINE for the hosts database (glibc __nss_configure_lookup). This
 * also bypasses nscd for hosts, which would otherwise answer for us. */
int nsswitch_install(const char *line);

#endif
