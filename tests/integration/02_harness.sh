#!/usr/bin/env bash
# 02_harness: the test harness (tests/lib/common.sh, tests/lib/procs.sh) cleans up on every
# exit path, reports a taken port with its holder, and needs no /etc/hosts of the host.
#
# Each case runs a small child test (a script that sources common.sh, as every test does)
# and then checks what it left: a server still holding its port would make the next test
# fail with "Address already in use" (issue 10 item 5, seen on a fresh Debian 12).
#   - killed by SIGPIPE (it wrote to a FIFO whose reader had died): no server left
#   - a server started in a subshell: stopped when the test exits
#   - a bail in a subshell, or inside a redirection: the test ends, the message is shown
#   - killed by SIGKILL (no cleanup at all): the runner's sweep finds and stops its servers
#   - a port held by a process that does not answer DNS: reported at once, with its PID
#   - no /etc/hosts and a dangling /etc/resolv.conf (debootstrap --variant=minbase):
#     in_private_etc and in_private_resolv still work, and the host's /etc gains nothing
# SC2016: the child scripts and the sh -c script are single-quoted on purpose.
# shellcheck disable=SC2016
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd ss "$DNSF_PYTHON"

A1=127.53.0.61 A2=127.53.0.62 A3=127.53.0.63 A4=127.53.0.64
W=$DNSF_TMP/w
mkdir -p "$W"

