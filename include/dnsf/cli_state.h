/* cli_state — what `dnsfailover status` and `metrics` show: the shared
 * health files of a state directory (shstate.h, shfile.h), read once,
 * read only, for the command.
 *
 * Which files. A user sees what their own processes see: their own file
 * ("health-v1.UID") and root's. Root sees every user's file too: root's
 * flush reaches every process, so root's look should show every process
 * it reaches, and a user's server evidence is part of the host's picture.
 * Root reads them under the same trust rules as everyone (trustfile.h:
 * O_NOFOLLOW, after the open a regular file, one link, not writable by
 * group or others, owned by the uid its name says, the size of the
 * format), and validated (shfile_check: this boot, the same owner). A
 * user's file is 0600, so another user cannot read it anyway.
 *
 * Each file is copied into memory (one read of SHFILE_SIZE bytes) and
 * looked at through shfile.h's readers, which range-check every field:
 * the command never maps a file another uid can write, never writes, and
 * creates nothing (not even a missing state directory).
 *
 * Servers: the configured ones (the config's top-level nameservers, else
 * resolv.conf's). A server's host-wide state merges every file read: the
 * file with the newest evidence (latest answer or failure) gives its state,
 * failures and last change, as shstate_lookup merges a process's two files;
 * the query counters are summed over the files. */
#ifndef DNSF_CLI_STATE_H
#define DNSF_CLI_STATE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dnsf/config.h"
#include "dnsf/resconf.h"
#include "dnsf/shfile.h"

/* At most this many files are read (uids with processes using the state). */
#define CLI_STATE_MAX_FILES 256

struct cli_state_file {
    uid_t uid;
    uint64_t flush_gen;
};
struct cli_state_server {
    char address[80];              /* "IP", "IP:PORT" or "[IPv6]:PORT" */
    int known;                     /* some file has an entry for it */
    struct shhint h;               /* merged (see above); zero when unknown */
};
struct cli_state_proc {
    uid_t uid;                     /* whose file it was published in */
    struct shproc_info info;
};
struct cli_state {
    char dir[PATH_MAX];            /* state_dir, "" when sharing is off */
    char problem[PATH_MAX + 128];  /* "" when files were read; else why none */
    int skipped;                   /* files refused (untrusted, invalid) */
    uint64_t now_ms;               /* clock_now_ms(): the files' time base */
    int64_t wall_ms;               /* CLOCK_REALTIME at the same moment */
    int nfiles;
    struct cli_state_file files[CLI_STATE_MAX_FILES];
    int nservers;
    struct cli_state_server servers[DNSF_MAX_SERVERS];
    int nprocs;
    struct cli_state_proc *procs;  /* NPROCS, allocated; cli_state_free */
};

/* Read the state CFG names (its state_dir, its servers or else RC's) into
 * ST. Return 0 when at least one file was read, -1 otherwise (ST->problem
 * says why; the servers are listed, unknown). */
int cli_state_read(struct cli_state *st, const struct dnsf_config *cfg, const struct resconf *rc);
void cli_state_free(struct cli_state *st);
/* The wall-clock time (Unix seconds) of T_MS, a time of the files' clock. */
double cli_state_wall(const struct cli_state *st, uint64_t t_ms);

/* S as dnsfailover.conf(5) names a server: "IP" (port 53), "IP:PORT" or
 * "[IPv6]:PORT". */
void cli_server_address(const struct dnsf_server *s, char *buf, size_t len);

#endif
