/* cli_preload — `dnsfailover preload enable | disable | status`: the
 * host-wide switch, /etc/ld.so.preload.
 *
 * Why so careful: ld.so applies that file to every process, setuid ones
 * included. A path there that cannot be loaded makes every program print a
 * loader error; a library that breaks at load breaks every program, the
 * shell that would repair it included. So `enable` first proves the library
 * in child processes and only then writes, and the write is atomic (a
 * temporary file in /etc, fsync, rename, fsync of /etc): a crash leaves the
 * old file or the new one, never a mix.
 *
 * The format is ld.so's (glibc 2.36 elf/rtld.c, dl_main): names separated
 * by white space or ':', and '#' starts a comment that runs to the end of
 * the line. (Measured here with 2.36: only comments near the top are
 * blanked; its search window shrinks with each comment found, so a later
 * "# two" is loaded as objects "#" and "two". We parse comments as glibc
 * means them, and never write one.) Edits work on entries: a line that
 * holds none of the entries removed is kept byte for byte; a line that
 * does loses those entries only and keeps its comment. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/cli.h"

#define PRELOAD_FILE "/etc/ld.so.preload"
#define PRELOAD_DIR "/etc"
/* ld.so reads the whole file; ours is a few lines. A larger one is refused,
 * never cut. */
#define PRELOAD_MAX (64 * 1024)

#ifndef DNSF_INSTALLED_LIB
#error "DNSF_INSTALLED_LIB is set by the Makefile from LIBDIR"
#endif
const char cli_installed_lib[] = DNSF_INSTALLED_LIB;

/* ---- the file --------------------------------------------------------- */

struct pfile {
    char text[PRELOAD_MAX + 1];
    size_t len;
    int exists;
    struct stat st;
};

/* Read /etc/ld.so.preload into F (F->exists 0 when there is none). Return 0,
 * or -1 with the reason printed. */
static int pfile_read(struct pfile *f)
{
    f->len = 0;
    f->exists = 0;
    int fd = open(PRELOAD_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "dnsfailover: %s: %s%s\n", PRELOAD_FILE, strerror(errno),
                errno == ELOOP ? " (a symbolic link: edit it by hand)" : "");
        return -1;
    }
    if (fstat(fd, &f->st) < 0 || !S_ISREG(f->st.st_mode)) {
        fprintf(stderr, "dnsfailover: %s is not a regular file\n", PRELOAD_FILE);
        close(fd);
        return -1;
    }
    ssize_t n;
    while ((n = read(fd, f->text + f->len, sizeof f->text - f->len)) > 0)
        f->len += (size_t)n;
    close(fd);
    if (n < 0 || f->len > PRELOAD_MAX) {
        fprintf(stderr, "dnsfailover: %s: %s\n", PRELOAD_FILE,
                n < 0 ? strerror(errno) : "larger than 64 KiB; not edited");
        return -1;
    }
    f->exists = 1;
    return 0;
}

/* Replace /etc/ld.so.preload with TEXT (LEN bytes; none: remove the file),
 * atomically. DIRFD is /etc, OLD what was there. Mode and owner are kept,
 * without write permission for group and others (a new file: 0644 root). */
static int pfile_write(int dirfd, const struct pfile *old, const char *text, size_t len)
{
    if (len == 0) {
        if (old->exists && unlink(PRELOAD_FILE) < 0) {
            fprintf(stderr, "dnsfailover: remove %s: %s\n", PRELOAD_FILE, strerror(errno));
            return -1;
        }
        fsync(dirfd);
        return 0;
    }
    char tmp[] = PRELOAD_DIR "/.ld.so.preload.XXXXXX";
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "dnsfailover: create %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    int ok = fchmod(fd, old->exists ? (old->st.st_mode & 0755) : 0644) == 0;
    if (ok && old->exists && geteuid() == 0)
        ok = fchown(fd, old->st.st_uid, old->st.st_gid) == 0;
    for (size_t o = 0; ok && o < len;) {
        ssize_t w = write(fd, text + o, len - o);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        o += w > 0 ? (size_t)w : 0;
    }
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, PRELOAD_FILE) == 0;
    if (!ok) {
        fprintf(stderr, "dnsfailover: write %s: %s\n", PRELOAD_FILE, strerror(errno));
        unlink(tmp);
        return -1;
    }
    fsync(dirfd);
    return 0;
}

/* ---- entries ---------------------------------------------------------- */