# child NAME <<'EOF' ... EOF: writes a child test $W/NAME.sh (common.sh already sourced,
# A1..A4 set); run it with run_child.
child() {
	{
		echo '. "$DNSF_ROOT/tests/lib/common.sh"'
		echo "A1=$A1 A2=$A2 A3=$A3 A4=$A4"
		cat
	} >"$W/$1.sh"
}
# run_child NAME [ENV...]: runs it; its output in $W/NAME.out, its exit status in RC.
RC=0
run_child() {
	local name=$1
	shift
	# In a subshell whose stderr is discarded, since bash reports a child killed by a
	# signal (the "exit" keeps the subshell from being replaced by the child).
	(
		env "$@" bash "$W/$name.sh" >"$W/$name.out" 2>&1 </dev/null
		exit
	) 2>/dev/null
	RC=$?
}
# port_pids ADDR: the PIDs holding ADDR port 53 (UDP or TCP), as ss shows them.
port_pids() {
	ss -Hlnptu "sport = :53" 2>/dev/null | grep -F " $1:53 " | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' '
}
# expect_free ADDR WHAT: nothing holds ADDR:53 any more; stops what does (so that a
# failure here does not spill into the next case).
expect_free() {
	local pids p
	pids=$(port_pids "$1")
	if [ -z "$pids" ]; then
		ok "$2: nothing holds $1 port 53 afterwards"
		return
	fi
	not_ok "$2: $1 port 53 is still held ($pids)"
	for p in $pids; do
		diag "  pid ${p#pid=}: $(tr '\0' ' ' 2>/dev/null <"/proc/${p#pid=}/cmdline")"
		dnsf_stop_pid "${p#pid=}" --any
	done
}
show_child() { sed 's/^/#   | /' "$W/$1.out"; }

# ---- killed by SIGPIPE, and an exit hook that writes to the same dead FIFO (as cl_stop
# says "quit" to a cache_client)
child sigpipe <<'EOF'
ns_start "$A1"
mkfifo "$DNSF_TMP/fifo"
sleep 0.2 <"$DNSF_TMP/fifo" &
exec {w}>"$DNSF_TMP/fifo"
wait "$!"
dnsf_on_exit 'echo quit >&"$w"'
echo "one line" >&"$w"
echo "still running after SIGPIPE"
finish
EOF
run_child sigpipe
if [ "$RC" != 0 ] && ! grep -q 'still running' "$W/sigpipe.out"; then
	ok "SIGPIPE: the child test ended (exit $RC)"
else
	not_ok "SIGPIPE: the child test ended (exit $RC)"
	show_child sigpipe
fi
assert_contains "$(cat "$W/sigpipe.out")" "Bail out! SIGPIPE" "SIGPIPE: the child says why it ended"
expect_free "$A1" "SIGPIPE"

# ---- a server started in a subshell
child subshell <<'EOF'
( ns_start "$A2" )
echo "started in a subshell"
finish
EOF
run_child subshell
assert_eq "0|started in a subshell" "$RC|$(grep -v '^#' "$W/subshell.out")" "subshell: the child test passed"
expect_free "$A2" "subshell"
assert_contains "$(cat "$W/subshell.out")" "# the test left pid" "subshell: the exit cleanup named what it stopped"

# ---- bail in a subshell, bail inside a redirection
child bail_subshell <<'EOF'
x=$(bail "from a command substitution")
echo "still running after the bail ($x)"
finish
EOF
run_child bail_subshell
assert_eq "1|Bail out! from a command substitution" "$RC|$(cat "$W/bail_subshell.out")" \
	"bail in a subshell: the test ends (exit 1), the message reaches its output"

child bail_redirect <<'EOF'
f() { bail "inside a redirection"; }
f >"$DNSF_TMP/f.out" 2>&1
finish
EOF
run_child bail_redirect
assert_eq "1|Bail out! inside a redirection" "$RC|$(cat "$W/bail_redirect.out")" \
	"bail inside a redirection: the message reaches the test's output"

# ---- killed by SIGKILL: tests/run.sh runs each test with its own tag and then stops what
# still carries it (dnsf_stop_leftovers).
child sigkill <<'EOF'
ns_start "$A3"
kill -KILL $$
EOF
tag="02_harness:sigkill:$$"
run_child sigkill "DNSF_PROC_TAGS=${DNSF_PROC_TAGS:+$DNSF_PROC_TAGS }$tag"
if [ -n "$(port_pids "$A3")" ]; then
	ok "SIGKILL: the child's NSD outlived it (no cleanup ran), as expected"
else
	not_ok "SIGKILL: the child's NSD outlived it (the case did not happen)"
	show_child sigkill
fi
out=$(dnsf_stop_leftovers "$tag" "the child")
assert_contains "$out" "the child left pid" "SIGKILL: the sweep names what the child left"
assert_contains "$out" "nsd -d -c" "SIGKILL: among them its NSD"
expect_free "$A3" "SIGKILL, after the sweep"

# ---- a port held by a process that does not answer DNS
dnsf_spawn "$W/holder.out" "$DNSF_PYTHON" -I -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("ready", flush=True)
time.sleep(600)' "$A4"
HOLDER=$DNSF_SPAWNED_PID
for ((i = 0; i < 200; i++)); do
	grep -qx ready "$W/holder.out" 2>/dev/null && break
	sleep 0.02
done
child taken <<'EOF'
ns_start "$A4"
finish
EOF
t0=$(now_ms)
run_child taken
ms=$(($(now_ms) - t0))
if [ "$RC" = 1 ] && [ "$ms" -lt 5000 ]; then
	ok "taken port: ns_start fails at once ($ms ms)"
else
	not_ok "taken port: ns_start fails at once (exit $RC after $ms ms)"
fi
assert_contains "$(cat "$W/taken.out")" "udp $A4:53: held by pid $HOLDER" "taken port: the holder's PID is named"
assert_contains "$(cat "$W/taken.out")" "started under " "taken port: and the test that started it"
dnsf_stop_pid "$HOLDER"
dnsf_untrack_pid "$HOLDER"

# ---- no /etc/hosts, a dangling /etc/resolv.conf
# The child runs in a namespace whose /etc is a copy without hosts and with resolv.conf a
# dangling symlink, as on a system made with debootstrap --variant=minbase.
cp -a /etc "$W/etc-min"
rm -f "$W/etc-min/hosts" "$W/etc-min/resolv.conf"
ln -s ../run/nowhere/resolv.conf "$W/etc-min/resolv.conf"
child noetc <<'EOF'
make_etc "$DNSF_TMP/etc" 127.53.0.1
cmp "$DNSF_FIXTURES/hosts" <(in_private_etc "$DNSF_TMP/etc" cat /etc/hosts) && echo "hosts: the private file"
cmp "$DNSF_TMP/etc/resolv.conf" <(in_private_resolv "$DNSF_TMP/etc/resolv.conf" cat /etc/resolv.conf) &&
	echo "resolv.conf: the private file"
finish
EOF
unshare -m --propagation private sh -c '
	mount --bind "$1" /etc || exit 125
	bash "$2/noetc.sh" >"$2/noetc.out" 2>&1 </dev/null
	echo "rc=$?"
	if [ -e /etc/hosts ]; then echo "/etc/hosts exists afterwards"; fi
	if [ ! -L /etc/resolv.conf ]; then echo "/etc/resolv.conf changed"; fi' noetc "$W/etc-min" "$W" >"$W/noetc.rc" 2>&1
assert_eq "rc=0" "$(cat "$W/noetc.rc")" "no /etc/hosts: the child passed, and the (copied) /etc is unchanged"
assert_eq "hosts: the private file
resolv.conf: the private file" "$(grep -v '^#' "$W/noetc.out")" "no /etc/hosts: in_private_etc and in_private_resolv bind their files"

finish
