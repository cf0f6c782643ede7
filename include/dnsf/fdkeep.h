/* fdkeep — descriptors the library keeps across calls, inside a program
 * that does not know about them.
 *
 * A descriptor kept across calls is only a number. The program may close
 * that number (daemons close every descriptor, closefrom, close_range) or
 * dup2 over it, and the number then names the program's own file or
 * socket. Reading, writing, polling or closing it would steal the
 * program's data or descriptor (bash's `exec 3<>/dev/tcp/...` then read a
 * netlink socket). So before every use after a call boundary, a kept
 * descriptor is compared with what we opened: st_dev and st_ino from
 * fstat (every socket has its own inode on sockfs), and for sockets
 * SO_DOMAIN and SO_PROTOCOL too. A descriptor that fails the comparison is
 * forgotten, never closed: the number is the program's.
 *
 * One window cannot be closed by any check: a thread of the program that
 * closes and reuses our number between the check and the system call. Only
 * a program that closes descriptors it does not own while another of its
 * threads resolves can open it.
 *
 * Shortage: where socket() or open() fails with EMFILE or ENFILE, the
 * caller reports it (fdkeep_shortage); the registered release function
 * then gives back every descriptor we keep, so the lookup, handed to
 * glibc, finds a free one (with RLIMIT_NOFILE = 4 glibc needs one at a
 * time). */
#ifndef DNSF_FDKEEP_H
#define DNSF_FDKEEP_H

#include <sys/types.h>

struct fd_ident {
    int fd;                  /* -1: none */
    dev_t dev;
    ino_t ino;
    int domain, protocol;    /* sockets only; -1 for other files */
};

/* Record what FD refers to now. Return 0, or -1 (ID->fd is then -1). */
int fdkeep_take(int fd, struct fd_ident *id);
/* 1 if ID->fd still refers to the object recorded (0 for fd -1). */
int fdkeep_ours(const struct fd_ident *id);
/* Close ID->fd if it is still ours; forget it in any case (fd = -1). */
void fdkeep_close(struct fd_ident *id);

/* Who gives our kept descriptors back; set once, at install. */
void fdkeep_set_release(void (*release)(void));
/* ERR is the errno of a failed socket() or open() of ours: when it says the
 * process is out of descriptors, call the release function. */
void fdkeep_shortage(int err);

#endif
