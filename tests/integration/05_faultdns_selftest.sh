#!/usr/bin/env bash
# 05_faultdns_selftest: every faultdns mode checked against the real test NSD.
#
# The fault proxy (tests/tools/faultdns.c) is only useful if each fault really
# happens, so every mode gets an assertion that fails when the fault is not
# applied: a reply where there must be none, a reply too early, the right ID
# where it must be wrong.  Clients are tests/tools/faultdns_probe.py (python3
# sockets).  Timing bounds are generous for a loaded 2-core VM, yet far from
# the unfaulted figures (~1 ms on loopback).
#
# Upstream: NSD on 127.53.0.1:53 (ns_start).  The proxies listen on 127.53.0.2
# (one instance on [::1]), each instance on its own high port, so late packets
# never reach the next instance.
# dnsf-valgrind: yes
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd "$DNSF_PYTHON"
require_tool faultdns

FAULTDNS=$TOOLS/faultdns
PROBE=$DNSF_ROOT/tests/tools/faultdns_probe.py
WORK=$DNSF_TMP/faultdns
mkdir -p "$WORK"

# Under DNSF_VALGRIND=1 faultdns runs under valgrind: errors make it exit 99,
# which fd_stop reports.  The timing bounds leave room for the slowdown.
FD_WRAP=()
READY_WAIT=50                   # tenths of a second
if [ "${DNSF_VALGRIND:-0}" = 1 ]; then
	require_cmd valgrind
	FD_WRAP=("${DNSF_VALGRIND_CMD[@]}")
	READY_WAIT=300
fi

# Instances still running (PID -> name).  fd_stop reaps them itself, to check
# the exit status, and forgets them, so the exit hook never signals a PID that
# may have been reused.
declare -A FD_LIVE=()
# shellcheck disable=SC2317  # called by the exit hook
fd_stop_all() {
	local p
	for p in "${!FD_LIVE[@]}"; do
		dnsf_stop_pid "$p"
	done
}
dnsf_on_exit fd_stop_all

ns_start
UPSTREAM=$DNSF_NS_ADDR:53

# ------------------------------------------------------------- helpers
LHOST=127.53.0.2
NEXT_PORT=$((10000 + ($$ % 5000) * 2))

# kv KEY LINE: the value of KEY=... in a probe line.
kv() {
	local f
	for f in $2; do
		case $f in "$1="*) echo "${f#*=}"; return ;; esac
	done
	echo "?"
}

# probe ADDR PORT NAME [opts]: one probe line, also kept in $PL.
probe() {
	PL=$("$DNSF_PYTHON" "$PROBE" "$@" 2>&1)
}

# COND; check DESC: ok when COND succeeded, else not ok with the last probe
# line.  It must come right after the condition (it reads $?).
check() {
	local rc=$?
	if [ "$rc" = 0 ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   probe: ${PL:-}"
	fi
}

# fd_start NAME ADDR ARGS...: start faultdns listening on ADDR:$NEXT_PORT,
# wait for "ready".  Sets FD_PID and FD_PORT; files are $WORK/NAME.*
fd_start() {
	local name=$1 addr=$2 listen i
	shift 2
	FD_PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
	case $addr in *:*) listen="[$addr]:$FD_PORT" ;; *) listen="$addr:$FD_PORT" ;; esac
	rm -f "$WORK/$name".{out,err,pid,stats}
	"${FD_WRAP[@]}" "$FAULTDNS" --listen "$listen" --upstream "$UPSTREAM" \
		--stats "$WORK/$name.stats" --pidfile "$WORK/$name.pid" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	FD_PID=$!
	FD_LIVE[$FD_PID]=$name
	for ((i = 0; i < READY_WAIT; i++)); do
		grep -qx ready "$WORK/$name.out" 2>/dev/null && return 0
		kill -0 "$FD_PID" 2>/dev/null || break
		sleep 0.1
	done
	not_ok "$name: faultdns started and printed ready"
	sed 's/^/#   /' "$WORK/$name.err"
	if ! dnsf_pid_alive "$FD_PID"; then
		wait "$FD_PID"
		unset "FD_LIVE[$FD_PID]"
	fi
	return 1
}

# stat_of NAME KEY: a counter from the stats file (0 when absent).
stat_of() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$WORK/$1.stats" 2>/dev/null
}

