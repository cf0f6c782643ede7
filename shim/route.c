/* route — the longest configured suffix of a name (contract in route.h). */
#include "dnsf/route.h"

#include <stdio.h>
#include <string.h>

#include "dnsf/dnsmsg.h"

/* RFC 1035 §3.1: 255 octets of wire form hold at most 127 one-octet labels
 * and the root. */
#define MAX_LABELS 128
#define SLOT_MASK (DNSF_SUFFIX_SLOTS - 1)

/* Where each label of WIRE starts (OFF[0 .. n)); return n, or -1 when WIRE
 * runs past DNSMSG_MAXCDNAME octets or holds a compression pointer. */
static int label_offsets(const uint8_t *wire, uint8_t *off)
{
    int n = 0;
    size_t o = 0;
    while (wire[o] != 0) {
        if (wire[o] > 63 || n == MAX_LABELS || o + wire[o] + 1 >= DNSMSG_MAXCDNAME)
            return -1;
        off[n++] = (uint8_t)o;
        o += (size_t)wire[o] + 1;
    }
    return n;
}

uint32_t route_suffix_hash(const uint8_t *wire, int *labels)
{
    uint8_t off[MAX_LABELS];
    uint32_t h = DNSF_FNV1A_INIT;
    int n = label_offsets(wire, off);
    for (int k = n - 1; k >= 0; k--)
        h = route_fold_label(h, wire + off[k]);
    *labels = n;
    return h;
}

void route_index(struct dnsf_domains *t)
{
    memset(t->slot, 0, sizeof t->slot);
    for (int i = 0; i < t->nsuffixes; i++) {       /* at most half full: never loops */
        unsigned j = t->s[i].hash & SLOT_MASK;
        while (t->slot[j] != 0)
            j = (j + 1) & SLOT_MASK;
        t->slot[j] = (uint8_t)(i + 1);
    }
}

const struct dnsf_domain *route_lookup(const struct dnsf_config *c, const uint8_t *wire)
{
    const struct dnsf_domains *t = &c->domains;
    uint8_t off[MAX_LABELS];
    const struct dnsf_domain *best = NULL;
    uint32_t h = DNSF_FNV1A_INIT;
    int n;

    if (t->nsuffixes == 0 || (n = label_offsets(wire, off)) <= 0)
        return NULL;
    /* From the last label leftwards: each step has the hash of one more
     * suffix, and a later match is a longer one. */
    for (int k = n - 1; k >= 0; k--) {
        h = route_fold_label(h, wire + off[k]);
        for (unsigned j = h & SLOT_MASK; t->slot[j] != 0; j = (j + 1) & SLOT_MASK) {
            const struct dnsf_suffix *s = &t->s[t->slot[j] - 1];
            if (s->hash == h && s->labels == n - k
                && dnsmsg_name_equal(t->names + s->off, wire + off[k])) {
                best = &t->d[s->domain];
                break;
            }
        }
    }
    return best;
}

const struct dnsf_domain *route_lookup_text(const struct dnsf_config *c, const char *name)
{
    uint8_t wire[DNSMSG_MAXCDNAME];
    if (c->domains.nsuffixes == 0 || dnsmsg_name_pton(name, wire) < 0)
        return NULL;
    return route_lookup(c, wire);
}

const struct dnsf_domain *route_describe(const struct dnsf_config *c, const uint8_t *wire,
                                         char *buf, size_t len)
{
    const struct dnsf_domain *d = route_lookup(c, wire);
    size_t o;
    if (d == NULL) {
        snprintf(buf, len, "the default list");
        return NULL;
    }
    o = (size_t)snprintf(buf, len, "%s:", d->origin);
    for (int i = 0; i < d->nservers && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s %s", i ? "," : "", route_servers(c, d)[i].text);
    if (o < len)
        snprintf(buf + o, len - o, " (strategy %s)", config_strategy_name(d->strategy));
    return d;
}
