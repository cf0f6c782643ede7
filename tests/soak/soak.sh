#!/usr/bin/env bash
# tests/soak/soak.sh -- the chaos soak (make soak; a short form runs in make test as
# tests/integration/95_soak.sh).
#
# SOAK_THREADS threads (default 8) each make SOAK_LOOKUPS lookups (default 100000) of
# mixed calls -- getaddrinfo AF_UNSPEC/AF_INET/AF_INET6, gethostbyname_r,
# gethostbyname2_r, gethostbyaddr_r, getnameinfo, res_query -- through the shim, half of
# them for names never asked before (under the wildcard *.wild.dnsf.test, so the cache
# cannot answer them). The nameservers, in resolv.conf order:
#   127.53.0.2  faultdns in chaos mode in front of NSD: every SOAK_CHAOS (default
#               chaos=50/500) it switches, on a schedule seeded by SOAK_SEED, between
#               passing, blackholing, SERVFAIL, REFUSED, garbage, truncation, wrong IDs,
#               dropping half, and late and very late replies (tests/tools/faultdns.c);
#   127.53.0.1  NSD itself, healthy all along.
# Meanwhile another thread cancels a lookup thread at a random point every 1..SOAK_CANCEL
# ms (default 50; pthread_cancel, then it joins it and starts a successor; SOAK_CANCEL=0
# turns this off) and another forks a child every SOAK_FORK_MS ms on average (default
# 200; 0: no forks) that makes two lookups of its own.
#
# Every answer is compared with glibc's for the same call against the healthy NSD alone
# (tests/tools/soak.c -p, run first). It fails on any wrong answer; on any failed lookup
# (a healthy server was up all along); on a crash; on a hang (no lookup finished for
# SOAK_WATCHDOG seconds, default 60, or a cancelled thread that cannot be joined); on a
# fork child that fails, or hangs anywhere but in glibc's own locks (glibc does not reset
# its resolv.conf lock in a fork child, with or without the shim: counted, not failed);
# and on RSS growing by more than SOAK_RSS_KB KiB (default 32768) from a quarter of the
# run to its end (not judged under DNSF_SANITIZER). The shim's cache is kept small
# (cache.max_entries = 2000) so that it is full, and evicting, early in the run; the
# primary is retried soon after it is marked down (probe_interval_ms = 50, max_down_ms =
# 500), so that it keeps being asked; and timeout_ms = 300 turns many late replies into
# timeouts.
#
# It prints the totals (tests/tools/soak.c's summary line and the proxy's counters).
# Needs root (its own NSD on 127.53.0.x, private /etc files): run it as
# `/work/bin/nstest make soak` or in any private network namespace.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

SOAK_THREADS=${SOAK_THREADS:-8}
SOAK_LOOKUPS=${SOAK_LOOKUPS:-100000}
SOAK_SEED=${SOAK_SEED:-1}
SOAK_CANCEL=${SOAK_CANCEL:-50}
SOAK_FORK_MS=${SOAK_FORK_MS:-200}
SOAK_CHAOS=${SOAK_CHAOS:-chaos=50/500}
SOAK_WATCHDOG=${SOAK_WATCHDOG:-60}
SOAK_RSS_KB=${SOAK_RSS_KB:-32768}

if [[ ${DNSF_SANITIZER:-} == *address* ]] && [ "$SOAK_FORK_MS" != 0 ]; then
	# GCC 12's ASan runtime does not lock its allocator around fork: a child forked
	# while another thread is in malloc can hang on the allocator's mutex (33_fork).
	echo "# fork storms left out under ASan (its allocator is not fork-safe)"
	SOAK_FORK_MS=0
fi
if [ -n "${DNSF_SANITIZER:-}" ] && [ "$SOAK_CANCEL" != 0 ]; then
	# Both runtimes fail a cancelled thread by themselves, glibc alone included: under
	# ASan the thread's unwound stack stays poisoned and AsanThread::Destroy reports a
	# stack-buffer-overflow; under TSan a thread cancelled inside its getaddrinfo
	# interceptor ends "with ignores enabled".
	echo "# thread cancels left out under DNSF_SANITIZER=$DNSF_SANITIZER (its runtime cannot be cancelled through)"
	SOAK_CANCEL=0
fi

require_root
require_cmd nsd
require_tool soak
require_tool faultdns
require_lib

sr_ns_start
sr_fault 127.53.0.2 "$SOAK_CHAOS" --seed "$SOAK_SEED" --stats "$DNSF_TMP/chaos.stats"
CHAOS_PID=$SR_FAULT_PID
GOOD=$(sr_etc good "$DNSF_NS_ADDR")
MIXED=$(sr_etc mixed 127.53.0.2 "$DNSF_NS_ADDR")
CONF=$(sr_conf soak <<EOF
timeout_ms = 300;
health: { probe_interval_ms = 50; max_down_ms = 500; };
cache: { max_entries = 2000; };
log: { level = "warn"; target = "$DNSF_TMP/shim.log"; };
stats_on_exit = true;
EOF
)
EXP=$DNSF_TMP/expected O=$DNSF_TMP/out E=$DNSF_TMP/err

