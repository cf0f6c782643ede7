/* clock — CLOCK_MONOTONIC, so deadlines survive wall-clock steps. */
#include "dnsf/clock.h"
#include <time.h>

uint64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_now_coarse_ms(void)
{
    /* The same time base as CLOCK_MONOTONIC, read in ~20 ns from the vDSO,
     * at most a few ms behind: enough for the memo's expiry checks. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