# fd_stats NAME PID: ask for fresh stats and wait until written.
fd_stats() {
	local i
	rm -f "$WORK/$1.stats"
	kill -USR2 "$2"
	for ((i = 0; i < 50; i++)); do
		[ -s "$WORK/$1.stats" ] && return 0
		sleep 0.05
	done
	return 1
}

# fd_switch NAME PID MODE: new mode through --mode-file + SIGUSR1; waits
# until the stats show the switch (USR1 is handled before USR2).
fd_switch() {
	local name=$1 pid=$2 want
	want=$(($(stat_of "$name" mode_switches) + 1))
	echo "$3" >"$WORK/$name.mode"
	rm -f "$WORK/$name.stats"
	kill -USR1 "$pid"
	kill -USR2 "$pid"
	local i
	for ((i = 0; i < 50; i++)); do
		if [ -s "$WORK/$name.stats" ]; then
			[ "$(stat_of "$name" mode_switches)" -ge "$want" ] && return 0
			rm -f "$WORK/$name.stats"
			kill -USR2 "$pid"
		fi
		sleep 0.05
	done
	return 1
}

# fd_stop NAME PID: SIGTERM, then: exit 0, stats written at exit, pidfile
# gone, and the counters add up (queries = answered + dropped + inflight).
fd_stop() {
	local name=$1 pid=$2 rc q a d f
	rm -f "$WORK/$name.stats"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	unset "FD_LIVE[$pid]"
	q=$(stat_of "$name" queries)
	a=$(stat_of "$name" answered)
	d=$(stat_of "$name" dropped)
	f=$(stat_of "$name" inflight)
	if [ "$rc" = 0 ] && [ -s "$WORK/$name.stats" ] && [ ! -e "$WORK/$name.pid" ] &&
	   [ "$q" -eq $((a + d + f)) ]; then
		ok "$name: clean exit on SIGTERM, stats add up ($q = $a + $d + $f)"
	else
		not_ok "$name: exit status $rc, queries $q answered $a dropped $d inflight $f"
		sed 's/^/#   /' "$WORK/$name.err"
	fi
}

num() { [ "$1" != "?" ] && [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }
is() { [ "$(kv "$1" "$PL")" = "$2" ]; }
between() { num "$(kv "$1" "$PL")" "$2" "$3"; }

# ----------------------------------------------------------- arguments
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 127.0.0.1:53 --mode bogus >/dev/null 2>&1
[ $? = 2 ]; check "args: unknown mode is refused (exit 2)"
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 127.0.0.1:53 --mode flap=0/0 >/dev/null 2>&1
[ $? = 2 ]; check "args: flap=0/0 is refused (exit 2)"
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 127.0.0.1:53 --mode counts=qd >/dev/null 2>&1
[ $? = 2 ]; check "args: counts=qd is refused (exit 2)"
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 127.0.0.1:53 --mode bigudp=2001 >/dev/null 2>&1
[ $? = 2 ]; check "args: bigudp=2001 is refused (exit 2)"
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 192.0.2.1:53 >/dev/null 2>&1
[ $? = 2 ]; check "args: non-loopback upstream is refused (exit 2)"

# ---------------------------------------------------------------- pass
if fd_start pass $LHOST --mode pass; then
	[ "$(cat "$WORK/pass.pid")" = "$FD_PID" ]; check "pass: pidfile holds the PID"
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1 && is a 192.0.2.10 && is id 4660
	check "pass: UDP answer is NSD's (A 192.0.2.10, our ID)"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1 && is a 192.0.2.10; check "pass: TCP answer is NSD's"
	probe $LHOST "$FD_PORT" many.dnsf.test --tcp
	is valid 1 && is an 40 && is tc_bit 0; check "pass: TCP carries the 40-record answer"
	probe $LHOST "$FD_PORT" many.dnsf.test
	is valid 1 && is tc_bit 1; check "pass: UDP keeps NSD's own truncation (TC)"
	probe $LHOST "$FD_PORT" www.dnsf.test --type AAAA
	is valid 1 && is an 1; check "pass: AAAA query answered"
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 1 --count 100 --id 40000 --timeout 2000
	is replies 100 && is valid 100
	check "pass: 100 concurrent UDP queries each get their own answer (ID mapping)"
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 0 --count 30 --tcp --timeout 2000
	is valid 30; check "pass: 30 pipelined TCP queries on one connection answered"

	# Malformed input must not kill it (nor be answered).
	"$DNSF_PYTHON" - $LHOST "$FD_PORT" <<-'EOF'
	import socket, struct, sys, random
	host, port = sys.argv[1], int(sys.argv[2])
	rnd = random.Random(7)
	junk = [b"", b"\x12", b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00",
	        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00",          # qd=1, no question
	        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c",  # pointer loop
	        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f" + b"a" * 10,
	        b"\x12\x34\x81\x80" + b"\x00" * 8]                            # a response
	junk += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 700)))
	         for _ in range(100)]
	with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
	    for j in junk:
	        s.sendto(j, (host, port))
	for j in junk[:20] + [b"\xff" * 70000]:
	    try:
	        with socket.create_connection((host, port), timeout=1) as t:
	            t.sendall(struct.pack("!H", len(j) & 0xffff) + j[:65535])
	    except OSError:
	        pass
	with socket.create_connection((host, port), timeout=1) as t:  # half a message
	    t.sendall(b"\x00\x40\x12\x34")
	EOF
	sleep 0.3
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1; check "pass: still answering after 107 junk datagrams and junk TCP"
	fd_stats pass "$FD_PID"
	[ "$(stat_of pass malformed)" -ge 3 ]
	check "pass: junk counted as malformed, responses never answered"
	fd_stop pass "$FD_PID"
