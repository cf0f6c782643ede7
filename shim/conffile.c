/* conffile — read the config file's bytes (conffile.h); config.c parses
 * them. */
#include "dnsf/conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/config.h"

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

int conffile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    /* Look before opening: opening some devices does something (a tape
     * rewinds, a watchdog arms), and a FIFO would block a plain open. */
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s:0: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s:0: not a regular file (%s)", path, file_kind(st.st_mode));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;              /* gone since the stat */
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* And again on what was opened: the path may have changed meanwhile. */
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s:0: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s:0: not a regular file (%s)", path, file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    size_t cap = DNSF_CONFIG_MAX_BYTES + 1, got = 0;   /* one more: "too big" */
    char *b = st.st_size < (off_t)cap ? malloc(cap) : NULL;
    ssize_t n = 0;
    while (b != NULL && got < cap && ((n = read(fd, b + got, cap - got)) > 0
                                      || (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    int saved = errno;
    close(fd);
    if (st.st_size >= (off_t)cap || got >= cap) {
        snprintf(err, errlen, "%s:0: larger than %d bytes", path, DNSF_CONFIG_MAX_BYTES);
        free(b);
        return -1;
    }
    if (b == NULL || n < 0) {
        snprintf(err, errlen, "%s:0: cannot read: %s", path, strerror(b ? saved : ENOMEM));
        free(b);
        return -1;
    }
    *buf = b;
    *len = got;
    return 0;
}
