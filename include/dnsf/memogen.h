/* memogen — the memo's generation: one number, bumped whenever something a
 * memoised result (memo.h) depends on changes, so that every older entry
 * stops counting at once.
 *
 * What bumps it: a change to one of the six watched files (/etc/hosts,
 * resolv.conf, gai.conf, nsswitch.conf, services, host.conf; looked at at
 * most once a second), a netlink notice about addresses or routes (which
 * drive glibc's RFC 6724 sort and AI_ADDRCONFIG; read at most every
 * 100 ms), a config reload, a change of nameservers, and a fork. */
#ifndef DNSF_MEMOGEN_H
#define DNSF_MEMOGEN_H

#include <stdint.h>

/* Start watching, once, when the memo is switched on (state.c's install):
 * open the netlink socket and stamp the files. Return 0, or -1 when netlink
 * cannot be had here (a sandbox): then nothing may be memoised. */
int memogen_start(void);
/* The generation at NOW_MS (clock_now_coarse_ms), after the checks that
 * are due; one thread checks at a time, the others read the number. */
uint64_t memogen_at(uint64_t now_ms);
/* Something a result depends on changed (the config, the nameservers). */
void memogen_bump(void);
/* 1 while the netlink socket is open: memoised results may be served only
 * then (without it nobody sees address and route changes). */
int memogen_watching(void);
/* The process is out of descriptors: close the netlink socket, and open no
 * new one for a while (fdkeep.h). */
void memogen_release(void);
/* After fork, in the child: the socket is the parent's; forget it. */
void memogen_fork_child(void);

#endif
