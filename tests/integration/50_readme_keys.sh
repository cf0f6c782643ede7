#!/usr/bin/env bash
# The README's configuration reference must list exactly the keys the code
# accepts, with the same integer ranges (issue 5: it cannot drift).
source "$(dirname "$0")/../lib/common.sh"

readme=$DNSF_ROOT/README.md
keys=$("$DNSF_BUILD/dnsfailover" keys) || bail "dnsfailover keys failed"
[ -n "$keys" ] || bail "dnsfailover keys printed nothing"

# Keys listed in the README table: lines "| `key` | ..." after the marker.
table=$(sed -n '/^<!-- keys:/,/^$/p' "$readme" | grep -o '^| `[a-z_.]*`' | tr -d '|` ')
code=$(printf '%s\n' "$keys" | cut -f1)
assert_eq "$(printf '%s\n' "$code" | sort)" "$(printf '%s\n' "$table" | sort)" \
	"README key table lists exactly the schema's keys"

while IFS=$'\t' read -r key type range; do
	row=$(grep -F "| \`$key\` |" "$readme" | head -1)
	if [ "$type" = integer ]; then
		lo=${range%-*} hi=${range#*-}
		assert_contains "$row" "$lo–$hi" "README range of $key is $lo–$hi"
	fi
done <<<"$keys"

# The reference configuration is valid and matches the built-in defaults.
out=$("$DNSF_BUILD/dnsfailover" check --config "$DNSF_ROOT/conf/dnsfailover.conf" 2>&1)
rc=$?
assert_eq 0 "$rc" "conf/dnsfailover.conf is valid ($out)"
def=$(DNSFAILOVER_CONF=/nonexistent "$DNSF_BUILD/dnsfailover" check 2>&1 | grep -v '^source')
ref=$(printf '%s\n' "$out" | grep -v '^source')
assert_eq "$def" "$ref" "conf/dnsfailover.conf sets every key to the built-in default"
finish
