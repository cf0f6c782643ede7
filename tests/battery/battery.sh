#!/usr/bin/env bash
# tests/battery/battery.sh [--allowlist FILE] -- every program in /usr/bin and /usr/sbin
# (or those named in FILE) run with --version, with and without the library in a private
# /etc/ld.so.preload; exit codes, stderr and stdout compared, and no loader error allowed
# (make battery; make test runs it over tests/battery/allowlist.txt as 96_battery).
#
# Containment. The host has halt, reboot, killall5, wipefs, mkswap and the like, and a
# program that ignores --version does its job, so every program runs:
#   - as nobody/nogroup (setpriv), with no capabilities (empty inheritable and bounding
#     sets) and no_new_privs (setuid bits do nothing);
#   - in its own user namespace (nobody mapped to itself), inside pid, net and mount
#     namespaces shared by the run: it sees only the battery's processes, has no network
#     (a fresh namespace, loopback down) and a private mount table;
#   - with a private /etc: a copy of the host's /etc bound over /etc, which holds the
#     ld.so.preload line (the host's /etc/ld.so.preload is never touched); a
#     dnsfailover.conf in it is emptied, so the library runs with its defaults;
#   - with fresh tmpfs over the world-writable places (/tmp, /var/tmp, /dev/shm) and over
#     /run (which also hides systemd's and other daemons' sockets);
#   - with stdin from /dev/null, an empty working directory and HOME of its own, a
#     minimal environment (LC_ALL=C; PERL_HASH_SEED=0, PERL_PERTURB_KEYS=0 and
#     PYTHONHASHSEED=0, so that Perl and Python print hashes in one order), and
#     BATTERY_TIMEOUT seconds (default 5; then SIGTERM to its process group, SIGKILL 2 s
#     later);
#   - unless its name, or the name of what it links to, is in tests/battery/denylist.txt
#     (each entry there says why): the second line of defence.
# The library under test is copied into a root-owned, world-readable directory on the
# private /run, so that nobody can read it and not change it.
#
# Each program runs three times: without the library, again without it (to see which
# programs print something different on every run), then with it. One that differs is
# run three times more (twice without, once with), and every run with the library must
# match some run without it. Verdicts:
#   identical                the run with the library equals the first without it
#                            (exit code, stdout, stderr)
#   varies                   it equals another run without it: the program's output
#                            changes from run to run; listed
#   identical-normalised     equal once addresses (0x...), dates, times, durations,
#                            process ids ("pid 12", "[12]", GLib's "(prog:12)") and
#                            the working directory are masked; listed
#   timed-out                every run timed out, with and without; listed (a run that
#                            timed out matches another that did: a slow start under load)
#   DIFFERS                  anything else (a failure), with the first differing lines
#   LOADER ERROR             the run with the library printed a loader error (ld.so,
#                            "cannot be preloaded", "symbol lookup error", ...) or any
#                            line naming dnsfailover (a failure)
# Results go to $DNSF_BUILD/battery/ (summary.txt, verdicts.tsv, and each run's output).
# Needs root (namespaces, setpriv); skipped under DNSF_SANITIZER and DNSF_VALGRIND.
# BATTERY_JOBS (default 2) programs run at once.

BATTERY_TIMEOUT=${BATTERY_TIMEOUT:-5}
BATTERY_JOBS=${BATTERY_JOBS:-2}
RUNAS=65534                     # nobody / nogroup on Debian
PRELOAD_DIR=/run/dnsf-battery   # in the private /run

# ---------------------------------------------------------------- inside the namespaces

# contained DIR CMD...: CMD as nobody without capabilities, in its own user namespace,
# in DIR (also its HOME), with a minimal environment and the battery's timeout.
contained() {
	local d=$1
	shift
	rm -rf "$d"
	mkdir -m 700 "$d" && chown "$RUNAS:$RUNAS" "$d" || return 125
	(
		cd "$d" || exit 125
		exec setpriv --reuid="$RUNAS" --regid="$RUNAS" --clear-groups --inh-caps=-all \
			--bounding-set=-all --no-new-privs -- unshare --map-current-user -- \
			env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
			HOME="$d" TMPDIR="$d" LC_ALL=C TERM=dumb \
			PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 PYTHONHASHSEED=0 \
			timeout -k 2 "$BATTERY_TIMEOUT" "$@"
	) </dev/null
	local rc=$?
	rm -rf "$d"
	return $rc
}

