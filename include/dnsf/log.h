/* log — leveled logging to syslog, stderr or a file (rules in log.c).
 * Off the hot path: callers test log_on(level) before formatting anything. */
#ifndef DNSF_LOG_H
#define DNSF_LOG_H

enum dnsf_log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parse "error"|"warn"|"info"|"debug"; return the level or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);
/* Set level and target: "syslog", "stderr" or an absolute path to a
 * regular file, appended to. A file that is a symlink, not regular, cannot
 * be opened, or is named in an AT_SECURE process falls back to syslog
 * (said at info level). Safe to call again; the previous file is closed. */
void log_configure(int level, const char *target);
/* Set level and write to FD, which the caller owns and keeps open: the
 * diagnostic command's own stdout. Never used inside a host program. */
void log_configure_fd(int level, int fd);
extern int log_level_current;
/* After fork, in the child: renew the lock another thread may have held. */
void log_fork_child(void);
static inline int log_on(int level) { return level <= log_level_current; }
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOGE(...) do { if (log_on(LOG_LVL_ERROR)) log_msg(LOG_LVL_ERROR, __VA_ARGS__); } while (0)
#define LOGW(...) do { if (log_on(LOG_LVL_WARN)) log_msg(LOG_LVL_WARN, __VA_ARGS__); } while (0)
#define LOGI(...) do { if (log_on(LOG_LVL_INFO)) log_msg(LOG_LVL_INFO, __VA_ARGS__); } while (0)
#define LOGD(...) do { if (log_on(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
