/* log — one line per message, written with a single write(2) so that lines
 * from several threads or processes never interleave. */
#include "dnsf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

int log_level_current = LOG_LVL_WARN;
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

void log_configure(int level, const char *target)
{
    int fd = -1, own = 0;
    if (target == NULL || strcmp(target, "syslog") == 0)
        fd = -1;
    else if (strcmp(target, "stderr") == 0)
        fd = STDERR_FILENO;
    else if (strcmp(target, "stdout") == 0)
        fd = STDOUT_FILENO;
    else {
        fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        own = fd >= 0;
    }
    pthread_mutex_lock(&log_lock);
    if (log_own_fd && log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    log_own_fd = own;
    log_level_current = level;
    pthread_mutex_unlock(&log_lock);
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
