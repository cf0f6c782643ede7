/* fdkeep — is a kept descriptor still ours? (contract in fdkeep.h) */
#include "dnsf/fdkeep.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int sock_opt(int fd, int opt)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) != 0)
        return -1;
    return v;
}

/* Fill ID from FD as it is now; -1 if FD is not open. */
static int ident_of(int fd, struct fd_ident *id)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    id->fd = fd;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->domain = id->protocol = -1;
    if (S_ISSOCK(st.st_mode)) {
        id->domain = sock_opt(fd, SO_DOMAIN);
        id->protocol = sock_opt(fd, SO_PROTOCOL);
    }
    return 0;
}

int fdkeep_take(int fd, struct fd_ident *id)
{
    if (ident_of(fd, id) == 0)
        return 0;
    id->fd = -1;
    return -1;
}

int fdkeep_ours(const struct fd_ident *id)
{
    struct fd_ident now;
    if (id->fd < 0 || ident_of(id->fd, &now) != 0)
        return 0;
    return now.dev == id->dev && now.ino == id->ino && now.domain == id->domain
        && now.protocol == id->protocol;
}

void fdkeep_close(struct fd_ident *id)
{
    if (fdkeep_ours(id))
        close(id->fd);
    id->fd = -1;
}

/* Written once at install (state.c), read by any thread after. */
static _Atomic(void (*)(void)) release_fn;

void fdkeep_set_release(void (*release)(void))
{
    atomic_store(&release_fn, release);
}

void fdkeep_shortage(int err)
{
    void (*fn)(void) = atomic_load(&release_fn);
    if ((err == EMFILE || err == ENFILE) && fn != NULL)
        fn();
}
