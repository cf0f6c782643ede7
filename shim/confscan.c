/* confscan — the bytes of a config file, checked before libconfig sees them
 * (contract in confscan.h).
 *
 * The tokens are libconfig 1.5's own (lib/scanner.l): comments "#" and "//"
 * to the end of the line and "/" "*" to "*" "/"; strings in double quotes
 * where a backslash escapes a quote or a backslash; names
 * [A-Za-z*][-A-Za-z0-9_*]*; "=" or ":" after a setting's name; { } groups,
 * [ ] arrays, ( ) lists; numbers matched longest first, as flex does:
 *   integer   [-+]?[0-9]+          stored with atoi()
 *   integer64 [-+]?[0-9]+L(L)?     atoll()
 *   hex       0[Xx][0-9A-Fa-f]+    strtoul(), into an int
 *   hex64     0[Xx][0-9A-Fa-f]+L(L)?   strtoull()
 *   float     [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? | [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+
 * Measured with libconfig.so.9 (1.5) here: "4294968296" reads as 1000,
 * "99999999999999999999" as -1, "0xffffffff" as -1, "0x100000000" as 0,
 * "99999999999999999999L" as 9223372036854775807; whatever is not stored as
 * written is refused with the text itself. */
#include "dnsf/confscan.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/config.h"

/* Why these limits (DNSF_CONFIG_MAX_* in config.h):
 *
 * - Settings per group: libconfig 1.5 compares each new setting's name with
 *   every sibling's (config_setting_add refuses duplicates), so n settings
 *   in one group cost n^2/2 comparisons: 8,329 keys took 528 ms here, 20,000
 *   about 3 s, in every process. A valid group names each key at most once
 *   and only keys of the schema (we refuse the rest), which is fewer than 30
 *   today; 64 leaves room and keeps a group's cost to about 2,000 compares.
 * - Depth: our deepest valid file is 6 levels (root, apps list, an entry,
 *   its domains list, a domains entry, its suffix array). libconfig's bison parser fails without a message past
 *   its stack limit and frees settings recursively; 16 is plenty for us.
 * - Bytes: the reference file is under 6 KiB with all its comments; a site
 *   with 100 apps entries needs about 20 KiB. With groups capped, parsing is
 *   linear: 64 KiB of the worst shape measured (groups of 64 keys in a list)
 *   parses in 15 ms, anything typical in under 1 ms. */

#define NAME_MAX_LEN 63

struct frame {
    char kind;                     /* '{' (the root too), '[' or '(' */
    unsigned keys;                 /* settings seen in this group */
    char name[NAME_MAX_LEN + 1];   /* the setting this frame is the value of, "" if none */
    char setting[NAME_MAX_LEN + 1];/* the name of the setting being read in this group */
};

struct scan {
    const char *buf;
    size_t len, i;
    unsigned line;
    int depth;
    struct frame f[DNSF_CONFIG_MAX_DEPTH + 1];
    enum { T_OTHER, T_NAME, T_EQUALS } prev;   /* the previous token */
    char name[NAME_MAX_LEN + 1];  /* the last T_NAME */
    struct confscan_result *r;
};

