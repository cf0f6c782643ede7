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
 * number is forgotten, never closed, and the file is opened again. It
 * survives rotation: at most once a second the path is compared with the
 * open file (st_dev, st_ino), and after logrotate's rename (and create)
 * the path is opened again; copytruncate needs nothing, since every write
 * appends (O_APPEND) at the file's end as it is then.
 *
 * Syslog lines are built here, not by syslog(3): glibc's syslog takes its
 * tag from openlog(), which belongs to the host program (calling it would
 * change the program's own tag), and without one uses the program's name,
 * so `journalctl -t dnsfailover` found nothing. The line has the form
 * glibc's syslog sends (misc/syslog.c, __vsyslog_internal: "<PRI>", the
 * time as strftime's "%h %e %T " in the C locale, "TAG: "), RFC 3164's
 * header, from which journald takes SYSLOG_IDENTIFIER (the tag):
 *     <28>Dec  6 18:01:02 dnsfailover: curl[4242]: warn: server ... down
 * The program's name and pid follow in the message. Each line goes out on
 * a socket of its own (socket, sendto, close: no descriptor is kept in the
 * program between calls, so none can be stolen or closed under us),
 * non-blocking: when the daemon's queue is full the line is dropped rather
 * than a lookup held up (glibc's syslog blocks there). */
#include "dnsf/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/fdkeep.h"
#include "dnsf/logevent.h"

/* The syslog tag of every line (see above), and where syslog listens. */
#define LOG_TAG "dnsfailover"
#define SYSLOG_SOCKET "/dev/log"
/* How often the file target's path is compared with the open file. */
#define ROTATE_CHECK_MS 1000

/* All written by log_set (log_configure*, and log_file_fd when the file is
 * opened again), under log_lock. */
int log_level_current = LOG_LVL_WARN;
static int log_fd = -1;            /* -1: syslog, or no file open (log_own_fd) */
static int log_own_fd;             /* the target is a file we open */
static struct fd_ident log_ident;  /* what log_fd was when we opened it */
static char log_path[PATH_MAX];    /* the file, to open again */
/* The file rotated away, closed at the next rotation (a second or more
 * later), not at once: a thread may be writing to it right now, and its
 * number, once closed, may be the program's. */
static struct fd_ident log_retired = { .fd = -1 };
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/* When the path is next compared with the open file; any thread. */
static _Atomic uint64_t log_rotate_check_ms;

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
    fdkeep_close(&log_retired);
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

/* 1 if PATH no longer names the file ID (renamed or removed by log
 * rotation); checked at most every ROTATE_CHECK_MS. */
static int rotated(const char *path, const struct fd_ident *id)
{
    uint64_t now = clock_now_coarse_ms();
    uint64_t due = atomic_load_explicit(&log_rotate_check_ms, memory_order_relaxed);
    if (now < due || !atomic_compare_exchange_strong(&log_rotate_check_ms, &due,
                                                     now + ROTATE_CHECK_MS))
        return 0;
    struct stat st;
    return stat(path, &st) != 0 || st.st_dev != id->dev || st.st_ino != id->ino;
}

/* log_file_fd's answers besides a descriptor. */
#define LOG_TO_SYSLOG (-1)
#define LOG_TO_NOWHERE (-2)    /* the file could not be opened again */

/* The descriptor to write a line to, LOG_TO_SYSLOG or LOG_TO_NOWHERE. */
static int log_file_fd(void)
{
    char path[PATH_MAX];
    pthread_mutex_lock(&log_lock);
    int own = log_own_fd;
    struct fd_ident id = log_ident;
    int fd = log_fd;
    if (own)
        memcpy(path, log_path, sizeof path);
    pthread_mutex_unlock(&log_lock);
    if (!own)
        return fd;
    int ours = fdkeep_ours(&id);
    if (ours && !rotated(path, &id))
        return fd;
    struct fd_ident now = { .fd = -1 };
    const char *why = NULL;
    int nfd = open_target_file(path, &now, &why);
    pthread_mutex_lock(&log_lock);
    if (log_own_fd && log_ident.fd == id.fd && log_ident.dev == id.dev
        && log_ident.ino == id.ino) {
        if (ours) {                    /* rotated: retire it, close the one before */
            fdkeep_close(&log_retired);
            log_retired = log_ident;
        }
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
    log_event_fork_child();
}

/* Send one syslog line, BUF (LEN bytes), to SYSLOG_SOCKET; drop it when it
 * cannot go at once. A datagram socket, as journald and rsyslog listen on;
 * a stream socket (some older daemons) as glibc's syslog falls back to it
 * on EPROTOTYPE, the line then ended by its NUL (misc/syslog.c). */
static void syslog_send(const char *buf, size_t len)
{
    static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = SYSLOG_SOCKET };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)&addr, sizeof addr) < 0
        && errno == EPROTOTYPE) {
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, (const struct sockaddr *)&addr, sizeof addr) == 0) {
            ssize_t w = send(fd, buf, len + 1, MSG_NOSIGNAL);
            (void)w;
        }
    }
    if (fd >= 0)
        close(fd);
}

/* The RFC 3164 header of a syslog line at LEVEL, as glibc's syslog builds
 * it (month names from the C locale whatever the program's), with our tag
 * and the program's name and pid. Return its length. */
static int syslog_header(char *buf, size_t len, int level)
{
    static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    time_t t = time(NULL);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof tm);
    return snprintf(buf, len, "<%d>%s %2d %02d:%02d:%02d " LOG_TAG ": %.64s[%d]: ",
                    LOG_DAEMON | prio[level & 3], mon[(unsigned)tm.tm_mon % 12], tm.tm_mday,
                    tm.tm_hour, tm.tm_min, tm.tm_sec, program_invocation_short_name,
                    (int)getpid());
}

void log_msg(int level, const char *fmt, ...)
{
    int saved = errno;
    char line[1200];
    int fd = log_file_fd();
    if (fd == LOG_TO_NOWHERE) {
        errno = saved;
        return;
    }
    int n = fd == LOG_TO_SYSLOG ? syslog_header(line, sizeof line, level)
                                : snprintf(line, sizeof line, LOG_TAG "[%d]: ", (int)getpid());
    if (n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s: ", log_level_name(level));
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    if (fd == LOG_TO_SYSLOG) {
        line[n] = 0;
        syslog_send(line, (size_t)n);
    } else {
        line[n++] = '\n';
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    errno = saved;
}
