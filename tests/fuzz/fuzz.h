/* fuzz.h -- what the libFuzzer targets in tests/fuzz share.
 *
 * Adding a target for a new parser is one file: tests/fuzz/fuzz_NAME.c that
 * includes this header and defines LLVMFuzzerTestOneInput (and, if it needs
 * one-time setup, LLVMFuzzerInitialize). The Makefile builds every
 * tests/fuzz/fuzz_*.c against the clang-built core (build/fuzz), and
 * tests/fuzz/run.sh runs it with the seeds in tests/fuzz/corpus/NAME/ (if
 * any) and the dictionary tests/fuzz/NAME.dict (if any). Nothing else needs
 * to be told about it.
 *
 * A target checks properties, not only "no crash": FUZZ_CHECK aborts with a
 * message, which libFuzzer reports as a crash and saves the input. */
#ifndef DNSF_FUZZ_H
#define DNSF_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property that must hold for every input. */
#define FUZZ_CHECK(cond, ...)                                                    \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__,       \
                    __LINE__, #cond);                                            \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* Reading the input as a sequence of fields: every take is bounded, and a
 * read past the end yields zeros (so short inputs still reach the target). */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline unsigned fuzz_u8(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline unsigned fuzz_u16(struct fuzz_in *in)
{
    unsigned hi = fuzz_u8(in);
    return hi << 8 | fuzz_u8(in);
}

/* The next LEN bytes (fewer if the input ends first); *GOT says how many. */
static inline const uint8_t *fuzz_take(struct fuzz_in *in, size_t len, size_t *got)
{
    const uint8_t *p = in->p;
    *got = len < in->n ? len : in->n;
    in->p += *got;
    in->n -= *got;
    return p;
}

/* A private copy of LEN bytes in a buffer of exactly that size, so that
 * ASan sees any read past the end (libFuzzer's own buffer is exact too, but
 * a slice of it is not). The caller frees it. */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (d == NULL)
        abort();
    if (len)
        memcpy(d, p, len);
    return d;
}

/* A file of this process's own, for parsers that read a path. Created once
 * (in $TMPDIR or /tmp), removed at exit. */
static char fuzz_file_path[4096];

static inline void fuzz_file_cleanup(void)
{
    if (fuzz_file_path[0])
        unlink(fuzz_file_path);
}

static inline const char *fuzz_file(void)
{
    if (fuzz_file_path[0] == 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(fuzz_file_path, sizeof fuzz_file_path, "%s/dnsf-fuzz.XXXXXX",
                 dir && dir[0] ? dir : "/tmp");
        int fd = mkstemp(fuzz_file_path);
        if (fd < 0) {
            perror("fuzz: mkstemp");
            abort();
        }
        close(fd);
        atexit(fuzz_file_cleanup);
    }
    return fuzz_file_path;
}

/* Replace the contents of PATH with DATA (in place: same inode, so a bind
 * mount of PATH sees the new bytes too). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        perror(path);
        abort();
    }
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
}

#endif
