#!/usr/bin/env python3
"""log_steps: a resolver client driven step by step, for 73_log_operators.sh.

    log_steps.py STEP...

Steps, run in order:
    gai:NAME        getaddrinfo(NAME, None, AF_INET, SOCK_STREAM); prints "gai NAME ADDRESS"
                    or "gai NAME error CODE"
    loop:NAME:FILE  every 50 ms a getaddrinfo of "<pid>-<n>.NAME" (a fresh name each time,
                    so no cache or memo answers) until FILE exists; prints "loop N"
    wait:FILE       until FILE exists (at most 60 s)
    touch:FILE      create FILE (tells the test a point was reached)
    sleep:SECONDS
    openlog:IDENT   syslog.openlog(IDENT): the program's own syslog ident
    syslog:TEXT     syslog.syslog(LOG_WARNING, TEXT)
Output goes to stdout, flushed per line.
"""
import os
import socket
import sys
import syslog
import time


def gai(name):
    try:
        return socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except socket.gaierror as e:
        return "error %d" % e.errno


def wait_for(path, limit=60.0):
    end = time.monotonic() + limit
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.02)


def main():
    for step in sys.argv[1:]:
        verb, _, arg = step.partition(":")
        if verb == "gai":
            print("gai %s %s" % (arg, gai(arg)), flush=True)
        elif verb == "loop":
            name, _, stop = arg.partition(":")
            n = 0
            while not os.path.exists(stop) and n < 2000:
                n += 1
                gai("%d-%d.%s" % (os.getpid(), n, name))
                time.sleep(0.05)
            print("loop %d" % n, flush=True)
        elif verb == "wait":
            wait_for(arg)
        elif verb == "touch":
            open(arg, "a").close()
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "openlog":
            syslog.openlog(arg)
        elif verb == "syslog":
            syslog.syslog(syslog.LOG_WARNING, arg)
        else:
            sys.stderr.write(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
