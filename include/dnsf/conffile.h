/* conffile — the config file's bytes, read without harm to the host: only
 * a regular file (looked at before opening: opening some devices does
 * something, and a FIFO would block), opened non-blocking, at most
 * DNSF_CONFIG_MAX_BYTES. */
#ifndef DNSF_CONFFILE_H
#define DNSF_CONFFILE_H

#include <stddef.h>

/* Read PATH into a new buffer (*BUF, *LEN; the caller frees it). Return 0,
 * 1 if it does not exist, or -1 with ERR set to "PATH:0: message". */
int conffile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen);

#endif
