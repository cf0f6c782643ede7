#!/usr/bin/env bash
# 34_ctor: the first lookup of a process happens in a library constructor, before main().
#
# tests/tools/libctor.c (build/tests/libctor.so) resolves www.dnsf.test with getaddrinfo and
# getnameinfo from its constructor. It is preloaded together with the shim, in both
# orders (either way libctor's references bind to the shim, which must initialise lazily
# right there, whether or not its own constructors have run yet), under a test program
# and under getent; and it is dlopen()ed by tests/tools/ctormain.c, so that
# the shim initialises inside dlopen, with the dynamic loader's lock held (the shim itself
# dlopen()s libconfig then). Nothing may crash or hang (each run has a 20 s timeout), and
# every lookup must succeed through the shim: resolv.conf names 127.53.0.250, where nothing
# listens, and only the shim's config knows the test NSD. A control without the shim shows
# that the constructor's lookup then fails.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent timeout
require_tool lookup
require_tool ctormain
[ -f "$TOOLS/libctor.so" ] || bail "$TOOLS/libctor.so is not built (run: make tools)"
require_lib

sr_ns_start
DEAD=$(sr_etc dead 127.53.0.250)
CONF=$(sr_conf shim <<EOF
nameservers = ["$DNSF_NS_ADDR"];
timeout_ms = 500;
EOF
)
CTOR=$TOOLS/libctor.so
O=$DNSF_TMP/out E=$DNSF_TMP/err
CTOR_OK="getaddrinfo(www.dnsf.test) rc=0 addr=192.0.2.10 getnameinfo rc=0 host=www.dnsf.test"

# run PRELOAD PROG CMD...: CMD (whose short name is PROG) with LD_PRELOAD=PRELOAD, under a
# 20 s timeout, in the dead-resolv.conf namespace with the shim's config.
run() {
	local pre=$1 prog=$2
	shift 2
	sr_timed "$O" "$E" sr_shim_pre "$DEAD" "$CONF" "$pre" env LIBCTOR_PROG="$prog" timeout -k 2 20 "$@"
}
# check WHAT PROG STDOUT_NEEDLE: the last run exited 0 (no crash, no timeout), libctor's
# constructor resolved through the shim, and the program's own lookup printed the needle.
check() {
	local what=$1 prog=$2 needle=$3
	case $SR_RC in
	0) ok "$what: exit 0 in $SR_MS ms (no crash, no hang)" ;;
	124 | 137) not_ok "$what: HUNG (killed by timeout after 20 s)" ;;
	*) not_ok "$what: exit status $SR_RC (crash?)" ;;
	esac
	assert_contains "$(cat "$E")" "libctor: $prog: $CTOR_OK" "$what: the constructor's getaddrinfo/getnameinfo were answered by the shim"
	assert_contains "$(cat "$O")" "$needle" "$what: main's own lookup answered by the shim"
	if [ "$SR_RC" != 0 ] || [[ "$(cat "$E")" != *"libctor: $prog: $CTOR_OK"* ]]; then
		sed 's/^/#   stderr: /' "$E" | head -n 10
	fi
}

SHIM_FIRST=$(sr_preload "$DNSF_LIB" "$CTOR")
CTOR_FIRST=$(sr_preload "$CTOR" "$DNSF_LIB")
LOOKUP_NEEDLE='[0] AF_INET SOCK_STREAM IPPROTO_TCP 192.0.2.10 port=0'
GETENT_NEEDLE='192.0.2.10      STREAM www.dnsf.test'

run "$SHIM_FIRST" lookup "$TOOLS/lookup" gai www.dnsf.test - family=inet socktype=stream
check "LD_PRELOAD=shim:libctor, lookup" lookup "$LOOKUP_NEEDLE"
run "$CTOR_FIRST" lookup "$TOOLS/lookup" gai www.dnsf.test - family=inet socktype=stream
check "LD_PRELOAD=libctor:shim, lookup" lookup "$LOOKUP_NEEDLE"
run "$SHIM_FIRST" getent getent ahostsv4 www.dnsf.test
check "LD_PRELOAD=shim:libctor, getent" getent "$GETENT_NEEDLE"
run "$CTOR_FIRST" getent getent ahostsv4 www.dnsf.test
check "LD_PRELOAD=libctor:shim, getent" getent "$GETENT_NEEDLE"
run "$CTOR_FIRST" ctormain "$TOOLS/ctormain" www.dnsf.test
check "LD_PRELOAD=libctor:shim, ctormain" ctormain "ctormain: dlopen=none ctor=1 getaddrinfo(www.dnsf.test) rc=0 addr=192.0.2.10"
run "$(sr_preload "$DNSF_LIB")" ctormain "$TOOLS/ctormain" --dlopen "$CTOR" www.dnsf.test
check "shim preloaded, libctor dlopen()ed (first lookup inside dlopen)" ctormain \
	"ctormain: dlopen=ok ctor=1 getaddrinfo(www.dnsf.test) rc=0 addr=192.0.2.10"

# Control: libctor without the shim cannot resolve here.
run "$(sr_preload "$CTOR")" lookup "$TOOLS/lookup" gai www.dnsf.test - family=inet socktype=stream
assert_contains "$(cat "$E")" "libctor: lookup: getaddrinfo(www.dnsf.test) rc=-" \
	"control: without the shim the constructor's lookup fails (so the answers above were the shim's)"

finish
