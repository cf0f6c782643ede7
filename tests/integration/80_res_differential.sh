#!/usr/bin/env bash
# 80_res_differential: every case in tests/diff/res_cases.txt gives byte-identical output
# from tests/tools/resq (res_query, res_search, res_querydomain, their res_n* forms and the
# old __res_* names) with glibc alone and with the shim preloaded.
#
# Both sides run inside the same private /etc (resolv.conf per section of res_cases.txt,
# tests/fixtures/hosts, a "hosts: files dns" nsswitch.conf) against NSD on 127.53.0.1.
# The shim has no config file (DNSFAILOVER_CONF is unset and an installed
# /etc/dnsfailover.conf is masked), so it reads the same resolv.conf as glibc.
#
# resq prints the return value, h_errno, res_h_errno, errno and the answer buffer (header,
# records and a hex dump with the ID masked), so the comparison covers the packet, the TC
# bit, truncation and what is left in the buffer on failure. Per case: "ok"/"not ok" and a
# unified diff (glibc -> shim) for a mismatch, named by what differs: return (return value,
# h_errno, res_h_errno), errno (after a failure), answer (the bytes a successful call
# returned), failure-buffer (what a failed call left in the buffer; glibc leaves the
# server's reply there). A difference only in "errno-after-success" lines is a note, not a
# failure (POSIX lets a successful call change errno). Every case also runs twice on the
# glibc side: a case whose glibc output is not stable is a broken case and fails.
# Outputs are kept in $DNSF_BUILD/test-out/80_res_differential/ for inspection.
#
# dnsf-valgrind: yes   (with DNSF_VALGRIND=1 the shim side runs under valgrind)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd unshare xargs diff
require_tool resq

CASES=${DNSF_RES_CASES:-$DNSF_ROOT/tests/diff/res_cases.txt}
OUT=$DNSF_BUILD/test-out/80_res_differential
rm -rf "$OUT"
mkdir -p "$OUT"
[ -r "$CASES" ] || bail "cannot read $CASES"

# ---- parse res_cases.txt into sections: $OUT/sN/{etc/,cases.sh} and the case list
nsec=0
ncases=0
declare -a case_line=() case_text=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	case $line in
	'' | '#'*) continue ;;
	@resolv\ *)
		nsec=$((nsec + 1))
		sec=$OUT/s$nsec
		mkdir -p "$sec/etc"
		cp "$DNSF_FIXTURES/hosts" "$DNSF_FIXTURES/nsswitch.conf" "$sec/etc/"
		{
			echo "# res_cases.txt line $lineno"
			tr ';' '\n' <<<"${line#@resolv }" | sed 's/^ *//'
		} >"$sec/etc/resolv.conf"
		while read -r kw val _; do
			if [ "$kw" = nameserver ]; then
				case $val in 127.*|::1) ;; *) bail "res_cases.txt:$lineno: $val is not loopback" ;; esac
			fi
		done <"$sec/etc/resolv.conf"
		: >"$sec/cases.sh"
		continue
		;;
	@*) bail "res_cases.txt:$lineno: unknown directive: $line" ;;
	esac
	[ "$nsec" -gt 0 ] || bail "res_cases.txt:$lineno: a case before the first @resolv"
	mapfile -t args < <(printf '%s\n' "$line" | xargs printf '%s\n') ||
		bail "res_cases.txt:$lineno: cannot split: $line"
	for a in "${args[@]}"; do
		case $a in ns=127.*) ;; ns=*) bail "res_cases.txt:$lineno: $a is not loopback" ;; esac
	done
	ncases=$((ncases + 1))
	case_line[ncases]=$lineno
	case_text[ncases]=$line
	{
		printf 'run %d' "$ncases"
		printf ' %q' "${args[@]}"
		printf '\n'
	} >>"$OUT/s$nsec/cases.sh"
done <"$CASES"
diag "$ncases cases in $nsec sections from ${CASES#"$DNSF_ROOT"/}"

# The runner executes inside the namespace: run ID ARGS... -> DIR/ID.{out,err,rc,ms}.
# Everything after "--" on its command line prefixes resq (env LD_PRELOAD=..., valgrind).
cat >"$OUT/runner.sh" <<'EOF'
dir=$1 prog=$2 cases=$3
shift 3
[ "$1" = -- ] && shift
mkdir -p "$dir"
run() {
	id=$1
	shift
	t0=${EPOCHREALTIME/[.,]/}
	timeout -k 5 "${DNSF_CASE_TIMEOUT:-60}" "$@" >"$dir/$id.out" 2>"$dir/$id.err" </dev/null
	echo $? >"$dir/$id.rc"
	echo $(((${EPOCHREALTIME/[.,]/} - t0) / 1000)) >"$dir/$id.ms"
}
prefix=("$@")
# shellcheck disable=SC1090
. <(sed "s|^run \([0-9]*\)|run \1 \${prefix[@]+\"\${prefix[@]}\"} \"\$prog\"|" "$cases")
EOF

# side NAME PREFIX...: run every section's cases, outputs in $OUT/NAME/.
side() {
	local name=$1 s
	shift
	for ((s = 1; s <= nsec; s++)); do
		[ -s "$OUT/s$s/cases.sh" ] || continue
		in_private_etc "$OUT/s$s/etc" env LC_ALL=C.UTF-8 bash "$OUT/runner.sh" \
			"$OUT/$name" "$TOOLS/resq" "$OUT/s$s/cases.sh" -- "$@" ||
			bail "the $name side of section $s did not run"
	done
}

