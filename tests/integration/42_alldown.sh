#!/usr/bin/env bash
# 42_alldown: every server down (issue 3: "When every server is down, the lookup ends
# within the deadline with glibc's error (EAI_AGAIN / TRY_AGAIN), never a hang").
#
# Both nameservers are faultdns on port 53 (127.53.0.2 and 127.53.0.3, named by the
# private resolv.conf, so the shim takes its servers from there, as glibc does).
#
#   blackhole  timeout_ms 1000, attempts 2, deadline_ms 800: nothing answers, so only the
#              deadline ends a lookup. Every lookup (AF_UNSPEC, AF_INET, gethostbyname,
#              an NXDOMAIN-to-be name; hedge, race, sequence) must end within
#              deadline_ms + 300 ms with EAI_AGAIN / TRY_AGAIN, and so must python3's
#              socket.getaddrinfo (gaierror, errno EAI_AGAIN). A single-label name with a
#              three-domain search list is one lookup too: 800 ms for all four names.
#   closed, servfail, refused   the servers fail at once: so must the lookup.
#
# And for each fault, tests/tools/lookup's canonical output (getaddrinfo rc, h_errno)
# under the shim must equal glibc's own for the same servers (glibc with
# `options timeout:1 attempts:1`, so it takes 2 s, not 20).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/fault_lib.sh
. "$DNSF_ROOT/tests/lib/fault_lib.sh"

require_root
require_cmd nsd "$DNSF_PYTHON"
require_tool lookup
require_lib
ns_start
fl_init
T_START=$(now_ms)

FL_TIMEOUT=1000 FL_ATTEMPTS=2 FL_DEADLINE=800 FL_THRESHOLD=3 FL_PROBE=1000
MARGIN=300
GLIBC_RESOLV=$FL_DIR/resolv-glibc
make_resolv "$GLIBC_RESOLV" 127.53.0.2 127.53.0.3 --options "timeout:1 attempts:1"
# The shim's /etc: the same servers, no options (its own timeouts are in its config).
FL_ETC=$FL_DIR/etc-alldown
make_etc "$FL_ETC" 127.53.0.2 127.53.0.3
SEARCH_ETC=$FL_DIR/etc-search
make_etc "$SEARCH_ETC" 127.53.0.2 127.53.0.3 --search "a.dnsf.test b.dnsf.test c.dnsf.test"
LOOKUP_ARGS=(gai www.dnsf.test - -- gai www.dnsf.test - family=inet -- gh www.dnsf.test -- gh2 www.dnsf.test inet6)
AGAIN=('(unspec|inet|inet6):.*=EAI_AGAIN -' 'gh:.*=TRY_AGAIN -')

for mode in blackhole closed servfail refused; do
	fl_proxy_at a 127.53.0.2 53 "$mode"
	fl_proxy_at b 127.53.0.3 53 "$mode"
	if [ "$mode" = blackhole ]; then lim=$((FL_DEADLINE + MARGIN)); else lim=150; fi

	for st in hedge race sequence; do
		C=$FL_DIR/$mode-$st
		fl_conf "$C.conf" "$st" "$C.log"
		if [ "$st" = hedge ] || [ "$mode" != blackhole ]; then
			fl_client "$C.out" "$C.conf" unspec:www.dnsf.test inet:www.dnsf.test gh:www.dnsf.test 'unspec:nx{}.dnsf.test'
		else
			fl_client "$C.out" "$C.conf" unspec:www.dnsf.test gh:www.dnsf.test
		fi
		diag "all $mode, $st: lookups took $(fl_ms_list "$C.out" | tr '\n' ' ')ms"
		fl_expect_calls "$C.out" "all $mode, $st: every lookup fails with EAI_AGAIN / TRY_AGAIN" "${AGAIN[@]}"
		within "all $mode, $st: slowest lookup (deadline_ms $FL_DEADLINE)" "$(fl_maxms "$C.out")" 0 "$lim"
		cmp_int "all $mode, $st: the shim asked the servers itself (debug log)" "$(fl_count_log "$C.log" ' ask 127\.53\.0\.[23]:53 ')" -gt 0
	done

	# The same answer as glibc's, call by call.
	fl_shim "$FL_DIR/$mode-lookup.shim" "$FL_DIR/$mode-hedge.conf" "$TOOLS/lookup" "${LOOKUP_ARGS[@]}"
	shim_wall=$FL_WALL
	t0=$(now_ms)
	fl_glibc "$FL_DIR/$mode-lookup.glibc" "$GLIBC_RESOLV" "$TOOLS/lookup" "${LOOKUP_ARGS[@]}"
	glibc_wall=$(($(now_ms) - t0))
	diag "all $mode: lookup (4 calls) took $shim_wall ms with the shim, $glibc_wall ms with glibc alone (timeout:1 attempts:1)"
	assert_eq "$(cat "$FL_DIR/$mode-lookup.glibc")" "$(cat "$FL_DIR/$mode-lookup.shim")" \
		"all $mode: getaddrinfo/gethostbyname/gethostbyname2 results equal glibc's (rc, h_errno)"
	assert_contains "$(cat "$FL_DIR/$mode-lookup.glibc")" "rc=EAI_AGAIN" "all $mode: glibc itself says EAI_AGAIN"

	if [ "$mode" = blackhole ]; then
		# python3, a real program: socket.gaierror with errno EAI_AGAIN, within the deadline.
		C=$FL_DIR/python
		fl_shim "$C.out" "$FL_DIR/$mode-hedge.conf" "$DNSF_PYTHON" -I -c '
import socket, time
t = time.monotonic()
try:
    socket.getaddrinfo("www.dnsf.test", 80)
    r = "answered"
except socket.gaierror as e:
    r = "EAI_AGAIN" if e.errno == socket.EAI_AGAIN else "errno %d" % e.errno
print(r, int((time.monotonic() - t) * 1000))'
		read -r res ms <"$C.out"
		assert_eq EAI_AGAIN "${res:-}" "all blackhole: python3 socket.getaddrinfo raises gaierror with errno EAI_AGAIN"
		within "all blackhole: python3 socket.getaddrinfo" "${ms:-}" 0 "$lim"

		# Every search-list suffix included: four names, one deadline.
		C=$FL_DIR/search
		fl_conf "$C.conf" hedge "$C.log"
		FL_ETC=$SEARCH_ETC fl_client "$C.out" "$C.conf" inet:nosuchhost
		names=$(awk '$3 == "ask" { print $6 }' "$C.log" | sort -u | paste -sd' ' -)
		diag "search list, all blackholed: $(fl_get "$C.out" 1 ms) ms; names asked: $names"
		fl_expect_calls "$C.out" "search list, all blackholed: EAI_AGAIN" "${AGAIN[@]}"
		within "search list, all blackholed: one lookup of 4 candidate names ends within deadline_ms" "$(fl_get "$C.out" 1 ms)" 0 "$lim"
	fi
	fl_proxy_stop a b
done

diag "42_alldown ran for $(($(now_ms) - T_START)) ms (after NSD was up)"

finish