# run_prog PHASE IDX PATH: one run of PATH --version.
run_prog() {
	local phase=$1 idx=$2 path=$3 r=$OUT/$1/$2
	contained "/tmp/run-$idx" "$path" --version >"$r.out" 2>"$r.err"
	echo "$?" >"$r.rc"
	truncate -s '<1M' "$r.out" "$r.err"
}

# What a contained program is and can do, checked by the caller: its ids, the processes
# it sees (pid namespace), its network interfaces (net namespace), and whether it can
# write /etc, /usr, /work, the host's /tmp or the library.
selfcheck() {
	contained /tmp/selfcheck sh -c '
		echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
		echo "caps=$(grep CapEff /proc/self/status | tr -d "\t")"
		echo "processes=$(ls /proc | grep -c "^[0-9]")"
		echo "interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" ,)"
		for f in /etc/battery-probe /usr/battery-probe /work/battery-probe \
			'"$PRELOAD_DIR"'/libdnsfailover.so /etc/ld.so.preload; do
			if true 2>/dev/null >>"$f"; then echo "WRITABLE $f"; fi
		done
		if true 2>/dev/null >>"$HOME/probe"; then echo "home=writable"; fi
		echo "tmp=$(ls -A /tmp | tr "\n" ,)"'
}

# inner WORK LIB LIST PHASE...: in the namespaces, set up the private /etc, /tmp and /run,
# then run every program of LIST (IDX<TAB>PATH lines) in each PHASE in turn; a phase
# named with* has the library in /etc/ld.so.preload.
inner() {
	local work=$1 lib=$2 list=$3 phase
	shift 3
	set -u
	mount --bind "$work/etc" /etc || exit 125
	for d in /tmp /var/tmp /dev/shm; do
		mount -t tmpfs -o mode=1777,nosuid,nodev battery-tmp "$d" || exit 125
	done
	mount -t tmpfs -o mode=755,nosuid,nodev battery-run /run || exit 125
	mkdir -m 1777 /run/lock
	install -d -m 755 "$PRELOAD_DIR"
	install -m 644 "$lib" "$PRELOAD_DIR/libdnsfailover.so"
	export -f run_prog contained
	export OUT RUNAS BATTERY_TIMEOUT
	echo "$PRELOAD_DIR/libdnsfailover.so" >/etc/ld.so.preload
	selfcheck >"$OUT/selfcheck.txt" 2>&1
	for phase in "$@"; do
		mkdir -p "$OUT/$phase"
		if [[ $phase == with* ]]; then
			echo "$PRELOAD_DIR/libdnsfailover.so" >/etc/ld.so.preload
		else
			rm -f /etc/ld.so.preload
		fi
		# IDX<TAB>PATH lines -> run_prog PHASE IDX PATH, BATTERY_JOBS at a time.
		tr '\t' '\n' <"$list" |
			xargs -d '\n' -n 2 -P "$BATTERY_JOBS" bash -c 'run_prog "$@"' run_prog "$phase"
		echo "# battery: phase $phase done" >&2
	done
	rm -f /etc/ld.so.preload
}

if [ "${1:-}" = --inner ]; then
	OUT=$2
	shift 2
	inner "$@"
	exit 0
fi

# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# ---------------------------------------------------------------- outside: set up

allowlist=""
if [ "${1:-}" = --allowlist ]; then
	allowlist=$2
	[ -r "$allowlist" ] || bail "cannot read $allowlist"
fi
if [ -n "${DNSF_SANITIZER:-}" ] || [ "${DNSF_VALGRIND:-0}" = 1 ]; then
	skip "the battery preloads the plain library host-wide; not under a sanitizer or valgrind"
