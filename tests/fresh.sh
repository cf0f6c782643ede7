#!/usr/bin/env bash
# tests/fresh.sh (`make check-fresh`) -- the README's first commands on a fresh, minimal
# Debian 12, from nothing. For use before a release; not part of `make test`.
#
#   1. debootstrap --variant=minbase bookworm into a temporary directory, from this
#      machine's Debian mirror (found in /etc/apt; DNSF_FRESH_MIRROR=URL overrides).
#      Like a minimal container image, it has no make, no /etc/hosts, no /etc/services.
#   2. The checkout's git-tracked files (as they are in the working tree; not build/) go
#      to /root/src/dnsfailover in it, ../shared beside them if there is one. /root is
#      0700 there, as on any Debian.
#   3. Inside it, as root, in a chroot with its own mount and PID namespaces, / a mount
#      point, fresh /proc, the host's /dev and /sys, a private tmpfs /run: the lines of
#      README.md's first ```sh block, in order.
#        - The lines before `make demo`/`make test` (installing make) run with this
#          machine's network, followed by `make deps`: the packages `make test` would
#          install first, fetched now.
#        - `make demo` and `make test` run in a new network namespace, so that their
#          servers on 127.53.0.x cannot meet another test run on this machine.
#   4. A summary: each step's time and result; exit 0 only when every step passed.
#
# Everything is undone on every exit path: the namespaces end with their processes (the
# PID namespace takes every process in it along), so no mount is left; the root is then
# removed (DNSF_FRESH_KEEP=1 keeps it, for a look). The root is made in DNSF_FRESH_DIR
# (default /var/tmp; it needs about 1 GB, on a file system that allows exec and devices). This machine's /etc and /run are never
# touched; debootstrap itself is installed on demand (tests/deps.sh). The whole output is
# also written to $DNSF_FRESH_LOG (default build/check-fresh.log).
#
# Needs root, and network access to the Debian mirror. Takes about 10 minutes.

# SC2317: the functions below are called through step and the traps.
# shellcheck disable=SC2317
set -u

DNSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$DNSF_ROOT" || exit 2
LOG=${DNSF_FRESH_LOG:-$DNSF_ROOT/build/check-fresh.log}
SRC=/root/src/dnsfailover   # where the checkout goes in the fresh root

