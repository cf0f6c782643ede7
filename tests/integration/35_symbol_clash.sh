#!/usr/bin/env bash
# 35_symbol_clash: a host that defines its own ares_* and config_* functions neither breaks
# the shim nor is broken by it.
#
# tests/tools/clash.c defines ares_init, ares_query, config_init, config_read_file and
# more (tests/tools/clash_syms.h: wrong signatures, magic results, abort() when called by
# anyone but their owner), calls them, resolves through the shim with a config file present
# (so the shim dlopen()s libconfig.so.9, and runs its hidden static c-ares), and calls them
# again. The same definitions exported from a shared object (build/tests/libclash.so, the
# stand-in for a host linked with -rdynamic, such as node) are put into the global scope:
# dlopen(RTLD_GLOBAL) by clash, or LD_PRELOAD before or after the shim. Then libconfig's own
# internal calls (config_read_file calls config_init, config_destroy, config_setting_add ...
# through its PLT) would land in libclash and abort, unless the shim isolates libconfig;
# and libclash's own calls would land in the shim if the shim exported those names.
# Only the shim can answer the lookups: resolv.conf names 127.53.0.250 (nothing listens);
# the shim's config names the test NSD.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd getent timeout "$DNSF_PYTHON"
require_tool clash
LIBCLASH=$TOOLS/libclash.so
[ -f "$LIBCLASH" ] || bail "$LIBCLASH is not built (run: make tools)"
require_lib

sr_ns_start
DEAD=$(sr_etc dead 127.53.0.250)
# A config with a list, a group and several types, so that libconfig's parser does real work.
CONF=$(sr_conf shim <<EOF
nameservers = ["$DNSF_NS_ADDR", "127.53.0.3:53"];
strategy = "sequence";
timeout_ms = 500;
attempts = 1;
log: { level = "warn"; target = "stderr"; };
EOF
)
O=$DNSF_TMP/out E=$DNSF_TMP/err

# clash_case WHAT PRELOAD WANT_LIB [CLASH ARGS...]: clash under PRELOAD must pass every step
# and have libconfig mapped; WANT_LIB=1 means libclash is in the global scope, so its
# self-test steps must be there too.
clash_case() {
	local what=$1 pre=$2 want_lib=$3 out
	shift 3
	sr_timed "$O" "$E" sr_shim_pre "$DEAD" "$CONF" "$pre" timeout -k 2 20 "$TOOLS/clash" "$@" www.dnsf.test 192.0.2.10
	out=$(cat "$O")
	case $SR_RC in
	0) ok "$what: exit 0 (every step passed, nothing aborted)" ;;
	134) not_ok "$what: ABORTED: a clashing definition was called by someone else" ;;
	124 | 137) not_ok "$what: HUNG (killed after 20 s)" ;;
	*) not_ok "$what: exit status $SR_RC" ;;
	esac
	assert_contains "$out" "resolve: ok getaddrinfo rc=0 addr=192.0.2.10 gethostbyname_r ret=0 addr=192.0.2.10" \
		"$what: the shim resolved (getaddrinfo, gethostbyname_r)"
	assert_contains "$out" "libconfig: yes" "$what: libconfig.so.9 was loaded for the config file"
	assert_contains "$out" "own-after: ok " "$what: the host's own definitions still work after the lookups"
	if [ "$want_lib" = 1 ]; then
		assert_contains "$out" "lib-after: ok (0 of libclash's definitions captured)" \
			"$what: libclash's exported definitions still bind to libclash"
	fi
	if [ "$SR_RC" != 0 ]; then
		sed 's/^/#   out: /' "$O"
		sed 's/^/#   err: /' "$E" | head -n 10
	fi
}

clash_case "clash (own definitions, not exported)" "$(sr_preload "$DNSF_LIB")" 0
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	# The shim cannot use RTLD_DEEPBIND under ASan (shim/config.c), so libconfig's internal
	# calls are not isolated from a host's exported config_* there.
	diag "exported-definition cases skipped under ASan (no RTLD_DEEPBIND for libconfig)"
else
	clash_case "clash --dlopen-global libclash.so" "$(sr_preload "$DNSF_LIB")" 1 --dlopen-global "$LIBCLASH"
	clash_case "LD_PRELOAD=shim:libclash.so" "$(sr_preload "$DNSF_LIB" "$LIBCLASH")" 1
	clash_case "LD_PRELOAD=libclash.so:shim" "$(sr_preload "$LIBCLASH" "$DNSF_LIB")" 1
	sr_shim_pre "$DEAD" "$CONF" "$(sr_preload "$LIBCLASH" "$DNSF_LIB")" timeout -k 2 20 \
		getent ahostsv4 www.dnsf.test >"$O" 2>"$E"
	rc=$?
	assert_eq "0|192.0.2.10      STREAM www.dnsf.test" "$rc|$(head -n 1 "$O")" \
		"getent with libclash.so preloaded before the shim: resolved through the shim"
fi

# Controls: the guard really aborts a foreign caller, and without the shim nothing answers.
# (in a command substitution whose stderr is /dev/null, so bash's "Aborted" note is quiet)
rc=$(
	exec 2>/dev/null
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then # an ASan-built libclash needs the runtime
		export LD_PRELOAD ASAN_OPTIONS
		LD_PRELOAD=$(sr_preload)
		ASAN_OPTIONS=$SR_ASAN_OPTS
	fi
	"$DNSF_PYTHON" -I -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1]).config_init(None)' "$LIBCLASH" >"$O" 2>&1
	echo $?
)
assert_eq "134|libclash.so: config_init() called by someone else: aborting" "$((rc < 0 ? 128 - rc : rc))|$(head -n 1 "$O")" \
	"control: libclash's config_init aborts when python calls it (the guard works)"
sr_plain "$DEAD" timeout -k 2 20 "$TOOLS/clash" www.dnsf.test 192.0.2.10 >"$O" 2>&1
assert_contains "$(cat "$O")" "resolve: FAILED" "control: without the shim clash cannot resolve here"

finish
