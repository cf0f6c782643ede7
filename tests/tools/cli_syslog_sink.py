#!/usr/bin/env python3
"""cli_syslog_sink: a stand-in for the syslog daemon, for 72_logging.sh.

    cli_syslog_sink.py SOCKET OUT STOP_FILE [MAX_SECONDS]

Binds a Unix datagram socket at SOCKET (the test bind-mounts its directory over /dev in a
private mount namespace, so it is /dev/log there) and appends every message it receives to
OUT as one line, as glibc's syslog() sent it: "<PRI>Mmm dd hh:mm:ss IDENT: MESSAGE".
Prints "ready" on stdout once bound. Exits when STOP_FILE exists or after MAX_SECONDS
(default 120), removing SOCKET.
"""
import os
import socket
import sys
import time


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    path, out, stop = sys.argv[1:4]
    limit = float(sys.argv[4]) if len(sys.argv) == 5 else 120.0
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.settimeout(0.1)
    print("ready", flush=True)
    end = time.monotonic() + limit
    with open(out, "ab", buffering=0) as f:
        while time.monotonic() < end and not os.path.exists(stop):
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            f.write(data.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")
    os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