sr_plain "$GOOD" "$TOOLS/soak" -p >"$EXP" 2>"$E"
n=$(grep -c '' "$EXP")
if [ "$n" -ge 20 ] && grep -q '^gai www.dnsf.test family=0 flags=0 rc=0 ' "$EXP" &&
	grep -q '^gai NAME family=2 flags=0 rc=0 canon=- addrs= 192.0.2.70$' "$EXP" &&
	grep -q '^resq bigtxt.dnsf.test type=16 len-name=[0-9]* rcode=0 tc=0 an=3:' "$EXP"; then
	ok "glibc alone against the healthy NSD: $n expected results"
else
	not_ok "glibc alone against the healthy NSD gives the expected results"
	sed 's/^/#   /' "$EXP" "$E" | head -n 40
	finish
fi

args=(-e "$EXP" -t "$SOAK_THREADS" -n "$SOAK_LOOKUPS" -s "$SOAK_SEED" -f "$SOAK_FORK_MS"
	-w "$SOAK_WATCHDOG")
what="$SOAK_THREADS threads x $SOAK_LOOKUPS lookups, $SOAK_CHAOS primary"
if [ "$SOAK_CANCEL" != 0 ]; then
	args+=(-c "$SOAK_CANCEL")
	what+=", a cancel every 1..$SOAK_CANCEL ms"
fi
if [ "$SOAK_FORK_MS" != 0 ]; then what+=", a fork every ~$SOAK_FORK_MS ms"; fi
if [ -n "${DNSF_SANITIZER:-}" ]; then
	args+=(-r 0)
	diag "RSS not judged under DNSF_SANITIZER=$DNSF_SANITIZER (freed memory is quarantined)"
else
	args+=(-r "$SOAK_RSS_KB")
fi
# Control: glibc alone against the healthy NSD, with the same cancels and forks (fewer
# lookups): the soak tool itself survives its own cancels and forks, and agrees with
# itself, so what follows is the shim's doing.
ctl=$((SOAK_LOOKUPS < 500 ? SOAK_LOOKUPS : 500))
sr_timed "$O" "$E" sr_plain "$GOOD" "$TOOLS/soak" "${args[@]}" -n "$ctl" -r 0
if [ "$SR_RC" = 0 ]; then
	ok "control: glibc alone, healthy server, $SOAK_THREADS x $ctl lookups with the same cancels and forks"
else
	not_ok "control: glibc alone, healthy server, $SOAK_THREADS x $ctl lookups (exit $SR_RC)"
	grep -vE '^soak: [0-9]' "$E" | head -n 20 | sed 's/^/#   /'
fi

diag "soak: $what (seed $SOAK_SEED)"
sr_timed "$O" "$E" sr_shim "$MIXED" "$CONF" "$TOOLS/soak" "${args[@]}"
summary=$(grep '^soak ' "$O" | tail -n 1)
grep '^soak: [0-9]' "$E" | tail -n 3 | sed 's/^/# /'
diag "${summary:-no summary line} (exit $SR_RC, wall $SR_MS ms)"

# The proxy's counters: the chaos really happened.
kill -USR2 "$CHAOS_PID" 2>/dev/null
for ((i = 0; i < 50; i++)); do
	[ -s "$DNSF_TMP/chaos.stats" ] && break
	sleep 0.1
done
stat() { awk -v k="$1" '$1 == k { print $2 }' "$DNSF_TMP/chaos.stats" 2>/dev/null; }
diag "primary (chaos): $(stat queries) queries, $(stat answered) answered, $(stat dropped) dropped, $(stat chaos_switches) switches"
grep 'stats:' "$DNSF_TMP/shim.log" 2>/dev/null | tail -n 1 | sed 's/^.*stats: /# shim: /'

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $summary"; }
case $SR_RC in
0) ok "soak: $what: every answer right, no failure, no hang, RSS bounded" ;;
4)
	not_ok "soak: $what: HANG (watchdog)"
	grep -E 'HANG|WATCHDOG|CANCEL' "$E" | head -n 5 | sed 's/^/#   /'
	;;
*)
	not_ok "soak: $what (exit $SR_RC)"
	grep -vE '^soak: [0-9]' "$E" | head -n 40 | sed 's/^/#   /'
	;;
esac
if [ "$(stat chaos_switches)" -ge 2 ] 2>/dev/null; then
	ok "the primary switched faults $(stat chaos_switches) times"
else
	not_ok "the primary switched faults (chaos_switches $(stat chaos_switches))"
fi
if [ "$SOAK_FORK_MS" != 0 ] && [ -n "$summary" ]; then
	diag "fork children: $(field forks) forked, $(field fork_ok) right, $(field hung_libc) hung in glibc's own locks (not counted)"
fi
finish
