/* cli_flush — `dnsfailover flush [--config F]`: processes drop their cached
 * answers and memo within a few seconds.
 *
 * It bumps the flush generation of the invoker's own health file
 * (shstate_flush). Every process that shares state watches the sum of its
 * own file's generation and root's (shstate_flush_gen) when a lookup
 * starts, so root's flush reaches every process of the host, and a user's
 * flush that user's processes only: per-uid files (shstate.h) are how
 * that comes about, not a permission check here.
 *
 * Exit codes: 0 flushed (or nothing to flush: no process of this uid has
 * shared state yet); 1 sharing is off, or the state directory is missing
 * or not trusted: processes keep no shared state, so none can be reached;
 * 2 usage; 3 the configuration is invalid and has no last good copy. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/clock.h"
#include "dnsf/shstate.h"
#include "dnsf/trustfile.h"

int cli_flush(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else {
            fprintf(stderr, "usage: dnsfailover flush [--config FILE]\n");
            return 2;
        }
    }
    struct dnsf_config cfg;
    if (cli_state_config(path, &cfg) < 0)
        return 3;
    if (cfg.state_dir[0] == 0) {
        fprintf(stderr, "dnsfailover: sharing is off (state_dir = \"\" in %s): processes keep "
                "no shared state, so a flush cannot reach them\n", cfg.source);
        return 1;
    }
    struct shstate_opts o;
    enum trust_why why;
    char name[64];
    struct stat sb;
    shstate_default_opts(&o);
    o.create_dir = 0;
    o.comm = "dnsfailover";
    int dirfd = trust_dir_open(cfg.state_dir, o.euid, 0, &why);
    if (dirfd < 0) {
        fprintf(stderr, "dnsfailover: state directory %s: %s; no process shares state there, "
                "so there is nothing to flush\n", cfg.state_dir, trust_why_text(why));
        return 1;
    }
    shstate_file_name(o.euid, name, sizeof name);
    int exists = fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    close(dirfd);
    if (!exists) {
        printf("nothing to flush: no process of uid %u shares state in %s yet (%s is "
               "missing)\n", (unsigned)o.euid, cfg.state_dir, name);
        return 0;
    }
    struct shstate *st = shstate_open(cfg.state_dir, &o, clock_now_ms());
    uint64_t before = shstate_flush_gen(st);
    if (shstate_flush(st) < 0) {
        fprintf(stderr, "dnsfailover: %s/%s cannot be used (see above); nothing flushed\n",
                cfg.state_dir, name);
        shstate_close(st);
        return 1;
    }
    printf("flushed: %s/%s, generation %" PRIu64 " -> %" PRIu64 "; %s\n", cfg.state_dir, name,
           before, shstate_flush_gen(st),
           o.euid == 0 ? "every process of this host that shares state drops its cached "
                         "answers and memo at its next lookup"
                       : "this user's processes drop their cached answers and memo at their "
                         "next lookup");
    shstate_close(st);
    return 0;
}
