/* resconf — read resolv.conf with glibc's res_ninit into a plain struct.
 * We call glibc's parser rather than our own so that every option has the
 * meaning glibc gives it: results must equal glibc's, field for field
 * (tests/integration/20_differential.sh compares them). */
#include "dnsf/resconf.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "dnsf/filestamp.h"

static void server_from_sa(struct dnsf_server *s, const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN];
    memset(s, 0, sizeof *s);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(&s->addr, in, sizeof *in);
        s->addrlen = sizeof *in;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(s->text, sizeof s->text, "%s:%u", host, ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(&s->addr, in6, sizeof *in6);
        s->addrlen = sizeof *in6;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(s->text, sizeof s->text, "[%s]:%u", host, ntohs(in6->sin6_port));
    }
}

int resconf_load(struct resconf *rc)
{
    struct __res_state st;
    memset(&st, 0, sizeof st);
    memset(rc, 0, sizeof *rc);
    if (res_ninit(&st) != 0) {
        res_nclose(&st);
        return -1;
    }
    for (int i = 0; i < st.nscount && rc->nservers < DNSF_MAX_SERVERS; i++) {
        if (st.nsaddr_list[i].sin_family == AF_INET)
            server_from_sa(&rc->servers[rc->nservers++], (struct sockaddr *)&st.nsaddr_list[i]);
        else if (st._u._ext.nsaddrs[i] != NULL)
            server_from_sa(&rc->servers[rc->nservers++], (struct sockaddr *)st._u._ext.nsaddrs[i]);
    }
    for (int i = 0; i < RESCONF_MAXDNSRCH && st.dnsrch[i] != NULL; i++) {
        snprintf(rc->search[i], sizeof rc->search[i], "%s", st.dnsrch[i]);
        rc->nsearch++;
    }
    rc->ndots = st.ndots;
    rc->options = st.options;
    res_nclose(&st);
    return 0;
}

/* ---- the snapshot every lookup copies ------------------------------------ */

/* The latest resolv.conf read, and its stamp (ok = 0 until one is taken):
 * written by resconf_current under rc_lock when the file changed, copied
 * out under it by every lookup. */
static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resconf rc_snapshot;
static struct file_stamp rc_stamp;

int resconf_current(struct resconf *out)
{
    struct file_stamp st;
    file_stamp_take("/etc/resolv.conf", &st);
    pthread_mutex_lock(&rc_lock);
    /* Without a resolv.conf there is nothing to be fresh against: re-read. */
    int fresh = st.ok && file_stamp_equal(&st, &rc_stamp);
    if (fresh)
        memcpy(out, &rc_snapshot, sizeof *out);
    pthread_mutex_unlock(&rc_lock);
    if (fresh)
        return 0;
    /* Parse outside the lock. */
    if (resconf_load(out) < 0)
        return -1;
    pthread_mutex_lock(&rc_lock);
    memcpy(&rc_snapshot, out, sizeof *out);
    rc_stamp = st;
    pthread_mutex_unlock(&rc_lock);
    return 0;
}

void resconf_fork_child(void)
{
    pthread_mutex_init(&rc_lock, NULL);
}
