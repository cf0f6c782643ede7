#!/usr/bin/env bash
# tests/fuzz/run.sh [--seconds N] [NAME...] -- run the libFuzzer targets (make fuzz).
#
# NAME is a target: tests/fuzz/fuzz_NAME.c, built to $DNSF_FUZZ_BUILD/fuzz/fuzz_NAME by
# `make fuzz-build` (default: every target). Each runs for N seconds (default 60) with:
#   - the seeds in tests/fuzz/corpus/NAME/ (read only) and a working corpus in
#     $DNSF_FUZZ_BUILD/corpus/NAME/ (new inputs accumulate there across runs);
#   - tests/fuzz/NAME.dict as its dictionary, if there is one;
#   - leak checking on, with tests/fuzz/lsan.supp (each entry says why);
#   - a crashing, leaking or hanging input (over DNSF_FUZZ_TIMEOUT seconds, default 10)
#     saved in $DNSF_FUZZ_BUILD/artifacts/NAME/ -- reproduce with
#     `$DNSF_FUZZ_BUILD/fuzz/fuzz_NAME FILE`.
# fuzz_hostsfile compares the shim with glibc's own files module; that needs its input
# to be /etc/hosts, so as root it runs in a private mount namespace where a temporary file
# is bind-mounted over /etc/hosts (the host's file is never touched). Elsewhere it runs
# without that judge and says so.
#
# Output: one line per target, "fuzz_NAME: N runs in S s (corpus C inputs, cov X): ok"
# or "... FAILED (see LOG)". Exit status 1 if any target failed, 2 on usage errors.
set -u

DNSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$DNSF_ROOT" || exit 2
FUZZ_BUILD=${DNSF_FUZZ_BUILD:-build/fuzz}
case $FUZZ_BUILD in /*) ;; *) FUZZ_BUILD=$DNSF_ROOT/$FUZZ_BUILD ;; esac
seconds=60
names=()
while (($#)); do
	case $1 in
	--seconds)
		seconds=${2:-}
		shift 2
		;;
	-*)
		echo "usage: $0 [--seconds N] [NAME...]" >&2
		exit 2
		;;
	*)
		names+=("$1")
		shift
		;;
	esac
done
case $seconds in '' | *[!0-9]*)
	echo "$0: --seconds needs a number" >&2
	exit 2
	;;
esac
if ((${#names[@]} == 0)); then
	for src in tests/fuzz/fuzz_*.c; do
		n=${src##*/fuzz_}
		names+=("${n%.c}")
	done
fi

# hosts_judge_prefix FILE: the command prefix that makes FILE this process's /etc/hosts,
# or nothing (and a note) where that cannot be done.
hosts_judge_prefix() {
	local f=$1
	if [ "$(id -u)" != 0 ] || [ ! -f /etc/hosts ] ||
		! unshare -m --propagation private true 2>/dev/null; then
		echo "# fuzz_hostsfile: not root or no mount namespaces: running without glibc as the judge" >&2
		return 0
	fi
	printf '%s\n' unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/hosts || exit 125; shift; exec "$@"' fuzz-hosts "$f" \
		env "DNSF_FUZZ_HOSTS=$f"
}

failed=0
for name in "${names[@]}"; do
	bin=$FUZZ_BUILD/fuzz/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: $bin is not built (run: make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	work=$FUZZ_BUILD/corpus/$name
	art=$FUZZ_BUILD/artifacts/$name
	log=$FUZZ_BUILD/logs/$name.log
	mkdir -p "$work" "$art" "${log%/*}"
	args=(-max_total_time="$seconds" -timeout="${DNSF_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$art/")
	if [ -f "tests/fuzz/$name.dict" ]; then args+=(-dict="tests/fuzz/$name.dict"); fi
	dirs=("$work")
	if [ -d "tests/fuzz/corpus/$name" ]; then dirs+=("tests/fuzz/corpus/$name"); fi
	prefix=()
	tmp=""
	if [ "$name" = hostsfile ]; then
		tmp=$(mktemp "${TMPDIR:-/tmp}/dnsf-fuzz-hosts.XXXXXX")
		mapfile -t prefix < <(hosts_judge_prefix "$tmp")
	fi
	start=$SECONDS
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		LSAN_OPTIONS="suppressions=$DNSF_ROOT/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"${prefix[@]}" "$bin" "${args[@]}" "${dirs[@]}" </dev/null >"$log" 2>&1
	rc=$?
	if [ -n "$tmp" ]; then rm -f "$tmp"; fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1)
	corpus=$(find "$work" -type f | wc -l)
	summary="fuzz_$name: ${runs:-?} runs in $((SECONDS - start)) s (corpus $corpus inputs, ${cov:-cov: ?})"
	if [ "$rc" = 0 ] && [ -n "$runs" ]; then
		echo "$summary: ok"
	else
		# libFuzzer exits 77 (or 70 for a timeout) on a finding; whatever it was, this
		# is a failure, never a skip.
		echo "$summary: FAILED (exit $rc, log $log)"
		grep -aE '^(==[0-9]+==|SUMMARY|FUZZ_CHECK|  [^ ]|    #[0-9]+ 0x|artifact_prefix)' "$log" |
			grep -v 'in fuzzer::\|in __libc_start\|in _start\|in main \|__sanitizer_print_stack\|in raise \|in abort \|__pthread_kill' |
			head -n 30 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ] || exit 1
