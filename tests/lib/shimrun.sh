# shellcheck shell=bash
# SC2034: SR_* variables are read by the scripts that source this file.
# shellcheck disable=SC2034
# tests/lib/shimrun.sh -- helpers for the client-level integration tests (30_* to 38_*).
# Source it after tests/lib/common.sh:
#
#   sr_ns_start                    ns_start with NSD's response rate limiting off (see below)
#   sr_etc NAME NS... [make_resolv options]   a private /etc dir (resolv.conf, the fixture
#                                  hosts and nsswitch.conf "hosts: files dns"); prints its path
#   sr_conf NAME <<EOF ... EOF     writes $DNSF_TMP/NAME.conf from stdin; prints its path
#   sr_shim ETC CONF CMD...        CMD under the shim inside ETC; DNSFAILOVER_CONF=CONF
#                                  (CONF "-": no DNSFAILOVER_CONF at all)
#   sr_shim_pre ETC CONF PRELOAD CMD...   the same with an explicit LD_PRELOAD list
#   sr_plain ETC CMD...            CMD with glibc alone inside ETC
#   sr_fault ADDR MODE [ARGS...]   faultdns on ADDR:53 in front of NSD (127.53.0.1:53);
#                                  waits for "ready", tracked for exit; sets SR_FAULT_PID
#   sr_timed OUT ERR CMD...        runs CMD, stdout to OUT, stderr to ERR; sets SR_RC and
#                                  SR_MS (wall time in ms, including the namespace setup)
#   sr_preload LIB...              an LD_PRELOAD value with LIBs in this order (the ASan
#                                  runtime first under DNSF_SANITIZER=address, the TSan
#                                  runtime last under DNSF_SANITIZER=thread)
#   sr_count FILE PATTERN          number of lines of FILE matching the ERE PATTERN
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
	local addr=$1 mode=$2 i out
	shift 2
	require_tool faultdns
	out=$(mktemp "$DNSF_TMP/faultdns.XXXXXX")
	"$TOOLS/faultdns" --listen "$addr:53" --upstream "$DNSF_NS_ADDR:53" --mode "$mode" "$@" \
		>"$out" 2>"$out.err" </dev/null &
	SR_FAULT_PID=$!
	dnsf_track_pid "$SR_FAULT_PID"
	for ((i = 0; i < 100; i++)); do
		if grep -qx ready "$out" 2>/dev/null; then return 0; fi
		dnsf_pid_alive "$SR_FAULT_PID" || break
		sleep 0.05
	done
	sed 's/^/#   /' "$out.err"
	bail "faultdns --listen $addr:53 --mode $mode did not become ready"
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

# sr_ns_start: ns_start, with NSD's response rate limiting switched off.
# NSD 4.6 (Debian 12) limits identical answers to 200 per second per /24 of clients
# (rrl-ratelimit 200, rrl-slip 2): beyond that it drops replies or sends truncated ones.
# Every test client is 127.0.0.1, so a multi-threaded client asking the same name through
# the shim (fast enough to exceed 200 q/s, unlike glibc) sees timeouts and EAI_AGAIN that
# are the server's doing. ns_start turns RRL off itself now; should its config ever keep
# RRL on again, NSD is restarted here with "rrl-ratelimit: 0", so these tests stay exact.
# shellcheck disable=SC2153,SC2004 # DNSF_NS_DIR and DNSF_NS_PID are associative arrays of common.sh
sr_ns_start() {
	local addr=$DNSF_NS_ADDR dir conf pid
	ns_start || return 1
	dir=${DNSF_NS_DIR[$addr]}
	conf=$dir/nsd.conf
	[ "$(nsd-checkconf -o rrl-ratelimit "$conf" 2>/dev/null)" = 0 ] && return 0
	ns_stop "$addr"
	sed -i 's/^server:$/server:\n\trrl-ratelimit: 0/' "$conf"
	[ "$(nsd-checkconf -o rrl-ratelimit "$conf" 2>/dev/null)" = 0 ] ||
		bail "sr_ns_start: could not turn off rrl-ratelimit in $conf"
	nsd -d -c "$conf" >"$dir/nsd.out" 2>&1 </dev/null &
	pid=$!
	DNSF_NS_PID[$addr]=$pid
	if ! dnsq -s "$addr" --wait 10 www.dnsf.test A >"$dir/ready.out" 2>&1 ||
		! grep -q '^rcode=NOERROR' "$dir/ready.out" || ! dnsf_pid_alive "$pid"; then
		sed 's/^/#   /' "$dir/ready.out" "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null
		bail "sr_ns_start: nsd (rrl-ratelimit 0) on $addr did not answer within 10 s"
	fi
}
