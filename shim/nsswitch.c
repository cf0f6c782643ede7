/* nsswitch — read the hosts line and swap "dns" for "dnsfailover". */
#include "dnsf/nsswitch.h"

#include <ctype.h>
#include <nss.h>
#include <stdio.h>
#include <string.h>

/* The next token of LINE at *P: its start and length (0 at the end). An
 * action "[...]" is one token. */
static size_t next_token(const char **p, const char **start)
{
    while (isspace((unsigned char)**p))
        (*p)++;
    *start = *p;
    if (**p == '[') {
        while (**p != 0 && **p != ']')
            (*p)++;
        if (**p == ']')
            (*p)++;
    } else {
        while (**p != 0 && !isspace((unsigned char)**p) && **p != '[')
            (*p)++;
    }
    return (size_t)(*p - *start);
}

int nsswitch_rewrite(const char *spec, char *out, size_t outlen)
{
    size_t o = 0;
    int replaced = 0, named = 0;
    const char *p = spec, *start;
    size_t n;

    /* A line that names us is the admin's: used as it is, "dns" included
     * (say "files dnsfailover [!UNAVAIL=return] dns", where glibc's DNS
     * answers only when our module cannot be loaded). */
    while ((n = next_token(&p, &start)) > 0)
        if (n == 11 && strncmp(start, "dnsfailover", 11) == 0)
            named = 1;
    p = spec;
    while ((n = next_token(&p, &start)) > 0) {
        const char *tok = start;
        if (!named && n == 3 && strncmp(start, "dns", 3) == 0) {
            tok = "dnsfailover";
            n = strlen(tok);
            replaced = 1;
        }
        if (o + (o > 0) + n + 1 > outlen)
            return -1;
        if (o > 0)
            out[o++] = ' ';
        memcpy(out + o, tok, n);
        o += n;
    }
    if (o + 1 > outlen)
        return -1;
    out[o] = 0;
    return named ? NSSWITCH_NAMED : replaced ? NSSWITCH_REPLACED : NSSWITCH_NO_DNS;
}

int nsswitch_hosts_line(const char *path, char *out, size_t outlen)
{
    char line[1024], spec[1024];
    int found = 0;
    FILE *f = fopen(path, "re");

    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            char *p = line;
            while (isspace((unsigned char)*p))
                p++;
            if (strncmp(p, "hosts", 5) != 0)
                continue;
            p += 5;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ':')
                continue;
            p++;
            char *hash = strchr(p, '#');
            if (hash != NULL)
                *hash = 0;
            /* glibc: the last hosts line wins. */
            snprintf(spec, sizeof spec, "%s", p);
            found = 1;
        }
        fclose(f);
    }
    if (!found)
        snprintf(spec, sizeof spec, "%s", NSSWITCH_DEFAULT_HOSTS);
    return nsswitch_rewrite(spec, out, outlen);
}

int nsswitch_merge_files(char *line)
{
    const char *p = line, *tok, *prev = NULL;
    size_t n, prevlen = 0;
    while ((n = next_token(&p, &tok)) > 0) {
        if (n == 11 && strncmp(tok, "dnsfailover", 11) == 0 && prevlen == 5
            && strncmp(prev, "files", 5) == 0) {
            /* Drop "files " (and the blank after it) in place. */
            memmove((char *)prev, tok, strlen(tok) + 1);
            return 1;
        }
        prev = tok;
        prevlen = n;
    }
    return 0;
}

int nsswitch_install(const char *line)
{
    return __nss_configure_lookup("hosts", line) == 0 ? 0 : -1;
}

int nsswitch_memo_safe(const char *line)
{
    if (strstr(line, "continue") != NULL || strstr(line, "merge") != NULL)
        return 0;
    const char *p = line, *tok;
    size_t n;
    while ((n = next_token(&p, &tok)) > 0) {
        if (*tok == '[')
            continue;
        if (n == 11 && strncmp(tok, "dnsfailover", 11) == 0)
            return 1;
        if (!(n == 5 && strncmp(tok, "files", 5) == 0))
            return 0;
    }
    return 0;
}
