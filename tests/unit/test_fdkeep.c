/* test_fdkeep — is a kept descriptor still ours? (fdkeep.h)
 *
 * The program's moves are made for real: close, dup2 of another socket or
 * file over the kept number, a socket of another kind at the same number,
 * and the same file opened again. fdkeep_close must close only what is
 * still ours. The shortage callback runs for EMFILE and ENFILE only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/fdkeep.h"

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static void test_socket_still_ours(void **state)
{
    (void)state;
    struct fd_ident id;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(fdkeep_take(fd, &id), 0);
    assert_int_equal(id.fd, fd);
    assert_int_equal(id.domain, AF_INET);
    assert_true(fdkeep_ours(&id));
    fdkeep_close(&id);
    assert_int_equal(id.fd, -1);
    assert_false(is_open(fd));
    assert_false(fdkeep_ours(&id));
}

static void test_closed_is_not_ours(void **state)
{
    (void)state;
    struct fd_ident id;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(fdkeep_take(fd, &id), 0);
    close(fd);
    assert_false(fdkeep_ours(&id));
    fdkeep_close(&id);              /* nothing to close, nothing breaks */
    assert_int_equal(id.fd, -1);
}

/* The program dup2s its own socket (same kind) over our number. */
static void test_dup2_same_kind(void **state)
{
    (void)state;
    struct fd_ident id;
    int ours = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int theirs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(fdkeep_take(ours, &id), 0);
    assert_int_equal(dup2(theirs, ours), ours);
    assert_false(fdkeep_ours(&id));
    fdkeep_close(&id);
    assert_true(is_open(ours));     /* the program's now: left alone */
    close(ours);
    close(theirs);
}

/* A socket of another family at the same number. */
static void test_other_kind(void **state)
{
    (void)state;
    struct fd_ident id;
    int sv[2];
    int ours = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (ours < 0)
        ours = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(fdkeep_take(ours, &id), 0);
    close(ours);
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
    if (sv[0] != ours) {
        assert_int_equal(dup2(sv[0], ours), ours);
        close(sv[0]);
    }
    assert_false(fdkeep_ours(&id));
    fdkeep_close(&id);
    assert_true(is_open(ours));
    close(ours);
    close(sv[1]);
}

/* A log file: another file at the number is not ours; the same file opened
 * again (same device and inode) is the same file. */
static void test_files(void **state)
{
    (void)state;
    char a[] = "/tmp/test_fdkeep.XXXXXX", b[] = "/tmp/test_fdkeep.XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    assert_true(fa >= 0 && fb >= 0);
    struct fd_ident id;
    assert_int_equal(fdkeep_take(fa, &id), 0);
    assert_int_equal(id.domain, -1);
    assert_true(fdkeep_ours(&id));
    assert_int_equal(dup2(fb, fa), fa);
    assert_false(fdkeep_ours(&id));
    int again = open(a, O_WRONLY | O_CLOEXEC);
    assert_int_equal(dup2(again, fa), fa);
    assert_true(fdkeep_ours(&id));
    close(again);
    fdkeep_close(&id);
    assert_false(is_open(fa));
    close(fb);
    unlink(a);
    unlink(b);
}

static void test_take_of_closed(void **state)
{
    (void)state;
    struct fd_ident id;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    close(fd);
    assert_int_equal(fdkeep_take(fd, &id), -1);
    assert_int_equal(id.fd, -1);
    assert_int_equal(fdkeep_take(-1, &id), -1);
}

static int released;
static void count_release(void)
{
    released++;
}

static void test_shortage(void **state)
{
    (void)state;
    fdkeep_shortage(EMFILE);        /* no release function yet: nothing happens */
    fdkeep_set_release(count_release);
    fdkeep_shortage(EMFILE);
    fdkeep_shortage(ENFILE);
    fdkeep_shortage(EACCES);
    fdkeep_shortage(EAFNOSUPPORT);
    fdkeep_shortage(0);
    assert_int_equal(released, 2);
    fdkeep_set_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_still_ours),
        cmocka_unit_test(test_closed_is_not_ours),
        cmocka_unit_test(test_dup2_same_kind),
        cmocka_unit_test(test_other_kind),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_take_of_closed),
        cmocka_unit_test(test_shortage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
