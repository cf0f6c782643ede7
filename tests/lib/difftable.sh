# shellcheck shell=bash
# tests/lib/difftable.sh -- the differential case-table runner shared by 20_differential
# (tests/tools/lookup, tests/diff/cases.txt) and 80_res_differential (tests/tools/resq,
# tests/diff/res_cases.txt). Source it after tests/lib/common.sh.
#
# A table holds "@resolv LINE; LINE; ..." section headers (the resolv.conf for the cases
# below; nameservers must be loopback, or 0.0.0.0 or ::, which Linux connects to the
# loopback address), "#" comment lines, and cases: the arguments of one run of the
# program, split like xargs does. Right after @resolv, a section may also set
#   @hosts FILE               tests/fixtures/FILE as /etc/hosts (default: hosts)
#   @hostconf LINE; LINE; ... /etc/host.conf (default: the machine's own)
# Every case runs inside a private /etc (the section's resolv.conf, hosts and host.conf, a
# "hosts: files dns" nsswitch.conf) twice with glibc alone (a case whose glibc output is
# not stable fails) and once with the shim preloaded; the outputs must be identical. A difference only in
# "errno-after-success" lines is a note, not a failure (POSIX lets a successful call
# change errno).
#
#   dt_init TABLE OUT PROG      parse TABLE into sections under OUT; PROG is a tool name
#                               (DT_ARG_CHECK, if set, is a function called as
#                               "DT_ARG_CHECK LINENO ARG" for every argument of a case)
#   dt_glibc PROBE...           both glibc runs and the stability check; every PROBE text
#                               must appear in the first run's outputs (it reached NSD)
#   dt_shim                     the shim run (under valgrind with DNSF_VALGRIND=1); ends the
#                               test when the shim is not built or does not load
#   dt_compare TAG              compare case by case. TAG is a function that reads a result
#                               and prints "KIND<tab>LINE" for each line; the kinds of the
#                               differing lines name a difference ("errno-after-success"
#                               alone is a note). Sets DT_DIFFERENCES and DT_NOTES.
#                               dt_tag_lookup and dt_tag_res tag the outputs of
#                               tests/tools/lookup and tests/tools/resq.
#   dt_summary                  the slow-case diagnostics, the count of each kind of
#                               difference, and the closing "# N cases ..." line

