#!/usr/bin/env bash
# 20_differential: every case in tests/diff/cases.txt gives byte-identical output from
# tests/tools/lookup with glibc alone and with the shim preloaded.
#
# Both sides run inside the same private /etc (resolv.conf per section of cases.txt,
# tests/fixtures/hosts, a "hosts: files dns" nsswitch.conf) against NSD on 127.53.0.1.
# The shim has no config file (DNSFAILOVER_CONF is unset and an installed
# /etc/dnsfailover.conf is masked), so it reads the same resolv.conf as glibc.
#
# Per case: "ok"/"not ok" and a unified diff (glibc → shim) for a mismatch. A difference
# only in "errno-after-success" lines is reported as a note, not a failure (POSIX lets a
# successful call change errno). Every case is also run twice on the glibc side: a case
# whose glibc output is not stable is a broken case and fails. The runner is
# tests/lib/difftable.sh, shared with 80_res_differential.
# Outputs are kept in $DNSF_BUILD/test-out/20_differential/ for inspection.
#
# dnsf-valgrind: yes   (with DNSF_VALGRIND=1 the shim side runs under valgrind)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/difftable.sh
. "$DNSF_ROOT/tests/lib/difftable.sh"

require_root
require_cmd nsd unshare xargs diff
require_tool lookup

dt_init "${DNSF_DIFF_CASES:-$DNSF_ROOT/tests/diff/cases.txt}" \
	"$DNSF_BUILD/test-out/20_differential" lookup
ns_start
# The first section's basic cases must have reached NSD.
dt_glibc "192.0.2.10 port=" "198.51.100.7" "192.0.2.33" "h_name=\"www.dnsf.test\""
dt_shim

dt_compare dt_tag_lookup
dt_summary
finish
