/* filestamp — has a file changed? The one comparison used for every file
 * the shim watches (its config, resolv.conf, /etc/hosts, and the files a
 * memoised getaddrinfo result depends on).
 *
 * A stamp is the file's device, inode, size and modification time (with
 * nanoseconds): a replaced file (new inode), an edit in place (size or
 * mtime) and a file that appears or vanishes (ok) all count as changes.
 * That is also what glibc's resolv/resolv_conf.c compares. */
#ifndef DNSF_FILESTAMP_H
#define DNSF_FILESTAMP_H

#include <sys/types.h>
#include <time.h>

struct file_stamp {
    int ok;                  /* stat() succeeded; every other field is 0 if not */
    int regular;             /* a regular file */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    uid_t uid;               /* the owner and mode: not compared (who may keep */
    mode_t mode;             /* a copy of a config file: conflast.h) */
};

/* Stamp PATH as it is now (one stat()). */
void file_stamp_take(const char *path, struct file_stamp *s);
/* 1 if A and B describe the same file state (two missing files are equal). */
int file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b);

#endif
