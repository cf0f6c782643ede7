/* trustfile — files in a directory that several users share (state_dir),
 * opened only when they can be trusted.
 *
 * The rule (issue 13, "Whose state is trusted"): a process trusts a file
 * only when root or one other named uid owns it (the process's own uid,
 * or for a compiled config the config file's owner) and no one else can
 * write it. Everything is judged on what was opened, after the open:
 *
 *   - the directory: opened with O_NOFOLLOW | O_DIRECTORY, owned by root
 *     or by the process's own uid; if group or others may write it, it
 *     must be root's and sticky (like /tmp: then no one can remove or
 *     rename another user's file in it, unlink(2)/rename(2) EPERM), else
 *     anyone could swap our files for theirs;
 *   - a file: looked at with fstatat(AT_SYMLINK_NOFOLLOW) first, so that a
 *     device node is never opened (opening some does something: a tape
 *     rewinds); opened with O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY
 *     (a FIFO put in its place fails or returns at once instead of
 *     blocking); then fstat on the descriptor: a regular file, a trusted
 *     owner, not writable by group or others, exactly one link (a hard
 *     link made by someone else to one of our own files, say ~/.bashrc,
 *     would otherwise pass the owner check, and we would write into it:
 *     fs.protected_hardlinks usually forbids such links, but need not be
 *     on), and a size in the caller's range (a truncated or huge file is
 *     refused before a byte is read).
 *
 * A file is created under a temporary name (O_CREAT | O_EXCL, never an
 * existing one: fs.protected_regular refuses O_CREAT on another user's
 * file in a sticky directory anyway), filled, and only then linked or
 * renamed into place: a reader sees a whole file or none. A writer killed
 * half-way leaves at worst a temporary file, never a half-written one
 * under the real name.
 *
 * Nothing here keeps a descriptor: callers close what they open. */
#ifndef DNSF_TRUSTFILE_H
#define DNSF_TRUSTFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Why a directory or file is not used; TRUST_OK when it is. */
enum trust_why {
    TRUST_OK = 0,
    TRUST_MISSING,       /* ENOENT */
    TRUST_DENIED,        /* EACCES or EPERM: permissions, or an LSM such as
                          * AppArmor (Debian 12 confines some daemons) */
    TRUST_SYMLINK,       /* a symbolic link: never followed */
    TRUST_KIND,          /* a FIFO, directory, device or socket (a file),
                          * or not a directory (the directory) */
    TRUST_OWNER,         /* owned by a uid we do not trust */
    TRUST_MODE,          /* writable by someone else */
    TRUST_LINKS,         /* more than one hard link */
    TRUST_SIZE,          /* size out of the caller's range */
    TRUST_SPARSE,        /* not fully allocated (TRUST_ALLOCATED) */
    TRUST_EXISTS,        /* the name is taken (trust_tmp_commit without replace) */
    TRUST_FSIZE,         /* RLIMIT_FSIZE forbids the size: writing would raise SIGXFSZ */
    TRUST_ERROR,         /* any other error */
};
const char *trust_why_text(enum trust_why why);

/* Open flags for trust_open. */
#define TRUST_WRITE 1        /* O_RDWR instead of O_RDONLY */
#define TRUST_ALLOCATED 2    /* every byte up to st_size has a block (no hole) */

/* Open the directory PATH for openat(): O_PATH, so only search permission
 * is needed. EUID is who we are: the directory must be root's or EUID's
 * (and root's and sticky when others may write it). With CREATE, a missing
 * directory is made mode 01777 (and chmod'ed so, whatever the umask), but
 * only by root (EUID 0) and only under a parent that is root's and that
 * no one else may write. Return the descriptor (the caller closes it) or
 * -1 with *WHY set. */
int trust_dir_open(const char *path, uid_t euid, int create, enum trust_why *why);

/* Open NAME in DIRFD (from trust_dir_open) under the rules above: owned by
 * OWNER or by root (OWNER 0: root only), a size in [MIN, MAX]. FLAGS:
 * TRUST_WRITE, TRUST_ALLOCATED. On success return the descriptor and fill
 * *ST; else -1 with *WHY set, and *ST filled when the file was seen (its
 * owner says who squats a name). */
int trust_open(int dirfd, const char *name, int flags, uid_t owner, off_t min, off_t max,
               struct stat *st, enum trust_why *why);

/* Create a new file in DIRFD under a temporary name derived from NAME
 * (written to TMP, TMPLEN bytes: ".NAME.PID.N", NAME_MAX permitting), mode
 * MODE exactly, and with SIZE > 0 allocate SIZE bytes of blocks
 * (posix_fallocate: no hole for a mapping to fault on when the file
 * system is full, which would be SIGBUS). Refused (TRUST_FSIZE) when
 * RLIMIT_FSIZE is below SIZE or below FSIZE_NEED: the kernel would send
 * SIGXFSZ, which kills the program. Return a descriptor open for reading
 * and writing, or -1 with *WHY set. */
int trust_tmp_create(int dirfd, const char *name, mode_t mode, off_t size, off_t fsize_need,
                     char *tmp, size_t tmplen, enum trust_why *why);
/* Put TMP in place as NAME: with REPLACE by rename(2) (whatever was there
 * goes, as far as the directory's sticky bit allows), else by link(2), so
 * an existing NAME stays and the result is TRUST_EXISTS. TMP is removed in
 * every case. Return 0 or -1 with *WHY set. */
int trust_tmp_commit(int dirfd, const char *tmp, const char *name, int replace,
                     enum trust_why *why);
/* Remove TMP (a failed creation). */
void trust_tmp_abandon(int dirfd, const char *tmp);

/* 1 when this process may write a file of SIZE bytes (RLIMIT_FSIZE). */
int trust_fsize_allows(off_t size);

#endif
