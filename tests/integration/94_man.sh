#!/usr/bin/env bash
# 94_man: man pages, version and completion (issue 14, item 7).
#
#   * dnsfailover(8) and dnsfailover.conf(5) render with `man --warnings=w` (every groff
#     warning) and print nothing on stderr;
#   * the KEYS list of dnsfailover.conf(5) names exactly the keys `dnsfailover keys`
#     prints, with the same integer ranges (as 50_readme_keys does for the README);
#   * `dnsfailover --version` prints "dnsfailover" and the VERSION file's version, and
#     the library carries the same string (`strings`);
#   * the bash completion offers the subcommands, and preload's verbs and options.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_cmd man groff strings
CLI=$DNSF_BUILD/dnsfailover
[ -x "$CLI" ] || bail "$CLI is not built (run: make)"
require_lib

make -s -C "$DNSF_ROOT" BUILD="$DNSF_BUILD" man >"$DNSF_TMP/make.log" 2>&1 ||
	{ sed 's/^/#   /' "$DNSF_TMP/make.log"; bail "make man failed"; }
version=$(cat "$DNSF_ROOT/conf/VERSION")

for page in dnsfailover.8 dnsfailover.conf.5; do
	f=$DNSF_BUILD/man/$page
	warn=$(MANWIDTH=80 man --warnings=w -l "$f" 2>&1 >"$DNSF_TMP/$page.txt")
	assert_eq "" "$warn" "man --warnings=w renders $page without a warning"
	assert_contains "$(cat "$DNSF_TMP/$page.txt")" "dnsfailover $version" "$page names version $version"
	[ "$(wc -l <"$DNSF_TMP/$page.txt")" -gt 40 ] && ok "$page renders to a page of text" ||
		not_ok "$page renders to almost nothing"
done

# The KEYS section: ".TP" then ".B key", then a line with the type, range and default.
page=$DNSF_ROOT/conf/dnsfailover.conf.5
listed=$(awk '/^\.SH KEYS/ { on = 1; next } /^\.SH/ { on = 0 }
	on && prev == ".TP" && $1 == ".B" { print $2 } { prev = $0 }' "$page")
keys=$("$CLI" keys) || bail "dnsfailover keys failed"
assert_eq "$(printf '%s\n' "$keys" | cut -f1 | sort)" "$(printf '%s\n' "$listed" | sort)" \
	"dnsfailover.conf(5) lists exactly the keys of dnsfailover keys"
while IFS=$'\t' read -r key type range; do
	[ "$type" = integer ] || continue
	line=$(awk -v k="$key" '/^\.SH KEYS/ { on = 1 } on && prev == ".B " k { print; exit } { prev = $0 }' "$page")
	assert_contains "$line" "${range%-*}\\(en${range#*-}," "dnsfailover.conf(5) range of $key is $range"
done <<<"$keys"

# One version, everywhere.
assert_eq "dnsfailover $version" "$("$CLI" --version)" "dnsfailover --version prints the VERSION file's version"
assert_contains "$(strings "$DNSF_LIB")" "dnsfailover $version" "the library carries the same version string"

# Completion, driven as bash drives it.
comp() { # comp WORDS...: what completing the last word offers
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dnsfailover; echo "${COMPREPLY[*]}"' \
		comp "$DNSF_ROOT/conf/dnsfailover.bash-completion" "$@"
}
assert_eq "check resolve keys status metrics flush preload --version --help" "$(comp dnsfailover '')" "completion: the subcommands"
assert_eq "--json --config" "$(comp dnsfailover status --)" "completion: status's options"
assert_eq "flush" "$(comp dnsfailover fl)" "completion: flush"
assert_eq "preload" "$(comp dnsfailover pr)" "completion: a prefix"
assert_eq "enable disable status --help" "$(comp dnsfailover preload '')" "completion: preload's verbs"
assert_eq "--lib --check-name" "$(comp dnsfailover preload enable --)" "completion: enable's options"
assert_eq "--config --app" "$(comp dnsfailover check --)" "completion: check's options"
assert_eq "--dns-only" "$(comp dnsfailover resolve www.example.org --d)" "completion: resolve's --dns-only"
assert_eq "--json" "$(comp dnsfailover resolve x --j)" "completion: resolve's --json"
assert_contains "$(comp dnsfailover check --config "$DNSF_ROOT/conf/dnsfailover.c")" \
	"conf/dnsfailover.conf" "completion: --config completes a file name"
bash -n "$DNSF_ROOT/conf/dnsfailover.bash-completion" && ok "the completion script parses" ||
	not_ok "the completion script does not parse"
finish
