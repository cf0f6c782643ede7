#!/usr/bin/env bash
# 80_res_differential: every case in tests/diff/res_cases.txt gives byte-identical output
# from tests/tools/resq (res_query, res_search, res_querydomain, their res_n* forms and the
# old __res_* names) with glibc alone and with the shim preloaded.
#
# Both sides run inside the same private /etc (resolv.conf per section of res_cases.txt,
# tests/fixtures/hosts, a "hosts: files dns" nsswitch.conf) against NSD on 127.53.0.1.
# The shim has no config file (DNSFAILOVER_CONF is unset and an installed
# /etc/dnsfailover.conf is masked), so it reads the same resolv.conf as glibc.
#
# resq prints the return value, h_errno, res_h_errno, errno and the answer buffer (header,
# records and a hex dump with the ID masked), so the comparison covers the packet, the TC
# bit, truncation and what is left in the buffer on failure. Per case: "ok"/"not ok" and a
# unified diff (glibc -> shim) for a mismatch, named by what differs: return (return value,
# h_errno, res_h_errno), errno (after a failure), answer (the bytes a successful call
# returned), failure-buffer (what a failed call left in the buffer; glibc leaves the
# server's reply there). A difference only in "errno-after-success" lines is a note, not a
# failure (POSIX lets a successful call change errno). Every case also runs twice on the
# glibc side: a case whose glibc output is not stable is a broken case and fails. The
# runner is tests/lib/difftable.sh, shared with 20_differential.
# Outputs are kept in $DNSF_BUILD/test-out/80_res_differential/ for inspection.
#
# dnsf-valgrind: yes   (with DNSF_VALGRIND=1 the shim side runs under valgrind)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/difftable.sh
. "$DNSF_ROOT/tests/lib/difftable.sh"

require_root
require_cmd nsd unshare xargs diff
require_tool resq

# A case may name its own server (ns=ADDR): loopback only.
# shellcheck disable=SC2317 # called by dt_init
ns_arg_loopback() {
	case $2 in ns=127.*) ;; ns=*) bail "res_cases.txt:$1: $2 is not loopback" ;; esac
}
DT_ARG_CHECK=ns_arg_loopback
dt_init "${DNSF_RES_CASES:-$DNSF_ROOT/tests/diff/res_cases.txt}" \
	"$DNSF_BUILD/test-out/80_res_differential" resq
ns_start
# The first section's basic cases must have reached NSD (MX, TXT over TCP, PTR, and a
# search-list hit).
dt_glibc "mx.dnsf.test. 3600 IN MX 20 www.dnsf.test." "flags=qr,aa,tc,rd tc=1" \
	"10.2.0.192.in-addr.arpa. 300 IN PTR www.dnsf.test." "host.sub.dnsf.test. 120 IN A 192.0.2.33"
dt_shim

dt_compare dt_tag_res
dt_summary
finish