# dt_init TABLE OUT PROG
dt_init() {
	DT_TABLE=$1 DT_OUT=$2 DT_PROG=$3
	DT_NAME=${DT_TABLE##*/}
	rm -rf "$DT_OUT"
	mkdir -p "$DT_OUT"
	[ -r "$DT_TABLE" ] || bail "cannot read $DT_TABLE"
	DT_NSEC=0 DT_NCASES=0
	DT_CASE_LINE=() DT_CASE_TEXT=()
	local line lineno=0 sec kw val a
	local -a args
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $line in
		'' | '#'*) continue ;;
		@resolv\ *)
			DT_NSEC=$((DT_NSEC + 1))
			sec=$DT_OUT/s$DT_NSEC
			mkdir -p "$sec/etc"
			cp "$DNSF_FIXTURES/hosts" "$DNSF_FIXTURES/nsswitch.conf" "$sec/etc/"
			{
				echo "# $DT_NAME line $lineno"
				tr ';' '\n' <<<"${line#@resolv }" | sed 's/^ *//'
			} >"$sec/etc/resolv.conf"
			while read -r kw val _; do
				if [ "$kw" = nameserver ]; then
					case $val in 127.* | ::1 | 0.0.0.0 | ::) ;; *) bail "$DT_NAME:$lineno: $val is not loopback" ;; esac
				fi
			done <"$sec/etc/resolv.conf"
			: >"$sec/cases.sh"
			continue
			;;
		@hosts\ * | @hostconf\ *)
			[ "$DT_NSEC" -gt 0 ] && [ ! -s "$sec/cases.sh" ] ||
				bail "$DT_NAME:$lineno: ${line%% *} belongs right after an @resolv line"
			if [[ $line == @hosts\ * ]]; then
				cp "$DNSF_FIXTURES/${line#@hosts }" "$sec/etc/hosts" ||
					bail "$DT_NAME:$lineno: no such fixture: ${line#@hosts }"
			else
				tr ';' '\n' <<<"${line#@hostconf }" | sed 's/^ *//' >"$sec/etc/host.conf"
			fi
			continue
			;;
		@*) bail "$DT_NAME:$lineno: unknown directive: $line" ;;
		esac
		[ "$DT_NSEC" -gt 0 ] || bail "$DT_NAME:$lineno: a case before the first @resolv"
		mapfile -t args < <(printf '%s\n' "$line" | xargs printf '%s\n') ||
			bail "$DT_NAME:$lineno: cannot split: $line"
		if [ -n "${DT_ARG_CHECK:-}" ]; then
			for a in "${args[@]}"; do "$DT_ARG_CHECK" "$lineno" "$a"; done
		fi
		DT_NCASES=$((DT_NCASES + 1))
		DT_CASE_LINE[DT_NCASES]=$lineno
		DT_CASE_TEXT[DT_NCASES]=$line
		{
			printf 'run %d' "$DT_NCASES"
			printf ' %q' "${args[@]}"
			printf '\n'
		} >>"$DT_OUT/s$DT_NSEC/cases.sh"
	done <"$DT_TABLE"
	diag "$DT_NCASES cases in $DT_NSEC sections from ${DT_TABLE#"$DNSF_ROOT"/}"

	# The runner executes inside the namespace: run ID ARGS... -> DIR/ID.{out,err,rc,ms}.
	# Everything after "--" on its command line prefixes the program (env, valgrind).
	cat >"$DT_OUT/runner.sh" <<'EOF'
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
}

# dt_side NAME PREFIX...: run every section's cases, outputs in $DT_OUT/NAME/.
dt_side() {
	local name=$1 s
	shift
	for ((s = 1; s <= DT_NSEC; s++)); do
		[ -s "$DT_OUT/s$s/cases.sh" ] || continue
		in_private_etc "$DT_OUT/s$s/etc" env LC_ALL=C.UTF-8 bash "$DT_OUT/runner.sh" \
			"$DT_OUT/$name" "$TOOLS/$DT_PROG" "$DT_OUT/s$s/cases.sh" -- "$@" ||
			bail "the $name side of section $s did not run"
	done
}

# dt_result DIR ID: stdout followed by the exit status, the text that is compared.
dt_result() {
	cat "$1/$2.out"
	echo "exit=$(cat "$1/$2.rc")"
}

