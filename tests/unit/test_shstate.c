/* test_shstate — which health files a process trusts, on a real state_dir
 * (issue 13, "Security of the shared state"), one test per line that a
 * module can answer for: random, forged, truncated and huge files, a
 * symlink, a FIFO, a directory, another uid's file, a group- or
 * other-writable one, one replaced between two reads, AT_SECURE, sharing
 * turned off, an unwritable or missing directory (fail soft, one log
 * line). The directory's own rules and concurrent processes are in
 * test_shstate_io.
 *
 * Runs as root: a user's view is a forked child that drops to nobody
 * (setresuid) and reports through its exit status (child checks: CK).
 * Every hostile file is paired with the same content under trusted
 * attributes, which the user does read: the refusal is the trust check's. */
#include "shtest.h"

/* Every handle the tests open stays referenced from here: as_nobody forks
 * children while the parent holds handles, and a child that exits would
 * otherwise report the parent's handle as lost under valgrind (the child
 * cannot close what it does not know). Not static, so that -O2 keeps
 * the stores to an array nothing in this file reads. */
struct shstate *test_kept_handles[64];
static unsigned nkept;

static struct shstate *keep(struct shstate *st)
{
    test_kept_handles[nkept++ % 64] = st;
    return st;
}

/* ---- off, and the plain case ---------------------------------------------- */

static void test_off(void **state)
{
    (void)state;
    struct shstate_opts o = opts(0, 0);
    assert_null(shstate_open("", &o, 1));
    assert_null(shstate_open(NULL, &o, 1));
    struct shhint h;
    assert_int_equal(shstate_lookup(NULL, SA(srv1), &par, 1, &h), 0);
    assert_int_equal(shstate_claim_probe(NULL, SA(srv1), &par, 1), -1);
    assert_int_equal(shstate_flush_gen(NULL), 0);
    assert_int_equal(shstate_flush(NULL), -1);
    assert_int_equal(shstate_refresh(NULL, 1, 1), 0);
    shstate_report(NULL, SA(srv1), HEALTH_TIMEOUT, 0, -1, 1, &par, 1);
    struct shproc_counters c = { 0 };
    shstate_proc_publish(NULL, &c, 1);
    shstate_proc_release(NULL);
    shstate_fork_child(NULL, 1);
    shstate_close(NULL);
}

static void test_shared_between_handles(void **state)
{
    (void)state;
    struct shstate_opts o = opts(0, 0);
    uint64_t now = clock_now_ms();
    struct shstate *a = keep(shstate_open(dir, &o, now)), *b = keep(shstate_open(dir, &o, now));
    assert_true(shstate_writable(a) && shstate_writable(b));
    mark_down(a, &srv1);
    assert_true(is_down(b, &srv1));
    assert_false(knows(b, &srv2));
    char p[256];
    struct stat sb;
    path_in(p, sizeof p, dir, ROOTFILE);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISREG(sb.st_mode) && sb.st_uid == 0 && sb.st_nlink == 1);
    assert_int_equal(sb.st_mode & 07777, 0644);
    assert_int_equal(sb.st_size, SHFILE_SIZE);
    uint64_t g = shstate_flush_gen(b);
    assert_int_equal(shstate_flush(a), 0);
    assert_int_equal(shstate_flush_gen(b), g + 1);
    uint64_t due = clock_now_ms() + (uint64_t)par.health.probe_interval_ms;
    assert_int_equal(shstate_claim_probe(a, SA(srv1), &par, due)
                     + shstate_claim_probe(b, SA(srv1), &par, due), 1);
    /* An answer to any process brings it back for all. */
    shstate_report(b, SA(srv1), HEALTH_OK, 900, 1, clock_now_ms(), &par, clock_now_ms());
    assert_false(is_down(a, &srv1));
    shstate_close(a);
    shstate_close(b);
}

/* ---- a user's files ------------------------------------------------------------- */

static void user_reads_root_writes_own(void *arg)
{
    (void)arg;
    struct shstate_opts o = opts(NOBODY, 0);
    int fds = count_fds();
    struct shstate *st = keep(shstate_open(dir, &o, clock_now_ms()));
    CK(shstate_writable(st));
    CK(is_down(st, &srv1));                    /* root's evidence */
    mark_down(st, &srv2);
    CK(is_down(st, &srv2));
    shstate_close(st);
    CK(count_fds() == fds);
}

