/* conflast — a broken config file never turns failover off (issue 14,
 * item 4): the last good copy of each config file, kept in a state
 * directory, and the memory that a breakage was already reported.
 *
 * ---- The last good copy ------------------------------------------------
 * When a process reads its config file PATH well, it keeps the file's bytes
 * as "config-v1.HASH" (HASH: 8 hex digits of PATH) in the good config's
 * state_dir, so that a process that later finds PATH broken can start from
 * them instead of passing everything to glibc. The copy is the file's raw
 * bytes after one comment line naming PATH ("# dnsfailover: the last good
 * copy of PATH"), which the reader requires: two paths whose hashes collide
 * never take each other's copy. It is parsed again like the file itself
 * (config_load_buffer, with the process's own identity), so its apps
 * sections, enabled = false included, keep their meaning.
 *
 * Where a process with a broken file looks: it cannot read state_dir from
 * a file it cannot parse, so it looks in the default state_dir
 * (DNSF_STATE_DIR). A config that moves state_dir elsewhere keeps its copy
 * there, where no fresh process looks: such a config falls back to glibc
 * in fresh processes (running ones keep their last good config anyway).
 *
 * Trust: the copy carries the config file's. It is written only by a
 * process whose effective uid owns the config file, or by root, and never
 * by an AT_SECURE one (its invoker controls its environment); it is read
 * only when root or the config file's owner owns it, no one else can write
 * it, it has one link and at most DNSF_CONFIG_MAX_BYTES plus the comment
 * line (trustfile.h: O_NOFOLLOW | O_CLOEXEC, judged after the open). Its
 * mode is 0600 plus the config file's read bits for group and others: a
 * file only its owner may read is not copied into a readable one.
 *
 * Writing it costs a process nothing when it is up to date: the copy's
 * mtime is set to the config file's, so one fstatat (size and mtime equal)
 * says so. Otherwise the file is read again, parsed again (only bytes that
 * parse are kept: the file may have changed since it was loaded), and
 * written under a temporary name, then renamed into place.
 *
 * ---- Reported once -----------------------------------------------------
 * A broken file is logged once per change of the file, not once per
 * process: the first process to log a given state of the file (its stamp:
 * device, inode, size, mtime) creates an empty marker
 * "config-v1.HASH.bad-STAMPHASH.UID" with link(2), which exactly one
 * process wins; a process skips the message when its own uid's or root's
 * marker exists. Per uid because a marker only a trusted uid can create is
 * one another user cannot use to silence our errors. Without a usable
 * directory every process logs (once per change it sees).
 *
 * Nothing here keeps a descriptor or holds a lock; every call may do file
 * I/O and runs at config load only (never from the constructor). */
#ifndef DNSF_CONFLAST_H
#define DNSF_CONFLAST_H

#include <stddef.h>

#include "dnsf/config.h"
#include "dnsf/filestamp.h"

/* PATH, stamped as ST before it was loaded, was just read well: keep it as
 * the last good copy in DIR ("": sharing off, nothing kept) unless an up to
 * date copy is there already, or this process may not write one. ID is
 * the identity the file is parsed again with. */
void conflast_keep(const char *dir, const char *path, const struct file_stamp *st,
                   const struct dnsf_identity *id);
/* Load the last good copy of PATH (as it is now: ST, whose owner the copy's
 * must be, or root) from DIR into C as ID sees it. Return 0, or -1 (no
 * trusted copy, or it does not parse: C then holds the defaults).
 * C->source is PATH. */
int conflast_load(const char *dir, const char *path, const struct file_stamp *st,
                  const struct dnsf_identity *id, struct dnsf_config *c);
/* PATH is broken in the state ST: return 1 when this process is the first
 * of its uid (or of root) to see it and should log it, 0 when it was
 * reported already. Without a usable DIR, always 1. */
int conflast_first_report(const char *dir, const char *path, const struct file_stamp *st);

/* The file name of PATH's last good copy in BUF ("config-v1.HASH"). */
void conflast_name(const char *path, char *buf, size_t len);

#endif
