/* resconf — what /etc/resolv.conf says, read through glibc's own parser
 * (res_ninit), so search, domain, ndots, options, LOCALDOMAIN and RES_OPTIONS
 * mean exactly what they mean to glibc. */
#ifndef DNSF_RESCONF_H
#define DNSF_RESCONF_H

#include <sys/types.h>
#include <time.h>
#include "dnsf/config.h"

#define RESCONF_MAXDNSRCH 6

struct resconf {
    int nservers;
    struct dnsf_server servers[DNSF_MAX_SERVERS];
    int nsearch;
    char search[RESCONF_MAXDNSRCH][256];
    int ndots;
    unsigned long options;         /* RES_* bits from <resolv.h> */
};

/* Load the current resolver configuration. Return 0 or -1. */
int resconf_load(struct resconf *rc);
/* The current resolver configuration into OUT: a copy of the snapshot,
 * re-read (outside the lock) when resolv.conf's identity or mtime changed,
 * as glibc does (resolv/resolv_conf.c checks on every lookup). Return 0 or
 * -1. */
int resconf_current(struct resconf *out);
/* After fork, in the child: another thread may have held the lock. */
void resconf_fork_child(void);

#endif
