#!/usr/bin/env bash
# 39_descriptors: the library never acts on a descriptor that is no longer its own, and
# never needs more descriptors than glibc.
#
#   bash /dev/tcp  `exec 3<>/dev/tcp/ns1.dnsf.test/8080` with a request and `cat <&3`
#                  against a small loopback TCP server (tests/tools/tcp_page.py): bash
#                  resolves (the library opens its netlink socket), dup2s its TCP socket
#                  over the lowest free number and forks cat; cat must read the page, as
#                  with glibc alone
#   dup2, closefrom, fork
#                  tests/tools/fdhost.c: after a first lookup the program puts its own
#                  objects (a log file, sockets with data waiting) on every number the
#                  library kept (the netlink socket, the log file of log.target, the socket
#                  of a query still running to a blackholed primary), by dup2, by closing
#                  everything first (daemons, closefrom), and by closing everything and
#                  forking a worker; every later lookup must answer, and no object of the
#                  program may be read, written, closed or replaced, in parent or worker.
#                  The library's log lines written afterwards still reach its log file.
#   RLIMIT_NOFILE  with 4 descriptors (0-2 taken, one free) every name resolves as it does
#                  with glibc alone (fdhost rlimit): a name from DNS and one from
#                  /etc/hosts, each asked twice; "cannot get a descriptor" is never
#                  "not found". Also with strategy race over two servers, where the
#                  library's second socket cannot be had (the lookup goes to glibc, and
#                  the first socket must not keep glibc from its one descriptor)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd bash "$DNSF_PYTHON"
require_tool fdhost
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
# Only the library can answer: the private resolv.conf names a dead address.
DEAD=$(sr_etc dead 127.53.0.250 --options "timeout:1 attempts:1")
O=$DNSF_TMP/out E=$DNSF_TMP/err

# ---- bash /dev/tcp
dnsf_spawn "$DNSF_TMP/page.out" "$DNSF_PYTHON" "$DNSF_ROOT/tests/tools/tcp_page.py" "$DNSF_NS_ADDR" 8080
for ((i = 0; i < 50; i++)); do
	grep -qx ready "$DNSF_TMP/page.out" 2>/dev/null && break
	sleep 0.1
done
grep -qx ready "$DNSF_TMP/page.out" || bail "tcp_page.py did not start"
# shellcheck disable=SC2016 # for bash -c
GET='exec 3<>/dev/tcp/ns1.dnsf.test/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3'
sr_plain "$GOOD" bash -c "$GET" >"$O" 2>"$E"
want=$(cat "$O")
assert_contains "$want" "hello from tcp_page" "bash /dev/tcp, glibc alone: the page"
sr_shim "$GOOD" - bash -c "$GET" >"$O" 2>"$E"
rc=$?
assert_eq "0|$want|" "$rc|$(cat "$O")|$(cat "$E")" "bash /dev/tcp through the library: the same page, nothing on stderr"

# ---- dup2, closefrom, fork over the library's descriptors
conf_for() {
	sr_conf "fd-$1" <<EOF
nameservers = ["127.53.0.2", "$DNSF_NS_ADDR"];
strategy = "race";
timeout_ms = 3000;
deadline_ms = 4000;
log: { level = "debug"; target = "$DNSF_TMP/shim-$1.log"; };
EOF
}
for mode in dup2 closefrom fork; do
	CONF=$(conf_for "$mode")
	LOG=$DNSF_TMP/shim-$mode.log
	sr_timed "$O" "$E" sr_shim "$DEAD" "$CONF" "$TOOLS/fdhost" "$mode" \
		www.dnsf.test 192.0.2.10 "$mode-1.wild.dnsf.test" 192.0.2.70
	kept=$(sed -n 's/^kept [0-9]* //p' "$O" | sed 's/:\[[0-9]*\]//' | sort | tr '\n' ' ')
	diag "$mode: the library kept: $kept"
	if [[ $kept == *"shim-$mode.log"* ]] && [[ $kept == *socket* ]]; then
		ok "$mode: the first lookup left the library's log file and sockets open (the case to test)"
	else
		not_ok "$mode: the library keeps its log file and sockets across calls: $kept"
	fi
	if [ "$SR_RC" = 0 ] && [ "$(tail -n 1 "$O")" = "result ok" ]; then
		ok "$mode: every lookup answered; the program's files and sockets untouched"
	else
		not_ok "$mode: every lookup answers and the program's objects stay untouched (rc=$SR_RC)"
		grep -E ' bad|^kept' "$O" | sed 's/^/#   /'
		head -n 5 "$E" | sed 's/^/#   stderr: /'
	fi
	if grep -q "ask .* for $mode-1.wild.dnsf.test" "$LOG"; then
		ok "$mode: the library's own log lines after the swap still reach its log file"
	else
		not_ok "$mode: the lookup of $mode-1.wild.dnsf.test is in the library's log file"
	fi
done

# ---- RLIMIT_NOFILE
NAMES=(www.dnsf.test hostsonly.dnsf.test v4only.dnsf.test)
sr_plain "$GOOD" "$TOOLS/fdhost" rlimit 4 "${NAMES[@]}" >"$O" 2>"$E"
want=$(cat "$O")
assert_contains "$want" "www.dnsf.test rc=0 " "RLIMIT_NOFILE=4, glibc alone resolves"
sr_shim "$GOOD" - "$TOOLS/fdhost" rlimit 4 "${NAMES[@]}" >"$O" 2>"$E"
assert_eq "$want" "$(cat "$O")" "RLIMIT_NOFILE=4, through the library: glibc's results, call for call"
RACE=$(sr_conf rlimit-race <<EOF
nameservers = ["127.53.0.2", "$DNSF_NS_ADDR"];
strategy = "race";
EOF
)
sr_shim "$GOOD" "$RACE" "$TOOLS/fdhost" rlimit 4 "${NAMES[@]}" >"$O" 2>"$E"
assert_eq "$want" "$(cat "$O")" "RLIMIT_NOFILE=4, strategy race over two servers: glibc's results"

finish