fi
require_root
require_cmd setpriv timeout xargs truncate
require_lib
# The contained programs get private tmpfs over /tmp, /var/tmp, /dev/shm and /run (inner),
# which would hide a build below them: the library to install and the results' directory.
case "$(realpath -m "$DNSF_BUILD")/" in
/tmp/* | /var/tmp/* | /dev/shm/* | /run/*)
	skip "the battery mounts private tmpfs over /tmp, /var/tmp, /dev/shm and /run, which hide this build ($DNSF_BUILD); run it from a checkout outside them"
	;;
esac
unshare -m -p -n -f --mount-proc --propagation private true 2>/dev/null ||
	skip "cannot create mount, pid and net namespaces here"
setpriv --reuid=$RUNAS --regid=$RUNAS --clear-groups --no-new-privs unshare --map-current-user true \
	2>/dev/null || skip "nobody cannot create a user namespace here"

OUT=$DNSF_BUILD/battery
rm -rf "$OUT"
mkdir -p "$OUT"
DENY=$DNSF_ROOT/tests/battery/denylist.txt

# denied NAME: the denylist entry matching NAME, if any.
denied() {
	local pat rest
	while read -r pat rest; do
		case $pat in '' | '#'*) continue ;; esac
		# shellcheck disable=SC2254 # the entries are globs
		case $1 in $pat)
			echo "$pat: $rest"
			return 0
			;;
		esac
	done <"$DENY"
	return 1
}

# The programs: IDX<TAB>PATH in programs.tsv; skipped ones in skipped.txt.
declare -a names=()
if [ -n "$allowlist" ]; then
	while read -r n _; do
		case $n in '' | '#'*) continue ;; esac
		if [ -x "/usr/bin/$n" ]; then
			names+=("/usr/bin/$n")
		elif [ -x "/usr/sbin/$n" ]; then
			names+=("/usr/sbin/$n")
		else
			echo "$n: not installed" >>"$OUT/skipped.txt"
		fi
	done <"$allowlist"
else
	names=(/usr/bin/* /usr/sbin/*)
fi
idx=0 ndenied=0 nskipped=0
: >"$OUT/programs.tsv"
for p in "${names[@]}"; do
	base=${p##*/}
	target=$(readlink -f "$p" 2>/dev/null)
	if why=$(denied "$base") || why=$(denied "${target##*/}"); then
		echo "$p: denied ($why)" >>"$OUT/skipped.txt"
		ndenied=$((ndenied + 1))
		continue
	fi
	if [ ! -f "$target" ] || [ ! -x "$target" ]; then
		echo "$p: not an executable file" >>"$OUT/skipped.txt"
		nskipped=$((nskipped + 1))
		continue
	fi
	idx=$((idx + 1))
	printf '%s\t%s\n' "$idx" "$p" >>"$OUT/programs.tsv"
done
nprog=$idx
diag "battery: $nprog programs to run, $ndenied denied, $nskipped not executable files (timeout ${BATTERY_TIMEOUT}s, $BATTERY_JOBS at a time)"

work=$DNSF_TMP/battery
mkdir -p "$work"
cp -a /etc "$work/etc" || bail "cannot copy /etc"
if [ -e /etc/ld.so.preload ]; then cp /etc/ld.so.preload "$work/host-ld.so.preload"; fi
rm -f "$work/etc/ld.so.preload"
if [ -e "$work/etc/dnsfailover.conf" ]; then : >"$work/etc/dnsfailover.conf"; fi

# in_namespaces LIST PHASE...: run the programs of LIST in the PHASEs (see inner).
in_namespaces() {
	local rc
	unshare -m -p -n -f --mount-proc --propagation private \
		bash "$DNSF_ROOT/tests/battery/battery.sh" --inner "$OUT" "$work" "$DNSF_LIB" "$@" \
		</dev/null 2>"$OUT/inner.err"
	rc=$?
	grep -v '^# battery: phase' "$OUT/inner.err" | head -n 20 | sed 's/^/# inner: /'
	[ "$rc" = 0 ] || bail "the battery's namespace setup failed (exit $rc)"
}
start=$(now_ms)
in_namespaces "$OUT/programs.tsv" without without2 with
diag "battery: ran ${nprog} programs x 3 in $((($(now_ms) - start) / 1000)) s"