static int problem(struct scan *s, enum confscan_problem p)
{
    s->r->problem = p;
    s->r->line = s->line;
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*'; }
static int is_name(char c) { return is_name_start(c) || is_digit(c) || c == '-' || c == '_'; }

/* Length of the run of characters at P (up to END) that satisfy OK. */
static size_t run(const char *p, const char *end, int (*ok)(char))
{
    const char *q = p;
    while (q < end && ok(*q))
        q++;
    return (size_t)(q - p);
}

/* Length of an "L" or "LL" suffix at P. */
static size_t l_suffix(const char *p, const char *end)
{
    size_t n = p < end && *p == 'L';
    return n + (n && p + 1 < end && p[1] == 'L');
}

/* Length of [eE][-+]?[0-9]+ at P, or 0. */
static size_t exponent(const char *p, const char *end)
{
    if (p >= end || (*p != 'e' && *p != 'E'))
        return 0;
    size_t n = 1;
    if (p + n < end && (p[n] == '-' || p[n] == '+'))
        n++;
    size_t d = run(p + n, end, is_digit);
    return d ? n + d : 0;
}

/* The longest float at P (both of scanner.l's alternatives), or 0. */
static size_t float_len(const char *p, const char *end)
{
    size_t sign = p < end && (*p == '-' || *p == '+');
    size_t ip = run(p + sign, end, is_digit), best = 0;
    const char *q = p + sign + ip;
    if (q < end && *q == '.') {                    /* [0-9]*\.[0-9]*(exp)? */
        size_t fp = run(q + 1, end, is_digit);
        best = sign + ip + 1 + fp + exponent(q + 1 + fp, end);
    }
    if (ip > 0) {                                  /* [0-9]+(\.[0-9]*)?exp */
        size_t n = sign + ip, e;
        if (q < end && *q == '.')
            n += 1 + run(q + 1, end, is_digit);
        if ((e = exponent(p + n, end)) > 0 && n + e > best)
            best = n + e;
    }
    return best;
}

/* Does libconfig 1.5 store this integer as written? MAG is its magnitude
 * (OVER: it does not even fit 64 bits). */
static int stored_exactly(int neg, uint64_t mag, int over, int hex, int wide)
{
    if (over)
        return 0;
    if (hex)                       /* strtoul/strtoull, then a signed type */
        return mag <= (wide ? (uint64_t)LLONG_MAX : (uint64_t)INT_MAX);
    if (wide)                      /* atoll */
        return neg ? mag <= (uint64_t)LLONG_MAX + 1 : mag <= (uint64_t)LLONG_MAX;
    return neg ? mag <= (uint64_t)INT_MAX + 1 : mag <= (uint64_t)INT_MAX;   /* atoi */
}

/* The path config.c gives the setting a value at this point belongs to. */
static void setting_path(const struct scan *s, char *out, size_t outlen)
{
    const char *parts[DNSF_CONFIG_MAX_DEPTH + 2];
    int n = 0, d = s->depth;
    if (s->f[d].kind == '{')
        parts[n++] = s->f[d].setting;
    else {                         /* an element: the array's or list's own name */
        while (d > 0 && s->f[d].kind != '{') {
            if (n == 0 && s->f[d].name[0])
                parts[n++] = s->f[d].name;
            d--;
        }
        if (n == 0)
            parts[n++] = "";
    }
    /* Enclosing named groups; an anonymous one (an apps entry) starts anew. */
    for (; d > 0 && s->f[d].kind == '{' && s->f[d].name[0]; d--)
        parts[n++] = s->f[d].name;
    size_t o = 0;
    out[0] = 0;
    for (int k = n - 1; k >= 0 && o < outlen; k--)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", parts[k], k ? "." : "");
}

/* A number at s->i: skip it; refuse an integer not stored as written. */
static int number(struct scan *s)
{
    const char *p = s->buf + s->i, *end = s->buf + s->len;
    size_t sign = *p == '-' || *p == '+';
    size_t dec = run(p + sign, end, is_digit);
    size_t hex = 0;
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        hex = run(p + 2, end, is_hex);
    /* The candidates, as flex would match them; the longest wins. */
    size_t dec_len = dec ? sign + dec + l_suffix(p + sign + dec, end) : 0;
    size_t hex_len = hex ? 2 + hex + l_suffix(p + 2 + hex, end) : 0;
    size_t fl = float_len(p, end);

    if (fl > dec_len && fl > hex_len) {   /* a float: libconfig checks its type */
        s->i += fl;
        return 0;
    }
    if (dec_len == 0 && hex_len == 0) {   /* a lone sign: libconfig's syntax error */
        s->i++;
        return 0;
    }
    int is_hex_lit = hex_len > dec_len;
    size_t len = is_hex_lit ? hex_len : dec_len;
    size_t at = is_hex_lit ? 2 : sign, ndigits = is_hex_lit ? hex : dec;
    unsigned base = is_hex_lit ? 16 : 10;
    int wide = len > at + ndigits;   /* an L or LL suffix */
    uint64_t mag = 0;
    int over = 0;
    for (size_t k = 0; k < ndigits && !over; k++) {
        char c = p[at + k];
        unsigned v = is_digit(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
        if (mag > (UINT64_MAX - v) / base)
            over = 1;
        else
            mag = mag * base + v;
    }
    if (!stored_exactly(*p == '-', mag, over, is_hex_lit, wide)) {
        struct confscan_result *r = s->r;
        setting_path(s, r->path, sizeof r->path);
        if (len <= 32)
            snprintf(r->text, sizeof r->text, "%.*s", (int)len, p);
        else
            snprintf(r->text, sizeof r->text, "%.32s...", p);
        return problem(s, CONFSCAN_INTEGER);
    }
    s->i += len;
    return 0;
}

/* Skip a comment or string starting at s->i, counting lines. */
static void skip_until(struct scan *s, const char *stop)
{
    size_t n = strlen(stop);
    while (s->i < s->len) {
        if (s->len - s->i >= n && memcmp(s->buf + s->i, stop, n) == 0) {
            s->i += n;
            return;
        }
        s->line += s->buf[s->i] == '\n';
        s->i++;
    }
}

static void skip_string(struct scan *s)
{
    s->i++;                        /* the opening quote */
    while (s->i < s->len) {
        char c = s->buf[s->i];
        if (c == '\\' && s->i + 1 < s->len && (s->buf[s->i + 1] == '"' || s->buf[s->i + 1] == '\\'))
            s->i += 2;
        else if (c == '"') {
            s->i++;
            return;
        } else {
            s->line += c == '\n';
            s->i++;
        }
    }
}

static int open_frame(struct scan *s, char kind)
{
    if (s->depth == DNSF_CONFIG_MAX_DEPTH)
        return problem(s, CONFSCAN_DEPTH);
    struct frame *f = &s->f[++s->depth];
    f->kind = kind;
    f->keys = 0;
    f->setting[0] = 0;
    /* The value of a setting ("name = {"), or an element of a list. */
    snprintf(f->name, sizeof f->name, "%s", s->prev == T_EQUALS ? s->f[s->depth - 1].setting : "");
    return 0;
}

/* One token at s->i. */
static int token(struct scan *s)
{
    const char *p = s->buf + s->i, *end = s->buf + s->len;
    char c = *p;
    int tok = T_OTHER;

    if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        s->line += c == '\n';
        s->i++;
        return 0;                  /* blanks leave the previous token as it was */
    }
    if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
        while (s->i < s->len && s->buf[s->i] != '\n')
            s->i++;
        return 0;
    }
    if (c == '/' && p + 1 < end && p[1] == '*') {
        s->i += 2;
        skip_until(s, "*/");
        return 0;
    }
    /* scanner.l matches "^[ \t]*@include[ \t]+\"" only; any "@include" is
     * refused, so no spelling of it can slip through. */
    if (c == '@' && end - p >= 8 && memcmp(p, "@include", 8) == 0)
        return problem(s, CONFSCAN_INCLUDE);
    if (c == '"')
        skip_string(s);
    else if (is_name_start(c)) {
        size_t n = run(p, end, is_name);
        snprintf(s->name, sizeof s->name, "%.*s", (int)(n < NAME_MAX_LEN ? n : NAME_MAX_LEN), p);
        s->i += n;
        tok = T_NAME;
    } else if (is_digit(c) || c == '-' || c == '+' || c == '.') {
        if (number(s) < 0)
            return -1;
    } else if (c == '=' || c == ':') {
        struct frame *f = &s->f[s->depth];
        if (f->kind == '{' && ++f->keys > DNSF_CONFIG_MAX_GROUP_KEYS)
            return problem(s, CONFSCAN_GROUP_KEYS);
        snprintf(f->setting, sizeof f->setting, "%s", s->prev == T_NAME ? s->name : "");
        s->i++;
        tok = T_EQUALS;
    } else if (c == '{' || c == '[' || c == '(') {
        if (open_frame(s, c) < 0)
            return -1;
        s->i++;
    } else {
        if ((c == '}' || c == ']' || c == ')') && s->depth > 0)
            s->depth--;            /* a mismatch is libconfig's syntax error */
        s->i++;
    }
    s->prev = tok;
    return 0;
}

int confscan_check(const char *buf, size_t len, struct confscan_result *r)
{
    memset(r, 0, sizeof *r);
    if (len > DNSF_CONFIG_MAX_BYTES) {
        r->problem = CONFSCAN_TOO_BIG;
        return -1;
    }
    const char *nul = memchr(buf, 0, len);
    if (nul != NULL) {
        r->problem = CONFSCAN_NUL;
        r->line = 1;
        for (const char *q = buf; q < nul; q++)
            r->line += *q == '\n';
        return -1;
    }
    static const struct scan zero;
    struct scan s = zero;
    s.buf = buf;
    s.len = len;
    s.line = 1;
    s.f[0].kind = '{';             /* the root group */
    s.r = r;
    while (s.i < s.len)
        if (token(&s) < 0)
            return -1;
    return 0;
}