# dt_glibc PROBE...
dt_glibc() {
	local start want probe i unstable=0
	start=$(now_ms)
	dt_side glibc
	dt_side glibc2
	diag "glibc side: $(($(now_ms) - start)) ms for $((2 * DT_NCASES)) runs"
	# Guard against a harness that silently misses the test server.
	probe=$(cat "$DT_OUT"/glibc/*.out)
	for want in "$@"; do
		[[ $probe == *"$want"* ]] || bail "glibc never printed '$want': the cases did not reach NSD"
	done
	for ((i = 1; i <= DT_NCASES; i++)); do
		if [ "$(dt_result "$DT_OUT/glibc" "$i")" != "$(dt_result "$DT_OUT/glibc2" "$i")" ]; then
			unstable=$((unstable + 1))
			not_ok "glibc is not stable for case $i ($DT_NAME:${DT_CASE_LINE[i]}): ${DT_CASE_TEXT[i]}"
			diff -u --label glibc-run1 --label glibc-run2 <(dt_result "$DT_OUT/glibc" "$i") \
				<(dt_result "$DT_OUT/glibc2" "$i") | sed 's/^/#   /'
		fi
	done
	if [ "$unstable" -eq 0 ]; then ok "glibc gives the same output twice for all $DT_NCASES cases"; fi
}

# dt_shim
dt_shim() {
	local loaded start
	local -a shim_env prefix
	if [ ! -f "$DNSF_LIB" ]; then
		not_ok "the shim is not built: $DNSF_LIB is missing (run make); $DT_NCASES cases not compared"
		finish
	fi
	mapfile -t shim_env < <(dnsf_shim_env)
	loaded=$(in_private_etc "$DT_OUT/s1/etc" env "${shim_env[@]}" cat /proc/self/maps)
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
	dt_side shim "${prefix[@]}"
	diag "shim side: $(($(now_ms) - start)) ms for $DT_NCASES runs"
}

# dt_tag_lookup: lookup's lines by kind, so that a difference can be named: h_errno (the
# thread's global, _res.res_h_errno and an _r call's out-parameter), errno (after a
# failure), errno-after-success, output (everything else).
dt_tag_lookup() {
	awk '{
		k = "output"
		if (/^  h_errno=/) k = "h_errno"
		else if (/^  errno=/) k = "errno"
		else if (/^  errno-after-success=/) k = "errno-after-success"
		print k "\t" $0
	}'
}

# dt_tag_res: resq's lines by kind: return (return value, h_errno, res_h_errno), errno
# (after a failure), errno-after-success, answer (the bytes a successful call returned),
# failure-buffer (what a failed call left in the buffer), overflow, call, exit.
dt_tag_res() {
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

# dt_compare TAG
dt_compare() {
	local tagfn=$1 i label g s kinds k ge se
	DT_DIFFERENCES=0 DT_NOTES=0
	declare -gA DT_KIND_COUNT=()
	for ((i = 1; i <= DT_NCASES; i++)); do
		label="case $i ($DT_NAME:${DT_CASE_LINE[i]}): ${DT_CASE_TEXT[i]}"
		g=$(dt_result "$DT_OUT/glibc" "$i")
		s=$(dt_result "$DT_OUT/shim" "$i")
		if [ "$g" == "$s" ]; then
			ok "$label"
			continue
		fi
		kinds=$(diff <("$tagfn" <<<"$g") <("$tagfn" <<<"$s") |
			sed -n 's/^[<>] \([^\t]*\)\t.*/\1/p' | sort -u)
		if [ "$kinds" == errno-after-success ]; then
			ge=$(grep -m1 errno-after-success <<<"$g")
			se=$(grep -m1 errno-after-success <<<"$s")
			ok "$label # note: errno-after-success glibc=${ge#*=} shim=${se#*=}"
			DT_NOTES=$((DT_NOTES + 1))
			continue
		fi
		kinds=$(grep -vx errno-after-success <<<"$kinds")
		DT_DIFFERENCES=$((DT_DIFFERENCES + 1))
		for k in $kinds; do DT_KIND_COUNT[$k]=$((${DT_KIND_COUNT[$k]:-0} + 1)); done
		not_ok "$label # differs in: $(paste -sd, <<<"$kinds")"
		diff -u --label glibc --label shim <(printf '%s\n' "$g") <(printf '%s\n' "$s") | sed 's/^/#   /'
		if [ -s "$DT_OUT/shim/$i.err" ]; then
			diag "shim side stderr:"
			sed 's/^/#     /' "$DT_OUT/shim/$i.err"
		fi
	done
}

# dt_summary
dt_summary() {
	local i gm sm k
	# Not part of the verdict, but worth seeing: where the shim is much slower than glibc.
	for ((i = 1; i <= DT_NCASES; i++)); do
		gm=$(cat "$DT_OUT/glibc/$i.ms") sm=$(cat "$DT_OUT/shim/$i.ms")
		if [ $((sm - gm)) -gt 200 ]; then
			diag "slow: case $i took ${sm} ms with the shim, ${gm} ms without: ${DT_CASE_TEXT[i]}"
		fi
	done
	for k in "${!DT_KIND_COUNT[@]}"; do
		diag "differences in $k: ${DT_KIND_COUNT[$k]} cases"
	done
	echo "# $DT_NCASES cases, $DT_DIFFERENCES differences, $DT_NOTES errno-only notes (outputs in ${DT_OUT#"$DNSF_ROOT"/})"
}