static void test_user_files(void **state)
{
    (void)state;
    struct shstate_opts o = opts(0, 0);
    struct shstate *root = keep(shstate_open(dir, &o, clock_now_ms()));
    mark_down(root, &srv1);
    assert_int_equal(as_nobody(user_reads_root_writes_own, NULL, NULL), 0);
    char p[256];
    struct stat sb;
    path_in(p, sizeof p, dir, USERFILE);
    assert_int_equal(lstat(p, &sb), 0);
    assert_int_equal(sb.st_uid, NOBODY);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_false(knows(root, &srv2));          /* a user never writes root's */
    shstate_close(root);
}

/* ---- hostile files at root's name, read by a user --------------------------------- */

enum hostile { H_RANDOM, H_TRUNCATED, H_HUGE, H_SYMLINK, H_FIFO, H_DIR, H_STRANGER,
               H_GROUP_WRITABLE, H_OTHER_WRITABLE, H_HARDLINK, H_TRUSTED, H_COUNT };

static void user_sees_root(void *arg)
{
    int expect = *(int *)arg;
    struct shstate_opts o = opts(NOBODY, 0);
    int fds = count_fds();
    struct shstate *st = keep(shstate_open(dir, &o, clock_now_ms()));
    CK(is_down(st, &srv1) == expect);
    CK(shstate_writable(st));                  /* its own file works regardless */
    shstate_refresh(st, clock_now_ms(), 1);
    CK(is_down(st, &srv1) == expect);
    shstate_close(st);
    CK(count_fds() == fds);
}

static void plant_root_file(enum hostile kind)
{
    char p[256], g[256], other[256];
    path_in(p, sizeof p, dir, ROOTFILE);
    path_in(g, sizeof g, good, ROOTFILE);
    path_in(other, sizeof other, base, "elsewhere");
    switch (kind) {
    case H_RANDOM: write_bytes(p, SHFILE_SIZE, 7); break;
    case H_TRUNCATED: copy_file(g, p); assert_int_equal(truncate(p, 4096), 0); break;
    case H_HUGE: copy_file(g, p); assert_int_equal(truncate(p, 64 << 20), 0); break;
    case H_SYMLINK: copy_file(g, other); assert_int_equal(symlink(other, p), 0); break;
    case H_FIFO: assert_int_equal(mkfifo(p, 0644), 0); break;
    case H_DIR: assert_int_equal(mkdir(p, 0755), 0); break;
    case H_STRANGER: copy_file(g, p); assert_int_equal(chown(p, STRANGER, 0), 0); break;
    case H_GROUP_WRITABLE: copy_file(g, p); assert_int_equal(chmod(p, 0664), 0); break;
    case H_OTHER_WRITABLE: copy_file(g, p); assert_int_equal(chmod(p, 0646), 0); break;
    case H_HARDLINK: copy_file(g, other); assert_int_equal(link(other, p), 0); break;
    case H_TRUSTED: copy_file(g, p); break;
    case H_COUNT: break;
    }
}

static void test_hostile_root_file(void **state)
{
    (void)state;
    for (int kind = 0; kind < H_COUNT; kind++) {
        teardown(NULL);
        setup(NULL);
        make_good_root_file();
        plant_root_file((enum hostile)kind);
        int expect = kind == H_TRUSTED;        /* the control: same bytes, trusted */
        print_message("hostile root file kind %d\n", kind);
        assert_int_equal(as_nobody(user_sees_root, &expect, NULL), 0);
    }
}

/* ---- the user's own name taken ------------------------------------------------------ */

static void user_squatted(void *arg)
{
    int replaceable = *(int *)arg;
    struct shstate_opts o = opts(NOBODY, 0);
    struct shstate *st = keep(shstate_open(dir, &o, clock_now_ms()));
    CK(shstate_writable(st) == replaceable);
    CK(is_down(st, &srv1));                    /* root's file still read */
    for (int i = 0; i < 3; i++)
        shstate_refresh(st, clock_now_ms(), 1);
    shstate_close(st);
}

