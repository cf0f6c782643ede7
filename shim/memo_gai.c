/* memo_gai — getaddrinfo results in the memo (contract in memo_gai.h). */
#include "dnsf/memo_gai.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A result longer than this is not memoised (rare; keeps entries small). */
#define MEMO_GAI_MAX_NODES 64

struct gai_node {
    int flags, family, socktype, protocol;
    socklen_t addrlen;
    struct sockaddr_storage addr;
};

/* The value: this header, NNODES nodes, then the canonical name (CANONLEN
 * bytes with its NUL; 0 when the first node has none). */
struct gai_val {
    int rc, nnodes;
    struct memo_herrno herrno;
    size_t canonlen;
};

/* The key: everything that can change the result of the call. A NULL hints
 * differs from zeroed hints (glibc then uses AI_V4MAPPED|AI_ADDRCONFIG). */
static size_t make_key(unsigned char *buf, const char *node, const char *service,
                       const struct addrinfo *h)
{
    size_t nl = node ? strlen(node) : 0, sl = service ? strlen(service) : 0;
    int hv[5] = { h != NULL, h ? h->ai_flags : 0, h ? h->ai_family : 0,
                  h ? h->ai_socktype : 0, h ? h->ai_protocol : 0 };
    size_t need = 1 + sizeof hv + nl + sl + 2;
    if (need > MEMO_MAX_KEY)
        return 0;
    unsigned char *p = buf;
    *p++ = MEMO_GAI;
    memcpy(p, hv, sizeof hv);
    p += sizeof hv;
    *p++ = node ? 1 : 0;
    memcpy(p, node ? node : "", nl);
    p += nl;
    *p++ = service ? 1 : 0;
    memcpy(p, service ? service : "", sl);
    return need;
}

static void free_list(struct addrinfo *head)
{
    while (head != NULL) {
        struct addrinfo *next = head->ai_next;
        free(head->ai_canonname);
        free(head);
        head = next;
    }
}

/* Build a list in glibc's allocation layout from V. Return NULL on ENOMEM. */
static struct addrinfo *build(const struct gai_val *v)
{
    const struct gai_node *nodes = (const struct gai_node *)(v + 1);
    const char *canon = (const char *)(nodes + v->nnodes);
    struct addrinfo *head = NULL, **tail = &head;
    for (int i = 0; i < v->nnodes; i++) {
        const struct gai_node *n = &nodes[i];
        struct addrinfo *ai = malloc(sizeof *ai + n->addrlen);
        if (ai == NULL)
            goto fail;
        memset(ai, 0, sizeof *ai);
        ai->ai_flags = n->flags;
        ai->ai_family = n->family;
        ai->ai_socktype = n->socktype;
        ai->ai_protocol = n->protocol;
        ai->ai_addrlen = n->addrlen;
        ai->ai_addr = (struct sockaddr *)(ai + 1);
        memcpy(ai->ai_addr, &n->addr, n->addrlen);
        *tail = ai;
        tail = &ai->ai_next;
        if (i == 0 && v->canonlen > 0 && (ai->ai_canonname = strdup(canon)) == NULL)
            goto fail;
    }
    return head;
fail:
    free_list(head);
    return NULL;
}

struct gai_read {
    int *rc;
    struct addrinfo **res;
};

static int read_gai(const void *val, size_t len, void *arg)
{
    const struct gai_val *v = val;
    struct gai_read *r = arg;
    struct addrinfo *list = NULL;
    (void)len;
    if (v->rc == 0 && (list = build(v)) == NULL)
        return -1;                 /* out of memory: let glibc do it */
    *r->rc = v->rc;
    if (v->rc == 0)
        *r->res = list;            /* glibc leaves *res alone on failure */
    memo_replay_herrno(v->herrno);
    return 0;
}

int memo_gai_get(const struct memo_call *mc, const char *node, const char *service,
                 const struct addrinfo *hints, int *rc, struct addrinfo **res)
{
    unsigned char key[MEMO_MAX_KEY];
    struct gai_read r = { rc, res };
    return memo_get(mc, key, make_key(key, node, service, hints), read_gai, &r);
}

void memo_gai_put(const struct memo_call *mc, const char *node, const char *service,
                  const struct addrinfo *hints, int rc, const struct addrinfo *res)
{
    unsigned char key[MEMO_MAX_KEY];
    size_t kl;
    /* Outcomes that depend only on the data (not on a passing failure). */
    if (mc->expire_ms == 0
        || (rc != 0 && rc != EAI_NONAME && rc != EAI_NODATA && rc != EAI_SERVICE
            && rc != EAI_FAMILY && rc != EAI_SOCKTYPE && rc != EAI_BADFLAGS)
        || (kl = make_key(key, node, service, hints)) == 0)
        return;
    int n = 0;
    for (const struct addrinfo *ai = res; rc == 0 && ai != NULL; ai = ai->ai_next)
        if (++n > MEMO_GAI_MAX_NODES || ai->ai_addrlen > sizeof(struct sockaddr_storage))
            return;
    const char *canon = rc == 0 && res != NULL ? res->ai_canonname : NULL;
    size_t canonlen = canon ? strlen(canon) + 1 : 0;
    size_t vlen = sizeof(struct gai_val) + (size_t)n * sizeof(struct gai_node) + canonlen;
    struct gai_val *v = calloc(1, vlen);
    if (v == NULL)
        return;
    struct gai_node *nodes = (struct gai_node *)(v + 1);
    int i = 0;
    for (const struct addrinfo *ai = res; rc == 0 && ai != NULL; ai = ai->ai_next, i++) {
        nodes[i].flags = ai->ai_flags;
        nodes[i].family = ai->ai_family;
        nodes[i].socktype = ai->ai_socktype;
        nodes[i].protocol = ai->ai_protocol;
        nodes[i].addrlen = ai->ai_addrlen;
        memcpy(&nodes[i].addr, ai->ai_addr, ai->ai_addrlen);
    }
    memcpy(nodes + n, canon ? canon : "", canonlen);
    v->rc = rc;
    v->herrno = mc->herrno;
    v->nnodes = n;
    v->canonlen = canonlen;
    memo_put(mc, key, kl, v, vlen);
    free(v);
}
