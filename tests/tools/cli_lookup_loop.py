#!/usr/bin/env python3
"""cli_lookup_loop: a long-running resolver client for the reload test (71_reload.sh).

    cli_lookup_loop.py INTERVAL_S STOP_FILE MAX_LOOKUPS [DOMAIN]

Every INTERVAL_S seconds it calls getaddrinfo(NAME, NULL, AF_INET, SOCK_STREAM) for a name
never asked before, "<pid>-<n>.DOMAIN" (default wild.dnsf.test, a wildcard in the test
zone), so no cache or memo can answer and every lookup shows which server the process
asks. After each call it writes one line to stderr (fd 2, one write, so it interleaves
cleanly with the shim's own log lines there):

    lookup N NAME ADDRESS MS        (success; ADDRESS is the first result)
    lookup N NAME error CODE MS     (failure; CODE is the EAI_* number)

It stops when STOP_FILE exists or after MAX_LOOKUPS lookups, and exits 0.
"""
import os
import socket
import sys
import time


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    interval = float(sys.argv[1])
    stop_file = sys.argv[2]
    max_lookups = int(sys.argv[3])
    domain = sys.argv[4] if len(sys.argv) == 5 else "wild.dnsf.test"
    pid = os.getpid()
    n = 0
    while n < max_lookups and not os.path.exists(stop_file):
        n += 1
        name = "%d-%d.%s" % (pid, n, domain)
        t0 = time.monotonic()
        try:
            res = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
            what = res[0][4][0]
        except socket.gaierror as e:
            what = "error %d" % e.errno
        ms = (time.monotonic() - t0) * 1000.0
        os.write(2, ("lookup %d %s %s %.1f\n" % (n, name, what, ms)).encode())
        time.sleep(interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
