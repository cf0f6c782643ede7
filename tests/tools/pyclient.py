#!/usr/bin/env python3
"""pyclient -- python3's socket module as a resolver client, printing every result in a
stable text form (used by tests/integration/30_clients.sh to compare glibc alone with the
shim).

    pyclient.py NAME... [-- ADDR...]
    pyclient.py --herror CALL ARG


For each NAME: getaddrinfo with AF_UNSPEC/SOCK_STREAM and port 80, with AF_INET and no
service, with AF_INET6/SOCK_STREAM/"https" and AI_CANONNAME; gethostbyname;
gethostbyname_ex. For each ADDR: gethostbyaddr, getnameinfo with flags 0, NI_NAMEREQD
and NI_NUMERICHOST|NI_NUMERICSERV. Errors are printed as the exception's class and
errno, never raised. Order is kept exactly as the calls returned it.

--herror: one call (CALL is gethostbyname, gethostbyname_ex or gethostbyaddr), meant as the
first lookup of a fresh process, as a program makes it: prints its result or the full
socket.herror / gaierror args (python builds herror from the thread's global h_errno,
hstrerror's text included), then the global h_errno as the call left it (read through
ctypes), success or not.
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


def herror_probe(call, arg):
    import ctypes
    h_errno = ctypes.CDLL(None).__h_errno_location
    h_errno.restype = ctypes.POINTER(ctypes.c_int)
    fn = {"gethostbyname": socket.gethostbyname, "gethostbyname_ex": socket.gethostbyname_ex,
          "gethostbyaddr": socket.gethostbyaddr}[call]
    try:
        r = repr(fn(arg))
    except OSError as e:
        r = "%s%r" % (type(e).__name__, e.args)
    print("%s(%s): %s h_errno=%d" % (call, arg, r, h_errno().contents.value))
    return 0


def main(argv):
    if argv[:1] == ["--herror"] and len(argv) == 3:
        return herror_probe(argv[1], argv[2])
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
