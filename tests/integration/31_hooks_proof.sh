#!/usr/bin/env bash
# 31_hooks_proof: each of the nine hooked functions really runs under LD_PRELOAD and, as the
# first resolver call of a fresh process, initialises the shim.
#
# Setup that only the shim can answer: resolv.conf names 127.53.0.250, where nothing listens
# (glibc fails at once: ICMP port unreachable), while DNSFAILOVER_CONF sends the shim to the
# test NSD on 127.53.0.1. So a right answer proves the shim did the DNS step, and the first
# "hook NAME" line of the debug log proves which hook initialised it. Each case is also run
# without the shim, where it must fail (else the setup proves nothing).
# Also: the .so exports exactly what shim/exports.map lists (the hooks and the NSS entry
# points among them, no c-ares or libconfig names), and ld.so binds getent's getaddrinfo
# to the preloaded library.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent nm "$DNSF_PYTHON"
require_tool lookup
require_lib

sr_ns_start
DEAD=$(sr_etc dead 127.53.0.250)
CONF=$(sr_conf shim <<EOF
nameservers = ["$DNSF_NS_ADDR"];
timeout_ms = 300;
attempts = 1;
log: { level = "debug"; target = "stderr"; };
EOF
)
O=$DNSF_TMP/out E=$DNSF_TMP/err

# hook_case FN EXPECT CALL...: `lookup CALL` under the shim must print EXPECT, its first
# "hook" log line must be "hook FN", and a query must have gone to the shim's server.
# Without the shim the same call must not print EXPECT.
hook_case() {
	local fn=$1 expect=$2 first
	shift 2
	sr_timed "$O" "$E" sr_shim "$DEAD" "$CONF" "$TOOLS/lookup" "$@"
	if [ "$SR_RC" = 0 ] && grep -qF -- "$expect" "$O"; then
		ok "$fn: correct answer through the shim ($expect)"
	else
		not_ok "$fn: correct answer through the shim ($expect), rc=$SR_RC"
		sed 's/^/#   out: /' "$O"
		sed 's/^/#   err: /' "$E"
	fi
	first=$(grep -m1 -o 'debug: hook [a-z0-9_]*.*' "$E")
	assert_eq "debug: hook $fn" "$first" "$fn: the first hook logged is $fn, and the shim is active"
	assert_contains "$(cat "$E")" "ask $DNSF_NS_ADDR:53 for " "$fn: the shim asked its configured server"
	sr_plain "$DEAD" "$TOOLS/lookup" "$@" >"$O" 2>&1
	if grep -qF -- "$expect" "$O"; then
		not_ok "$fn: control: glibc alone must NOT find the answer (the setup proves nothing)"
	else
		ok "$fn: control: glibc alone cannot answer with this resolv.conf"
	fi
}

hook_case getaddrinfo '[0] AF_INET6 SOCK_STREAM IPPROTO_TCP 2001:db8::11 port=80' \
	gai v6only.dnsf.test 80 socktype=stream
hook_case gethostbyname 'h_addr=192.0.2.26' gh multi.dnsf.test
hook_case gethostbyname2 'h_addr=2001:db8::10' gh2 www.dnsf.test inet6
hook_case gethostbyname_r 'h_addr=192.0.2.40' ghr mx.dnsf.test
hook_case gethostbyname2_r 'h_addr=2001:db8::23' gh2r alias1.dnsf.test inet6
hook_case gethostbyaddr 'h_name="multi.dnsf.test"' gha 192.0.2.21
hook_case gethostbyaddr_r 'h_name="v6only.dnsf.test"' ghar 2001:db8::11
hook_case getnameinfo 'host="host.sub.dnsf.test" serv="https"' gni 192.0.2.33 443 0

# freeaddrinfo: lookup's gai frees its list, so the hook must show up in that run.
sr_shim "$DEAD" "$CONF" "$TOOLS/lookup" gai www.dnsf.test - >"$O" 2>"$E"
assert_eq 1 "$(sr_count "$E" 'debug: hook freeaddrinfo$')" "freeaddrinfo: hooked (called once by lookup gai)"
# ... and as the very first resolver call of a process (python's ctypes calls it directly,
# freeaddrinfo(NULL) is harmless), after which a lookup must be answered by the shim.
sr_shim "$DEAD" "$CONF" "$DNSF_PYTHON" -I -c '
import ctypes, socket
ctypes.CDLL(None).freeaddrinfo(None)
print(sorted({a[4][0] for a in socket.getaddrinfo("www.dnsf.test", 80)}))' >"$O" 2>"$E"
assert_eq "['192.0.2.10', '2001:db8::10']" "$(cat "$O")" "freeaddrinfo first: python then resolves through the shim"
assert_eq "debug: hook getaddrinfo" "$(grep -m1 -o 'debug: hook [a-z0-9_]*.*' "$E")" \
	"freeaddrinfo first: it starts nothing; getaddrinfo then starts the shim"
