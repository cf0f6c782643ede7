/* cancel — thread cancellation at the library's edge.
 *
 * A program may pthread_cancel a thread while it resolves. glibc's own
 * resolver calls are cancellation points that clean up after themselves;
 * ours must leave nothing behind either.
 *
 * Decision: every entry from the program into our code turns cancellation
 * off (cancel_off) and turns it back to what the caller had on the way out
 * (cancel_restore); around each call into glibc's own resolver
 * (real_getaddrinfo, real_res_*, glibc's DNS module on fail-open) the
 * caller's state is back, so glibc's code stays cancellable as it is
 * without us. A cancel that arrives while our code runs is acted upon at
 * the exit of our NSS module and res_* hooks (cancel_point), where we hold
 * nothing: the frames above are glibc's, in the state in which a cancel in
 * glibc's own DNS module (a cancellation point in its poll) would find
 * them. The getaddrinfo hook leaves a pending cancel to the caller's next
 * cancellation point: its result list is then the caller's.
 *
 * Why not cleanup handlers: a lookup holds state in several layers at once
 * (a single-flight entry other threads wait on, cache shard and pool
 * locks, checked-out c-ares channels, queries whose callbacks point into
 * the lookup's stack frame), and c-ares 1.18.1 has no cancellation support:
 * a cancel inside its recvfrom, sendmsg or connect would leave a channel's
 * lists half updated. No handler could put all of that back.
 *
 * The cost: a cancelled thread ends when its lookup does, which every wait
 * of ours bounds by deadline_ms (5 s by default), not at once. Turning
 * cancellation off and on again costs a few nanoseconds. */
#ifndef DNSF_CANCEL_H
#define DNSF_CANCEL_H

#include <pthread.h>

/* Turn cancellation off; return the caller's state for cancel_restore. */
static inline int cancel_off(void)
{
    int old = PTHREAD_CANCEL_ENABLE;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    return old;
}

/* Give the caller back its state OLD (a pending cancel waits for the next
 * cancellation point). */
static inline void cancel_restore(int old)
{
    pthread_setcancelstate(old, NULL);
}

/* The same, then act on a cancel that arrived meanwhile. Only where we hold
 * nothing and have handed the caller nothing it must free. */
static inline void cancel_point(int old)
{
    pthread_setcancelstate(old, NULL);
    if (old == PTHREAD_CANCEL_ENABLE)
        pthread_testcancel();
}

#endif
