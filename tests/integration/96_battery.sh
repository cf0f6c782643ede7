#!/usr/bin/env bash
# 96_battery: the program battery's short form (tests/battery/battery.sh): the ~50 common
# programs of tests/battery/allowlist.txt run with --version with and without the library
# in a private /etc/ld.so.preload, contained (nobody, no capabilities, own user, pid, net
# and mount namespaces, private /etc); exit codes, stdout and stderr must be the same and
# no loader error may appear. `make battery` runs every program in /usr/bin and /usr/sbin.
exec bash "$(dirname "$0")/../battery/battery.sh" --allowlist "$(dirname "$0")/../battery/allowlist.txt"
