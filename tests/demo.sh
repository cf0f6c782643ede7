#!/usr/bin/env bash
# tests/demo.sh (`make demo`) -- dnsfailover's main job in one command.
#
# Simulates a machine whose first nameserver is dead: resolv.conf lists a
# blackhole first (tests/tools/faultdns --mode blackhole on 127.53.0.2) and a
# healthy NSD second (127.53.0.1, serving tests/fixtures plus
# tests/demo/demo.test.zone).  A local web server (python3's http.server)
# listens on 127.53.1.80:80, the address of web/api/shop.demo.test.  Then real,
# unmodified programs -- getent, curl and python3 -- look the names up, once with
# glibc alone and once with the shim preloaded, in the same private
# /etc/resolv.conf, and the times are printed side by side.
#
# Everything stays on loopback.  The real /etc files are never touched: the
# programs run in `unshare -m` with private copies bind-mounted over them
# (tests/lib/common.sh).  Every process started here is stopped by its PID.
#
# The glibc runs cost ~5 s each (glibc's default timeout on the dead primary),
# so they run concurrently and the demo takes about 10 s; each run's own wall
# time is still measured separately.  The shim runs go one after the other.
#
# Exit status: 0 when every shim run succeeded, gave glibc's answer, and was
# faster than glibc's run; 1 otherwise (or when not run as root).
#
# Internal: `demo.sh --inside OUTDIR MODE` runs the programs (MODE glibc or
# shim) inside the private mount namespace and records each run's result.

set -u

NAMES=(web.demo.test api.demo.test shop.demo.test)
PROGS=(getent curl python3)
WEB_ADDR=127.53.1.80
PRIMARY=127.53.0.2
SECONDARY=127.53.0.1

# ---------------------------------------------------------------- inside the namespace

# inside OUTDIR MODE LIB PYTHON: run every program x name; for each, write
# OUTDIR/MODE.PROG.N.{out,err,rc,us}.  glibc: all at once; shim: one by one.
inside() {
	local out=$1 mode=$2 lib=$3 py=$4 p i
	local -a pre=()
	if [ "$mode" = shim ]; then pre=(env "LD_PRELOAD=$lib"); fi
	one() {
		local prog=$1 name=$2 f=$3 t0 t1 rc
		t0=$EPOCHREALTIME
		case $prog in
		getent)
			"${pre[@]}" getent ahosts "$name" >"$f.out" 2>"$f.err"
			;;
		curl)
			"${pre[@]}" curl -q -s --noproxy '*' --max-time 60 -o /dev/null \
				-w 'HTTP %{http_code} from %{remote_ip}\n' "http://$name/" >"$f.out" 2>"$f.err"
			;;
		python3)
			"${pre[@]}" "$py" -I -c 'import socket, sys
addrs = [a[4][0] for a in socket.getaddrinfo(sys.argv[1], 80, type=socket.SOCK_STREAM)]
print(" ".join(addrs))' "$name" >"$f.out" 2>"$f.err"
			;;
		esac
		rc=$?
		t1=$EPOCHREALTIME
		echo "$rc" >"$f.rc"
		echo $((${t1/[.,]/} - ${t0/[.,]/})) >"$f.us"
	}
	for p in "${PROGS[@]}"; do
		for i in "${!NAMES[@]}"; do
			if [ "$mode" = glibc ]; then
				one "$p" "${NAMES[i]}" "$out/$mode.$p.$i" &
			else
				one "$p" "${NAMES[i]}" "$out/$mode.$p.$i"
			fi
		done
	done
	wait
}

if [ "${1:-}" = --inside ]; then
	shift
	inside "$@"
	exit 0
fi

# ---------------------------------------------------------------- set-up

if [ "$(id -u)" != 0 ]; then
	echo "demo: must run as root: it needs mount namespaces (unshare -m) to give the" >&2
	echo "demo: programs a private /etc/resolv.conf, and port 53 on 127.53.0.x." >&2
	echo "demo: try: sudo make demo" >&2
	exit 1
fi
if ! unshare -m --propagation private true 2>/dev/null; then
	echo "demo: unshare -m fails here (no mount namespaces in this container?); cannot run" >&2
	exit 1