int cli_is_dnsfailover_lib(const char *name, size_t len)
{
    static const char *const libnames[] = { "libdnsfailover.so", "libnss_dnsfailover.so.2" };
    const char *base = name;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/')
            base = name + i + 1;
    size_t blen = len - (size_t)(base - name);
    for (size_t i = 0; i < sizeof libnames / sizeof libnames[0]; i++)
        if (blen == strlen(libnames[i]) && memcmp(base, libnames[i], blen) == 0)
            return 1;
    return 0;
}

/* What a walk over the file looks for, and what it found. */
struct scan {
    const char *lib;          /* entries naming this path or its file match; NULL: none */
    struct stat lib_st;
    int lib_st_ok;
    int any_ours;             /* also every dnsfailover library entry */
    int matched;              /* out: entries that matched */
    int named_lib;            /* out: ... of which named LIB */
    char first[PATH_MAX];     /* out: the first dnsfailover entry, "" if none */
    char *out;                /* out: the text without the matching entries (NULL: not built) */
    size_t cap, len;
};

static void scan_init(struct scan *s, const char *lib, int any_ours)
{
    memset(s, 0, sizeof *s);
    s->lib = lib;
    s->lib_st_ok = lib != NULL && stat(lib, &s->lib_st) == 0;
    s->any_ours = any_ours;
}

static int names_lib(const struct scan *s, const char *entry)
{
    struct stat st;
    if (s->lib == NULL)
        return 0;
    if (strcmp(entry, s->lib) == 0)
        return 1;
    return s->lib_st_ok && stat(entry, &st) == 0 && st.st_dev == s->lib_st.st_dev
        && st.st_ino == s->lib_st.st_ino;
}

static void put(struct scan *s, const char *p, size_t n)
{
    if (s->out != NULL && s->len + n <= s->cap)
        memcpy(s->out + s->len, p, n);
    s->len += n;
}

/* Walk TEXT entry by entry (see the top of this file), filling S. */
static void scan_text(struct scan *s, const char *text, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) + 1 : len - pos;
        const char *hash = memchr(line, '#', llen);
        const char *end = hash ? hash : nl ? nl : line + llen;
        size_t kept_len = s->len;
        int kept = 0, removed = 0;
        for (const char *p = line; p < end;) {
            size_t skip = strspn(p, CLI_PRELOAD_SEPARATORS);
            p += skip > (size_t)(end - p) ? (size_t)(end - p) : skip;
            size_t n = 0;
            while (p + n < end && strchr(CLI_PRELOAD_SEPARATORS, p[n]) == NULL)
                n++;
            if (n == 0)
                break;
            char entry[PATH_MAX];
            int ours = cli_is_dnsfailover_lib(p, n);
            int match = 0;
            if (n < sizeof entry) {
                memcpy(entry, p, n);
                entry[n] = 0;
                if (ours && s->first[0] == 0)
                    memcpy(s->first, entry, n + 1);
                int named = names_lib(s, entry);
                s->named_lib += named;
                match = named || (s->any_ours && ours);
            }
            if (match) {
                s->matched++;
                removed = 1;
            } else {
                put(s, " ", kept ? 1 : 0);
                put(s, p, n);
                kept = 1;
            }
            p += n;
        }
        if (!removed) {             /* the line as it was */
            s->len = kept_len;
            put(s, line, llen);
        } else {
            if (hash != NULL) {
                put(s, " ", kept ? 1 : 0);
                put(s, hash, (size_t)((nl ? nl : line + llen) - hash));
            }
            if (s->len > kept_len && nl != NULL)
                put(s, "\n", 1);
        }
        pos += llen;
    }
}

/* ---- the subcommands -------------------------------------------------- */

/* Take /etc's lock (two edits never interleave) and read the file. Return
 * /etc's descriptor, or -1. */
static int lock_and_read(struct pfile *f)
{
    int dirfd = open(PRELOAD_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0) {
        fprintf(stderr, "dnsfailover: %s: %s\n", PRELOAD_DIR, strerror(errno));
        if (dirfd >= 0)
            close(dirfd);
        return -1;
    }
    if (pfile_read(f) < 0) {
        close(dirfd);
        return -1;
    }
    return dirfd;
}

