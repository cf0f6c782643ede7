/* core_shwriter — stands in for preloaded processes that share health
 * (shstate.h), for the tests of `dnsfailover status`, `metrics` and
 * `flush` (75_status). It links the core and calls the very functions the
 * library calls, so the command is tested on files the engine writes.
 *
 *   core_shwriter DIR STOP_FILE [down ADDR]... [up ADDR RTT_US]... [comm NAME] [proc]
 *
 * down ADDR     report timeouts of ADDR ("IP" or "IP:PORT") until it is
 *               marked down under the default health.* settings
 * up ADDR US    report an answer from ADDR with an RTT of US microseconds
 * comm NAME     the program name published (before proc)
 * proc          publish this process's counters (lookups 20, cache hits 7,
 *               failovers 3, stale 1, hedges 5, budget 9.5) in a slot
 * Then it prints "ready" and "flush GEN" whenever the flush generation it
 * sees changes (its first value included), polling every 50 ms as a lookup
 * would, until STOP_FILE exists (at most 120 s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/config.h"
#include "dnsf/shstate.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: core_shwriter DIR STOP_FILE [down ADDR]... [up ADDR US]... [comm NAME] [proc]\n");
        return 2;
    }
    struct dnsf_config cfg;
    struct dnsf_server s;
    struct shstate_opts o;
    config_defaults(&cfg);
    shstate_default_opts(&o);
    o.comm = "shwriter";
    struct shstate *st = shstate_open(argv[1], &o, clock_now_ms());
    if (!shstate_writable(st)) {
        fprintf(stderr, "core_shwriter: %s: no file of our own\n", argv[1]);
        return 1;
    }
    struct shproc_counters c = { 20, 7, 3, 1, 5, 9500 };
    int publish = 0;
    for (int i = 3; i < argc; i++) {
        uint64_t now = clock_now_ms();
        if (strcmp(argv[i], "down") == 0 && i + 1 < argc && config_parse_server(argv[++i], &s) == 0) {
            for (int k = 0; k < cfg.health.fail_threshold; k++)
                shstate_report(st, (struct sockaddr *)&s.addr, HEALTH_TIMEOUT, 0, -1, now, &cfg, now);
        } else if (strcmp(argv[i], "up") == 0 && i + 2 < argc
                   && config_parse_server(argv[i + 1], &s) == 0) {
            shstate_report(st, (struct sockaddr *)&s.addr, HEALTH_OK,
                           (uint32_t)strtoul(argv[i + 2], NULL, 10), 1, now, &cfg, now);
            i += 2;
        } else if (strcmp(argv[i], "comm") == 0 && i + 1 < argc) {
            shstate_close(st);
            o.comm = argv[++i];
            st = shstate_open(argv[1], &o, clock_now_ms());
        } else if (strcmp(argv[i], "proc") == 0)
            publish = 1;
        else {
            fprintf(stderr, "core_shwriter: bad argument %s\n", argv[i]);
            return 2;
        }
    }
    if (publish)
        shstate_proc_publish(st, &c, clock_now_ms());
    printf("ready\n");
    fflush(stdout);
    uint64_t seen = 0, end = clock_now_ms() + 120000;
    for (int first = 1; access(argv[2], F_OK) != 0 && clock_now_ms() < end; first = 0) {
        shstate_refresh(st, clock_now_ms(), 0);
        uint64_t gen = shstate_flush_gen(st);
        if (first || gen != seen) {
            printf("flush %llu\n", (unsigned long long)gen);
            fflush(stdout);
            seen = gen;
        }
        usleep(50000);
    }
    shstate_proc_release(st);
    shstate_close(st);
    return 0;
}
