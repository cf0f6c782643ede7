/* log — one line per message, written with a single write(2) so that lines
 * from several threads or processes never interleave.
 *
 * The library runs inside every program on a host, so where it writes is
 * narrow on purpose: syslog unless the config names "stderr" or a file; a
 * file only by an absolute path, never through a symlink (O_NOFOLLOW: a
 * link planted in a world-writable directory would make a root process
 * append to any file), only a regular file, and never in a setuid, setgid
 * or file-capability program (AT_SECURE), where a user's choice of file
 * must not meet root's rights. Whatever cannot be honoured goes to syslog.
 *
 * A log file we opened is written only while its number is still ours
 * (fdkeep.h): when the program closed it or put its own file there, the
 * number is forgotten, never closed, and the file is opened again. */
#include "dnsf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "dnsf/fdkeep.h"

/* All written by log_set (log_configure*, and log_file_fd when the file is
 * opened again), under log_lock. */
int log_level_current = LOG_LVL_WARN;
static int log_fd = -1;            /* -1: syslog, or no file open (log_own_fd) */
static int log_own_fd;             /* the target is a file we open */
static struct fd_ident log_ident;  /* what log_fd was when we opened it */
static char log_path[PATH_MAX];    /* the file, to open again */
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

/* Open the file target PATH for appending and record what it is (*ID).
 * Return the descriptor, or -1 with *WHY saying why it is not used. */
static int open_target_file(const char *path, struct fd_ident *id, const char **why)
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
    if (fdkeep_take(fd, id) < 0) {
        close(fd);
        *why = "cannot identify the open file";
        return -1;
    }
    return fd;
}

/* Make FD (OWN: a file we opened from PATH, identified by ID) and LEVEL
 * current; close the file we had, if its number is still ours. */
static void log_set(int level, int fd, int own, const struct fd_ident *id, const char *path)
{
    pthread_mutex_lock(&log_lock);
    if (log_own_fd)
        fdkeep_close(&log_ident);      /* only if the program left it to us */
    log_fd = fd;
    log_own_fd = own;
    if (own) {
        log_ident = *id;
        snprintf(log_path, sizeof log_path, "%s", path);
    } else
        log_ident.fd = -1;
    log_level_current = level;
    pthread_mutex_unlock(&log_lock);
}

void log_configure(int level, const char *target)
{
    const char *why = NULL;
    struct fd_ident id = { .fd = -1 };
    int fd = -1, own = 0;
    if (target != NULL && strcmp(target, "stderr") == 0)
        fd = STDERR_FILENO;
    else if (target != NULL && strcmp(target, "syslog") != 0) {
        fd = open_target_file(target, &id, &why);
        own = fd >= 0;
    }
    log_set(level, fd, own, &id, target);
    /* At info: with a host-wide preload, every process that may not write
     * the file (an ordinary user's, a setuid one) would say so. */
    if (why != NULL && log_on(LOG_LVL_INFO))
        log_msg(LOG_LVL_INFO, "log.target %s: %s; logging to syslog", target, why);
}

void log_configure_fd(int level, int fd)
{
    log_set(level, fd, 0, NULL, NULL);
}

/* log_file_fd's answers besides a descriptor. */
#define LOG_TO_SYSLOG (-1)
#define LOG_TO_NOWHERE (-2)    /* the file could not be opened again */

/* The descriptor to write a line to, LOG_TO_SYSLOG or LOG_TO_NOWHERE. */
static int log_file_fd(void)
{
    pthread_mutex_lock(&log_lock);
    int own = log_own_fd;
    struct fd_ident id = log_ident;
    int fd = log_fd;
    pthread_mutex_unlock(&log_lock);
    if (!own || fdkeep_ours(&id))
        return fd;
    char path[PATH_MAX];
    pthread_mutex_lock(&log_lock);
    memcpy(path, log_path, sizeof path);
    pthread_mutex_unlock(&log_lock);
    struct fd_ident now = { .fd = -1 };
    const char *why = NULL;
    int nfd = open_target_file(path, &now, &why);
    pthread_mutex_lock(&log_lock);
    if (log_own_fd && log_ident.fd == id.fd && log_ident.dev == id.dev
        && log_ident.ino == id.ino) {
        log_fd = nfd;
        log_ident = now;
    } else {                           /* another thread or a reconfiguration was first */
        if (nfd >= 0)
            close(nfd);
        nfd = log_fd;
    }
    int out = nfd >= 0 ? nfd : log_own_fd ? LOG_TO_NOWHERE : LOG_TO_SYSLOG;
    pthread_mutex_unlock(&log_lock);
    return out;
}

void log_fork_child(void)
{
    /* Another thread of the parent may have held it at fork time. */
    pthread_mutex_init(&log_lock, NULL);
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
    int fd = log_file_fd();
    if (fd == LOG_TO_SYSLOG) {
        static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
        syslog(LOG_DAEMON | prio[level & 3], "%s", line);
    } else if (fd >= 0) {
        line[n++] = '\n';
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    errno = saved;
}