assert_eq 1 "$(sr_count "$E" 'debug: active in python')" "freeaddrinfo first: the shim initialised once"

# A numeric getaddrinfo, which glibc answers without any hosts database (glibc 2.36
# sysdeps/posix/getaddrinfo.c), does not start the engine (no config read, nothing logged:
# a process that never resolves a name pays nothing for one), and its answer is glibc's.
for name in 192.0.2.99 2001:db8::99; do
	sr_shim "$DEAD" "$CONF" "$TOOLS/lookup" gai "$name" 80 >"$O" 2>"$E"
	sr_plain "$DEAD" "$TOOLS/lookup" gai "$name" 80 >"$O.plain" 2>&1
	assert_eq "$(cat "$O.plain")" "$(cat "$O")" "numeric $name: the answer is glibc's"
	assert_eq 0 "$(sr_count "$E" 'debug: ')" "numeric $name: the shim did not start (nothing logged)"
done
# ... and a name asked after one starts it then, in getaddrinfo, and is answered by the shim.
sr_shim "$DEAD" "$CONF" "$DNSF_PYTHON" -I -c '
import socket
socket.getaddrinfo("192.0.2.99", 80)
print(sorted({a[4][0] for a in socket.getaddrinfo("www.dnsf.test", 80)}))' >"$O" 2>"$E"
assert_eq "['192.0.2.10', '2001:db8::10']" "$(cat "$O")" "numeric first: python then resolves through the shim"
assert_eq "debug: hook getaddrinfo" "$(grep -m1 -o 'debug: hook [a-z0-9_]*.*' "$E")" \
	"numeric first: the name's getaddrinfo starts the shim"
assert_eq 1 "$(sr_count "$E" 'debug: active in python')" "numeric first: the shim initialised once"

# Exports: exactly what shim/exports.map lists as global (which grows as later issues add
# hooks, e.g. res_query), and that list holds the nine hooks and the six NSS entry points;
# nothing of the static c-ares or of libconfig leaks out.
map_syms=$(sed -e 's#/\*.*\*/##g' "$DNSF_ROOT/shim/exports.map" | sed -n '/global:/,/local:/p' |
	sed -e 's/global://; s/local:.*//' | tr ';' '\n' | tr -d ' \t' | grep -v '^$' | sort)
actual_syms=$(nm -D --defined-only "$DNSF_LIB" | awk '{ print $3 }' | sed 's/@.*//' | sort)
assert_eq "$map_syms" "$actual_syms" "nm -D --defined-only lists exactly the global names of shim/exports.map"
missing=""
for s in getaddrinfo freeaddrinfo getnameinfo gethostbyname gethostbyname2 gethostbyname_r \
	gethostbyname2_r gethostbyaddr gethostbyaddr_r _nss_dnsfailover_gethostbyname4_r \
	_nss_dnsfailover_gethostbyname3_r _nss_dnsfailover_gethostbyname2_r \
	_nss_dnsfailover_gethostbyname_r _nss_dnsfailover_gethostbyaddr2_r _nss_dnsfailover_gethostbyaddr_r; do
	grep -qx "$s" <<<"$actual_syms" || missing="$missing $s"
done
assert_eq "" "$missing" "the 9 hooks and the 6 NSS entry points are all exported"
assert_eq "" "$(grep -E '^(ares_|config_|_nss_dns_)' <<<"$actual_syms")" "no c-ares, libconfig or foreign NSS names exported"

# ld.so binds getent's (versioned) getaddrinfo reference to the preloaded library.
# (Under ASan, getent binds to the ASan interceptor, whose "next" getaddrinfo is ours.)
from='(/usr/bin/)?getent'
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then from='\S*libasan\.so[.0-9]*'; fi
sr_shim "$DEAD" "$CONF" env LD_DEBUG=bindings getent ahosts x >"$O" 2>"$E"
b=$(grep -E "binding file $from .* to .*libdnsfailover\.so .*normal symbol \`getaddrinfo'" "$E" | head -n 1)
if [ -n "$b" ]; then
	ok "LD_DEBUG=bindings: getent's getaddrinfo is bound to libdnsfailover.so"
	diag "${b#*binding}"
else
	not_ok "LD_DEBUG=bindings: getent's getaddrinfo is bound to libdnsfailover.so"
	grep -E "getaddrinfo" "$E" | head -n 5 | sed 's/^/#   /'
fi
sr_plain "$DEAD" env LD_DEBUG=bindings getent ahosts x >"$O" 2>"$E"
if grep -qE "binding file (/usr/bin/)?getent .* to .*libc\.so\.6 .*normal symbol \`getaddrinfo'" "$E"; then
	ok "LD_DEBUG=bindings control: without the preload getaddrinfo binds to libc.so.6"
else
	not_ok "LD_DEBUG=bindings control: without the preload getaddrinfo binds to libc.so.6"
	grep -E "getaddrinfo" "$E" | head -n 5 | sed 's/^/#   /'
fi

finish
