#!/usr/bin/env python3
"""pyclient -- python3's socket module as a resolver client, printing every result in a
stable text form (used by tests/integration/30_clients.sh to compare glibc alone with the
shim).

    pyclient.py NAME... [-- ADDR...]

For each NAME: getaddrinfo with AF_UNSPEC/SOCK_STREAM and port 80, with AF_INET and no
service, with AF_INET6/SOCK_STREAM/"https" and AI_CANONNAME; gethostbyname;
gethostbyname_ex. For each ADDR: gethostbyaddr, getnameinfo with flags 0, NI_NAMEREQD
and NI_NUMERICHOST|NI_NUMERICSERV. Errors are printed as the exception's class and
errno, never raised. Order is kept exactly as the calls returned it.
"""
import socket
import sys


def show(label, fn, *args):
    try:
        r = fn(*args)
    except OSError as e:  # socket.gaierror and socket.herror are OSErrors
        r = "%s errno=%s" % (type(e).__name__, e.errno)
    print("%s: %r" % (label, r))


def gai(name, port, family, socktype, flags=0):
    out = []
    for fam, st, proto, canon, sa in socket.getaddrinfo(name, port, family, socktype, 0, flags):
        out.append((fam.name, st.name, proto, canon, sa))
    return out


def main(argv):
    names, addrs = argv, []
    if "--" in argv:
        i = argv.index("--")
        names, addrs = argv[:i], argv[i + 1:]
    for n in names:
        show("getaddrinfo(%s, 80, UNSPEC, STREAM)" % n, gai, n, 80, socket.AF_UNSPEC, socket.SOCK_STREAM)
        show("getaddrinfo(%s, None, INET)" % n, gai, n, None, socket.AF_INET, 0)
        show("getaddrinfo(%s, https, INET6, STREAM, CANONNAME)" % n, gai, n, "https",
             socket.AF_INET6, socket.SOCK_STREAM, socket.AI_CANONNAME)
        show("gethostbyname(%s)" % n, socket.gethostbyname, n)
        show("gethostbyname_ex(%s)" % n, socket.gethostbyname_ex, n)
    for a in addrs:
        show("gethostbyaddr(%s)" % a, socket.gethostbyaddr, a)
        for flags, fname in ((0, "0"), (socket.NI_NAMEREQD, "NAMEREQD"),
                             (socket.NI_NUMERICHOST | socket.NI_NUMERICSERV, "NUMERIC")):
            sa = (a, 443, 0, 0) if ":" in a else (a, 443)
            show("getnameinfo(%s, 443, %s)" % (a, fname), socket.getnameinfo, sa, flags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
