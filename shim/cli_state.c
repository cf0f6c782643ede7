/* cli_state — a state directory's health files, read once for the command
 * (contract and reasons in cli_state.h). */
#include "dnsf/cli_state.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/clock.h"
#include "dnsf/shstate.h"
#include "dnsf/sysident.h"
#include "dnsf/trustfile.h"

/* "health-v1." then a uid in decimal: what shstate_file_name writes. */
#define HEALTH_PREFIX "health-v1."

void cli_server_address(const struct dnsf_server *s, char *buf, size_t len)
{
    const struct sockaddr_in *in = (const void *)&s->addr;
    const char *colon = strrchr(s->text, ':');
    /* s->text is the host as written, ":", the port (confserver.c). */
    if (in->sin_family == AF_INET && ntohs(in->sin_port) == 53 && colon != NULL)
        snprintf(buf, len, "%.*s", (int)(colon - s->text), s->text);
    else
        snprintf(buf, len, "%s", s->text);
}

double cli_state_wall(const struct cli_state *st, uint64_t t_ms)
{
    return ((double)st->wall_ms - (double)(st->now_ms - t_ms)) / 1000.0;
}

/* UID from NAME ("health-v1.UID"), or -1 when NAME is something else. */
static long uid_of(const char *name)
{
    size_t pl = strlen(HEALTH_PREFIX);
    const char *d = name + pl;
    size_t nd = strspn(d, "0123456789");
    if (strncmp(name, HEALTH_PREFIX, pl) != 0 || nd == 0 || nd > 10 || d[nd] != 0)
        return -1;
    unsigned long u = strtoul(d, NULL, 10);
    return u <= 0xfffffffeUL ? (long)u : -1;
}

/* UID's file in DIRFD, trusted and valid, copied into a new SHFILE_SIZE
 * buffer; NULL when it is missing or refused. */
static unsigned char *read_file(int dirfd, uid_t uid, const uint8_t *boot_id, int *refused)
{
    char name[64];
    struct stat sb;
    enum trust_why why;
    const char *what;
    shstate_file_name(uid, name, sizeof name);
    int fd = trust_open(dirfd, name, 0, uid, SHFILE_SIZE, SHFILE_SIZE, &sb, &why);
    if (fd < 0) {
        *refused += why != TRUST_MISSING;
        return NULL;
    }
    unsigned char *buf = sb.st_uid == uid ? malloc(SHFILE_SIZE) : NULL;
    ssize_t n = buf != NULL ? pread(fd, buf, SHFILE_SIZE, 0) : -1;
    close(fd);
    if (n != SHFILE_SIZE || shfile_check(buf, SHFILE_SIZE, uid, boot_id, &what) < 0) {
        free(buf);
        (*refused)++;
        return NULL;
    }
    return buf;
}

/* The uids whose files to read into UIDS (at most CLI_STATE_MAX_FILES):
 * root's and our own; for root, every "health-v1.UID" in the directory. */
static int uids_to_read(int dirfd, uid_t euid, uid_t *uids)
{
    int n = 0;
    uids[n++] = 0;
    if (euid != 0) {
        uids[n++] = euid;
        return n;
    }
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return n;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < CLI_STATE_MAX_FILES) {
        long u = uid_of(e->d_name);
        if (u > 0)
            uids[n++] = (uid_t)u;
    }
    closedir(d);
    return n;
}

static uint64_t newest(const struct shhint *h)
{
    return h->ok_ms > h->fail_ms ? h->ok_ms : h->fail_ms;
}