static int preload_enable(const char *lib, const char *check_name)
{
    static struct pfile f;
    static char out[PRELOAD_MAX + PATH_MAX + 2];
    if (cli_preload_prove(lib, check_name) < 0) {
        fprintf(stderr, "dnsfailover: %s is unchanged\n", PRELOAD_FILE);
        return 1;
    }
    int dirfd = lock_and_read(&f);
    if (dirfd < 0)
        return 1;
    /* Our entry, and any other dnsfailover library (two would both load). */
    struct scan s;
    scan_init(&s, lib, 1);
    s.out = out;
    s.cap = sizeof out;
    scan_text(&s, f.text, f.len);
    int rc = 0;
    if (s.named_lib == 1 && s.matched == 1) {
        printf("%s already preloads %s\n", PRELOAD_FILE, lib);
    } else if (s.len + strlen(lib) + 2 > s.cap) {
        fprintf(stderr, "dnsfailover: %s is too large; unchanged\n", PRELOAD_FILE);
        rc = 1;
    } else {
        if (s.len > 0 && out[s.len - 1] != '\n')
            out[s.len++] = '\n';
        s.len += (size_t)sprintf(out + s.len, "%s\n", lib);
        rc = pfile_write(dirfd, &f, out, s.len) < 0;
        if (rc == 0)
            printf("%s: %s %s\n", PRELOAD_FILE,
                   s.matched ? "replaced the other dnsfailover entry with" : "added", lib);
    }
    close(dirfd);
    return rc;
}

static int preload_disable(const char *lib)
{
    static struct pfile f;
    static char out[PRELOAD_MAX + 1];
    int dirfd = lock_and_read(&f);
    if (dirfd < 0)
        return 1;
    struct scan s;
    scan_init(&s, lib, lib == NULL);
    s.out = out;
    s.cap = sizeof out;
    scan_text(&s, f.text, f.len);
    int rc = 0;
    if (s.matched == 0) {
        printf("%s does not preload %s; nothing to do\n", PRELOAD_FILE, lib ? lib : "dnsfailover");
    } else if (pfile_write(dirfd, &f, out, s.len) < 0) {
        rc = 1;
    } else {
        printf("%s: removed %d dnsfailover entr%s%s\n", PRELOAD_FILE, s.matched,
               s.matched == 1 ? "y" : "ies",
               s.len == 0 ? " (the file is gone: it held nothing else)" : "");
    }
    close(dirfd);
    return rc;
}

int cli_preload_listed(char *path, size_t len)
{
    static struct pfile f;
    struct scan s;
    if (pfile_read(&f) < 0 || !f.exists)
        return 0;
    scan_init(&s, NULL, 1);
    scan_text(&s, f.text, f.len);
    snprintf(path, len, "%s", s.first);
    return s.first[0] != 0;
}

static int preload_status(const char *lib)
{
    static struct pfile f;
    struct scan s;
    if (pfile_read(&f) < 0)
        return 1;
    scan_init(&s, lib, lib == NULL);
    scan_text(&s, f.text, f.len);
    if (s.matched == 0) {
        printf("not enabled: %s does not preload %s\n", PRELOAD_FILE, lib ? lib : "dnsfailover");
        return 1;
    }
    const char *shown = lib ? lib : s.first;
    printf("enabled: %s preloads %s\n", PRELOAD_FILE, shown);
    if (access(shown, R_OK) != 0)
        printf("warning: %s: %s: every program prints a loader error; run "
               "`dnsfailover preload disable`\n", shown, strerror(errno));
    return 0;
}

static void preload_usage(FILE *f)
{
    fprintf(f,
        "usage: dnsfailover preload enable  [--lib PATH] [--check-name NAME]\n"
        "       dnsfailover preload disable [--lib PATH]\n"
        "       dnsfailover preload status  [--lib PATH]\n"
        "\n"
        "  enable   prove that the library loads (/bin/true under it exits 0 and\n"
        "           prints nothing; its hooks bind; NAME resolves through it), then\n"
        "           add it to %s atomically, keeping every other entry\n"
        "  disable  remove dnsfailover's entry (with --lib: that library's) and\n"
        "           nothing else\n"
        "  status   exit 0 when %s preloads it, 1 when not\n"
        "\n"
        "enable's PATH defaults to %s.\n",
        PRELOAD_FILE, PRELOAD_FILE, cli_installed_lib);
}

int cli_preload(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL, *lib = NULL, *name = NULL;
    if (verb != NULL && strcmp(verb, "--probe") == 0 && argc >= 3)
        return cli_preload_probe(argv[2], argc >= 4 ? argv[3] : NULL);
    if (verb != NULL && (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)) {
        preload_usage(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc)
            lib = argv[++i];
        else if (strcmp(argv[i], "--check-name") == 0 && i + 1 < argc && verb != NULL
                 && strcmp(verb, "enable") == 0)
            name = argv[++i];
        else
            verb = NULL;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (verb != NULL && strcmp(verb, "enable") == 0)
        return preload_enable(lib ? lib : cli_installed_lib, name);
    if (verb != NULL && strcmp(verb, "disable") == 0)
        return preload_disable(lib);
    if (verb != NULL && strcmp(verb, "status") == 0)
        return preload_status(lib);
    preload_usage(stderr);
    return 2;
}
