/* cli_mode — for `dnsfailover check`: how dnsfailover reaches the programs
 * of this host, and whether it would do anything there. The modes:
 *   preload via /etc/ld.so.preload   every new process, setuid ones too;
 *   per-process LD_PRELOAD           this command's own environment names it;
 *   NSS-only                         the hosts line of nsswitch.conf names
 *                                    "dnsfailover" and glibc can load
 *                                    libnss_dnsfailover.so.2;
 *   none.
 * A preloaded library takes over only a "dns" source (state.c), so a hosts
 * line with neither "dns" nor "dnsfailover" leaves it nothing to do. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsf/cli.h"
#include "dnsf/nsswitch.h"

#define NSSWITCH_FILE "/etc/nsswitch.conf"
#define NSS_SONAME "libnss_dnsfailover.so.2"

/* The first dnsfailover library in this process's LD_PRELOAD (entries are
 * separated by blanks or ':', as ld.so reads them). Return 1 if found. */
static int env_preload(char *path, size_t len)
{
    const char *p = getenv("LD_PRELOAD");
    while (p != NULL && *p) {
        p += strspn(p, " \t:");
        size_t n = strcspn(p, " \t:");
        if (n > 0 && cli_is_dnsfailover_lib(p, n)) {
            snprintf(path, len, "%.*s", (int)n, p);
            return 1;
        }
        p += n;
    }
    return 0;
}

/* Where another program's ld.so finds NSS_SONAME, asked the way ldd asks:
 * /bin/true with LD_TRACE_LOADED_OBJECTS=1 lists what it would load,
 * NSS_SONAME preloaded by name (searched as a dlopen by name is), without
 * running. Into PATH, or why not. Return 1 if found. */
static int traced_module_path(char *path, size_t len)
{
    char *const argv[] = { "true", NULL };
    char *envp[] = { "LD_TRACE_LOADED_OBJECTS=1", "LD_PRELOAD=" NSS_SONAME, NULL, NULL };
    char lib_path[PATH_MAX + 20];
    const char *lp = getenv("LD_LIBRARY_PATH");
    if (lp != NULL) {
        snprintf(lib_path, sizeof lib_path, "LD_LIBRARY_PATH=%s", lp);
        envp[2] = lib_path;
    }
    int fds[2];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    snprintf(path, len, "not found");
    if (pipe2(fds, O_CLOEXEC) != 0)
        return 0;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&pid, "/bin/true", &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = rc == 0 ? fdopen(fds[0], "r") : NULL;
    char line[PATH_MAX + 100];
    int found = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        /* "\tlibnss_dnsfailover.so.2 => /usr/lib/.../libnss_dnsfailover.so.2 (0x...)" */
        char *p = strstr(line, NSS_SONAME " => /");
        if (p != NULL && !found) {
            p += strlen(NSS_SONAME " => ");
            p[strcspn(p, " \n")] = 0;
            snprintf(path, len, "%s", p);
            found = 1;
        }
    }
    if (f != NULL)
        fclose(f);
    else
        close(fds[0]);
    if (rc == 0)
        waitpid(pid, NULL, 0);
    return found;
}

/* Where glibc's NSS loader finds our module (it dlopens NSS_SONAME the same
 * way: nss/nss_module.c), into PATH; or why not, into PATH. Return 1 if
 * it loads. This command itself carries NSS_SONAME (so that `resolve` runs
 * glibc's path with our module: cli_resolve.c), so a dlopen here finds the
 * command; another program's view is asked for then. */
static int nss_module_path(char *path, size_t len)
{
    void *h = dlopen(NSS_SONAME, RTLD_LAZY | RTLD_LOCAL);
    struct link_map *lm = NULL;
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(path, len, "%s", e ? e : "not found");
        return 0;
    }
    int r = 1;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm != NULL && lm->l_name != NULL
        && lm->l_name[0] != 0)
        snprintf(path, len, "%s", lm->l_name);
    else if (lm != NULL && lm->l_name != NULL)
        r = traced_module_path(path, len);       /* the main program: this command */
    else
        snprintf(path, len, "%s", NSS_SONAME);
    dlclose(h);
    return r;
}

void cli_mode_report(FILE *out, FILE *warn)
{
    char listed[PATH_MAX], env_lib[PATH_MAX], module[PATH_MAX + 256], line[1024];
    int in_file = cli_preload_listed(listed, sizeof listed);
    int in_env = env_preload(env_lib, sizeof env_lib);
    int hosts = nsswitch_hosts_line(NSSWITCH_FILE, line, sizeof line);
    int nss = hosts == NSSWITCH_NAMED && nss_module_path(module, sizeof module);

    if (in_file)
        fprintf(out, "mode          preload via /etc/ld.so.preload (%s)\n", listed);
    else if (in_env)
        fprintf(out, "mode          per-process LD_PRELOAD (%s)\n", env_lib);
    else if (nss)
        fprintf(out, "mode          NSS-only (hosts: %s; module %s)\n", line, module);
    else
        fprintf(out, "mode          none (no preload, and the hosts line does not name "
                     "dnsfailover)\n");

    if (hosts == NSSWITCH_NO_DNS)
        fprintf(warn, "dnsfailover: warning: the hosts line of %s has neither \"dns\" nor "
                      "\"dnsfailover\": dnsfailover would do nothing\n", NSSWITCH_FILE);
    if (in_file && access(listed, R_OK) != 0)
        fprintf(warn, "dnsfailover: warning: /etc/ld.so.preload names %s, which cannot be "
                      "read: every program prints a loader error (dnsfailover preload "
                      "disable)\n", listed);
    if (hosts == NSSWITCH_NAMED && !nss && !in_file && !in_env)
        fprintf(warn, "dnsfailover: warning: %s names dnsfailover, but glibc cannot load %s "
                      "(%s): lookups skip that source\n", NSSWITCH_FILE, NSS_SONAME, module);
}