say() { echo "check-fresh: $*"; }
die() {
	say "FAIL: $*" >&2
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	die "must run as root (debootstrap, chroot, namespaces)"
fi

# ---------------------------------------------------------------- what to run

# The README's first ```sh block: the setup lines, then `make demo` and `make test`.
mapfile -t BLOCK < <(awk '/^```sh$/ { on = 1; next } on && /^```/ { exit } on && NF' README.md)
SETUP=() MAKES=()
for line in "${BLOCK[@]}"; do
	cmd=${line%%#*}
	cmd=$(echo "$cmd" | awk '{ $1 = $1; print }')
	case $cmd in
	"make demo" | "make test") MAKES+=("$cmd") ;;
	"") ;;
	*)
		((${#MAKES[@]} == 0)) || die "README.md: '$cmd' follows a make line in the first sh block"
		SETUP+=("$cmd")
		;;
	esac
done
[[ " ${MAKES[*]} " == *" make demo "* && " ${MAKES[*]} " == *" make test "* ]] ||
	die "README.md's first sh block must have the lines 'make demo' and 'make test'"

# fresh_mirror: this machine's Debian mirror for bookworm (deb822 .sources or one-line
# entries), or deb.debian.org.
fresh_mirror() {
	local uri f
	if [ -n "${DNSF_FRESH_MIRROR:-}" ]; then
		echo "$DNSF_FRESH_MIRROR"
		return
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
			$0 ~ /(^|\n)Suites:([^\n]*[ \t])?bookworm([ \t]|\n|$)/ && $0 !~ /(^|\n)Enabled: *no/ {
				for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); print u[2]; exit } }' "$f")
		if [ -n "$uri" ]; then
			echo "$uri"
			return
		fi
	done
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
			if ($(i + 1) == "bookworm") { print $i; exit } }')
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(fresh_mirror)

# ---------------------------------------------------------------- clean-up

ROOT=""
# The step running now (a background job): for the steps inside the root, the unshare
# whose PID namespace holds every process of the step. unshare ignores SIGTERM while it
# waits; SIGKILL ends it, and with it (--kill-child) the namespace and all in it.
INNER_PID=""
cleanup() {
	local rc=$? i
	trap '' INT TERM HUP
	if [ -n "$INNER_PID" ]; then
		kill -TERM "$INNER_PID" 2>/dev/null
		for ((i = 0; i < 20; i++)); do
			kill -0 "$INNER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$INNER_PID" 2>/dev/null
		wait "$INNER_PID" 2>/dev/null
	fi
	if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
		# Every mount was made in a namespace that is gone; make sure before removing.
		if findmnt -rn -o TARGET | grep -qF "$ROOT"; then
			say "still mounted under $ROOT (not removed):" >&2
			findmnt -rn -o TARGET | grep -F "$ROOT" >&2
			rc=1
		elif [ "${DNSF_FRESH_KEEP:-0}" = 1 ]; then
			say "kept $ROOT (DNSF_FRESH_KEEP=1)"
		else
			rm -rf --one-file-system "$ROOT"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "stopped by a signal"; exit 143' TERM HUP

# ---------------------------------------------------------------- steps

mkdir -p "$(dirname "$LOG")"
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1

T0=$(date +%s)
declare -a SUMMARY=()
# step NAME CMD...: run CMD (its own background job, so the clean-up can stop it), time
# it, add a line to the summary; false when it failed.
step() {
	local name=$1 t rc
	shift
	say "---- $name"
	t=$(date +%s)
	"$@" &
	INNER_PID=$!
	wait "$INNER_PID"
	rc=$?
	INNER_PID=""
	t=$(($(date +%s) - t))
	if [ "$rc" = 0 ]; then
		SUMMARY+=("$(printf '%-44s ok    %4d s' "$name" "$t")")
	else
		SUMMARY+=("$(printf '%-44s FAIL  %4d s (exit %d)' "$name" "$t" "$rc")")
	fi
	return "$rc"
}
summary() {
	say "---- summary"
	printf '  %s\n' "${SUMMARY[@]}"
	printf '  %s\n' "$@"
	say "total $(($(date +%s) - T0)) s; the whole output is in $LOG"
}

# in_root NET SCRIPT: run SCRIPT (a file inside the root) as root in a chroot with new
# mount and PID namespaces; NET=net adds a network namespace with its own loopback.
in_root() {
	local net=$1 script=$2
	local -a ns=(--mount --propagation private --pid --fork --kill-child)
	if [ "$net" = net ]; then ns+=(--net); fi
	# shellcheck disable=SC2016 # the script is single-quoted on purpose
	exec unshare "${ns[@]}" sh -c '
		root=$1 net=$2 script=$3
		set -e
		mount --bind "$root" "$root"          # / is a mount point in the chroot
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
		mount --rbind /sys "$root/sys"
		mount -t tmpfs -o mode=0755 run "$root/run"
		mkdir -m 1777 "$root/run/lock"
		if [ "$net" = net ]; then
			# A machine has an address besides loopback, and routes: glibc'"'"'s
			# getaddrinfo needs such an address for AI_ADDRCONFIG (127.0.0.1 and ::1
			# do not count) and sorts answers by the source address it would use for
			# each (RFC 6724). So: one address of each family (RFC 2544 and RFC 4193
			# ranges) and routes to the documentation ranges the fixtures answer with
			# (RFC 5737, RFC 3849), all on lo. No default route: a query to this
			# machine'"'"'s own nameserver fails at once (network unreachable) instead of
			# timing out (a web server'"'"'s reverse lookup of its address, in the demo).
			ip link set lo up
			ip addr add 198.18.0.1/32 dev lo
			ip -6 addr add fd53::1/128 dev lo nodad
			for r in 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24; do ip route add "$r" dev lo; done
			ip -6 route add 2001:db8::/32 dev lo
		fi
		exec chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive /bin/bash "$script"' \
		fresh "$ROOT" "$net" "$script"
}

# write_script FILE LINE...: a script in the root that runs each LINE in the checkout,
# echoing it first, and stops at the first that fails.
write_script() {
	local f=$ROOT$1 l
	shift
	{
		echo "cd $SRC || exit 1"
		for l in "$@"; do
			printf 'echo %q\n' "# $l"
			printf '%s || exit $?\n' "$l"
		done
	} >"$f"
}

debootstrap_root() {
	# In its own namespaces: a mount debootstrap makes in the root ends with them.
	exec unshare --mount --propagation private --pid --fork --kill-child \
		debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR"
}

copy_checkout() {
	local f
	mkdir -p "$ROOT$SRC" || return 1
	# The tracked files as they are now (a file deleted but not yet committed is skipped).
	git -C "$DNSF_ROOT" ls-files -z | while IFS= read -r -d '' f; do
		if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
	done | tar -C "$DNSF_ROOT" --null -T - -cf - | tar -C "$ROOT$SRC" -xf - || return 1
	if [ -d "$DNSF_ROOT/../shared" ]; then
		cp -a "$DNSF_ROOT/../shared" "$ROOT${SRC%/*}/shared" || return 1
	fi
	# As debootstrap --variant=minbase makes it (it copies only resolv.conf and hostname).
	rm -f "$ROOT/etc/hosts"
	echo "copied $(git -C "$DNSF_ROOT" ls-files | wc -l) tracked files to $SRC$([ -d "$DNSF_ROOT/../shared" ] && echo ", ../shared beside them")"
}

say "README.md's first lines: $(printf "'%s' " "${SETUP[@]}" "${MAKES[@]}")"
say "mirror $MIRROR"
step "install debootstrap (tests/deps.sh)" bash tests/deps.sh debootstrap || { summary; exit 1; }
ROOT=$(mktemp -d "${DNSF_FRESH_DIR:-/var/tmp}/dnsf-fresh.XXXXXX") || die "mktemp failed"
chmod 0755 "$ROOT"
say "root $ROOT"
step "debootstrap --variant=minbase bookworm" debootstrap_root || { summary; exit 1; }
step "copy the checkout to $SRC" copy_checkout || { summary; exit 1; }

write_script /root/fresh-setup.sh "${SETUP[@]}" "make deps"
step "README's setup lines, then make deps" in_root host /root/fresh-setup.sh || { summary; exit 1; }

failed=0
for m in "${MAKES[@]}"; do
	write_script "/root/fresh-${m#make }.sh" "$m"
	step "$m (own network namespace)" in_root net "/root/fresh-${m#make }.sh" || failed=1
done

results=()
r=$(grep -E '^tests: [0-9]+ passed' "$LOG" | tail -n 1)
results+=("make test: ${r:-no summary line}")
r=$(grep -E '^demo: ' "$LOG" | tail -n 1)
results+=("make demo: ${r:-no result line}")
summary "${results[@]}"
if [ "$failed" = 0 ]; then
	say "PASS: a minimal Debian 12 following README.md gets a passing make demo and make test"
	exit 0
fi
say "FAILED (see above)"
exit 1
