/* sysident — who we are on this host, as the kernel tells it: this boot,
 * and one process's identity (its pid and the time it started).
 *
 * Both come from text files of the kernel (procfs) and are parsed here
 * only, by the two sysident_parse_* functions, which are tested on their
 * own.
 *
 * Boot: /proc/sys/kernel/random/boot_id is a random UUID drawn at each
 * boot (Documentation/admin-guide/sysctl/kernel.rst, "random"). State
 * stamped with CLOCK_MONOTONIC times (which restart from 0 at boot) is
 * meaningful only within the boot that wrote it.
 *
 * Process: a pid is reused once its process is gone, so a pid alone does
 * not say "that process is still alive". Field 22 of /proc/PID/stat,
 * starttime, the clock ticks after boot at which the process started
 * (proc(5)), tells two processes with one pid apart. The identity packs
 * both in one 64-bit word, pid << 32 | (starttime & 0xffffffff) (the low
 * 32 bits of the ticks wrap after 497 days at 100 Hz, and would then also
 * need the same pid to collide). It is never 0. */
#ifndef DNSF_SYSIDENT_H
#define DNSF_SYSIDENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSIDENT_BOOT_ID_LEN 16

/* Fill ID with this boot's id. Return 0, or -1 when it cannot be read
 * (no /proc): the caller then trusts no boot-relative state. */
int sysident_boot_id(uint8_t id[SYSIDENT_BOOT_ID_LEN]);
/* The identity of process PID as it is now, or 0 when it does not exist
 * or cannot be seen (no /proc, hidepid, another pid namespace). */
uint64_t sysident_proc(pid_t pid);
static inline pid_t sysident_pid(uint64_t ident) { return (pid_t)(ident >> 32); }

/* Parse the LEN bytes at TEXT, a UUID as the kernel prints it
 * ("8359f543-ca12-4f38-a54d-9a9f8e1b112a", a newline may follow), into ID.
 * Return 0, or -1 when TEXT is anything else. */
int sysident_parse_boot_id(const char *text, size_t len, uint8_t id[SYSIDENT_BOOT_ID_LEN]);
/* Parse the LEN bytes at TEXT, a /proc/PID/stat line, for field 22
 * (starttime) into *START. The second field, the command name in
 * parentheses, may hold any bytes, ')' and spaces included: the fields
 * after it are found from its last ')'. Return 0 or -1. */
int sysident_parse_starttime(const char *text, size_t len, uint64_t *start);

#endif