fi

if fd_start pass6 ::1 --mode pass; then
	probe ::1 "$FD_PORT" www.dnsf.test
	is valid 1 && is a 192.0.2.10; check "pass: listens on [::1] (UDP)"
	probe ::1 "$FD_PORT" www.dnsf.test --tcp
	is valid 1; check "pass: listens on [::1] (TCP)"
	fd_stop pass6 "$FD_PID"
fi

# ----------------------------------------------------------- blackhole
if fd_start blackhole $LHOST --mode blackhole; then
	probe $LHOST "$FD_PORT" www.dnsf.test --timeout 300
	is replies 0 && is timeouts 1; check "blackhole: no UDP reply within 300 ms"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp --timeout 300
	is replies 0 && is timeouts 1 && is refused 0
	check "blackhole: TCP connection accepted, never answered"
	fd_stats blackhole "$FD_PID"
	[ "$(stat_of blackhole queries)" = 2 ] && [ "$(stat_of blackhole dropped)" = 2 ] &&
		[ "$(stat_of blackhole forwarded)" = 0 ]
	check "blackhole: 2 queries counted, 2 dropped, none forwarded"
	fd_stop blackhole "$FD_PID"
fi

# -------------------------------------------------------------- closed
if fd_start closed $LHOST --mode closed --mode-file "$WORK/closed.mode"; then
	probe $LHOST "$FD_PORT" www.dnsf.test --connect --timeout 1000
	is refused 1; check "closed: UDP gets ICMP port unreachable (refused)"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp --timeout 1000
	is refused 1; check "closed: TCP connect refused"
	fd_switch closed "$FD_PID" pass
	probe $LHOST "$FD_PORT" www.dnsf.test --connect
	is valid 1; check "closed: after SIGUSR1 to pass, the same port answers (UDP)"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1; check "closed: after SIGUSR1 to pass, the same port answers (TCP)"
	fd_switch closed "$FD_PID" closed
	probe $LHOST "$FD_PORT" www.dnsf.test --connect --timeout 1000
	is refused 1; check "closed: SIGUSR1 pass -> closed closes the port again"
	fd_stop closed "$FD_PID"
fi

# --------------------------------------------------------------- delay
if fd_start delay $LHOST --mode delay=200; then
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1 && between ms 180 999; check "delay=200: UDP reply after 180..1000 ms"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1 && between ms 180 999; check "delay=200: TCP reply after 180..1000 ms"
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 0 --count 50 --timeout 3000
	is valid 50 && between minms 180 999 && between maxms 180 1500
	check "delay=200: 50 concurrent queries all held ~200 ms, not serialised"
	fd_stop delay "$FD_PID"
fi
if fd_start jitter $LHOST --mode delay=300,jitter=200; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 0 --count 40 --timeout 3000
	is valid 40 && between minms 95 1500 && between maxms 95 1500 &&
		[ $(($(kv maxms "$PL") - $(kv minms "$PL"))) -ge 100 ]
	check "delay=300,jitter=200: 40 replies within 100..1500 ms, spread >= 100 ms"
	fd_stop jitter "$FD_PID"
fi