# result DIR ID: stdout followed by the exit status, the text that is compared.
result() {
	cat "$1/$2.out"
	echo "exit=$(cat "$1/$2.rc")"
}

ns_start

start=$(now_ms)
side glibc
side glibc2
diag "glibc side: $(($(now_ms) - start)) ms for $((2 * ncases)) runs"

# Guard against a harness that silently misses the test server: the first section's
# basic cases must have reached NSD (MX, TXT over TCP, PTR, and a search-list hit).
probe=$(cat "$OUT"/glibc/*.out)
for want in "mx.dnsf.test. 3600 IN MX 20 www.dnsf.test." "flags=qr,aa,tc,rd tc=1" \
	"10.2.0.192.in-addr.arpa. 300 IN PTR www.dnsf.test." "host.sub.dnsf.test. 120 IN A 192.0.2.33"; do
	[[ $probe == *"$want"* ]] || bail "glibc never printed '$want': the cases did not reach NSD"
done

unstable=0
for ((i = 1; i <= ncases; i++)); do
	if [ "$(result "$OUT/glibc" "$i")" != "$(result "$OUT/glibc2" "$i")" ]; then
		unstable=$((unstable + 1))
		not_ok "glibc is not stable for case $i (res_cases.txt:${case_line[i]}): ${case_text[i]}"
		diff -u --label glibc-run1 --label glibc-run2 <(result "$OUT/glibc" "$i") \
			<(result "$OUT/glibc2" "$i") | sed 's/^/#   /'
	fi
done
if [ "$unstable" -eq 0 ]; then ok "glibc gives the same output twice for all $ncases cases"; fi

if [ ! -f "$DNSF_LIB" ]; then
	not_ok "the shim is not built: $DNSF_LIB is missing (run make); $ncases cases not compared"
	finish
fi
mapfile -t shim_env < <(dnsf_shim_env)
loaded=$(in_private_etc "$OUT/s1/etc" env "${shim_env[@]}" cat /proc/self/maps)
if [[ $loaded != *"$DNSF_LIB"* ]]; then
	not_ok "the shim does not load: LD_PRELOAD=$DNSF_LIB is ignored by ld.so"
	with_shim true 2>&1 | sed 's/^/#   /'
	finish
fi
ok "the shim loads inside the private namespace"

prefix=(env "${shim_env[@]}")
if [ "${DNSF_VALGRIND:-0}" = 1 ]; then
	prefix+=("${DNSF_VALGRIND_CMD[@]}")
	export DNSF_CASE_TIMEOUT=300
fi
start=$(now_ms)
side shim "${prefix[@]}"
diag "shim side: $(($(now_ms) - start)) ms for $ncases runs"

# tag: each line of a result prefixed with its kind and a tab, so that a difference can
# be named: return (return value, h_errno, res_h_errno), errno (after a failure),
# errno-after-success, answer (the bytes a successful call returned), failure-buffer
# (what a failed call left in the buffer), overflow, call, exit.
tag() {
	awk '
	/^\[[0-9]+\] / { k = "call"; fail = 0 }
	/^  return=/ { k = "return"; fail = ($0 ~ /^  return=-/) }
	/^  errno=/ { k = "errno" }
	/^  errno-after-success=/ { k = "errno-after-success" }
	/^  BUG:/ { k = "overflow" }
	/^  buffer=/ { k = fail ? "failure-buffer" : "answer" }
	/^exit=/ { k = "exit" }
	{ print k "\t" $0 }'
}

differences=0
notes=0
declare -A kind_count=()
for ((i = 1; i <= ncases; i++)); do
	label="case $i (res_cases.txt:${case_line[i]}): ${case_text[i]}"
	g=$(result "$OUT/glibc" "$i")
	s=$(result "$OUT/shim" "$i")
	if [ "$g" == "$s" ]; then
		ok "$label"
		continue
	fi
	kinds=$(diff <(tag <<<"$g") <(tag <<<"$s") | sed -n 's/^[<>] \([^\t]*\)\t.*/\1/p' | sort -u)
	if [ "$kinds" == errno-after-success ]; then
		ge=$(grep -m1 errno-after-success <<<"$g")
		se=$(grep -m1 errno-after-success <<<"$s")
		ok "$label # note: errno-after-success glibc=${ge#*=} shim=${se#*=}"
		notes=$((notes + 1))
		continue
	fi
	kinds=$(grep -vx errno-after-success <<<"$kinds")
	differences=$((differences + 1))
	for k in $kinds; do kind_count[$k]=$((${kind_count[$k]:-0} + 1)); done
	not_ok "$label # differs in: $(paste -sd, <<<"$kinds")"
	diff -u --label glibc --label shim <(printf '%s\n' "$g") <(printf '%s\n' "$s") | sed 's/^/#   /'
	if [ -s "$OUT/shim/$i.err" ]; then
		diag "shim side stderr:"
		sed 's/^/#     /' "$OUT/shim/$i.err"
	fi
done

# Not part of the verdict, but worth seeing: where the shim is much slower than glibc.
for ((i = 1; i <= ncases; i++)); do
	gm=$(cat "$OUT/glibc/$i.ms") sm=$(cat "$OUT/shim/$i.ms")
	if [ $((sm - gm)) -gt 200 ]; then
		diag "slow: case $i took ${sm} ms with the shim, ${gm} ms without: ${case_text[i]}"
	fi
done

for k in "${!kind_count[@]}"; do
	diag "differences in $k: ${kind_count[$k]} cases"
done
echo "# $ncases cases, $differences differences, $notes errno-only notes (outputs in ${OUT#"$DNSF_ROOT"/})"
finish