static void test_squatted_own_name(void **state)
{
    (void)state;
    /* Another user's file, a symlink, a FIFO, a directory: refused, one line
     * logged; the user's own broken file (random, group-writable): replaced. */
    for (int kind = 0; kind < 6; kind++) {
        teardown(NULL);
        setup(NULL);
        root_marks_down(dir, &srv1);
        char p[256], log[256];
        path_in(p, sizeof p, dir, USERFILE);
        path_in(log, sizeof log, base, "log");
        int replaceable = kind >= 4;
        if (kind == 0) {
            write_bytes(p, SHFILE_SIZE, 1);
            assert_int_equal(chown(p, STRANGER, STRANGER), 0);
        } else if (kind == 1) {
            assert_int_equal(symlink("/etc/passwd", p), 0);
        } else if (kind == 2) {
            assert_int_equal(mkfifo(p, 0666), 0);
        } else if (kind == 3) {
            assert_int_equal(mkdir(p, 0777), 0);
        } else {
            write_bytes(p, kind == 4 ? SHFILE_SIZE : 100, 2);
            assert_int_equal(chown(p, NOBODY, NOBODY), 0);
            assert_int_equal(chmod(p, kind == 4 ? 0600 : 0660), 0);
        }
        print_message("squatted own name kind %d\n", kind);
        assert_int_equal(as_nobody(user_squatted, &replaceable, log), 0);
        assert_int_equal(count_lines(log), replaceable ? 0 : 1);
        struct stat sb;
        assert_int_equal(lstat(p, &sb), 0);
        if (replaceable) {
            assert_true(S_ISREG(sb.st_mode) && sb.st_size == SHFILE_SIZE);
            assert_int_equal(sb.st_mode & 07777, 0600);
        }
    }
}

/* ---- replaced between two reads --------------------------------------------------------- */

static void test_replaced_between_reads(void **state)
{
    (void)state;
    make_good_root_file();
    struct shstate_opts o = opts(0, 0);
    uint64_t now = clock_now_ms();
    struct shstate *st = keep(shstate_open(dir, &o, now));
    assert_false(is_down(st, &srv1));
    char p[256], g[256];
    path_in(p, sizeof p, dir, ROOTFILE);
    path_in(g, sizeof g, good, ROOTFILE);
    assert_int_equal(rename(g, p), 0);         /* another file, srv1 down */
    assert_false(is_down(st, &srv1));          /* the old mapping until a check */
    assert_int_equal(shstate_refresh(st, now + 1, 0), 1);
    assert_false(is_down(st, &srv1));          /* not due yet */
    shstate_refresh(st, now + SHSTATE_RECHECK_MS, 0);
    assert_true(is_down(st, &srv1));
    /* Replaced by garbage: root puts a fresh file in its place. */
    char junk[256];
    path_in(junk, sizeof junk, base, "junk");
    write_bytes(junk, SHFILE_SIZE, 3);
    assert_int_equal(rename(junk, p), 0);
    assert_int_equal(shstate_refresh(st, now + 2 * SHSTATE_RECHECK_MS, 0), 1);
    assert_false(knows(st, &srv1));
    assert_true(shstate_writable(st));
    mark_down(st, &srv2);
    /* Removed: a new file on the next check. */
    assert_int_equal(unlink(p), 0);
    shstate_refresh(st, now + 3 * SHSTATE_RECHECK_MS, 0);
    assert_false(knows(st, &srv2));
    struct stat sb;
    assert_int_equal(lstat(p, &sb), 0);
    shstate_close(st);
}

/* The child says "read once" on SYNC_UP; the parent swaps the file and says
 * so on SYNC_DOWN. */
static int sync_up[2], sync_down[2];

/* A user's reader of root's file: replaced by garbage, it is dropped. */
static void user_root_replaced(void *arg)
{
    (void)arg;
    struct shstate_opts o = opts(NOBODY, 0);
    uint64_t now = clock_now_ms();
    struct shstate *st = keep(shstate_open(dir, &o, now));
    CK(is_down(st, &srv1));
    char p[256], junk[256];
    path_in(p, sizeof p, dir, ROOTFILE);
    path_in(junk, sizeof junk, dir, ".junk");
    CK(access(junk, F_OK) == 0);
    shstate_refresh(st, now + SHSTATE_RECHECK_MS, 0);
    CK(is_down(st, &srv1));                    /* nothing changed yet */
    /* The parent (root) swaps the file while this child waits. */
    CK(write(sync_up[1], "x", 1) == 1);
    char c;
    CK(read(sync_down[0], &c, 1) == 1);
    shstate_refresh(st, now + 2 * SHSTATE_RECHECK_MS, 0);
    CK(!is_down(st, &srv1));
    CK(!knows(st, &srv1));
    shstate_close(st);
}

