# shellcheck shell=bash
# tests/tools/bench_nsd.sh -- the nameserver for tests/demo.sh and tests/bench.sh.
# Sourced after tests/lib/common.sh.
#
# bench_ns_start ADDR DIR: NSD on ADDR:53 (loopback) serving the fixtures' root and
# dnsf.test zones and tests/demo/demo.test.zone, with response rate limiting OFF;
# waits until it answers.  bench_ns_stop stops it and its children by PID.
#
# Why not ns_start (tests/lib/common.sh): Debian's NSD is built with
# --enable-ratelimit, and RRL is on by default at 200 responses/s per source /24
# and "response class".  All distinct names under one wildcard (or all NXDOMAINs
# of one zone) are one class, so a benchmark making a few thousand lookups a
# second got about 1 reply in 50 dropped or truncated (TC, "slip") by NSD itself:
# spurious timeouts, TCP retries and EAI_AGAIN failures that no resolver caused.
# `rrl-ratelimit: 0` turns RRL off.  Otherwise the config is ns_start's, plus the
# demo zone.

BENCH_NSD_PID=

bench_ns_start() {
	local addr=$1 dir=$2
	case $addr in
	127.*) ;;
	*) echo "bench_ns_start: $addr is not a 127.x loopback address" >&2; return 1 ;;
	esac
	command -v nsd >/dev/null || { echo "bench_ns_start: nsd is not installed (tests/deps.sh)" >&2; return 1; }
	mkdir -p "$dir"
	if dnsq -s "$addr" -t 0.3 www.dnsf.test A >/dev/null 2>&1; then
		echo "bench_ns_start: something already answers DNS on $addr:53 (a leftover nsd?)" >&2
		return 1
	fi
	nsd_write_conf "$dir/nsd.conf" "$dir" "$addr" 53 demo.test="$DNSF_ROOT/tests/demo/demo.test.zone"
	if ! nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.out" 2>&1; then
		cat "$dir/checkconf.out" >&2
		echo "bench_ns_start: nsd-checkconf rejected $dir/nsd.conf" >&2
		return 1
	fi
	nsd -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 </dev/null &
	BENCH_NSD_PID=$!
	if ! dnsq -s "$addr" --wait 10 web.demo.test A >"$dir/ready.out" 2>&1 ||
		! grep -q '^rcode=NOERROR' "$dir/ready.out" || ! dnsf_pid_alive "$BENCH_NSD_PID"; then
		cat "$dir/ready.out" "$dir/nsd.out" "$dir/nsd.log" >&2 2>/dev/null
		echo "bench_ns_start: nsd on $addr did not answer within 10 s" >&2
		return 1
	fi
}

bench_ns_stop() {
	local kids k
	[ -n "$BENCH_NSD_PID" ] || return 0
	# NSD forks (xfrd, main, server): note the whole tree, stop each by its PID.
	kids=$(dnsf_descendants "$BENCH_NSD_PID")
	dnsf_stop_pid "$BENCH_NSD_PID"
	for k in $kids; do
		if dnsf_pid_alive "$k"; then dnsf_stop_pid "$k"; fi
	done
	BENCH_NSD_PID=
}
