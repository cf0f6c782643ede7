#!/usr/bin/env bash
# tests/run.sh [all|unit|fuzz|integration|valgrind] -- the aggregate test runner.
#
#   unit         every $DNSF_BUILD/tests/test_* binary (cmocka); one binary = one test
#   fuzz         every libFuzzer target (tests/fuzz/fuzz_*.c, built by `make fuzz-build`
#                into $DNSF_FUZZ_BUILD, default build/fuzz) for DNSF_FUZZ_SECONDS
#                (default 3) each, so that they keep building and running; one target =
#                one test (`make fuzz` runs them for longer)
#   integration  every tests/integration/*.sh in name order; exit 0 pass, 77 skip,
#                anything else fail
#   valgrind     unit binaries under valgrind, and the integration scripts that
#                declare "# dnsf-valgrind: yes" with DNSF_VALGRIND=1
#   all          unit, fuzz, then integration (the default); fuzz is left out when
#                DNSF_SANITIZER is set (the fuzz targets carry ASan+UBSan themselves,
#                from their own build tree)
#
# Each test's output is shown indented, followed by PASS/FAIL/SKIP and its wall time.
# The last line is exactly "tests: N passed, N failed, N skipped"; the exit status is 1
# when anything failed. After each test, any process it left running (one that carries
# the test's tag, tests/lib/procs.sh: killed before its cleanup, or never tracked) is
# named and stopped, so it cannot take the next test's ports; the summary lists such tests.
#
# Environment: DNSF_BUILD (default build), DNSF_SANITIZER, DNSF_VALGRIND,
# DNSF_TEST_TIMEOUT (seconds per test, default 900), DNSF_ONLY (a glob on test names,
# e.g. DNSF_ONLY='20_*' runs only matching tests; extended globs work too:
# '@(test_cache|32_threads)'), DNSF_FUZZ_BUILD, DNSF_FUZZ_SECONDS.
set -u

mode=${1:-all}
case $mode in
all | unit | fuzz | integration | valgrind) ;;
*)
	echo "usage: $0 [all|unit|fuzz|integration|valgrind]" >&2
	exit 2
	;;
esac

DNSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$DNSF_ROOT" || exit 2
# shellcheck source=tests/lib/procs.sh
. "$DNSF_ROOT/tests/lib/procs.sh"
DNSF_BUILD=${DNSF_BUILD:-$DNSF_ROOT/build}
case $DNSF_BUILD in /*) ;; *) DNSF_BUILD=$DNSF_ROOT/$DNSF_BUILD ;; esac
export DNSF_BUILD
timeout_s=${DNSF_TEST_TIMEOUT:-900}

passed=0 failed=0 skipped=0
failed_names=()
leaky_names=()
valgrind_cmd=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q)

# run_one KIND NAME CMD...: run one test, show its output indented, count the result.
run_one() {
	local kind=$1 name=$2 rc start end ms verdict tag
	shift 2
	if [ -n "${DNSF_ONLY:-}" ]; then
		# shellcheck disable=SC2053 # DNSF_ONLY is a glob on purpose
		[[ $name == $DNSF_ONLY ]] || return 0
	fi
	echo "=== $kind/$name"
	start=${EPOCHREALTIME/[.,]/}
	tag=run.sh:$$:$kind/$name
	DNSF_PROC_TAGS="${DNSF_PROC_TAGS:+$DNSF_PROC_TAGS }$tag" \
		timeout -k 10 "$timeout_s" "$@" </dev/null 2>&1 | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	dnsf_stop_leftovers "$tag" "$kind/$name" || leaky_names+=("$kind/$name")
	end=${EPOCHREALTIME/[.,]/}
	ms=$(((end - start) / 1000))
	case $rc in
	0)
		verdict=PASS
		passed=$((passed + 1))
		;;
	77)
		verdict=SKIP
		skipped=$((skipped + 1))
		;;
	*)
		verdict="FAIL (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${timeout_s}s"))"
		failed=$((failed + 1))
		failed_names+=("$kind/$name")
		;;
	esac
	printf '%s %s/%s (%d.%03ds)\n' "$verdict" "$kind" "$name" $((ms / 1000)) $((ms % 1000))
}

run_unit() {
	local src bin name under_valgrind=$1
	local -a prefix=()
	if [ "$under_valgrind" = 1 ]; then prefix=("${valgrind_cmd[@]}"); fi
	# A unit source without its binary is a failure, not silence.
	for src in tests/unit/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		bin=$DNSF_BUILD/tests/$name
		if [ ! -x "$bin" ]; then
			run_one unit "$name" sh -c "echo \"$bin is not built (run: make tools)\"; exit 1"
		fi
	done
	for bin in "$DNSF_BUILD"/tests/test_*; do
		if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
		case $bin in *.d | *.o | *.so) continue ;; esac
		name=$(basename "$bin")
		run_one unit "$name" "${prefix[@]}" "$bin"
	done
}

run_fuzz() {
	local src name
	for src in tests/fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		name=${src##*/fuzz_}
		name=${name%.c}
		run_one fuzz "fuzz_$name" bash tests/fuzz/run.sh --seconds "${DNSF_FUZZ_SECONDS:-3}" "$name"
	done
}

run_integration() {
	local t name only_valgrind=$1
	for t in tests/integration/*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		if [ "$only_valgrind" = 1 ] && ! grep -q '^# dnsf-valgrind: yes' "$t"; then
			continue
		fi
		run_one integration "$name" bash "$t"
	done
}

total_start=${EPOCHREALTIME/[.,]/}
case $mode in
unit) run_unit 0 ;;
fuzz) run_fuzz ;;
integration) run_integration 0 ;;
valgrind)
	export DNSF_VALGRIND=1
	run_unit 1
	run_integration 1
	;;
all)
	run_unit 0
	if [ -z "${DNSF_SANITIZER:-}" ]; then run_fuzz; fi
	run_integration 0
	;;
esac
total_ms=$(((${EPOCHREALTIME/[.,]/} - total_start) / 1000))

echo
if ((${#failed_names[@]})); then
	echo "failed: ${failed_names[*]}"
fi
if ((${#leaky_names[@]})); then
	echo "left processes running (stopped after them): ${leaky_names[*]}"
fi
printf 'total time %d.%03ds\n' $((total_ms / 1000)) $((total_ms % 1000))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
