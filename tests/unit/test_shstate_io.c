/* test_shstate_io — the rest of shstate's file layer: the state
 * directory's own rules (owner, mode, symlink, creation by root), processes
 * writing one file at once (no count lost), the per-process counters slots
 * that `dnsfailover status` reads, and sysident's procfs parsers. Root only
 * (shtest.h). */
#include "shtest.h"

static void test_dir_trust(void **state)
{
    (void)state;
    enum trust_why why;
    char p[256];
    assert_int_equal(chown(dir, STRANGER, STRANGER), 0);
    assert_int_equal(trust_dir_open(dir, 0, 0, &why), -1);
    assert_int_equal(why, TRUST_OWNER);
    assert_int_equal(chown(dir, 0, 0), 0);
    assert_int_equal(chmod(dir, 0777), 0);      /* no sticky bit */
    assert_int_equal(trust_dir_open(dir, 0, 0, &why), -1);
    assert_int_equal(why, TRUST_MODE);
    path_in(p, sizeof p, base, "link");
    assert_int_equal(symlink(dir, p), 0);
    assert_int_equal(trust_dir_open(p, 0, 0, &why), -1);
    assert_int_equal(why, TRUST_SYMLINK);
    path_in(p, sizeof p, base, "file");
    write_bytes(p, 1, 0);
    assert_int_equal(trust_dir_open(p, 0, 0, &why), -1);
    assert_int_equal(why, TRUST_KIND);
    /* Root creates a missing one, 01777, under a parent only root writes. */
    path_in(p, sizeof p, base, "new");
    int fd = trust_dir_open(p, 0, 1, &why);
    assert_true(fd >= 0);
    close(fd);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 01777);
    path_in(p, sizeof p, dir, "sub");           /* DIR is 0777 now */
    assert_int_equal(trust_dir_open(p, 0, 1, &why), -1);
    assert_int_equal(access(p, F_OK), -1);
}

/* ---- processes at once, and their counters ----------------------------------------------- */

static void test_processes_write_at_once(void **state)
{
    (void)state;
    enum { KIDS = 4, EACH = 5000 };
    pid_t kids[KIDS];
    for (int i = 0; i < KIDS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct shstate_opts o = opts(0, 0);
            struct shstate *st = shstate_open(dir, &o, clock_now_ms());
            CK(shstate_writable(st));
            for (int k = 0; k < EACH; k++) {
                uint64_t now = clock_now_ms();
                shstate_report(st, SA(srv1), HEALTH_OK, 1000, 1, now, &par, now);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < KIDS; i++) {
        int st;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    struct shstate_opts o = opts(0, 0);
    struct shstate *st = shstate_open(dir, &o, clock_now_ms());
    struct shhint h;
    assert_int_equal(shstate_lookup(st, SA(srv1), &par, clock_now_ms(), &h), 1);
    assert_int_equal(h.answers, KIDS * EACH);  /* one file, whichever created it */
    shstate_close(st);
}

static void count_proc(const struct shproc_info *info, void *arg)
{
    if (strcmp(info->comm, "unit") == 0 && info->c.lookups == 20)
        ++*(int *)arg;
}

static void test_proc_counters(void **state)
{
    (void)state;
    struct shstate_opts o = opts(0, 0);
    uint64_t now = clock_now_ms();
    struct shstate *st = shstate_open(dir, &o, now);
    struct shproc_counters c = { .lookups = 1 };
    shstate_proc_publish(st, &c, now);          /* young and idle: no slot yet */
    assert_int_equal(shstate_proc_each(st, count_proc, &(int){ 0 }), 0);
    c.lookups = 20;
    shstate_proc_publish(st, &c, now);
    int mine = 0;
    assert_int_equal(shstate_proc_each(st, count_proc, &mine), 1);
    assert_int_equal(mine, 1);
    /* A child publishes and dies without releasing: not listed. */
    pid_t pid = fork();
    if (pid == 0) {
        shstate_fork_child(st, clock_now_ms());
        shstate_proc_publish(st, &c, clock_now_ms());
        _exit(shstate_proc_each(st, count_proc, &(int){ 0 }) == 2 ? 0 : 1);
    }
    int ws;
    waitpid(pid, &ws, 0);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_int_equal(shstate_proc_each(st, count_proc, &(int){ 0 }), 1);
    shstate_proc_release(st);
    assert_int_equal(shstate_proc_each(st, count_proc, &(int){ 0 }), 0);
    shstate_close(st);
}

/* ---- sysident's parsers ------------------------------------------------------------------ */

static void test_sysident(void **state)
{
    (void)state;
    uint8_t id[SYSIDENT_BOOT_ID_LEN];
    const char *ok = "8359f543-ca12-4f38-a54d-9a9f8e1b112a\n";
    assert_int_equal(sysident_parse_boot_id(ok, strlen(ok), id), 0);
    assert_int_equal(id[0], 0x83);
    assert_int_equal(id[15], 0x2a);
    assert_int_equal(sysident_parse_boot_id(ok, 35, id), -1);
    assert_int_equal(sysident_parse_boot_id("8359f543-ca12-4f38-a54d-9a9f8e1b112g", 36, id), -1);
    assert_int_equal(sysident_parse_boot_id("8359f543xca12-4f38-a54d-9a9f8e1b112a", 36, id), -1);
    uint64_t start;
    const char *stat = "42 (a) b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 20 21\n";
    assert_int_equal(sysident_parse_starttime(stat, strlen(stat), &start), 0);
    assert_int_equal(start, 777);
    assert_int_equal(sysident_parse_starttime("42 (x) S 1 2", 12, &start), -1);
    assert_int_equal(sysident_parse_starttime("no paren", 8, &start), -1);
    assert_true(sysident_proc(getpid()) != 0);
    assert_int_equal(sysident_pid(sysident_proc(getpid())), getpid());
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    assert_int_equal(sysident_proc(pid), 0);
}


int main(void)
{
    if (geteuid() != 0) {
        print_message("test_shstate_io: needs root (ownership and setresuid); skipped\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dir_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processes_write_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proc_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysident, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
