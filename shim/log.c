/* log — one line per message, written with a single write(2) so that lines
 * from several threads or processes never interleave. */
#include "dnsf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "dnsf/fdkeep.h"

/* All written by log_configure (and log_file_fd, when the file is opened
 * again), under log_lock. */
int log_level_current = LOG_LVL_WARN;
static int log_fd = -1;          /* -1: syslog, or no file open (log_own_fd) */
static int log_own_fd;           /* the target is a file we open */
static struct fd_ident log_ident;  /* what log_fd was when we opened it */
static char log_path[PATH_MAX];  /* the file, to open again */
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

static int log_open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void log_configure(int level, const char *target)
{
    int fd = -1, own = 0;
    struct fd_ident id = { .fd = -1 };
    if (target == NULL || strcmp(target, "syslog") == 0)
        fd = -1;
    else if (strcmp(target, "stderr") == 0)
        fd = STDERR_FILENO;
    else if (strcmp(target, "stdout") == 0)
        fd = STDOUT_FILENO;
    else {
        fd = log_open_file(target);
        own = fd >= 0 && fdkeep_take(fd, &id) == 0;
        if (fd >= 0 && !own)
            close(fd);
        fd = own ? fd : -1;
    }
    pthread_mutex_lock(&log_lock);
    if (log_own_fd)
        fdkeep_close(&log_ident);      /* only if the program left it to us */
    log_fd = fd;
    log_own_fd = own;
    log_ident = id;
    if (own)
        snprintf(log_path, sizeof log_path, "%s", target);
    log_level_current = level;
    pthread_mutex_unlock(&log_lock);
}

/* The descriptor to write a line to: -1 for syslog, -2 for nowhere. A log
 * file we opened is written only while its number is still ours (fdkeep.h):
 * when the program closed it or put its own file there, the number is
 * forgotten, never closed, and the file is opened again. */
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
    int nfd = log_open_file(path);
    if (nfd >= 0 && fdkeep_take(nfd, &now) < 0) {
        close(nfd);
        nfd = -1;
    }
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
    int out = nfd >= 0 ? nfd : log_own_fd ? -2 : -1;
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
    if (fd == -1) {
        static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
        syslog(LOG_DAEMON | prio[level & 3], "%s", line);
    } else if (fd >= 0) {
        line[n++] = '\n';
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    errno = saved;
}
