/* sysident — this boot, and a process's identity (contract in sysident.h). */
#include "dnsf/sysident.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Read at most LEN - 1 bytes of PATH into BUF (NUL-terminated). Return the
 * count, or -1. O_NONBLOCK is a formality: procfs files never block. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read(fd, buf, len - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sysident_parse_boot_id(const char *text, size_t len, uint8_t id[SYSIDENT_BOOT_ID_LEN])
{
    /* 8-4-4-4-12 hex digits: 36 characters, dashes at 8, 13, 18 and 23. */
    if (len == 37 && text[36] == '\n')
        len = 36;
    if (len != 36)
        return -1;
    int k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -1;
            continue;
        }
        int hi = hexval(text[i]), lo = i + 1 < 36 ? hexval(text[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        id[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    return k == SYSIDENT_BOOT_ID_LEN ? 0 : -1;
}

int sysident_boot_id(uint8_t id[SYSIDENT_BOOT_ID_LEN])
{
    char buf[64];
    ssize_t n = read_small("/proc/sys/kernel/random/boot_id", buf, sizeof buf);
    return n < 0 ? -1 : sysident_parse_boot_id(buf, (size_t)n, id);
}

int sysident_parse_starttime(const char *text, size_t len, uint64_t *start)
{
    /* proc(5): "pid (comm) state ppid ..."; comm is at most 16 bytes but may
     * hold ')' itself, so the last ')' ends it. Field 3 (state) follows it,
     * so starttime, field 22, is the 20th space-separated field after it. */
    const char *end = NULL;
    for (size_t i = 0; i < len; i++)
        if (text[i] == ')')
            end = text + i;
    if (end == NULL)
        return -1;
    const char *p = end + 1, *stop = text + len;
    for (int field = 2; field < 22; field++) {
        if (p >= stop || *p != ' ')
            return -1;
        p++;
        if (field + 1 == 22)
            break;
        while (p < stop && *p != ' ')
            p++;
    }
    uint64_t v = 0;
    const char *digits = p;
    while (p < stop && *p >= '0' && *p <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == digits || (p < stop && *p != ' ' && *p != '\n'))
        return -1;
    *start = v;
    return 0;
}

uint64_t sysident_proc(pid_t pid)
{
    char path[64], buf[1024];
    uint64_t start;
    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n <= 0 || sysident_parse_starttime(buf, (size_t)n, &start) < 0)
        return 0;
    return (uint64_t)(uint32_t)pid << 32 | (uint32_t)start;   /* pid > 0: never 0 */
}