# The containment held: what a contained program was (see selfcheck), and the host's
# own /etc/ld.so.preload untouched.
sc=$(cat "$OUT/selfcheck.txt")
if [[ $sc == *"uid=$RUNAS gid=$RUNAS groups=$RUNAS"* && $sc == *"caps=CapEff:0000000000000000"* &&
	$sc == *"interfaces=lo,"* && $sc != *WRITABLE* && $sc == *"home=writable"* &&
	$sc == *"tmp=selfcheck,"* ]] &&
	[ "$(sed -n 's/^processes=//p' <<<"$sc")" -le 10 ]; then
	ok "containment: nobody, no capabilities, own pid and net namespaces, nothing of the host writable"
else
	not_ok "containment as expected"
	sed 's/^/#   /' <<<"$sc"
fi
if [ -e /etc/ld.so.preload ] && ! cmp -s /etc/ld.so.preload "$work/host-ld.so.preload"; then
	not_ok "the host's /etc/ld.so.preload changed during the battery!"
else
	ok "the host's /etc/ld.so.preload untouched"
fi

# ---------------------------------------------------------------- outside: compare

# What is masked when a program's output changes from run to run.
normalise() {
	sed -E -e 's/0x[0-9a-fA-F]{6,}/0xADDR/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}/DATE/g' \
		-e 's/[0-9]{1,2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?/TIME/g' \
		-e 's/(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]+/WEEKDAY MONTH DAY/g' \
		-e 's/[0-9]+([.,][0-9]+)? ?(ns|us|µs|ms|s|sec|secs|seconds)\b/DURATION/g' \
		-e 's/\b([Pp][Ii][Dd]|process)[ =:#]*[0-9]+/\1 PID/g' -e 's/\[[0-9]+\]/[PID]/g' \
		-e 's/\(([[:alnum:]_.-]+):[0-9]+\)/(\1:PID)/g' \
		-e 's#/tmp/run-[0-9]+#CWD#g' "$1"
}
same_raw() { cmp -s "$1.rc" "$2.rc" && cmp -s "$1.out" "$2.out" && cmp -s "$1.err" "$2.err"; }
same_norm() {
	cmp -s "$1.rc" "$2.rc" && [ "$(normalise "$1.out")" = "$(normalise "$2.out")" ] &&
		[ "$(normalise "$1.err")" = "$(normalise "$2.err")" ]
}
LOADER_RE='ld\.so|cannot be preloaded|error while loading shared libraries|symbol lookup error|undefined symbol|wrong ELF class|dnsfailover'

