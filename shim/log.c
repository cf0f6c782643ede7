/* log — one line per message, written with a single write(2) so that lines
 * from several threads or processes never interleave.
 *
 * The library runs inside every program on a host, so where it writes is
 * narrow on purpose: syslog unless the config names "stderr" or a file; a
 * file only by an absolute path, never through a symlink (O_NOFOLLOW: a
 * link planted in a world-writable directory would make a root process
 * append to any file), only a regular file, and never in a setuid, setgid
 * or file-capability program (AT_SECURE), where a user's choice of file
 * must not meet root's rights. Whatever cannot be honoured goes to syslog. */
#include "dnsf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

int log_level_current = LOG_LVL_WARN;
/* Written by log_set (log_configure*), under log_lock. */
static int log_fd = -1;          /* -1: syslog */
static int log_own_fd;           /* we opened log_fd */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s != NULL && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(int level)
{
    return level >= 0 && level < 4 ? names[level] : "?";
}

/* Open the file target PATH for appending. Return the descriptor, or -1
 * with *WHY saying why it is not used. */
static int open_target_file(const char *path, const char **why)
{
    if (path[0] != '/') {
        *why = "not an absolute path";
        return -1;
    }
    if (getauxval(AT_SECURE)) {
        *why = "file targets are not used in setuid, setgid or capability programs";
        return -1;
    }
    /* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of blocking. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY
                  | O_NONBLOCK, 0640);
    if (fd < 0) {
        *why = errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *why = "not a regular file";
        return -1;
    }
    return fd;
}

/* Make FD (OWN: ours to close) and LEVEL current. */
static void log_set(int level, int fd, int own)
{
    pthread_mutex_lock(&log_lock);
    if (log_own_fd && log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    log_own_fd = own;
    log_level_current = level;
    pthread_mutex_unlock(&log_lock);
}

void log_configure(int level, const char *target)
{
    const char *why = NULL;
    int fd = -1, own = 0;
    if (target != NULL && strcmp(target, "stderr") == 0)
        fd = STDERR_FILENO;
    else if (target != NULL && strcmp(target, "syslog") != 0) {
        fd = open_target_file(target, &why);
        own = fd >= 0;
    }
    log_set(level, fd, own);
    /* At info: with a host-wide preload, every process that may not write
     * the file (an ordinary user's, a setuid one) would say so. */
    if (why != NULL && log_on(LOG_LVL_INFO))
        log_msg(LOG_LVL_INFO, "log.target %s: %s; logging to syslog", target, why);
}

void log_configure_fd(int level, int fd)
{
    log_set(level, fd, 0);
}

void log_msg(int level, const char *fmt, ...)
{
    int saved = errno;
    char line[1024];
    int n = snprintf(line, sizeof line, "dnsfailover[%d]: %s: ", (int)getpid(),
                     log_level_name(level));
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    pthread_mutex_lock(&log_lock);
    int fd = log_fd;
    pthread_mutex_unlock(&log_lock);
    if (fd < 0) {
        static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
        syslog(LOG_DAEMON | prio[level & 3], "%s", line);
    } else {
        line[n++] = '\n';
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    errno = saved;
}
