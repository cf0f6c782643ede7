/* conflast — the last good copy of a config file, and a breakage reported
 * once (contract and reasons in conflast.h). */
#include "dnsf/conflast.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/conffile.h"
#include "dnsf/strutil.h"
#include "dnsf/trustfile.h"

/* The copy's first line; the config file's path follows, then "\n". */
#define CONFLAST_HEADER "# dnsfailover: the last good copy of "
/* "config-v1.HASH" and its markers' names, NAME_MAX permitting. */
#define CONFLAST_NAME_LEN 64

void conflast_name(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "config-v1.%08x", (unsigned)dnsf_fnv1a(DNSF_FNV1A_INIT, path, strlen(path)));
}

/* The copy's first line for PATH in BUF; its length, or -1 when PATH
 * cannot be named on one line. */
static int header(const char *path, char *buf, size_t len)
{
    if (strchr(path, '\n') != NULL)
        return -1;
    int n = snprintf(buf, len, "%s%s\n", CONFLAST_HEADER, path);
    return n > 0 && (size_t)n < len ? n : -1;
}

static int at_secure(void)
{
    return getauxval(AT_SECURE) != 0;
}

/* DIR opened under trustfile's rules for who we are (an AT_SECURE process
 * trusts root's only); CREATE: make it when missing (root only). */
static int dir_open(const char *dir, int create)
{
    enum trust_why why;
    if (dir == NULL || dir[0] == 0)
        return -1;
    uid_t euid = at_secure() ? 0 : geteuid();
    return trust_dir_open(dir, euid, create && euid == 0 && !at_secure(), &why);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read PATH again, and write it as NAME in DIRFD if it still parses. */
static void write_copy(int dirfd, const char *name, const char *path, const char *hdr, int hl,
                       const struct file_stamp *st, const struct dnsf_identity *id)
{
    char err[PATH_MAX + 300], tmp[NAME_MAX + 1];
    char *buf = NULL;
    size_t len = 0;
    enum trust_why why;
    if (conffile_read(path, &buf, &len, err, sizeof err) != 0)
        return;
    struct dnsf_config *c = malloc(sizeof *c);   /* 11.5 KB: not on a host's stack */
    int good = c != NULL && config_load_buffer(buf, len, path, id, c, err, sizeof err) == 0;
    free(c);
    off_t size = (off_t)hl + (off_t)len;
    int fd = good ? trust_tmp_create(dirfd, name, 0600 | (st->mode & 0044), size, size, tmp,
                                     sizeof tmp, &why)
                  : -1;
    if (fd >= 0) {
        /* The config file's mtime: one fstatat tells a later process that
         * the copy is up to date. */
        struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, st->mtime };
        if (write_all(fd, hdr, (size_t)hl) == 0 && write_all(fd, buf, len) == 0
            && futimens(fd, t) == 0)
            trust_tmp_commit(dirfd, tmp, name, 1, &why);
        else
            trust_tmp_abandon(dirfd, tmp);
        close(fd);
    }
    free(buf);
}

void conflast_keep(const char *dir, const char *path, const struct file_stamp *st,
                   const struct dnsf_identity *id)
{
    char hdr[PATH_MAX + 64], name[CONFLAST_NAME_LEN];
    uid_t euid = geteuid();
    int hl = header(path, hdr, sizeof hdr);
    if (!st->ok || !st->regular || at_secure() || (euid != 0 && euid != st->uid) || hl < 0)
        return;
    int dirfd = dir_open(dir, 1);
    if (dirfd < 0)
        return;
    conflast_name(path, name, sizeof name);
    struct stat sb;
    int have = fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    int current = have && S_ISREG(sb.st_mode) && sb.st_size == (off_t)hl + st->size
        && sb.st_mtim.tv_sec == st->mtime.tv_sec && sb.st_mtim.tv_nsec == st->mtime.tv_nsec
        && (sb.st_uid == euid || sb.st_uid == 0);
    /* Another user's file at the name: only root may rename over it (the
     * directory is sticky), so nobody else tries in every process. */
    int replaceable = !have || euid == 0 || sb.st_uid == euid;
    if (!current && replaceable)
        write_copy(dirfd, name, path, hdr, hl, st, id);
    close(dirfd);
}

