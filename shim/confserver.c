/* confserver — a nameserver's address as the config and resolv.conf give
 * it: parsed from "addr[:port]" text, and compared (config.h). */
#include "dnsf/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_parse_server(const char *text, struct dnsf_server *s)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port = NULL;
    unsigned long p = 53;
    size_t n;

    memset(s, 0, sizeof *s);
    if (text == NULL || (n = strlen(text)) == 0 || n >= sizeof host + 6)
        return -1;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || (size_t)(close - text - 1) >= sizeof host)
            return -1;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = 0;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != 0)
            return -1;
    } else {
        const char *colon = strchr(text, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {   /* v4:port */
            if ((size_t)(colon - text) >= sizeof host)
                return -1;
            memcpy(host, text, (size_t)(colon - text));
            host[colon - text] = 0;
            port = colon + 1;
        } else {
            if (n >= sizeof host)
                return -1;
            memcpy(host, text, n + 1);
        }
    }
    if (port != NULL) {
        /* Digits only: strtoul() alone would take "+53" and " 53". */
        size_t nd = strspn(port, "0123456789");
        if (nd == 0 || port[nd] != 0 || nd > 5)
            return -1;
        p = strtoul(port, NULL, 10);
        if (p == 0 || p > 65535)
            return -1;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)p);
        s->addrlen = sizeof *in;
        snprintf(s->text, sizeof s->text, "%s:%lu", host, p);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)p);
        s->addrlen = sizeof *in6;
        snprintf(s->text, sizeof s->text, "[%s]:%lu", host, p);
    } else
        return -1;
    return 0;
}

int config_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id
        && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}