/* Fold what file F says of server S into S. */
static void merge_server(struct cli_state_server *s, const struct shfile *f,
                         const struct dnsf_server *srv, const struct dnsf_config *cfg,
                         uint64_t now_ms)
{
    struct shkey k;
    struct shhint h;
    if (shkey_from_addr((const struct sockaddr *)&srv->addr, &k) < 0
        || !shfile_lookup(f, &k, &cfg->health, now_ms, &h))
        return;
    uint64_t answers = s->h.answers + h.answers, timeouts = s->h.timeouts + h.timeouts;
    uint64_t errors = s->h.errors + h.errors, lost = s->h.lost_races + h.lost_races;
    if (!s->known || newest(&h) > newest(&s->h)) {
        int have_rtt = s->h.have_rtt;
        uint32_t srtt = s->h.srtt_us, rttvar = s->h.rttvar_us;
        s->h = h;
        if (!h.have_rtt && have_rtt) {
            s->h.have_rtt = 1;
            s->h.srtt_us = srtt;
            s->h.rttvar_us = rttvar;
        }
    } else if (!s->h.have_rtt && h.have_rtt) {
        s->h.have_rtt = 1;
        s->h.srtt_us = h.srtt_us;
        s->h.rttvar_us = h.rttvar_us;
    }
    s->known = 1;
    s->h.answers = answers;
    s->h.timeouts = timeouts;
    s->h.errors = errors;
    s->h.lost_races = lost;
}

static void add_procs(struct cli_state *st, const struct shfile *f, uid_t uid)
{
    for (int i = 0; i < SHFILE_PROCS; i++) {
        struct cli_state_proc *p = &st->procs[st->nprocs];
        if (shfile_proc_read(f, i, &p->info) && p->info.ident != 0
            && sysident_proc(sysident_pid(p->info.ident)) == p->info.ident) {
            p->uid = uid;
            st->nprocs++;
        }
    }
}

int cli_state_read(struct cli_state *st, const struct dnsf_config *cfg, const struct resconf *rc)
{
    struct timespec ts;
    uint8_t boot_id[SYSIDENT_BOOT_ID_LEN];
    uid_t uids[CLI_STATE_MAX_FILES];
    enum trust_why why;
    memset(st, 0, sizeof *st);
    snprintf(st->dir, sizeof st->dir, "%s", cfg->state_dir);
    st->now_ms = clock_now_ms();
    clock_gettime(CLOCK_REALTIME, &ts);
    st->wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    const struct dnsf_server *srv = cfg->nservers ? cfg->servers : rc->servers;
    st->nservers = cfg->nservers ? cfg->nservers : rc->nservers;
    for (int i = 0; i < st->nservers; i++)
        cli_server_address(&srv[i], st->servers[i].address, sizeof st->servers[i].address);
    if (st->dir[0] == 0) {
        snprintf(st->problem, sizeof st->problem, "sharing is off (state_dir = \"\")");
        return -1;
    }
    uid_t euid = getauxval(AT_SECURE) ? 0 : geteuid();
    int dirfd = trust_dir_open(st->dir, euid, 0, &why);
    if (dirfd < 0) {
        snprintf(st->problem, sizeof st->problem, "state directory %s: %s", st->dir,
                 trust_why_text(why));
        return -1;
    }
    if (sysident_boot_id(boot_id) < 0) {
        close(dirfd);
        snprintf(st->problem, sizeof st->problem, "this boot's id cannot be read (no /proc)");
        return -1;
    }
    int n = uids_to_read(dirfd, euid, uids);
    st->procs = calloc((size_t)n * SHFILE_PROCS, sizeof *st->procs);
    for (int i = 0; i < n && st->procs != NULL; i++) {
        unsigned char *buf = read_file(dirfd, uids[i], boot_id, &st->skipped);
        if (buf == NULL)
            continue;
        struct shfile f = { buf, 0 };
        st->files[st->nfiles].uid = uids[i];
        st->files[st->nfiles++].flush_gen = shfile_flush_gen(&f);
        for (int k = 0; k < st->nservers; k++)
            merge_server(&st->servers[k], &f, &srv[k], cfg, st->now_ms);
        add_procs(st, &f, uids[i]);
        free(buf);
    }
    close(dirfd);
    if (st->nfiles == 0)
        snprintf(st->problem, sizeof st->problem, "no health file in %s%s", st->dir,
                 st->skipped ? " that can be trusted" : " yet (no process has shared state)");
    return st->nfiles > 0 ? 0 : -1;
}

void cli_state_free(struct cli_state *st)
{
    free(st->procs);
    st->procs = NULL;
}
