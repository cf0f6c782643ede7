# shellcheck shell=bash
# SC2034: SR_* variables are read by the scripts that source this file.
# shellcheck disable=SC2034
# tests/lib/shimrun.sh -- helpers for the client-level integration tests (30_* to 38_*).
# Source it after tests/lib/common.sh:
#
#   sr_ns_start                    ns_start, checked to have NSD's rate limiting off (below)
#   sr_etc NAME NS... [make_resolv options]   a private /etc dir (resolv.conf, the fixture
#                                  hosts and nsswitch.conf "hosts: files dns"); prints its path
#   sr_conf NAME <<EOF ... EOF     writes $DNSF_TMP/NAME.conf from stdin; prints its path
#   sr_shim ETC CONF CMD...        CMD under the shim inside ETC; DNSFAILOVER_CONF=CONF
#                                  (CONF "-": no DNSFAILOVER_CONF at all)
#   sr_shim_pre ETC CONF PRELOAD CMD...   the same with an explicit LD_PRELOAD list
#   sr_plain ETC CMD...            CMD with glibc alone inside ETC
#   sr_fault ADDR MODE [ARGS...]   faultdns on ADDR:53 in front of NSD (127.53.0.1:53), started
#                                  with dnsf_server_start (common.sh); sets SR_FAULT_PID
#   sr_timed OUT ERR CMD...        runs CMD, stdout to OUT, stderr to ERR; sets SR_RC and
#                                  SR_MS (wall time in ms, including the namespace setup)
#   sr_preload LIB...              an LD_PRELOAD value with LIBs in this order (the ASan
#                                  runtime first under DNSF_SANITIZER=address, the TSan
#                                  runtime last under DNSF_SANITIZER=thread)
#   sr_count FILE PATTERN          number of lines of FILE matching the ERE PATTERN
#   sr_syslog_start                a stand-in syslog daemon (tests/tools/cli_syslog_sink.py),
#                                  stopped on exit; its socket is /dev/log for sr_shim_syslog
#   sr_shim_syslog ETC CONF CMD... CMD under the shim inside ETC (as sr_shim, without
#                                  DNSFAILOVER_LOG) with the sink as /dev/log; after sr_syslog_wait,
#                                  SR_SINK holds what it logged, one line per message as
#                                  glibc's syslog() sent it: "<PRI>Mmm dd hh:mm:ss IDENT: MESSAGE"
#   sr_syslog_wait                 let the sink catch up (it polls every 100 ms)
#   sr_setuid_prepare              in $SR_SU: lookup-plain (a copy of $TOOLS/lookup), and
#                                  lookup-suid and id-suid, owned by nobody with the setuid bit
#   sr_overlay_etc ETC SYSCONF CMD...   CMD sees /etc with an ld.so.preload naming the shim,
#                                  SYSCONF as /etc/dnsfailover.conf and ETC's files added (an
#                                  overlay on /etc in a private mount namespace); exit 125
#                                  when the overlay cannot be built. ld.so ignores LD_PRELOAD
#                                  paths with a slash in a setuid program: this is the way in.
#                                  SR_OVERLAY_SYSLOG=1: the syslog sink is /dev/log there too.
#
# The shim logs to stderr only when the config says so (log target "stderr"), so the tests
# that look for "hook"/"ask" lines write that into their config.

SR_ASAN_OPTS=${ASAN_OPTIONS:-detect_leaks=0:verify_asan_link_order=0}

sr_preload() {
	local p="" l
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
		p=$(gcc -print-file-name=libasan.so)
	fi
	for l in "$@"; do
		p="${p:+$p:}$l"
	done
	# After the libraries: see dnsf_preload in common.sh.
	if [[ ${DNSF_SANITIZER:-} == *thread* ]]; then
		p="$p:$(gcc -print-file-name=libtsan.so)"
	fi
	printf '%s' "$p"
}

sr_etc() {
	local dir=$DNSF_TMP/etc-$1
	shift
	make_etc "$dir" "$@"
	printf '%s' "$dir"
}

sr_conf() {
	local f=$DNSF_TMP/$1.conf
	cat >"$f"
	printf '%s' "$f"
}

# sr_shim_pre ETC CONF PRELOAD CMD...
sr_shim_pre() {
	local etc=$1 conf=$2 pre=$3
	shift 3
	local -a e=("LD_PRELOAD=$pre")
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then e+=("ASAN_OPTIONS=$SR_ASAN_OPTS"); fi
	if [ "$conf" != - ]; then e+=("DNSFAILOVER_CONF=$conf"); fi
	in_private_etc "$etc" env "${e[@]}" "$@"
}

sr_shim() {
	local etc=$1 conf=$2
	shift 2
	sr_shim_pre "$etc" "$conf" "$(sr_preload "$DNSF_LIB")" "$@"
}

sr_plain() {
	local etc=$1
	shift
	in_private_etc "$etc" "$@"
}

sr_fault() {
	local addr=$1 mode=$2
	shift 2
	require_tool faultdns
	dnsf_server_start faultdns "$addr" 53 line:ready "$(mktemp "$DNSF_TMP/faultdns.XXXXXX")" \
		"$TOOLS/faultdns" --listen "$addr:53" --upstream "$DNSF_NS_ADDR:53" --mode "$mode" "$@" ||
		bail "faultdns --listen $addr:53 --mode $mode did not become ready"
	SR_FAULT_PID=$DNSF_SPAWNED_PID
}

sr_timed() {
	local out=$1 err=$2 t0 t1
	shift 2
	t0=$(now_ms)
	"$@" >"$out" 2>"$err"
	SR_RC=$?
	t1=$(now_ms)
	SR_MS=$((t1 - t0))
}