timed_out() { [[ $(cat "$1.rc" 2>/dev/null) == @(124|137) ]]; }
# judge IDX: the verdict for one program, from every run of it there is.
judge() {
	local i=$1 ph a b ok raw norm
	local -a A=() B=()
	for ph in without without2 without3 without4; do
		if [ -e "$OUT/$ph/$i.rc" ]; then A+=("$OUT/$ph/$i"); fi
	done
	for ph in with with2; do
		if [ -e "$OUT/$ph/$i.rc" ]; then B+=("$OUT/$ph/$i"); fi
	done
	if ((${#A[@]} == 0 || ${#B[@]} == 0)); then
		echo DIFFERS          # a run left no exit code: the runner itself failed
		return
	fi
	for b in "${B[@]}"; do
		if grep -Eq "$LOADER_RE" "$b.err" && ! grep -Eq "$LOADER_RE" "${A[0]}.err"; then
			echo "LOADER ERROR"
			return
		fi
	done
	ok=timed-out
	for a in "${A[@]}" "${B[@]}"; do timed_out "$a" || ok=""; done
	if [ -n "$ok" ]; then echo timed-out; return; fi
	# Every run with the library must match some run without it: exactly (identical if
	# that is the first run, else the program varies), or normalised; a timeout matches a
	# timeout (a slow start on a loaded machine).
	raw=identical
	for b in "${B[@]}"; do
		ok=""
		for a in "${A[@]}"; do
			if same_raw "$a" "$b" || { timed_out "$a" && timed_out "$b"; }; then
				ok=raw
				if [ "$a" != "${A[0]}" ]; then raw=varies; fi
				break
			fi
		done
		if [ -z "$ok" ]; then
			for a in "${A[@]}"; do
				if ! timed_out "$a" && same_norm "$a" "$b"; then ok=norm; break; fi
			done
			[ -n "$ok" ] || { echo DIFFERS; return; }
			if [ "$raw" = identical ]; then raw=identical-normalised; fi
		fi
	done
	echo "$raw"
}

declare -A count=()
: >"$OUT/verdicts.tsv"
: >"$OUT/details.txt"
while IFS=$'\t' read -r i p; do
	printf '%s\t%s\t%s\n' "$(judge "$i")" "$i" "$p"
done <"$OUT/programs.tsv" >"$OUT/verdicts.tsv"

# A program that differs gets four more runs, two without the library and one more with
# it: one whose output changes from run to run (a hash seed, a clock, a slow start) then
# matches one of its runs without the library.
awk -F'\t' '$1 == "DIFFERS" { print $2 "\t" $3 }' "$OUT/verdicts.tsv" >"$OUT/recheck.tsv"
if [ -s "$OUT/recheck.tsv" ]; then
	diag "battery: running the $(grep -c '' "$OUT/recheck.tsv") differing programs again"
	in_namespaces "$OUT/recheck.tsv" without3 without4 with2
	while IFS=$'\t' read -r v i p; do
		if [ "$v" = DIFFERS ]; then v=$(judge "$i"); fi
		printf '%s\t%s\t%s\n' "$v" "$i" "$p"
	done <"$OUT/verdicts.tsv" >"$OUT/verdicts.tsv.new"
	mv "$OUT/verdicts.tsv.new" "$OUT/verdicts.tsv"
fi
while IFS=$'\t' read -r v i p; do
	count[$v]=$((${count[$v]:-0} + 1))
	case $v in
	DIFFERS | "LOADER ERROR")
		a=$OUT/without/$i b=$OUT/with/$i
		{
			echo "== $v: $p (exit $(cat "$a.rc") without, $(cat "$b.rc") with)"
			diff <(cat "$a.err" "$a.out") <(cat "$b.err" "$b.out") | head -n 8
		} >>"$OUT/details.txt"
		;;
	esac
done <"$OUT/verdicts.tsv"

list() { awk -F'\t' -v v="$1" '$1 == v { sub(".*/", "", $3); printf "%s ", $3 }' "$OUT/verdicts.tsv"; }
{
	echo "battery: $nprog programs run with --version, with and without the library in /etc/ld.so.preload"
	echo "  denied (tests/battery/denylist.txt): $ndenied; not executable files: $nskipped"
	echo "  identical: ${count[identical]:-0}"
	echo "  identical once normalised: ${count[identical-normalised]:-0} $(list identical-normalised)"
	echo "  varying from run to run, matching a run without: ${count[varies]:-0} $(list varies)"
	echo "  timed out with and without: ${count[timed-out]:-0} $(list timed-out)"
	echo "  differing: ${count[DIFFERS]:-0} $(list DIFFERS)"
	echo "  loader errors: ${count[LOADER ERROR]:-0} $(list 'LOADER ERROR')"
} >"$OUT/summary.txt"
sed 's/^/# /' "$OUT/summary.txt"
if [ "${count[LOADER ERROR]:-0}" = 0 ]; then
	ok "battery: no loader error in $nprog programs"
else
	not_ok "battery: ${count[LOADER ERROR]} programs printed a loader error with the library"
	grep -A8 '^== LOADER' "$OUT/details.txt" | head -n 40 | sed 's/^/#   /'
fi
if [ "${count[DIFFERS]:-0}" = 0 ]; then
	ok "battery: every program behaves the same with the library (exit code, stdout, stderr)"
else
	not_ok "battery: ${count[DIFFERS]} programs behave differently with the library"
	grep -A8 '^== DIFFERS' "$OUT/details.txt" | head -n 60 | sed 's/^/#   /'
fi
finish
