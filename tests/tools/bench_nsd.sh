# shellcheck shell=bash
# tests/tools/bench_nsd.sh -- the nameserver for tests/demo.sh and tests/bench.sh.
# Sourced after tests/lib/common.sh.
#
# bench_ns_start ADDR DIR: NSD on ADDR:53 (loopback) serving the fixtures' root and
# dnsf.test zones and tests/demo/demo.test.zone, with response rate limiting OFF;
# waits until it answers (nsd_start, tests/lib/common.sh).  bench_ns_stop stops it and
# its children by PID.
#
# Why not ns_start: the demo zone, and a failure the caller reports in its own words
# (ns_start bails, as a test does).  Response rate limiting is off, as in every NSD of
# the tests (nsd_write_conf): Debian's NSD limits answers to 200/s per source /24 and
# "response class", and a benchmark making a few thousand lookups a second had about 1
# reply in 50 dropped or truncated by NSD itself.

BENCH_NSD_PID=
BENCH_NSD_ADDR=

bench_ns_start() {
	local addr=$1 dir=$2
	case $addr in
	127.*) ;;
	*) echo "bench_ns_start: $addr is not a 127.x loopback address" >&2; return 1 ;;
	esac
	command -v nsd >/dev/null || { echo "bench_ns_start: nsd is not installed (tests/deps.sh)" >&2; return 1; }
	mkdir -p "$dir"
	nsd_start "$addr" 53 "$dir" web.demo.test demo.test="$DNSF_ROOT/tests/demo/demo.test.zone" >&2 ||
		{ echo "bench_ns_start: nsd on $addr did not start (see above)" >&2; return 1; }
	BENCH_NSD_PID=$DNSF_SPAWNED_PID
	BENCH_NSD_ADDR=$addr
}

bench_ns_stop() {
	[ -n "$BENCH_NSD_PID" ] || return 0
	ns_stop "$BENCH_NSD_ADDR"
	BENCH_NSD_PID=
}
