/* logevent — the events an operator must see, logged at warn and
 * rate-limited.
 *
 * A server marked down, a server answering again, a stale answer served
 * (RFC 8767) and every server failing a query each go through log_event.
 * Per kind and subject (a server's address, or a lookup's server list), at
 * most one line is written per LOGEVENT_WINDOW_MS: a busy program whose
 * servers all failed would otherwise write a line per lookup. Events inside
 * the window are counted, and the latest of them is written when the window
 * ends (at the next event or lookup, log_event_tick) with that count, so
 * the log's last word on a subject is never older than the window: a
 * server that went down, up and down again within it is not left looking
 * up. */
#ifndef DNSF_LOGEVENT_H
#define DNSF_LOGEVENT_H

#include <stdint.h>

/* Ten seconds: a flapping server or a stale storm costs at most six lines
 * a minute per subject and process, and an outage's start and end show
 * within ten seconds of happening. */
#define LOGEVENT_WINDOW_MS 10000

enum log_event { LOGEV_SERVER_DOWN, LOGEV_SERVER_UP, LOGEV_STALE, LOGEV_ALL_FAILED };

/* Log KIND about SUBJECT at warn (when warn is on): the message is FMT. */
void log_event(enum log_event kind, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write the lines whose window has ended (cheap when none: one atomic
 * load). Called once per lookup. */
void log_event_tick(void);
/* The same with the time given, for tests. */
void log_event_at(uint64_t now_ms, enum log_event kind, const char *subject, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
void log_event_tick_at(uint64_t now_ms);
/* Forget every subject (tests), and after fork renew the lock. */
void log_event_reset(void);
void log_event_fork_child(void);

#endif
