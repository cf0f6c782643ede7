/* cli_prove — proving a library in child processes before
 * `dnsfailover preload enable` lists it in /etc/ld.so.preload (cli.h; the
 * file itself is cli_preload.c's): as root, the path and every directory
 * above it are root's and writable by no one else; /bin/true runs under it
 * cleanly; and a child of ours, run under it, finds every hook bound to it
 * and resolves a name through it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "dnsf/cli.h"
#include "dnsf/clock.h"

/* A child proving the library takes milliseconds; one that takes this long
 * is stuck (a library that hangs at load) and is killed. */
#define PROBE_TIMEOUT_MS 10000
/* The hooks whose binding proves that the library works as a preload: one
 * per hooked family, and the NSS entry glibc's getaddrinfo calls. */
static const char *const probe_symbols[] = {
    "getaddrinfo",  "getnameinfo", "gethostbyname", "gethostbyaddr_r",
    "res_search",   "__res_query", "_nss_dnsfailover_gethostbyname4_r",
};
#define NPROBE (sizeof probe_symbols / sizeof probe_symbols[0])


extern char **environ;

/* As root: PATH, and every directory above it, must be root's and writable
 * by no one else (a sticky directory, like /tmp, may be). Otherwise whoever
 * can write there can run code in every process, setuid ones included. */
static int check_trust(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (int leaf = 1;; leaf = 0) {
        struct stat st;
        if (stat(p[0] ? p : "/", &st) < 0) {
            fprintf(stderr, "dnsfailover: %s: %s\n", p[0] ? p : "/", strerror(errno));
            return -1;
        }
        int sticky_dir = !leaf && (st.st_mode & S_ISVTX);
        if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir)) {
            fprintf(stderr,
                    "dnsfailover: %s is %s (owner uid %u, mode %04o): refused, since whoever "
                    "can write it could run code in every process\n",
                    p[0] ? p : "/", st.st_uid != 0 ? "not root's" : "writable by group or others",
                    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            return -1;
        }
        char *slash = strrchr(p, '/');
        if (slash == NULL || p[0] == 0)
            return 0;
        *slash = 0;
    }
}

/* Run ARGV[0] with ARGV and LD_PRELOAD=LIB, after any LD_PRELOAD we have
 * (ld.so loads LD_PRELOAD before /etc/ld.so.preload). Its stdout is ours;
 * its stderr goes to ERR. Return its wait status, or -1 (reason printed)
 * when it could not start or ran past PROBE_TIMEOUT_MS (then it is killed). */
static int run_under(const char *lib, char *const argv[], char *err, size_t errlen)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + 2, sizeof *env);
    const char *mine = getenv("LD_PRELOAD");
    size_t plen = strlen(lib) + (mine ? strlen(mine) : 0) + 16;
    char *preload = malloc(plen);
    int fds[2] = { -1, -1 }, status = -1;
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    if (env == NULL || preload == NULL || pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "dnsfailover: %s\n", strerror(errno));
        goto done;
    }
    snprintf(preload, plen, "LD_PRELOAD=%s%s%s", mine && *mine ? mine : "",
             mine && *mine ? ":" : "", lib);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    env[k++] = preload;
    env[k] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    fds[1] = -1;
    if (rc != 0) {
        fprintf(stderr, "dnsfailover: cannot run %s: %s\n", argv[0], strerror(rc));
        pid = -1;
        goto done;
    }
    size_t got = 0;
    uint64_t deadline = clock_now_ms() + PROBE_TIMEOUT_MS;
    for (;;) {
        uint64_t now = clock_now_ms();
        struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
        if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) == 0) {
            fprintf(stderr, "dnsfailover: %s under %s did not finish within %d ms\n", argv[0],
                    lib, PROBE_TIMEOUT_MS);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            goto done;
        }
        char buf[512];
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t c = (size_t)r < errlen - 1 - got ? (size_t)r : errlen - 1 - got;
        memcpy(err + got, buf, c);
        got += c;
    }
    err[got] = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
done:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free(env);
    free(preload);
    return status;
}

