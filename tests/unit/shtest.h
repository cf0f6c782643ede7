/* shtest.h — what test_shstate and test_shstate_io share: a state_dir of
 * their own under /tmp (setup/teardown), two configured servers, and a
 * user's view as a forked child that drops to nobody and reports through
 * its exit status (CK). Root only. */
#ifndef DNSF_SHTEST_H
#define DNSF_SHTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/log.h"
#include "dnsf/shstate.h"
#include "dnsf/trustfile.h"

#define NOBODY 65534
#define STRANGER 12345
#define ROOTFILE "health-v1.0"
#define USERFILE "health-v1.65534"

static const struct dnsf_config par = {
    .health = { .fail_threshold = 3, .probe_interval_ms = 1000, .max_down_ms = 300000 },
    .hedge_min_ms = 10, .hedge_max_ms = 200 };
static char base[64], dir[128], good[128];
static struct sockaddr_in srv1, srv2;

#define SA(s) ((const struct sockaddr *)&(s))
/* A check in a forked child: its line number is the exit status. */
#define CK(c)                                                                   \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "child check failed at line %d: %s\n", __LINE__, #c); \
            _exit(__LINE__ % 250 + 1);                                          \
        }                                                                       \
    } while (0)

static inline struct shstate_opts opts(uid_t euid, int at_secure)
{
    struct shstate_opts o = { .euid = euid, .at_secure = at_secure, .comm = "unit" };
    return o;
}

static inline int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static inline int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "/tmp/dnsf-shstate.XXXXXX");
    assert_non_null(mkdtemp(base));
    assert_int_equal(chmod(base, 0755), 0);      /* nobody may pass */
    snprintf(dir, sizeof dir, "%s/state", base);
    snprintf(good, sizeof good, "%s/good", base);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 01777), 0);
    assert_int_equal(mkdir(good, 0755), 0);
    srv1 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(53) };
    srv2 = srv1;
    inet_pton(AF_INET, "192.0.2.1", &srv1.sin_addr);
    inet_pton(AF_INET, "192.0.2.2", &srv2.sin_addr);
    shstate_log_reset();
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static inline void mark_down(struct shstate *st, const struct sockaddr_in *sa)
{
    uint64_t now = clock_now_ms();
    for (int i = 0; i < par.health.fail_threshold; i++)
        shstate_report(st, SA(*sa), HEALTH_TIMEOUT, 0, -1, now, &par, now);
}

static inline int is_down(const struct shstate *st, const struct sockaddr_in *sa)
{
    struct shhint h;
    return shstate_lookup(st, SA(*sa), &par, clock_now_ms(), &h) && h.down;
}

static inline int knows(const struct shstate *st, const struct sockaddr_in *sa)
{
    struct shhint h;
    return shstate_lookup(st, SA(*sa), &par, clock_now_ms(), &h);
}

static inline int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (d != NULL && readdir(d) != NULL)
        n++;
    if (d != NULL)
        closedir(d);
    return n;
}

static inline int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f != NULL && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

/* Run FN(ARG) in a child as nobody, with its log in LOG (NULL: none).
 * Return the child's exit status (0: every CK held). */
static inline int as_nobody(void (*fn)(void *), void *arg, const char *log)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);                              /* a hang (a FIFO read) fails */
        shstate_log_reset();
        if (log != NULL) {
            int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            CK(fd >= 0);
            log_configure_fd(LOG_LVL_INFO, fd);
        }
        CK(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0
           && setresuid(NOBODY, NOBODY, NOBODY) == 0);
        fn(arg);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Root's file in D, with SA marked down by a root process. */
static inline void root_marks_down(const char *d, const struct sockaddr_in *sa)
{
    struct shstate_opts o = opts(0, 0);
    struct shstate *st = shstate_open(d, &o, clock_now_ms());
    assert_true(shstate_writable(st));
    mark_down(st, sa);
    shstate_close(st);
}

/* A valid root file at good/health-v1.0 that marks srv1 down. */
static inline void make_good_root_file(void)
{
    root_marks_down(good, &srv1);
}

static inline void copy_file(const char *from, const char *to)
{
    char buf[SHFILE_SIZE];
    int a = open(from, O_RDONLY), b = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(a >= 0 && b >= 0);
    ssize_t n = read(a, buf, sizeof buf);
    assert_int_equal(n, SHFILE_SIZE);
    assert_int_equal(write(b, buf, (size_t)n), n);
    close(a);
    close(b);
}

static inline void write_bytes(const char *path, size_t len, unsigned seed)
{
    unsigned char *buf = malloc(len);
    srand(seed);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)rand();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
    free(buf);
}

static inline void path_in(char *buf, size_t len, const char *d, const char *name)
{
    snprintf(buf, len, "%s/%s", d, name);
}

#endif