static void test_user_sees_root_replaced(void **state)
{
    (void)state;
    root_marks_down(dir, &srv1);
    char p[256], junk[256];
    path_in(p, sizeof p, dir, ROOTFILE);
    path_in(junk, sizeof junk, dir, ".junk");
    write_bytes(junk, SHFILE_SIZE, 4);
    assert_int_equal(pipe(sync_up), 0);
    assert_int_equal(pipe(sync_down), 0);
    pid_t pid = fork();
    if (pid == 0) {
        CK(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0
           && setresuid(NOBODY, NOBODY, NOBODY) == 0);
        user_root_replaced(NULL);
        _exit(0);
    }
    char c;
    assert_int_equal(read(sync_up[0], &c, 1), 1);
    assert_int_equal(rename(junk, p), 0);
    assert_int_equal(write(sync_down[1], "x", 1), 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    for (int i = 0; i < 2; i++)
        close(sync_up[i]), close(sync_down[i]);
}

/* ---- AT_SECURE ------------------------------------------------------------------ */

static void test_at_secure(void **state)
{
    (void)state;
    struct shstate_opts o = opts(0, 0), sec = opts(NOBODY, 1);
    struct shstate *root = keep(shstate_open(dir, &o, clock_now_ms()));
    mark_down(root, &srv1);
    struct shstate *st = keep(shstate_open(dir, &sec, clock_now_ms()));
    assert_true(shstate_active(st));
    assert_false(shstate_writable(st));
    assert_true(is_down(st, &srv1));
    mark_down(st, &srv2);                      /* writes nothing anywhere */
    assert_false(knows(root, &srv2));
    assert_int_equal(shstate_claim_probe(st, SA(srv1), &par, clock_now_ms() + 5000), -1);
    assert_int_equal(shstate_flush(st), -1);
    char p[256];
    path_in(p, sizeof p, dir, USERFILE);
    assert_int_equal(access(p, F_OK), -1);
    shstate_close(st);
    shstate_close(root);
    /* Only root's directory: one of the invoking user's is not used. */
    assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
    assert_int_equal(chmod(dir, 0700), 0);
    st = keep(shstate_open(dir, &sec, clock_now_ms()));
    assert_false(shstate_active(st));
    shstate_close(st);
}

/* ---- fail soft -------------------------------------------------------------------- */

static void user_unwritable(void *arg)
{
    const char *d = arg;
    struct shstate_opts o = opts(NOBODY, 0);
    for (int i = 0; i < 3; i++) {
        struct shstate *st = keep(shstate_open(d, &o, clock_now_ms()));
        CK(st != NULL);
        CK(!shstate_writable(st));
        shstate_refresh(st, clock_now_ms(), 1);
        mark_down(st, &srv2);
        CK(shstate_claim_probe(st, SA(srv2), &par, clock_now_ms()) == -1);
        CK(shstate_active(st) == (d == dir && is_down(st, &srv1)));
        shstate_close(st);
    }
}

static void test_unwritable_or_missing_dir(void **state)
{
    (void)state;
    root_marks_down(dir, &srv1);
    assert_int_equal(chmod(dir, 0755), 0);     /* root's, not the users' */
    char log[256], missing[256];
    path_in(log, sizeof log, base, "log");
    assert_int_equal(as_nobody(user_unwritable, dir, log), 0);
    assert_int_equal(count_lines(log), 1);
    path_in(missing, sizeof missing, base, "missing");
    assert_int_equal(as_nobody(user_unwritable, missing, log), 0);
    assert_int_equal(count_lines(log), 1);
    assert_int_equal(access(missing, F_OK), -1);   /* a user creates nothing */
}


int main(void)
{
    if (geteuid() != 0) {
        print_message("test_shstate: needs root (ownership and setresuid); skipped\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_between_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_root_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_squatted_own_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_between_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_sees_root_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_secure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_or_missing_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