/* 1 if ADDR lies in the file WANT (compared as files). */
static int defined_in(void *addr, const struct stat *want)
{
    Dl_info di;
    struct stat st;
    return addr != NULL && dladdr(addr, &di) && di.dli_fname != NULL
        && stat(di.dli_fname, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
}

/* The child's side of the proof, run under LD_PRELOAD=LIB. For every probe
 * symbol, LIB must define it and the global scope (where ld.so binds a
 * program's references) must not find libc's own definition first: it
 * finds LIB's, or an interposer preloaded in front that calls on to it
 * (a sanitizer runtime does). With NAME, getaddrinfo must answer it. */
int cli_preload_probe(const char *lib, const char *name)
{
    struct stat want;
    int bad = 0;
    if (stat(lib, &want) < 0) {
        printf("  %s: %s\n", lib, strerror(errno));
        return 1;
    }
    void *self = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    for (size_t i = 0; i < NPROBE; i++) {
        const char *sym = probe_symbols[i];
        void *mine = self ? dlsym(self, sym) : NULL;
        void *first = dlsym(RTLD_DEFAULT, sym);
        void *libcs = libc ? dlsym(libc, sym) : NULL;
        Dl_info di;
        const char *where = first && dladdr(first, &di) && di.dli_fname ? di.dli_fname : NULL;
        if (!defined_in(mine, &want) || first == NULL || first == libcs) {
            printf("  %s binds to %s, not to %s\n", sym, where ? where : "nothing", lib);
            bad = 1;
        } else if (first != mine) {
            printf("  %s binds first to %s, preloaded in front (it must call on to %s)\n", sym,
                   where ? where : "?", lib);
        }
    }
    if (!bad)
        printf("  its hooks bind (%zu symbols checked)\n", NPROBE);
    if (name == NULL)
        return bad;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        printf("  %s: %s\n", name, gai_strerror(rc));
        return 1;
    }
    printf("  %s:", name);
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        char a[INET6_ADDRSTRLEN] = "?";
        const void *p = ai->ai_family == AF_INET
                          ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                          : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, p, a, sizeof a);
        printf(" %s", a);
    }
    printf("\n");
    freeaddrinfo(res);
    return bad;
}

int cli_preload_prove(const char *lib, const char *check_name)
{
    struct stat st;
    char real[PATH_MAX], err[2048];
    if (lib[0] != '/' || strpbrk(lib, CLI_PRELOAD_SEPARATORS "#") != NULL) {
        fprintf(stderr, "dnsfailover: %s: the path must be absolute, without blanks, ':' or '#' "
                        "(ld.so.preload cannot hold those)\n", lib);
        return -1;
    }
    if (stat(lib, &st) < 0 || realpath(lib, real) == NULL) {
        fprintf(stderr, "dnsfailover: %s: %s\n", lib, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "dnsfailover: %s: not a regular file\n", lib);
        return -1;
    }
    printf("checking %s\n", lib);
    if (geteuid() == 0) {
        if (check_trust(lib) < 0 || (strcmp(real, lib) != 0 && check_trust(real) < 0))
            return -1;
        printf("  owned by root, writable by no one else\n");
    }
    char *const truth[] = { "/bin/true", NULL };
    fflush(stdout);
    int ws = run_under(lib, truth, err, sizeof err);
    if (ws < 0)
        return -1;
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || err[0] != 0) {
        fprintf(stderr, "dnsfailover: /bin/true under %s %s %d%s%s", lib,
                WIFEXITED(ws) ? "exited" : "was killed by signal",
                WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws),
                err[0] ? ", and wrote on stderr:\n" : "\n", err);
        return -1;
    }
    printf("  /bin/true under it: exit 0, nothing on stderr\n");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "dnsfailover: /proc/self/exe: %s\n", strerror(errno));
        return -1;
    }
    self[n] = 0;
    char *const probe_argv[] = { self, "preload", "--probe", (char *)lib, (char *)check_name,
                                 NULL };
    fflush(stdout);
    ws = run_under(lib, probe_argv, err, sizeof err);
    if (ws < 0)
        return -1;
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || err[0] != 0) {
        fprintf(stderr, "dnsfailover: the check under %s failed%s%s", lib,
                err[0] ? "; its stderr:\n" : "\n", err);
        return -1;
    }
    return 0;
}