# ---------------------------------------------------- synthetic rcodes
# One instance, modes switched with SIGUSR1 (also checks the switching).
echo servfail >"$WORK/rcodes.mode"
if fd_start rcodes $LHOST --mode-file "$WORK/rcodes.mode"; then
	for spec in servfail:2 refused:5 formerr:1 notimp:4 nxdomain:3; do
		mode=${spec%:*}
		code=${spec#*:}
		if [ "$mode" != servfail ]; then
			fd_switch rcodes "$FD_PID" "$mode"
			check "$mode: SIGUSR1 switch acknowledged in the stats"
		fi
		probe $LHOST "$FD_PORT" www.dnsf.test
		is valid 1 && is rcode "$code" && is an 0 && is qd 1 && between ms 0 300
		check "$mode: UDP rcode $code at once, ID and question echoed, no answer"
		probe $LHOST "$FD_PORT" www.dnsf.test --tcp
		is valid 1 && is rcode "$code"; check "$mode: TCP rcode $code"
	done
	is aa 1 && is len 31; check "nxdomain: authoritative (AA) and SOA-less"
	fd_stats rcodes "$FD_PID"
	[ "$(stat_of rcodes forwarded)" = 0 ] && [ "$(stat_of rcodes mode_switches)" = 4 ]
	check "rcodes: nothing forwarded upstream, 4 mode switches seen"
	fd_stop rcodes "$FD_PID"
fi

# ------------------------------------------------------------ truncate
if fd_start truncate $LHOST --mode truncate; then
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1 && is tc_bit 1 && is an 0 && is qd 1 && is len 31
	check "truncate: UDP reply has TC, header + question only"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1 && is tc_bit 0 && is a 192.0.2.10; check "truncate: TCP gives the full answer"
	probe $LHOST "$FD_PORT" many.dnsf.test --tcp
	is an 40; check "truncate: TCP gives all 40 records"
	fd_stop truncate "$FD_PID"
fi

# ------------------------------------------------------------- garbage
if fd_start garbage $LHOST --mode garbage; then
	probe $LHOST "$FD_PORT" www.dnsf.test --count 40 --timeout 500
	is replies 40 && is valid 0 && between idmatch 1 39 && between lens 10 40
	check "garbage: 40 replies, none a valid answer, some with our ID, varied lengths"
	probe $LHOST "$FD_PORT" www.dnsf.test --count 5 --tcp --timeout 500
	is replies 5 && is valid 0; check "garbage: TCP replies framed but invalid"
	fd_stop garbage "$FD_PID"
fi

# ------------------------------------------------------------- wrongid
if fd_start wrongid $LHOST --mode wrongid; then
	probe $LHOST "$FD_PORT" www.dnsf.test --id 4660
	is replies 1 && is idmatch 0 && is id 18542 && is an 1
	check "wrongid: UDP answer carries another ID (4660 xor 0x5a5a)"
	probe $LHOST "$FD_PORT" www.dnsf.test --id 4660 --tcp
	is idmatch 0 && is id 18542; check "wrongid: TCP answer carries another ID"
	fd_stop wrongid "$FD_PID"
fi

# ----------------------------------------------------------- wrongport
if fd_start wrongport $LHOST --mode wrongport; then
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1 && is otherport 1 && ! is sport "$FD_PORT"
	check "wrongport: UDP answer comes from another source port"
	probe $LHOST "$FD_PORT" www.dnsf.test --connect --timeout 300
	is replies 0 && is timeouts 1; check "wrongport: a connected UDP socket never sees it"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1; check "wrongport: TCP is faithful"
	fd_stop wrongport "$FD_PID"
fi

# ---------------------------------------------------------------- flap
# 600 ms up, 400 ms down, starting up; one query every 50 ms for 2.5 s.
if fd_start flap $LHOST --mode flap=600/400; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 50 --count 50 --timeout 300
	pat=$(kv pattern "$PL")
	ones=$(tr -cd 1 <<<"$pat" | wc -c)
	runs=$(fold -w1 <<<"$pat" | uniq | wc -l)
	[ "${pat:0:1}" = 1 ] && [ "$ones" -ge 18 ] && [ "$ones" -le 42 ] &&
		[ "$runs" -ge 4 ] && [ "$runs" -le 10 ]
	check "flap=600/400: starts up, ~60 % answered, in runs ($ones/50 in $runs runs)"
	fd_stop flap "$FD_PID"
fi

# ---------------------------------------------------------------- drop
pat1=x
if fd_start drop1 $LHOST --mode drop=50 --seed 1; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 2 --count 200 --timeout 1000
	pat1=$(kv pattern "$PL")
	got=$(kv replies "$PL")
	between replies 70 130; check "drop=50: roughly half of 200 UDP queries answered ($got)"
	fd_stats drop1 "$FD_PID"
	[ "$(stat_of drop1 dropped)" = $((200 - got)) ]
	check "drop=50: stats count the drops (dropped = 200 - answered)"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp --count 5
	is valid 5; check "drop=50: TCP never dropped"
	fd_stop drop1 "$FD_PID"
fi
if fd_start drop2 $LHOST --mode drop=50 --seed 1; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 2 --count 200 --timeout 1000
	is pattern "$pat1"; check "drop=50 --seed 1: the same queries dropped in a second run"
	fd_stop drop2 "$FD_PID"
fi
if fd_start drop3 $LHOST --mode drop=50 --seed 2; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 2 --count 200 --timeout 1000
	! is pattern "$pat1"; check "drop=50 --seed 2: another pattern"
	fd_stop drop3 "$FD_PID"
fi

# -------------------------------------------------------------- outage
# Blackholed for 300 ms from the first query, then passing; a query every 50 ms.
if fd_start outage $LHOST --mode outage=300; then
	probe $LHOST "$FD_PORT" www.dnsf.test --interval 50 --count 20 --timeout 300
	pat=$(kv pattern "$PL")
	zeros=${pat%%1*}
	[[ $pat =~ ^0+1+$ ]] && [ "${#zeros}" -ge 5 ] && [ "${#zeros}" -le 8 ]
	check "outage=300: the first ~300 ms of queries dropped, then all answered ($pat)"
	fd_stop outage "$FD_PID"
fi

# -------------------------------------------------------------- counts
# One instance switched pass -> counts=ar -> counts=ns -> counts=an; each reply is
# NSD's with one section count overstated (counts=an also drops the authority and
# additional sections).
echo pass >"$WORK/counts.mode"
if fd_start counts $LHOST --mode-file "$WORK/counts.mode"; then
	probe $LHOST "$FD_PORT" www.dnsf.test
	an0=$(kv an "$PL") ns0=$(kv ns "$PL") ar0=$(kv ar "$PL") len0=$(kv len "$PL")
	diag "counts: NSD's reply for www.dnsf.test A: an=$an0 ns=$ns0 ar=$ar0 len=$len0"
	fd_switch counts "$FD_PID" counts=ar
	probe $LHOST "$FD_PORT" www.dnsf.test
	is an "$an0" && is ns "$ns0" && is ar $((ar0 + 1)) && is len "$len0"
	check "counts=ar: ARCOUNT + 1, the same bytes otherwise"
	fd_switch counts "$FD_PID" counts=ns
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is an "$an0" && is ns $((ns0 + 1)) && is ar "$ar0" && is len "$len0"
	check "counts=ns: NSCOUNT + 1 (over TCP too)"
	fd_switch counts "$FD_PID" counts=an
	probe $LHOST "$FD_PORT" www.dnsf.test
	is an $((an0 + 1)) && is ns 0 && is ar 0 && is a 192.0.2.10 && [ "$(kv len "$PL")" -le "$len0" ]
	check "counts=an: ANCOUNT + 1, authority and additional sections gone"
	fd_stop counts "$FD_PID"
fi

# -------------------------------------------------------------- bigudp
# 1000 A records of 16 octets (owner pointer, type, class, TTL, length, address) after
# the 12-octet header and the 19-octet question: 16031 octets in one UDP datagram.
if fd_start bigudp $LHOST --mode bigudp=1000; then
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1 && is an 1000 && is tc_bit 0 && is len 16031 && is a 10.0.0.0
	check "bigudp=1000: one 16031-octet UDP datagram with 1000 A records, no TC"
	probe $LHOST "$FD_PORT" www.dnsf.test --tcp
	is valid 1 && is an 1000 && is len 16031; check "bigudp=1000: the same reply over TCP"
	probe $LHOST "$FD_PORT" www.dnsf.test --type AAAA
	is valid 1 && is an 1000 && is len 28031; check "bigudp=1000: 1000 AAAA records (28031 octets)"
	probe $LHOST "$FD_PORT" www.dnsf.test --type MX
	is valid 1 && is an 0 && is rcode 0; check "bigudp=1000: other types get NODATA"
	fd_stats bigudp "$FD_PID"
	[ "$(stat_of bigudp forwarded)" = 0 ]; check "bigudp: nothing forwarded upstream"
	fd_stop bigudp "$FD_PID"
fi

# ---------------------------------------------------------------- chaos
# Periods of 20..60 ms, one query every 10 ms for 1.5 s: the schedule switches many
# times, some queries are answered and some are not, and the same seed picks the same
# sequence of modes again (the soak, tests/soak, relies on it).
"$FAULTDNS" --listen 127.53.0.2:9 --upstream 127.0.0.1:53 --mode chaos=60/20 >/dev/null 2>&1
[ $? = 2 ]; check "args: chaos=60/20 (longest below shortest) is refused (exit 2)"
seq1=x
for run in 1 2; do
	if fd_start chaos$run $LHOST --mode chaos=20/60 --seed 7 --verbose; then
		probe $LHOST "$FD_PORT" www.dnsf.test --interval 10 --count 150 --timeout 100
		pat=$(kv pattern "$PL")
		fd_stats chaos$run "$FD_PID"
		sw=$(stat_of chaos$run chaos_switches)
		modes=$(sed -n 's/.*chaos: \([^ ]*\) for .*/\1/p' "$WORK/chaos$run.err" | sort -u | wc -l)
		[[ $pat == *0* && $pat == *1* ]] && [ "$sw" -ge 15 ] && [ "$modes" -ge 5 ]
		check "chaos=20/60 (run $run): $sw periods, $modes distinct modes, answered and not"
		seq=$(sed -n 's/.*chaos: \([^ ]*\) for .*/\1/p' "$WORK/chaos$run.err" | head -n 10 | tr '\n' ' ')
		fd_stop chaos$run "$FD_PID"
		if [ "$run" = 1 ]; then seq1=$seq; fi
	fi
done
[ "$seq" = "$seq1" ]; check "chaos --seed 7: the same first 10 modes in both runs ($seq)"

# ------------------------------------------------- SIGUSR1 (recovery)
echo blackhole >"$WORK/switch.mode"
if fd_start switch $LHOST --mode-file "$WORK/switch.mode"; then
	probe $LHOST "$FD_PORT" www.dnsf.test --timeout 300
	is replies 0; check "switch: starts from the mode file (blackhole)"
	fd_switch switch "$FD_PID" pass
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1; check "switch: SIGUSR1 blackhole -> pass recovers on the same port"
	echo "not-a-mode" >"$WORK/switch.mode"
	kill -USR1 "$FD_PID"
	sleep 0.2
	probe $LHOST "$FD_PORT" www.dnsf.test
	is valid 1; check "switch: a bad mode file keeps the old mode"
	fd_stats switch "$FD_PID"
	[ "$(stat_of switch mode_switches)" = 1 ]; check "switch: only the good switch counted"
	fd_switch switch "$FD_PID" delay=250
	probe $LHOST "$FD_PORT" www.dnsf.test
	between ms 230 1200; check "switch: SIGUSR1 pass -> delay=250 takes effect"
	fd_stop switch "$FD_PID"
fi

# --------------------------------------------------------------- stats
if fd_start stats $LHOST --mode pass; then
	probe $LHOST "$FD_PORT" www.dnsf.test --count 7
	probe $LHOST "$FD_PORT" www.dnsf.test --count 3 --type AAAA
	probe $LHOST "$FD_PORT" www.dnsf.test --count 2 --tcp
	"$DNSF_PYTHON" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"12345", (sys.argv[1], int(sys.argv[2])))' \
		$LHOST "$FD_PORT"
	sleep 0.2
	fd_stats stats "$FD_PID"
	PL="stats: $(tr '\n' ' ' <"$WORK/stats.stats")"
	[ "$(stat_of stats queries)" = 13 ] && [ "$(stat_of stats udp)" = 11 ] &&
		[ "$(stat_of stats tcp)" = 2 ] && [ "$(stat_of stats answered)" = 12 ] &&
		[ "$(stat_of stats dropped)" = 1 ] && [ "$(stat_of stats malformed)" = 1 ] &&
		[ "$(stat_of stats qtype_A)" = 9 ] && [ "$(stat_of stats qtype_AAAA)" = 3 ]
	check "stats: queries 13, udp 11, tcp 2, answered 12, dropped 1, A 9, AAAA 3"
	fd_stop stats "$FD_PID"
fi

finish