int conflast_load(const char *dir, const char *path, const struct file_stamp *st,
                  const struct dnsf_identity *id, struct dnsf_config *c)
{
    char hdr[PATH_MAX + 64], name[CONFLAST_NAME_LEN], err[PATH_MAX + 300];
    struct stat sb;
    enum trust_why why;
    config_defaults(c);
    int hl = header(path, hdr, sizeof hdr);
    int dirfd = st->ok && hl > 0 ? dir_open(dir, 0) : -1;
    if (dirfd < 0)
        return -1;
    conflast_name(path, name, sizeof name);
    int fd = trust_open(dirfd, name, 0, st->uid, hl, (off_t)hl + DNSF_CONFIG_MAX_BYTES, &sb,
                        &why);
    close(dirfd);
    if (fd < 0)
        return -1;
    size_t want = (size_t)sb.st_size, got = 0;
    char *buf = malloc(want + 1);
    ssize_t n = 0;
    while (buf != NULL && got < want + 1
           && ((n = read(fd, buf + got, want + 1 - got)) > 0 || (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    close(fd);
    /* Exactly the size seen (a file that grew while read is not used), and
     * the copy of this very path. */
    int rc = -1;
    if (buf != NULL && n >= 0 && got == want && memcmp(buf, hdr, (size_t)hl) == 0)
        rc = config_load_buffer(buf + hl, got - (size_t)hl, path, id, c, err, sizeof err) == 0
             ? 0 : -1;
    free(buf);
    if (rc < 0)
        config_defaults(c);
    return rc;
}

/* 1 when a trusted marker NAME (OWNER's or root's) exists in DIRFD. */
static int marker_exists(int dirfd, const char *name, uid_t owner)
{
    struct stat sb;
    enum trust_why why;
    int fd = trust_open(dirfd, name, 0, owner, 0, 0, &sb, &why);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* Remove EUID's markers for PATH other than KEEP (older states of it). */
static void remove_old_markers(int dirfd, const char *prefix, const char *keep, uid_t euid)
{
    char suffix[24];
    int sl = snprintf(suffix, sizeof suffix, ".%u", (unsigned)euid);
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    size_t pl = strlen(prefix);
    while ((e = readdir(d)) != NULL) {
        size_t el = strlen(e->d_name);
        struct stat sb;
        if (strncmp(e->d_name, prefix, pl) == 0 && el > pl + (size_t)sl
            && strcmp(e->d_name + el - sl, suffix) == 0 && strcmp(e->d_name, keep) != 0
            && fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_uid == euid)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

int conflast_first_report(const char *dir, const char *path, const struct file_stamp *st)
{
    char base[CONFLAST_NAME_LEN], prefix[CONFLAST_NAME_LEN + 8];
    char mine[CONFLAST_NAME_LEN + 32], roots[CONFLAST_NAME_LEN + 32], tmp[NAME_MAX + 1];
    enum trust_why why;
    uint64_t f[5] = { (uint64_t)st->dev, (uint64_t)st->ino, (uint64_t)st->size,
                      (uint64_t)st->mtime.tv_sec, (uint64_t)st->mtime.tv_nsec };
    unsigned sh = (unsigned)dnsf_fnv1a(DNSF_FNV1A_INIT, f, sizeof f);
    uid_t euid = geteuid();
    conflast_name(path, base, sizeof base);
    snprintf(prefix, sizeof prefix, "%s.bad-", base);
    snprintf(roots, sizeof roots, "%s%08x.0", prefix, sh);
    snprintf(mine, sizeof mine, "%s%08x.%u", prefix, sh, (unsigned)euid);
    int dirfd = dir_open(dir, 1);
    if (dirfd < 0)
        return 1;
    int first = 1;
    if (marker_exists(dirfd, roots, 0) || (euid != 0 && marker_exists(dirfd, mine, euid)))
        first = 0;
    else if (!at_secure()) {
        int fd = trust_tmp_create(dirfd, mine, 0644, 0, 0, tmp, sizeof tmp, &why);
        if (fd >= 0) {
            close(fd);
            /* link(2): of processes that saw this state at once, one wins. */
            if (trust_tmp_commit(dirfd, tmp, mine, 0, &why) == 0)
                remove_old_markers(dirfd, prefix, mine, euid);
            else if (why == TRUST_EXISTS && marker_exists(dirfd, mine, euid))
                first = 0;                /* another process of ours won (not a squat) */
        }
    }
    close(dirfd);
    return first;
}
