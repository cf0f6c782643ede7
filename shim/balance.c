/* balance — the first server of a "balance" lookup (contract and the
 * reasons for the band in balance.h). */
#include "dnsf/balance.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "dnsf/config.h"

/* The calling thread's generator state; 0: not seeded yet. Written only by
 * its own thread (and by balance_fork_child in a fork child's one thread). */
static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

static double band_top(double best)
{
    double share = best * BALANCE_BAND_SHARE;
    return best + (share > BALANCE_BAND_FLOOR_MS ? share : BALANCE_BAND_FLOOR_MS);
}

int balance_pick(const struct balance_server *s, int n, uint32_t rnd)
{
    int cand[DNSF_MAX_SERVERS], k = 0;
    enum balance_state cls = BALANCE_DOWN;
    double best = -1;

    if (n > DNSF_MAX_SERVERS)
        n = DNSF_MAX_SERVERS;
    for (int i = 0; i < n; i++)
        if (s[i].state < cls)
            cls = s[i].state;
    for (int i = 0; i < n; i++)
        if (s[i].state == cls && s[i].srtt_ms >= 0 && (best < 0 || s[i].srtt_ms < best))
            best = s[i].srtt_ms;
    for (int i = 0; i < n; i++)
        if (s[i].state == cls && (s[i].srtt_ms < 0 || best < 0 || s[i].srtt_ms <= band_top(best)))
            cand[k++] = i;
    if (k == 0)
        return 0;
    return cand[(uint32_t)(((uint64_t)rnd * (uint64_t)k) >> 32)];   /* Lemire's multiply-shift */
}

/* splitmix64's finaliser: spreads a seed whose bits differ little. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t s = mix((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec)
               ^ mix((uint64_t)getpid() << 20 ^ (uint64_t)(uintptr_t)&rng);
    rng = s != 0 ? s : 0x9e3779b97f4a7c15ull;
}

uint32_t balance_random(void)
{
    if (rng == 0)
        seed();
    /* xorshift64* (Vigna 2016): the high 32 bits of its output pass
     * BigCrush; plenty for choosing among a few servers. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

void balance_fork_child(void)
{
    seed();
}
