/* confload — the config of a running process: where the file is, loading
 * it into a snapshot and publishing that (confsnap.h), and looking at the
 * file again every 3 s to republish it when it changed (appeared,
 * vanished). The parsing itself is config.c's.
 *
 * Every published config is an immutable snapshot: a reload publishes a
 * new one, a lookup holds the one it started with until it ends, and a
 * snapshot nobody holds is reused. */
#ifndef DNSF_CONFLOAD_H
#define DNSF_CONFLOAD_H

#include <stdint.h>

#include "dnsf/config.h"

/* The level DNSFAILOVER_LOG names (secure_getenv), read once and applied at
 * once: it overrides every config's log.level, never its target. */
void confload_level_from_env(void);
/* Load and publish the first config, from DNSFAILOVER_CONF or
 * /etc/dnsfailover.conf; call ON_PUBLISH (under the config lock) with it
 * and with every config a later confload_poll publishes. Once, from init. */
void confload_start(void (*on_publish)(const struct dnsf_config *c));
/* Look at the config file if NOW_MS (clock_now_coarse_ms) is past the next
 * check, which comes every 3 s; reload it when it changed (or appeared, or
 * vanished). state_active calls it; tests pass times of their own. */
void confload_poll(uint64_t now_ms);
/* The current snapshot's "enabled", for hot paths that take no reference. */
int confload_enabled(void);

#endif