fi

# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# skip (77) is for tests; the demo fails plainly.
demo_die() {
	echo "demo: $*" >&2
	exit 1
}
[ -f "$DNSF_LIB" ] || demo_die "$DNSF_LIB is missing (run: make demo)"
[ -x "$TOOLS/faultdns" ] || demo_die "$TOOLS/faultdns is missing (run: make demo)"
for c in nsd nsd-checkconf curl getent "$DNSF_PYTHON"; do
	command -v "$c" >/dev/null 2>&1 || demo_die "$c is not installed (run: make demo, or tests/deps.sh)"
done
shim_is_loaded || demo_die "the shim does not load under LD_PRELOAD: $DNSF_LIB"

W=$DNSF_TMP/demo
mkdir -p "$W/out"

# NSD with the demo zone (and RRL off), see tests/tools/bench_nsd.sh.
# shellcheck source=tests/tools/bench_nsd.sh
. "$DNSF_ROOT/tests/tools/bench_nsd.sh"
dnsf_on_exit bench_ns_stop

# primary_queries: how many queries the dead primary has swallowed so far
# (faultdns writes its stats file on SIGUSR2).
primary_queries() {
	local i
	rm -f "$W/primary.stats"
	kill -USR2 "$FD_PID" 2>/dev/null || { echo "?"; return; }
	for ((i = 0; i < 50; i++)); do
		if [ -s "$W/primary.stats" ]; then
			awk '$1 == "queries" { print $2 }' "$W/primary.stats"
			return
		fi
		sleep 0.05
	done
	echo "?"
}

cat <<EOF
dnsfailover demo: a dead primary nameserver, with and without the shim
======================================================================
Simulated here, on loopback only (nothing leaves this machine):
  nameserver $PRIMARY   primary, DEAD: faultdns in blackhole mode (reads queries, never answers)
  nameserver $SECONDARY   secondary, healthy: NSD serving demo.test
  web server $WEB_ADDR:80   python3's http.server; web, api and shop.demo.test point at it
The programs below see exactly that /etc/resolv.conf (default glibc options: timeout 5 s,
attempts 2), through a private mount namespace; the host's /etc is untouched.

EOF

echo "Starting the healthy nameserver, the dead primary and the web server..."
bench_ns_start "$SECONDARY" "$W/nsd" || demo_die "cannot start the nameserver on $SECONDARY"
dnsf_server_start faultdns "$PRIMARY" 53 line:ready "$W/faultdns.out" \
	"$TOOLS/faultdns" --listen "$PRIMARY:53" --upstream "$SECONDARY:53" --mode blackhole \
	--stats "$W/primary.stats" >&2 || demo_die "faultdns did not start on $PRIMARY:53"
FD_PID=$DNSF_SPAWNED_PID

dnsf_http_start "$WEB_ADDR" 80 "$DNSF_ROOT/tests/demo/www" "$W/http.out" >&2 ||
	demo_die "the web server did not start on $WEB_ADDR:80"

make_etc "$W/etc" "$PRIMARY" "$SECONDARY"
echo
echo "The private /etc/resolv.conf:"
grep -v '^#' "$W/etc/resolv.conf" | sed 's/^/    /'
echo

n=$((${#NAMES[@]} * ${#PROGS[@]}))
q0=$(primary_queries)
echo "Running $n lookups with glibc alone (each waits ~5 s on the dead primary; run concurrently)..."
in_private_etc "$W/etc" bash "$DNSF_ROOT/tests/demo.sh" --inside "$W/out" glibc "$DNSF_LIB" "$DNSF_PYTHON"
q1=$(primary_queries)
echo "Running the same $n lookups with LD_PRELOAD=$DNSF_LIB (one after the other)..."
in_private_etc "$W/etc" bash "$DNSF_ROOT/tests/demo.sh" --inside "$W/out" shim "$DNSF_LIB" "$DNSF_PYTHON"
q2=$(primary_queries)
echo

# ---------------------------------------------------------------- the table

fmt_ms() { # microseconds -> "1234 ms" / "12.3 ms"
	awk -v u="$1" 'BEGIN { if (u >= 100000) printf "%d ms", u / 1000 + 0.5; else printf "%.1f ms", u / 1000 }'
}
label() {
	case $1 in
	getent) echo "getent ahosts $2" ;;
	curl) echo "curl http://$2/" ;;
	python3) echo "python3 getaddrinfo('$2')" ;;
	esac
}

