/* logevent — operator events, rate-limited (contract in logevent.h). */
#include "dnsf/logevent.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/clock.h"
#include "dnsf/log.h"

/* Subjects remembered at once: a lookup has at most 8 servers, a process
 * rarely more than two server lists; past that the oldest is forgotten
 * (its next event is written at once). */
#define LOGEVENT_SLOTS 32
#define LOGEVENT_TEXT 400

struct subject {
    int used;
    enum log_event kind;
    char name[160];
    uint64_t window_end_ms;       /* no line before this */
    int suppressed;               /* events since the last line written */
    char latest[LOGEVENT_TEXT];   /* the latest of them */
};

/* All under ev_lock, held for bookkeeping only: lines are written after it
 * is released. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct subject subjects[LOGEVENT_SLOTS];
/* The earliest window end with an event waiting (UINT64_MAX: none); read
 * without the lock by log_event_tick. */
static _Atomic uint64_t next_due_ms = UINT64_MAX;

/* A line to write once the lock is released. */
struct pending {
    char text[LOGEVENT_TEXT + 80];
};

static struct subject *find_nolock(enum log_event kind, const char *name, uint64_t now)
{
    struct subject *oldest = NULL;
    for (int i = 0; i < LOGEVENT_SLOTS; i++) {
        struct subject *s = &subjects[i];
        if (s->used && s->kind == kind && strcmp(s->name, name) == 0)
            return s;
        if (!s->used || oldest == NULL || (oldest->used && s->window_end_ms < oldest->window_end_ms))
            oldest = s;
    }
    memset(oldest, 0, sizeof *oldest);
    oldest->used = 1;
    oldest->kind = kind;
    snprintf(oldest->name, sizeof oldest->name, "%s", name);
    oldest->window_end_ms = now;
    return oldest;
}

/* Move the waiting line of S (its window over at NOW) to OUT. */
static void flush_one_nolock(struct subject *s, uint64_t now, struct pending *out)
{
    if (s->suppressed == 1)
        snprintf(out->text, sizeof out->text, "%s", s->latest);
    else
        snprintf(out->text, sizeof out->text, "%s (%d times in the last %d s)", s->latest,
                 s->suppressed, LOGEVENT_WINDOW_MS / 1000);
    s->suppressed = 0;
    s->window_end_ms = now + LOGEVENT_WINDOW_MS;
}

/* Collect into OUT (room for MAX) the waiting lines whose window ended at
 * NOW, and recompute next_due_ms. Return how many. */
static int due_nolock(uint64_t now, struct pending *out, int max)
{
    int n = 0;
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < LOGEVENT_SLOTS; i++) {
        struct subject *s = &subjects[i];
        if (!s->used || s->suppressed == 0)
            continue;
        if (now >= s->window_end_ms && n < max)
            flush_one_nolock(s, now, &out[n++]);
        else if (s->window_end_ms < next)
            next = s->window_end_ms;
    }
    atomic_store(&next_due_ms, next);
    return n;
}

static void write_all(const struct pending *p, int n)
{
    for (int i = 0; i < n; i++)
        log_msg(LOG_LVL_WARN, "%s", p[i].text);
}

void log_event_tick_at(uint64_t now)
{
    struct pending p[4];
    if (now < atomic_load_explicit(&next_due_ms, memory_order_relaxed))
        return;
    pthread_mutex_lock(&ev_lock);
    int n = due_nolock(now, p, 4);
    pthread_mutex_unlock(&ev_lock);
    write_all(p, n);
}

void log_event_tick(void)
{
    log_event_tick_at(clock_now_coarse_ms());
}

__attribute__((format(printf, 4, 0)))
static void vevent(uint64_t now, enum log_event kind, const char *subject, const char *fmt,
                   va_list ap)
{
    struct pending p[5];
    int n = 0;
    if (!log_on(LOG_LVL_WARN))
        return;
    pthread_mutex_lock(&ev_lock);
    struct subject *s = find_nolock(kind, subject, now);
    if (now >= s->window_end_ms) {       /* write it now; anything waiting goes with it */
        vsnprintf(p[n].text, sizeof p[n].text, fmt, ap);
        if (s->suppressed > 0)
            snprintf(p[n].text + strlen(p[n].text), sizeof p[n].text - strlen(p[n].text),
                     " (%d more since the last such line)", s->suppressed);
        n++;
        s->suppressed = 0;
        s->window_end_ms = now + LOGEVENT_WINDOW_MS;
    } else {
        vsnprintf(s->latest, sizeof s->latest, fmt, ap);
        s->suppressed++;
    }
    n += due_nolock(now, p + n, 4);
    pthread_mutex_unlock(&ev_lock);
    write_all(p, n);
}

void log_event_at(uint64_t now, enum log_event kind, const char *subject, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vevent(now, kind, subject, fmt, ap);
    va_end(ap);
}

void log_event(enum log_event kind, const char *subject, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vevent(clock_now_coarse_ms(), kind, subject, fmt, ap);
    va_end(ap);
}

void log_event_reset(void)
{
    pthread_mutex_lock(&ev_lock);
    memset(subjects, 0, sizeof subjects);
    atomic_store(&next_due_ms, UINT64_MAX);
    pthread_mutex_unlock(&ev_lock);
}

void log_event_fork_child(void)
{
    pthread_mutex_init(&ev_lock, NULL);
}
