/* memogen — the memo's generation (memogen.h): the watched files and the
 * netlink socket. */
#include "dnsf/memogen.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/fdkeep.h"
#include "dnsf/filestamp.h"
#include "dnsf/sharing.h"

/* Bumped by the checker in memogen_at (under gen_lock), by memogen_bump
 * (config reload, nameserver change) and in the fork child; read by every
 * memoised call. */
static _Atomic uint64_t generation = 1;
/* When the next checks are due: written by the checker under gen_lock. */
static _Atomic uint64_t next_file_check_ms, next_nl_check_ms;
/* Serialises the checker, the socket's opening and closing, and the stamps. */
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
/* The netlink socket, kept across calls and checked before each use
 * (fdkeep.h). Under gen_lock (and in the fork child): opened at start,
 * again after the program closed it, given back on a descriptor shortage. */
static struct fd_ident nl = { .fd = -1 };
static uint64_t nl_retry_ms;          /* under gen_lock: no new socket before this */
/* 1 while the socket is open: memoised results may be served only then.
 * Written under gen_lock, read by any thread. */
static _Atomic int nl_watching;
/* After a descriptor shortage (or a failed open) the socket stays closed
 * this long: a process at its descriptor limit usually stays there a while,
 * and each new socket would again take the descriptor glibc needs. */
#define NL_RETRY_MS 10000
static const char *const watched_paths[] = {
    "/etc/hosts", "/etc/resolv.conf", "/etc/gai.conf", "/etc/nsswitch.conf", "/etc/services",
    "/etc/host.conf",
};
#define NWATCHED (sizeof watched_paths / sizeof watched_paths[0])
/* Under gen_lock: each file as last seen (taken at start, then by the checker). */
static struct file_stamp watched_stamp[NWATCHED];

/* 1 unless the process has no descriptor left: glibc needs one at a time
 * (with RLIMIT_NOFILE = 4 it resolves alone, but not with our socket in the
 * only free number: it cannot even read resolv.conf). An eventfd is a
 * descriptor without a file (closing a dup of a file would drop the
 * program's POSIX locks on it). One open and close (measured here: about
 * 5-10 us), so it runs only where the socket is opened or checked. */
static int descriptor_left(void)
{
    int saved = errno;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int left = fd >= 0 || (errno != EMFILE && errno != ENFILE);
    if (fd >= 0)
        close(fd);
    errno = saved;
    return left;
}

/* Forget the socket; close it only while the number is still ours. */
static void netlink_close_nolock(void)
{
    fdkeep_close(&nl);
    atomic_store(&nl_watching, 0);
}

enum nl_open { NL_OPEN = 0, NL_UNAVAILABLE = -1, NL_NO_DESCRIPTOR = -2 };

/* Open and bind the netlink socket into nl. NL_UNAVAILABLE when it cannot
 * be had here (a sandbox, no netlink); NL_NO_DESCRIPTOR when the process is
 * out of descriptors, or would be with it (nl.fd is -1 then). */
static enum nl_open netlink_open_nolock(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0)
        return errno == EMFILE || errno == ENFILE ? NL_NO_DESCRIPTOR : NL_UNAVAILABLE;
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE
                 | RTMGRP_IPV6_ROUTE;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fdkeep_take(fd, &nl) < 0) {
        close(fd);
        return NL_UNAVAILABLE;
    }
    atomic_store(&nl_watching, 1);
    if (!descriptor_left()) {
        netlink_close_nolock();
        return NL_NO_DESCRIPTOR;
    }
    return NL_OPEN;
}

/* 1 if addresses or routes may have changed since the last call. A socket
 * the program closed or replaced is forgotten (never read: the number is
 * the program's) and a new one opened; while none is open, changes may go
 * unseen, so a new socket counts as a change. */
static int netlink_changed_nolock(uint64_t now)
{
    if (nl.fd >= 0 && !fdkeep_ours(&nl)) {
        nl.fd = -1;
        atomic_store(&nl_watching, 0);
    }
    if (nl.fd >= 0 && !descriptor_left()) {
        netlink_close_nolock();
        nl_retry_ms = now + NL_RETRY_MS;
    }
    if (nl.fd < 0) {
        if (now < nl_retry_ms)
            return 0;
        if (netlink_open_nolock() != NL_OPEN) {
            nl_retry_ms = now + NL_RETRY_MS;
            return 0;
        }
        return 1;
    }
    char buf[8192];
    ssize_t n;
    int changed = 0;
    while ((n = recv(nl.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0 || (n < 0 && errno == ENOBUFS))
        changed = 1;
    return changed;
}

int memogen_start(void)
{
    pthread_mutex_lock(&gen_lock);
    enum nl_open nr = netlink_open_nolock();
    if (nr == NL_NO_DESCRIPTOR)
        nl_retry_ms = clock_now_coarse_ms() + NL_RETRY_MS;
    if (nr != NL_UNAVAILABLE)
        for (size_t i = 0; i < NWATCHED; i++)
            file_stamp_take(watched_paths[i], &watched_stamp[i]);
    pthread_mutex_unlock(&gen_lock);
    if (nr == NL_UNAVAILABLE)
        return -1;
    uint64_t now = clock_now_coarse_ms();
    next_file_check_ms = now + 1000;
    /* A socket opened just now, its descriptor just probed, has nothing to
     * read and is ours: that is this interval's check. Without this, the
     * first memoised call, microseconds later, re-checked it (six system
     * calls in every fresh process). */
    if (nr == NL_OPEN)
        next_nl_check_ms = now + 100;
    return 0;
}

uint64_t memogen_at(uint64_t now)
{
    if (now >= next_nl_check_ms || now >= next_file_check_ms) {
        if (pthread_mutex_trylock(&gen_lock) == 0) {   /* one checker at a time */
            if (now >= next_nl_check_ms) {
                next_nl_check_ms = now + 100;
                if (netlink_changed_nolock(now))
                    generation++;
            }
            int tick = 0;
            if (now >= next_file_check_ms) {
                tick = 1;
                next_file_check_ms = now + 1000;
                for (size_t i = 0; i < NWATCHED; i++) {
                    struct file_stamp st;
                    file_stamp_take(watched_paths[i], &st);
                    if (!file_stamp_equal(&st, &watched_stamp[i])) {
                        watched_stamp[i] = st;
                        generation++;
                    }
                }
            }
            pthread_mutex_unlock(&gen_lock);
            /* Outside gen_lock: a flush bumps the generation (memogen_bump). */
            if (tick)
                sharing_tick(now);
        }
    }
    return generation;
}

void memogen_bump(void)
{
    generation++;
}

int memogen_watching(void)
{
    return atomic_load_explicit(&nl_watching, memory_order_relaxed);
}

void memogen_release(void)
{
    pthread_mutex_lock(&gen_lock);
    if (nl.fd >= 0) {
        netlink_close_nolock();
        nl_retry_ms = clock_now_coarse_ms() + NL_RETRY_MS;
    }
    pthread_mutex_unlock(&gen_lock);
}

void memogen_fork_child(void)
{
    pthread_mutex_init(&gen_lock, NULL);
    if (nl.fd >= 0) {
        /* Shared with the parent: reading it here would steal the parent's
         * notifications. The next check opens our own. */
        netlink_close_nolock();
        nl_retry_ms = 0;
        generation++;
    }
}
