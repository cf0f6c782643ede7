/* clock — monotonic time for deadlines and latencies. */
#ifndef DNSF_CLOCK_H
#define DNSF_CLOCK_H
#include <stdint.h>
uint64_t clock_now_us(void);
static inline uint64_t clock_now_ms(void) { return clock_now_us() / 1000; }
uint64_t clock_now_coarse_ms(void);
#endif
