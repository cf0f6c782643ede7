#!/usr/bin/env bash
# The code's shape, not its output (issue 12): a file answers one question, so
# none grows past 600 lines; comments cite sources a reader can open, so none
# names a document that is not in this repository; and the core (everything
# the unit tests link, Makefile CORE_SRC) looks nothing up in libc by name:
# only the preload layer's real.c binds libc's functions (dlsym RTLD_NEXT),
# and config.c's dlsym reads the libconfig it dlopen'ed itself.
source "$(dirname "$0")/../lib/common.sh"

cd "$DNSF_ROOT" || bail "cannot cd to $DNSF_ROOT"
MAX_LINES=600

long=$(wc -l shim/*.c | awk -v max="$MAX_LINES" '$2 != "total" && $1 > max { print $2 " (" $1 " lines)" }')
assert_eq "" "$long" "no shim/*.c is longer than $MAX_LINES lines"

# Every *.md a source file names must be a file of this repository.
missing=""
while IFS= read -r doc; do
	[ -n "$doc" ] || continue
	if [ -z "$(git ls-files -- "*${doc##*/}" 2>/dev/null)" ] && ! find . -path ./build -prune -o \
		-name "${doc##*/}" -print -quit | grep -q .; then
		missing+="$doc "
	fi
done < <(grep -ohE '[A-Za-z0-9_./-]+\.md\b' shim/*.c include/dnsf/*.h Makefile | sort -u)
assert_eq "" "$missing" "every document a source file names is in the repository"

core=$(sed -n '/^CORE_SRC *:=/,/^[^ ]/p' Makefile | grep -oE 'shim/[a-z_0-9]+\.c' | sort -u)
[ -n "$core" ] || bail "found no CORE_SRC in the Makefile"
lookups=$(grep -nE 'RTLD_NEXT|RTLD_DEFAULT|dlvsym' $core)
assert_eq "" "$lookups" "the core never looks a symbol up in libc (RTLD_NEXT, RTLD_DEFAULT, dlvsym)"
dlsyms=$(grep -l 'dlsym' $core | grep -vx 'shim/config.c')
assert_eq "" "$dlsyms" "in the core only config.c calls dlsym (on the libconfig it dlopen'ed)"

# Every source file is built: none is left behind by a split.
listed=$(grep -oE 'shim/[a-z_0-9]+\.[co]\b' Makefile | sed 's/\.o$/.c/' | sort -u)
unbuilt=$(comm -23 <(ls shim/*.c | sort) <(printf '%s\n' "$listed"))
assert_eq "" "$unbuilt" "every shim/*.c is named in the Makefile"
finish
