/* fixture — the one way a unit test finds its fixture files.
 *
 * The tests run from the top of the tree (tests/run.sh), or from anywhere
 * else by hand; then the tree is found from the binary's own path
 * (build/tests/, build/asan/tests/, ...), up to six directories above it. */
#ifndef DNSF_TEST_FIXTURE_H
#define DNSF_TEST_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Put into DIR (LEN bytes) the path of tests/fixtures/SUB, proven by its
 * file PROBE being readable there. Return 0, or -1 (said on stderr). */
static inline int fixture_dir(const char *sub, const char *probe, char *dir, size_t len)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "tests/fixtures/%s/%s", sub, probe);
    if (access(path, R_OK) == 0) {
        snprintf(dir, len, "tests/fixtures/%s", sub);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    for (int up = 0; n > 0 && up < 6; up++) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash == NULL)
            break;
        *slash = 0;
        n = slash - exe;
        snprintf(path, sizeof path, "%s/tests/fixtures/%s/%s", exe, sub, probe);
        if (access(path, R_OK) == 0) {
            snprintf(dir, len, "%.*s/tests/fixtures/%s", (int)(len > 64 ? len - 64 : 0), exe, sub);
            return 0;
        }
    }
    fprintf(stderr, "cannot find tests/fixtures/%s/%s\n", sub, probe);
    return -1;
}

#endif
