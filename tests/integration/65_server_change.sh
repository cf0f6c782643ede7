#!/usr/bin/env bash
# 65_server_change: a running process stops handing out answers from nameservers that
# are no longer configured (issue 10, item 3), whichever file names them.
#
# Two NSDs serve switch.test with different data (tests/integration/data/servers):
# set A, 127.53.0.5, answers name.switch.test 192.0.2.81; set B, 127.53.0.6, answers
# 192.0.2.82. So every answer shows which servers it came from. Three long-running
# cache_client processes under the shim (cache on, serve-stale on, strategy sequence):
#
#   R  servers from resolv.conf, which is rewritten in place from A to B. glibc follows
#      B from the next lookup; so must the answer cache at once (a call the memo has not
#      seen, answered from A's cached data before the fix), and the memo within 1 s (it
#      checks the /etc files at most once a second, its documented staleness rule).
#   C  servers from the config's `nameservers`, rewritten from A to B: from the reload
#      on (the config is looked at every 3 s), nothing of A's is answered.
#   O  the config's servers re-ordered, A B -> B A: the same servers, so what they
#      answered stays cached (a lookup answers 192.0.2.81 without asking B, which comes
#      first now and would answer .82).
#
# Then B is stopped (ICMP port unreachable: every server fails). short.switch.test (TTL 1)
# was answered by A only and has expired: serve-stale must not hand out A's answer to R or
# C (it did before the fix); name.switch.test, cached from B, is still answered.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/cache_lib.sh
. "$DNSF_ROOT/tests/lib/cache_lib.sh"

require_root
require_cmd nsd
require_lib
cl_init

NS_A=127.53.0.5
NS_B=127.53.0.6
DATA=$DNSF_ROOT/tests/integration/data/servers
RELOAD_MS=5000         # CONFIG_CHECK_MS is 3000, plus slack
cl_ns_start_at "$NS_A" switch.test="$DATA/switch-a.zone"
cl_ns_start_at "$NS_B" switch.test="$DATA/switch-b.zone"

# step CLIENT WANT_RC WANT_ADDRS DESC -- CMD...: one command, its rc and addresses checked.
step() { cl_step "$1" "*" "${@:2}"; }

# rewrite FILE SED_EXPR: edit FILE in place (same inode: the client's namespace has it
# bind-mounted, a rename would leave it on the old file).
rewrite() {
	local f=$1 ino
	ino=$(stat -c %i "$f")
	sed "$2" "$f" >"$f.new" && cat "$f.new" >"$f" && rm -f "$f.new"
	[ "$(stat -c %i "$f")" = "$ino" ] || bail "$f was replaced, not rewritten"
}

# await_reload CLIENT LOG: wait until the shim logged a config reload; fails the test
# after RELOAD_MS. The shim looks at its config from inside a call only, so the client
# keeps calling (localhost, from /etc/hosts: no DNS data is touched).
await_reload() {
	local c=$1 log=$2 waited=0
	until grep -q 'reloaded' "$log" 2>/dev/null; do
		if [ "$waited" -ge "$RELOAD_MS" ]; then
			not_ok "$c: no config reload logged within $RELOAD_MS ms"
			return 1
		fi
		cl_cmd "$c" gai localhost inet
		cl_cmd "$c" sleep 100
		waited=$((waited + 100))
	done
	diag "$c: config reloaded after ~$waited ms"
}

# ---- R: resolv.conf names A, then B
ETC_R=$CL_DIR/etc-r
make_etc "$ETC_R" "$NS_A"
CL_NAMESERVERS="" cl_conf "$CL_DIR/r.conf" "$CL_DIR/r.log" "cache: { enabled = true; serve_stale = true; };"
cl_start R "$CL_DIR/r.conf" "$ETC_R"
step R 0 192.0.2.81 "R: resolv.conf names A: A's answer" -- gai name.switch.test inet
step R 0 192.0.2.81 "R: gethostbyname, A's answer" -- ghbn name.switch.test
step R 0 192.0.2.91 "R: the short-lived name, from A" -- gai short.switch.test inet
step R 0 192.0.2.81 "R: repeated (memo)" -- gai name.switch.test inet

# ---- C and O: the config names the servers
CL_NAMESERVERS="\"$NS_A\"" cl_conf "$CL_DIR/c.conf" "$CL_DIR/c.log" "cache: { enabled = true; serve_stale = true; };"
cl_start C "$CL_DIR/c.conf"
step C 0 192.0.2.81 "C: the config names A: A's answer" -- gai name.switch.test inet
step C 0 192.0.2.81 "C: gethostbyname, A's answer" -- ghbn name.switch.test
step C 0 192.0.2.91 "C: the short-lived name, from A" -- gai short.switch.test inet
CL_NAMESERVERS="\"$NS_A\", \"$NS_B\"" cl_conf "$CL_DIR/o.conf" "$CL_DIR/o.log" "cache: { enabled = true; };"
cl_start O "$CL_DIR/o.conf"
step O 0 192.0.2.81 "O: the config names A, B (in sequence): A's answer" -- gai name.switch.test inet

# ---- the change
rewrite "$ETC_R/resolv.conf" "s/^nameserver $NS_A\$/nameserver $NS_B/"
grep -q "^nameserver $NS_B\$" "$ETC_R/resolv.conf" || bail "the resolv.conf rewrite did not take"
rewrite "$CL_DIR/c.conf" "s/\"$NS_A\"/\"$NS_B\"/"
rewrite "$CL_DIR/o.conf" "s/\"$NS_A\", \"$NS_B\"/\"$NS_B\", \"$NS_A\"/"
grep -q "\"$NS_B\", \"$NS_A\"" "$CL_DIR/o.conf" || bail "the o.conf rewrite did not take"
cl_cmd R mark
step R 0 192.0.2.82 "R: right after resolv.conf names B, a call the memo has not seen gets B's answer, not A's cached one" \
	-- gai name.switch.test unspec
cl_at R 1200
step R 0 192.0.2.82 "R: 1.2 s later, the call the memo had (from A) gets B's answer" -- gai name.switch.test inet
step R 0 192.0.2.82 "R: ... and gethostbyname too" -- ghbn name.switch.test

if await_reload C "$CL_DIR/c.log"; then
	step C 0 192.0.2.82 "C: after the reload naming B, B's answer" -- gai name.switch.test unspec
	step C 0 192.0.2.82 "C: ... for the call the memo had too" -- gai name.switch.test inet
	step C 0 192.0.2.82 "C: ... and gethostbyname" -- ghbn name.switch.test
fi
if await_reload O "$CL_DIR/o.log"; then
	step O 0 192.0.2.81 "O: re-ordered to B, A: the same servers, so A's cached answer stays (B, now first, would say .82)" \
		-- gai name.switch.test unspec
fi
for c in R C; do
	n=$(cl_log_count "$CL_DIR/${c,,}.log" 'the nameservers changed')
	if [ "$n" -ge 1 ]; then ok "$c: the shim logged the change of servers"; else not_ok "$c: the shim logged no change of servers"; fi
done
n=$(cl_log_count "$CL_DIR/o.log" 'the nameservers changed')
assert_eq 0 "$n" "O: a re-ordering is no change of servers"

# ---- every server fails: no stale answer from A
ns_stop "$NS_B"
for c in R C; do
	step "$c" EAI_AGAIN - "$c: B down, short.switch.test expired: no stale answer from A" -- gai short.switch.test inet
	step "$c" 0 192.0.2.82 "$c: B down: B's cached answer is still served" -- gai name.switch.test inet
done
cl_stop R
cl_stop C
cl_stop O

finish
