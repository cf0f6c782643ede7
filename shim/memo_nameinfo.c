/* memo_nameinfo — getnameinfo results in the memo (contract in memo_nameinfo.h). */
#include "dnsf/memo_nameinfo.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct key_head {
    unsigned char kind, has_host, has_serv, pad;
    int flags;
    uint32_t salen, hostlen, servlen;
};

/* The value: this header, then the host string (HOSTLEN bytes with its NUL,
 * 0 when not written), then the serv string likewise. */
struct nameinfo_val {
    int rc;
    struct memo_herrno herrno;
    uint32_t hostlen, servlen;
};

static size_t make_key(unsigned char *buf, const struct nameinfo_call *c)
{
    struct key_head k;
    if (c->sa == NULL || c->salen < sizeof(sa_family_t)
        || c->salen > sizeof(struct sockaddr_storage)
        || (c->sa->sa_family != AF_INET && c->sa->sa_family != AF_INET6))
        return 0;
    memset(&k, 0, sizeof k);
    k.kind = MEMO_NAMEINFO;
    k.has_host = c->host != NULL;
    k.has_serv = c->serv != NULL;
    k.flags = c->flags;
    k.salen = c->salen;
    k.hostlen = c->hostlen;
    k.servlen = c->servlen;
    memcpy(buf, &k, sizeof k);
    memcpy(buf + sizeof k, c->sa, c->salen);
    return sizeof k + c->salen;
}

struct read_ni {
    const struct nameinfo_call *c;
    int *rc;
};

static int read_ni(const void *val, size_t len, void *arg)
{
    const struct nameinfo_val *v = val;
    struct read_ni *r = arg;
    const char *s = (const char *)(v + 1);
    (void)len;
    if (v->hostlen > 0)
        memcpy(r->c->host, s, v->hostlen);
    if (v->servlen > 0)
        memcpy(r->c->serv, s + v->hostlen, v->servlen);
    memo_replay_herrno(v->herrno);
    *r->rc = v->rc;
    return 0;
}

int memo_nameinfo_get(const struct memo_call *mc, const struct nameinfo_call *c, int *rc)
{
    unsigned char key[MEMO_MAX_KEY];
    struct read_ni r = { c, rc };
    return memo_get(mc, key, make_key(key, c), read_ni, &r);
}

/* The bytes of the string getnameinfo wrote into BUF (LEN long), with its
 * NUL; 0 when none was asked for. -1: no string there. */
static long written(const char *buf, socklen_t len)
{
    if (buf == NULL || len == 0)
        return 0;
    size_t n = strnlen(buf, len);
    return n < len ? (long)n + 1 : -1;
}

/* glibc's getnameinfo, asked for NI_NOFQDN with a name found, works out the
 * local domain once per process (inet/getnameinfo.c, nrl_domainname: a
 * gethostbyname_r of "localhost" and of the host's own name, whose res_*
 * calls leave h_errno behind). What that one call leaves in h_errno belongs
 * to the process, not to the address, so it is not kept; later NI_NOFQDN
 * calls, made once the domain is known, are. Set once, never cleared (the
 * domain stays known in glibc too, fork children included). */
static _Atomic int nofqdn_domain_known;

/* RC and C's host: a name was found (nrl_domainname ran), not a numeric form. */
static int found_name(const struct nameinfo_call *c, int rc)
{
    unsigned char a[16];
    char text[64];
    if (rc != 0 || (c->flags & NI_NUMERICHOST) || c->host == NULL || c->hostlen == 0)
        return 0;
    size_t n = strcspn(c->host, "%");       /* an IPv6 scope suffix */
    if (n >= sizeof text)
        return 1;
    memcpy(text, c->host, n);
    text[n] = 0;
    return inet_pton(AF_INET, text, a) != 1 && inet_pton(AF_INET6, text, a) != 1;
}

void memo_nameinfo_put(const struct memo_call *mc, const struct nameinfo_call *c, int rc)
{
    unsigned char key[MEMO_MAX_KEY];
    size_t kl;
    long hl = 0, sl = 0;
    if (mc->expire_ms == 0 || (kl = make_key(key, c)) == 0)
        return;
    if ((c->flags & NI_NOFQDN) && !atomic_load(&nofqdn_domain_known) && found_name(c, rc)) {
        atomic_store(&nofqdn_domain_known, 1);
        return;                    /* this call's h_errno was the domain's */
    }
    if (rc == 0) {
        if ((hl = written(c->host, c->hostlen)) < 0 || (sl = written(c->serv, c->servlen)) < 0)
            return;
    } else if (rc != EAI_NONAME && rc != EAI_FAMILY && rc != EAI_BADFLAGS)
        return;
    size_t vlen = sizeof(struct nameinfo_val) + (size_t)hl + (size_t)sl;
    struct nameinfo_val *v = malloc(vlen);
    if (v == NULL)
        return;
    v->rc = rc;
    v->herrno = mc->herrno;
    v->hostlen = (uint32_t)hl;
    v->servlen = (uint32_t)sl;
    if (hl > 0)
        memcpy(v + 1, c->host, (size_t)hl);
    if (sl > 0)
        memcpy((char *)(v + 1) + hl, c->serv, (size_t)sl);
    memo_put(mc, key, kl, v, vlen);
    free(v);
}
