/* cli_print — how the command writes DNS names and JSON: type and rcode
 * names, a record's data as text, and RFC 8259 JSON members (cli_print.h).
 * `dnsfailover resolve` (cli_resolve.c) prints with them. */
#include "dnsf/cli_print.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- names: RFC 1035 §3.2.2 and RFC 3596 types, RFC 1035 §4.1.1 and
 * RFC 2136 §2.2 rcodes; others as RFC 3597 §5 writes unknown types. */

const char *cli_type_name(unsigned t, char *buf, size_t len)
{
    static const struct { unsigned t; const char *n; } names[] = {
        { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 15, "MX" },
        { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].t == t)
            return names[i].n;
    snprintf(buf, len, "TYPE%u", t);
    return buf;
}

const char *cli_rcode_name(int rc, char *buf, size_t len)
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                         "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
                                         "NXRRSET", "NOTAUTH", "NOTZONE" };
    if (rc >= 0 && rc < (int)(sizeof names / sizeof names[0]))
        return names[rc];
    snprintf(buf, len, "RCODE%d", rc);
    return buf;
}

/* ---- JSON output (RFC 8259): strings escaped, bytes >= 0x80 as \u00XX so
 * that any name yields valid JSON. */

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* "KEY": "VALUE" with a comma before unless FIRST. */
void cli_json_kv(int first, const char *key, const char *value)
{
    printf("%s", first ? "" : ", ");
    json_str(key);
    printf(": ");
    if (value == NULL)
        printf("null");
    else
        json_str(value);
}

/* The trace lines logged to FD (a memfd), as a JSON list. */
void cli_json_trace(int fd)
{
    printf(", \"trace\": [");
    FILE *f = fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 ? fdopen(dup(fd), "r") : NULL;
    char line[2048];
    for (int n = 0; f != NULL && fgets(line, sizeof line, f) != NULL; n++) {
        line[strcspn(line, "\n")] = 0;
        printf("%s", n ? ", " : "");
        json_str(line);
    }
    if (f != NULL)
        fclose(f);
    printf("]");
}

void cli_rr_text(const struct dnsmsg *m, const struct dnsmsg_rr *rr, char *text, size_t len)
{
    if (rr->type == DNS_T_A && rr->rdlength == 4)
        inet_ntop(AF_INET, rr->rdata, text, (socklen_t)len);
    else if (rr->type == DNS_T_AAAA && rr->rdlength == 16)
        inet_ntop(AF_INET6, rr->rdata, text, (socklen_t)len);
    else if (rr->type == DNS_T_CNAME || rr->type == DNS_T_PTR) {
        uint8_t w[DNSMSG_MAXCDNAME];
        if (dnsmsg_unpack_name(m, rr->rdata, w) < 0 || dnsmsg_name_ntop(w, text, len) < 0)
            snprintf(text, len, "?");
    } else
        snprintf(text, len, "(%u bytes)", rr->rdlength);
}
