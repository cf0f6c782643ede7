#!/usr/bin/env bash
# 33_fork: a child forked while other threads of the parent are in the middle of lookups
# resolves at once and correctly (the shim's locks and c-ares channels are not inherited
# in a broken state), and so does a child whose parent never resolved anything.
#
# Only the shim can answer: resolv.conf names 127.53.0.250 (nothing listens there), the
# shim's config names a slow primary (faultdns delay=200 on 127.53.0.2) and the healthy
# NSD. The parent's threads resolve in a loop, so its lookups are always mid-flight
# (with strategy "sequence" every lookup waits ~200 ms for the primary); the main thread
# forks 10 to 40 children, each of which must resolve within 3 s (tests/tools/forktest.c).
# A fifth run keeps the answer cache on, so the parent's threads mostly hit the cache
# (hundreds of thousands of calls) and forks land inside the cache's locks.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd
require_tool forktest
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 delay=200
DEAD=$(sr_etc dead 127.53.0.250)
O=$DNSF_TMP/out E=$DNSF_TMP/err

# field NAME LINE: the value of NAME=... in forktest's summary line.
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; }

# fork_case WHAT CONF FORKTEST-ARGS...: every child must resolve right within 3 s.
# A child hung on a lock inside libc.so.6 itself is glibc's own fork-safety gap (its
# resolv.conf lock is not reset in a fork child; it happens without the shim too), so it
# is reported, not failed; a hang anywhere else (the shim's locks) fails.
fork_case() {
	local what=$1 conf=$2 summary max forks ok hung_libc
	shift 2
	sr_timed "$O" "$E" sr_shim "$DEAD" "$conf" "$TOOLS/forktest" -w 90 "$@" www.dnsf.test 192.0.2.10
	summary=$(tail -n 1 "$O")
	max=$(sed -n 's/^child [0-9]*: [a-z]* \([0-9]*\) ms$/\1/p' "$O" | sort -n | tail -n 1)
	diag "$what: $summary (slowest child ${max:-?} ms, wall $SR_MS ms)"
	forks=$(field forks "$summary")
	ok=$(field ok "$summary")
	hung_libc=$(field hung_libc "$summary")
	if [ -n "$forks" ] && [[ $summary == *" wrong=0 failed=0 slow=0 killed=0 "* ]] &&
		[[ $summary == *" hung_other=0 "* ]] && [[ $summary == *" parent_bad=0" ]] &&
		[ $((ok + hung_libc)) = "$forks" ]; then
		ok "$what: all $forks children resolved right within 3 s (none hung in the shim), parent lookups all right"
	else
		not_ok "$what: every child resolves right within 3 s (rc=$SR_RC)"
		grep -v ': ok ' "$O" | head -n 20 | sed 's/^/#   /'
		head -n 20 "$E" | sed 's/^/#   stderr: /'
	fi
	if [ "${hung_libc:-0}" != 0 ]; then
		diag "NOTE: $hung_libc child(ren) hung on a lock inside libc.so.6 (glibc's resolver"
		diag "  lock is not reset at fork; seen with glibc alone too):"
		grep ': hung in ' "$O" | sed 's/^/#   /'
	fi
}

# The answer cache is off: a cached answer would spare the children any DNS lookup.
HEDGE=$(sr_conf hedge <<EOF
nameservers = ["127.53.0.2", "$DNSF_NS_ADDR"];
cache: { enabled = false; };
EOF
)
SEQ=$(sr_conf sequence <<EOF
nameservers = ["127.53.0.2", "$DNSF_NS_ADDR"];
strategy = "sequence";
timeout_ms = 1000;
cache: { enabled = false; };
EOF
)
CACHE=$(sr_conf cache <<EOF
nameservers = ["127.53.0.2", "$DNSF_NS_ADDR"];
EOF
)
fork_case "parent never resolved" "$SEQ" -n -f 10 -b 3000
if [[ ${DNSF_SANITIZER:-} == *address* ]]; then
	# GCC 12's ASan runtime does not lock its allocator around fork: a child forked while
	# another thread is in malloc can hang on the allocator's own mutex, shim or not.
	diag "multi-threaded fork cases skipped under ASan (its allocator is not fork-safe)"
else
	fork_case "hedge, 4 resolving threads" "$HEDGE" -t 4 -f 20 -b 3000
	fork_case "sequence (every lookup ~200 ms in flight), 4 resolving threads" "$SEQ" -t 4 -f 10 -b 3000
	fork_case "default config (answer cache on), 4 resolving threads" "$CACHE" -t 4 -f 40 -b 3000
fi
# Control: without the shim nothing can answer (resolv.conf is dead), so the children's
# right answers above came from the shim.
sr_plain "$DEAD" "$TOOLS/forktest" -n -f 2 -b 3000 www.dnsf.test 192.0.2.10 >"$O" 2>&1
assert_contains "$(tail -n 1 "$O")" "forks=2 ok=0 wrong=0 failed=2 " "control: glibc alone, the children cannot resolve"

finish