sr_count() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null)
	printf '%s' "${n:-0}"
}

# sr_ns_start: ns_start, checked to have NSD's response rate limiting off.
# NSD 4.6 (Debian 12) limits identical answers to 200 per second per /24 of clients
# (rrl-ratelimit 200, rrl-slip 2): beyond that it drops replies or sends truncated ones.
# Every test client is 127.0.0.1, so a multi-threaded client asking the same name through
# the shim (fast enough to exceed 200 q/s, unlike glibc) would see timeouts and EAI_AGAIN
# that are the server's doing. nsd_write_conf (tests/lib/common.sh) turns RRL off.
# shellcheck disable=SC2153 # DNSF_NS_DIR is an associative array of common.sh
sr_ns_start() {
	ns_start
	[ "$(nsd-checkconf -o rrl-ratelimit "${DNSF_NS_DIR[$DNSF_NS_ADDR]}/nsd.conf" 2>/dev/null)" = 0 ] ||
		bail "sr_ns_start: NSD's rrl-ratelimit is not 0 (see nsd_write_conf)"
}

# /dev/log does not exist here (no syslog daemon), so a sink stands in: inside a private
# mount namespace, a directory holding the sink's socket as "log" (plus null, zero, random
# and urandom device nodes) is bind-mounted over /dev.
SR_SINK=$DNSF_TMP/syslog.out
SR_DEVD=$DNSF_TMP/dev
sr_syslog_start() {
	local d
	mkdir -p "$SR_DEVD"
	for d in null:3 zero:5 random:8 urandom:9; do
		mknod -m 666 "$SR_DEVD/${d%:*}" c 1 "${d#*:}" || skip "cannot mknod in $SR_DEVD (nodev?)"
	done
	: >"$SR_SINK"
	dnsf_on_exit "touch '$DNSF_TMP/sink.stop'"
	dnsf_spawn "$DNSF_TMP/sink.log" "$DNSF_PYTHON" -I "$DNSF_ROOT/tests/tools/cli_syslog_sink.py" \
		"$SR_DEVD/log" "$SR_SINK" "$DNSF_TMP/sink.stop" 900
	dnsf_wait_until 5000 grep -qx ready "$DNSF_TMP/sink.log" 2>/dev/null ||
		bail "the syslog sink did not start: $(cat "$DNSF_TMP/sink.log")"
}

sr_shim_syslog() {
	local etc=$1 c=$2
	shift 2
	local -a e=("LD_PRELOAD=$(sr_preload "$DNSF_LIB")" "DNSFAILOVER_CONF=$c")
	if [[ ${DNSF_SANITIZER:-} == *address* ]]; then e+=("ASAN_OPTIONS=$SR_ASAN_OPTS"); fi
	: >"$SR_SINK"
	dnsf_private_mounts "$etc/resolv.conf" /etc/resolv.conf "$etc/hosts" /etc/hosts \
		"$etc/nsswitch.conf" /etc/nsswitch.conf "$SR_DEVD" /dev -- \
		env -u DNSFAILOVER_LOG "${e[@]}" "$@"
}

sr_syslog_wait() { sleep 0.2; }

SR_SU=$DNSF_TMP/suid
sr_setuid_prepare() {
	mkdir -p "$SR_SU/ovl"
	chmod 755 "$SR_SU"
	cp "$TOOLS/lookup" "$SR_SU/lookup-suid"
	cp "$TOOLS/lookup" "$SR_SU/lookup-plain"
	cp "$(command -v id)" "$SR_SU/id-suid"
	chown nobody "$SR_SU/lookup-suid" "$SR_SU/id-suid"
	chmod 4755 "$SR_SU/lookup-suid" "$SR_SU/id-suid"
}

sr_overlay_etc() {
	local etc=$1 sysconf=$2
	shift 2
	local devd=""
	if [ "${SR_OVERLAY_SYSLOG:-0}" = 1 ]; then devd=$SR_DEVD; fi
	# shellcheck disable=SC2016 # the script is single-quoted on purpose
	unshare -m --propagation private sh -c '
		o=$1 lib=$2 sysconf=$3 etc=$4 devd=$5
		shift 5
		if [ -n "$devd" ]; then mount --bind "$devd" /dev || exit 125; fi
		mount -t tmpfs -o mode=0755 dnsf-ovl "$o" || exit 125
		mkdir -m 0755 "$o/upper" "$o/work" "$o/upper/dnsf-test" || exit 125
		# The library from a world-readable place: the checkout may sit under a
		# 0700 directory (/root) that the setuid program, running as nobody,
		# cannot read; the tmpfs goes with the namespace.
		cp "$lib" "$o/upper/dnsf-test/libdnsfailover.so" || exit 125
		chmod 0644 "$o/upper/dnsf-test/libdnsfailover.so" || exit 125
		printf "%s\n" /etc/dnsf-test/libdnsfailover.so >"$o/upper/ld.so.preload"
		cp "$sysconf" "$o/upper/dnsfailover.conf" || exit 125
		cp "$etc/resolv.conf" "$etc/hosts" "$etc/nsswitch.conf" "$o/upper/" || exit 125
		for d in /run/nscd /var/run/nscd; do
			if [ -S "$d/socket" ]; then mount -t tmpfs dnsf-no-nscd "$d" || exit 125; fi
		done
		mount -t overlay dnsf-etc -o "lowerdir=/etc,upperdir=$o/upper,workdir=$o/work" /etc || exit 125
		exec "$@"' dnsf-overlay "$SR_SU/ovl" "$DNSF_LIB" "$sysconf" "$etc" "$devd" "$@"
}