bad=0 slow=0 gsum=0 ssum=0 gfail=0
printf '| %-38s | %11s | %16s | %s\n' "program" "glibc alone" "with dnsfailover" "same result?"
printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..40})" "$(printf -- '-%.0s' {1..13})" \
	"$(printf -- '-%.0s' {1..18})" "$(printf -- '-%.0s' {1..30})"
for p in "${PROGS[@]}"; do
	for i in "${!NAMES[@]}"; do
		g=$W/out/glibc.$p.$i s=$W/out/shim.$p.$i
		grc=$(cat "$g.rc" 2>/dev/null || echo 999) src=$(cat "$s.rc" 2>/dev/null || echo 999)
		gus=$(cat "$g.us" 2>/dev/null || echo 0) sus=$(cat "$s.us" 2>/dev/null || echo 0)
		gsum=$((gsum + gus)) ssum=$((ssum + sus))
		summary=$(head -n 1 "$s.out" 2>/dev/null | awk '{ $1 = $1; print }')
		if [ "$p" = getent ]; then summary=$(awk '{ print $1 }' "$s.out" 2>/dev/null | sort -u | paste -sd ' ' -); fi
		if [ "$src" != 0 ]; then
			verdict="NO: shim run failed (exit $src)"
			bad=$((bad + 1))
		elif [ "$grc" != 0 ]; then
			verdict="glibc failed (exit $grc); shim: $summary"
			gfail=$((gfail + 1))
		elif cmp -s "$g.out" "$s.out"; then
			verdict="yes: $summary"
		else
			verdict="NO: glibc $(head -n 1 "$g.out") / shim $(head -n 1 "$s.out")"
			bad=$((bad + 1))
		fi
		if ((sus >= gus)); then slow=$((slow + 1)); fi
		printf '| %-38s | %11s | %16s | %s\n' "$(label "$p" "${NAMES[i]}")" "$(fmt_ms "$gus")" \
			"$(fmt_ms "$sus")" "$verdict"
	done
done
printf '| %-38s | %11s | %16s |\n' "total, $n runs" "$(fmt_ms "$gsum")" "$(fmt_ms "$ssum")"
echo

dq=$((q1 - q0)) sq=$((q2 - q1))
cat <<EOF
What the numbers mean
  Each time is the wall time of one whole program run (start-up included), so the
  shim's column is what a user waits for.  glibc asks the first nameserver, waits
  out its 5 s timeout, then asks the second one, on every lookup.  dnsfailover's
  default strategy, hedge, asks the primary, and when no answer has come after
  the hedge delay (a few tens of ms, adapted to each server's observed RTT), also
  asks the secondary; the first answer wins.  Every program here is a new process,
  but what one learns is shared with the next (state_dir, default /run/dnsfailover;
  here a private tmpfs): the first pays that short delay, the later ones go
  straight to the live server, and the dead one only gets an occasional probe.
  The glibc runs were started together to save time.  They spend their 5 s
  waiting, not computing; their start-ups compete for the CPUs, which adds tens
  to a couple of hundred ms to each, against 5000 ms of timeout.
  Queries the dead primary received: $dq with glibc alone, $sq with dnsfailover.
EOF
if [ "$gfail" -gt 0 ]; then
	echo "  Note: $gfail glibc run(s) failed outright (see 'same result?')."
fi
echo
total_speedup=$(awk -v g="$gsum" -v s="$ssum" 'BEGIN { if (s > 0) printf "%.0f", g / s; else print "?" }')
if [ "$bad" -gt 0 ] || [ "$slow" -gt 0 ]; then
	echo "demo: FAILED: $bad shim run(s) failed or differed from glibc, $slow not faster than glibc."
	echo "demo: outputs are in $W/out (kept)."
	DNSF_KEEP_TMP=1
	exit 1
fi
echo "demo: OK: all $n runs got glibc's answer through the shim, ${total_speedup}x faster in total."
exit 0
