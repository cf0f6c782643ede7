/* trustfile — shared-directory files opened only when trusted (contract
 * and reasons in trustfile.h). */
#include "dnsf/trustfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *trust_why_text(enum trust_why why)
{
    static const char *const text[] = {
        [TRUST_OK] = "ok",
        [TRUST_MISSING] = "does not exist",
        [TRUST_DENIED] = "access denied (permissions or a security profile)",
        [TRUST_SYMLINK] = "a symbolic link (not followed)",
        [TRUST_KIND] = "not the expected kind of file",
        [TRUST_OWNER] = "owned by an untrusted user",
        [TRUST_MODE] = "writable by others",
        [TRUST_LINKS] = "has other hard links",
        [TRUST_SIZE] = "has an unexpected size",
        [TRUST_SPARSE] = "is not fully allocated",
        [TRUST_EXISTS] = "already exists",
        [TRUST_FSIZE] = "the file size limit (RLIMIT_FSIZE) is too low",
        [TRUST_ERROR] = "system error",
    };
    return (unsigned)why < sizeof text / sizeof text[0] ? text[why] : "?";
}

static enum trust_why why_of_errno(int err)
{
    switch (err) {
    case ENOENT:
        return TRUST_MISSING;
    case EACCES:
    case EPERM:
        return TRUST_DENIED;
    case ELOOP:
        return TRUST_SYMLINK;
    case ENOTDIR:
    case EISDIR:
    case ENXIO:                   /* a socket, or a FIFO without a peer */
        return TRUST_KIND;
    case EEXIST:
        return TRUST_EXISTS;
    case EFBIG:
        return TRUST_FSIZE;
    default:
        return TRUST_ERROR;
    }
}

int trust_fsize_allows(off_t size)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 0;
    return rl.rlim_cur == RLIM_INFINITY || (rlim_t)size <= rl.rlim_cur;
}

/* The directory rules (trustfile.h) on what fstat saw. */
static enum trust_why judge_dir(const struct stat *st, uid_t euid)
{
    if (!S_ISDIR(st->st_mode))
        return TRUST_KIND;
    if (st->st_uid != 0 && st->st_uid != euid)
        return TRUST_OWNER;
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_uid == 0 && (st->st_mode & S_ISVTX)))
        return TRUST_MODE;
    return TRUST_OK;
}

/* Root only: make PATH 01777 when its parent is root's and only root's to
 * write. Failures are left to the open that follows. */
static void make_dir(const char *path)
{
    char parent[PATH_MAX];
    struct stat st;
    const char *slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) >= sizeof parent)
        return;
    memcpy(parent, path, (size_t)(slash - path));
    parent[slash - path] = 0;
    if (stat(parent[0] ? parent : "/", &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0
        || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return;
    if (mkdir(path, 0700) == 0)
        chmod(path, 01777);       /* after mkdir: the umask does not apply */
}

int trust_dir_open(const char *path, uid_t euid, int create, enum trust_why *why)
{
    struct stat st;
    int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(path, flags);
    if (fd < 0 && errno == ENOENT && create && euid == 0) {
        make_dir(path);
        fd = open(path, flags);
    }
    if (fd < 0) {
        /* O_NOFOLLOW | O_DIRECTORY on a symlink: ENOTDIR on Linux. */
        int err = errno;
        *why = why_of_errno(err);
        if (err == ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            *why = TRUST_SYMLINK;
        return -1;
    }
    *why = fstat(fd, &st) != 0 ? TRUST_ERROR : judge_dir(&st, euid);
    if (*why != TRUST_OK) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The file rules (trustfile.h) on what fstat saw. */
static enum trust_why judge_file(const struct stat *st, int flags, uid_t owner, off_t min,
                                 off_t max)
{
    if (!S_ISREG(st->st_mode))
        return TRUST_KIND;
    if (st->st_uid != 0 && st->st_uid != owner)
        return TRUST_OWNER;
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return TRUST_MODE;
    if (st->st_nlink != 1)
        return TRUST_LINKS;
    if (st->st_size < min || st->st_size > max)
        return TRUST_SIZE;
    if ((flags & TRUST_ALLOCATED) && (off_t)st->st_blocks * 512 < st->st_size)
        return TRUST_SPARSE;
    return TRUST_OK;
}

int trust_open(int dirfd, const char *name, int flags, uid_t owner, off_t min, off_t max,
               struct stat *st, enum trust_why *why)
{
    memset(st, 0, sizeof *st);
    /* Look first: a device node is refused without being opened. */
    if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0) {
        *why = why_of_errno(errno);
        return -1;
    }
    if (S_ISLNK(st->st_mode) || !S_ISREG(st->st_mode)) {
        *why = S_ISLNK(st->st_mode) ? TRUST_SYMLINK : TRUST_KIND;
        return -1;
    }
    int fd = openat(dirfd, name, (flags & TRUST_WRITE ? O_RDWR : O_RDONLY) | O_NOFOLLOW
                    | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *why = why_of_errno(errno);
        return -1;
    }
    /* Judge what was opened: the name may point elsewhere since the look. */
    *why = fstat(fd, st) != 0 ? TRUST_ERROR : judge_file(st, flags, owner, min, max);
    if (*why != TRUST_OK) {
        close(fd);
        return -1;
    }
    return fd;
}

int trust_tmp_create(int dirfd, const char *name, mode_t mode, off_t size, off_t fsize_need,
                     char *tmp, size_t tmplen, enum trust_why *why)
{
    static _Atomic unsigned counter;
    if (!trust_fsize_allows(size > fsize_need ? size : fsize_need)) {
        *why = TRUST_FSIZE;
        return -1;
    }
    int fd = -1;
    /* A name someone else took first (squatting a predictable name) costs
     * one more try each, a few at most. */
    for (int tries = 0; fd < 0 && tries < 4; tries++) {
        int n = snprintf(tmp, tmplen, ".%s.%d.%u", name, (int)getpid(),
                         atomic_fetch_add(&counter, 1));
        if (n < 0 || (size_t)n >= tmplen) {
            *why = TRUST_ERROR;
            return -1;
        }
        fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY
                    | O_NONBLOCK, mode & 0777);
        if (fd < 0 && errno != EEXIST) {
            *why = why_of_errno(errno);
            return -1;
        }
    }
    if (fd < 0) {
        *why = TRUST_EXISTS;
        return -1;
    }
    int rc = fchmod(fd, mode & 0777) == 0 ? 0 : errno;   /* the umask may have cut it */
    if (rc == 0 && size > 0)
        rc = posix_fallocate(fd, 0, size);
    if (rc != 0) {
        *why = why_of_errno(rc);
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    *why = TRUST_OK;
    return fd;
}

int trust_tmp_commit(int dirfd, const char *tmp, const char *name, int replace,
                     enum trust_why *why)
{
    int rc = replace ? renameat(dirfd, tmp, dirfd, name) : linkat(dirfd, tmp, dirfd, name, 0);
    int err = errno;
    if (rc != 0 || !replace)
        unlinkat(dirfd, tmp, 0);
    *why = rc == 0 ? TRUST_OK : why_of_errno(err);
    return rc == 0 ? 0 : -1;
}

void trust_tmp_abandon(int dirfd, const char *tmp)
{
    unlinkat(dirfd, tmp, 0);
}
