/* filestamp — has a file changed? (contract in filestamp.h) */
#include "dnsf/filestamp.h"

#include <string.h>
#include <sys/stat.h>

void file_stamp_take(const char *path, struct file_stamp *s)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    if (stat(path, &st) != 0)
        return;
    s->ok = 1;
    s->regular = S_ISREG(st.st_mode);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    s->uid = st.st_uid;
    s->mode = st.st_mode;
}

int file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b)
{
    return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}
