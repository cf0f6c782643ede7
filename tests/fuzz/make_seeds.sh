#!/usr/bin/env bash
# tests/fuzz/make_seeds.sh -- (re)write the seed corpora in tests/fuzz/corpus/.
#
# Replies are captured from the test NSD serving tests/fixtures (started here, so run it
# as root, e.g. `/work/bin/nstest bash tests/fuzz/make_seeds.sh` or inside any private
# network namespace); configs and hosts files come from tests/fixtures and conf/. Inputs
# a fuzz run found worth keeping (regressions) live beside them under names starting with
# "regress-"; this script keeps those.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

require_root
require_cmd nsd
ns_start
out=$DNSF_ROOT/tests/fuzz/corpus
for t in dnsmsg answer rawquery dnsname config hostsfile; do
	mkdir -p "$out/$t"
	find "$out/$t" -type f ! -name 'regress-*' -delete
done
"$DNSF_PYTHON" -I -B "$DNSF_ROOT/tests/fuzz/seeds.py" "$out" "$DNSF_NS_ADDR" || bail "seeds.py failed"

for f in "$DNSF_FIXTURES"/config/*.conf "$DNSF_ROOT"/conf/dnsfailover.conf; do
	cp "$f" "$out/config/$(basename "$f")"
done
cp "$DNSF_FIXTURES/hosts" "$out/hostsfile/fixture-hosts"
# Debian's default /etc/hosts, and a few shapes glibc's parser treats specially.
printf '127.0.0.1\tlocalhost\n127.0.1.1\thost.example\thost\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n' >"$out/hostsfile/debian-hosts"
printf '192.0.2.1 a b#comment c\n  \t192.0.2.2\t\tB  \n::ffff:192.0.2.3 mapped\n192.0.2.4\n0x7f.1 hex\n' >"$out/hostsfile/shapes"
printf '192.0.2.9 long%0200d\n' 0 >"$out/hostsfile/long-line"
for t in dnsmsg answer rawquery dnsname config hostsfile; do
	ok "$t: $(find "$out/$t" -type f | wc -l) seeds"
done
finish
