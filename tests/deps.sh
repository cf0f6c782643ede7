#!/usr/bin/env bash
# tests/deps.sh [--check] [PKG...] -- make sure the Debian 12 packages `make test` needs are
# installed (or the packages PKG..., e.g. debootstrap for `make check-fresh`).
#
# As root, installs what is missing with apt-get (running `apt-get update` only if the
# first attempt fails). As another user, prints the exact command and exits 1.
# --check only reports (exit 1 if something is missing).
#
# The list is what a minimal Debian 12 (debootstrap --variant=minbase, or the official
# container image) lacks; `make check-fresh` checks that it is enough.
#
# Why each package:
#   gcc libc6-dev make    compile the library, the tools and the unit tests
#                         (libc6-dev is only a Recommends of gcc; we install without them)
#   pkg-config            the Makefile may ask it for flags
#   libc-ares-dev         the static libcares.a linked into the shim
#   libconfig-dev         libconfig headers (the shim dlopens libconfig.so.9 at run time)
#   libcmocka-dev         unit tests (tests/unit, cmocka)
#   nsd                   the authoritative test nameserver on 127.53.0.1 (tests/fixtures)
#   python3               tests/lib/dnsq.py (sends test queries; there is no dig here)
#   valgrind              make check-valgrind / tests/run.sh valgrind
#   curl                  a real program whose lookups the shim must intercept
#   util-linux            unshare and mount (private /etc/resolv.conf per test)
#   procps                pgrep (finding NSD's child processes to stop them by PID)
#   iproute2              ss (reports who holds port 53 when the test server cannot bind)
#   strace                counts the opens of /etc/hosts (64_hostsfile: read once, not per call);
#                         records every path `make install DESTDIR=` writes (90_install)
#   man-db groff-base     `man --warnings` renders the man pages clean (94_man)
#   binutils              strings: the library carries the version (94_man)
#   netbase               /etc/services and /etc/protocols: the clients' service names
#                         ("https", "ssh") are looked up there (getaddrinfo, getservbyname)
#   clang                 builds the libFuzzer targets (tests/fuzz; make test runs each briefly)
#   libclang-rt-14-dev    clang 14's libFuzzer and sanitizer runtimes (-fsanitize=fuzzer)
set -euo pipefail

PKGS=(gcc libc6-dev make pkg-config libc-ares-dev libconfig-dev libcmocka-dev
	nsd python3 valgrind curl util-linux procps iproute2 strace man-db groff-base binutils
	netbase clang libclang-rt-14-dev)
# For testing this script only: DNSF_DEPS_PKGS="a b" replaces the list.
if [ -n "${DNSF_DEPS_PKGS:-}" ]; then read -ra PKGS <<<"$DNSF_DEPS_PKGS"; fi

check_only=0
if [ "${1:-}" = --check ]; then
	check_only=1
	shift
fi
if [ $# -gt 0 ]; then PKGS=("$@"); fi

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$check_only" = 1 ]; then
	echo "deps: missing: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root, or:" >&2
	echo "    sudo DEBIAN_FRONTEND=noninteractive $cmd" >&2
	exit 1
fi

# Installing nsd would start its service, listening on port 53 of every address and
# so taking 127.53.0.x:53 from the tests. A policy-rc.d that answers 101 ("action
# forbidden") stops invoke-rc.d/deb-systemd-invoke from starting any service. Keep an
# existing policy-rc.d; otherwise install ours for the duration of apt-get only.
policy=/usr/sbin/policy-rc.d
our_policy=0
cleanup() {
	if [ "$our_policy" = 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from dnsfailover tests/deps.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	our_policy=1
fi

had_nsd=$(dpkg-query -W -f='${Status}' nsd 2>/dev/null || true)

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	echo "deps: install failed; running apt-get update and retrying"
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
cleanup
our_policy=0

# If we just installed nsd, make sure its system service is not running (belt and
# braces: an existing policy-rc.d might not have said 101). Stop it by its PID.
if [ "$had_nsd" != "install ok installed" ]; then
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		if systemctl is-active --quiet nsd 2>/dev/null; then
			echo "deps: stopping the nsd service the package started"
			systemctl stop nsd || true
		fi
		# It would start again at boot and take port 53 on every address.
		if systemctl disable nsd 2>/dev/null; then
			echo "deps: disabled the nsd service (the tests run their own nsd)"
		fi
	fi
	for pidfile in /run/nsd/nsd.pid /var/run/nsd/nsd.pid; do
		[ -r "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		[ -n "$pid" ] || continue
		# NSD renames itself "nsd: xfrd"/"nsd: main"; the pidfile holds the first,
		# which stops the others when it gets SIGTERM.
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		nsd*)
			echo "deps: stopping the packaged nsd (pid $pid)"
			kill -TERM "$pid" || true
			;;
		esac
	done
fi

still=()
for p in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then still+=("$p"); fi
done
if [ ${#still[@]} -gt 0 ]; then
	echo "deps: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "deps: done"
