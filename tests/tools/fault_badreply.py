#!/usr/bin/env python3
"""fault_badreply.py: a UDP "nameserver" that answers every query at once with a
reply that is attributable to the query (same ID, QR set, from the right address
and port) but unusable, for tests/integration/40_faults.sh. Stdlib only.

  fault_badreply.py --listen ADDR:PORT --kind KIND [--stats FILE]

KIND:
  otherq   a NOERROR reply for another question (otherq.invalid, type A): the README
           counts "a reply for another question" as a server failure
  badans   the right question, NOERROR, ANCOUNT 1 but the answer record cut off
           after its owner name: a malformed reply
  shorthdr only the first 6 bytes of a header (ID, flags, QDCOUNT): a reply
           shorter than a DNS header
  badq     a full header (QDCOUNT 1) whose question name runs past the end

Prints "ready" once bound. SIGTERM or SIGINT: writes "queries N" and "replies N" to
FILE (if given) and exits 0. Loopback addresses only.
"""
import argparse
import signal
import socket
import struct
import sys


def question_end(msg):
    """Offset just past the first question, or None if it does not parse."""
    off = 12
    while off < len(msg):
        n = msg[off]
        if n == 0:
            return off + 5 if off + 5 <= len(msg) else None
        if n & 0xC0:
            return None
        off += 1 + n
    return None


def encode_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def bad_reply(kind, q):
    qid, flags = struct.unpack("!HH", q[:4])
    # QR, opcode and RD echoed, RA set, RCODE 0 (NOERROR)
    rflags = 0x8000 | (flags & 0x7900) | 0x0080
    qend = question_end(q)
    if kind == "shorthdr":
        return struct.pack("!HHH", qid, rflags, 1)
    if kind == "badq":
        return struct.pack("!6H", qid, rflags, 1, 0, 0, 0) + b"\x3fabc"
    if qend is None:
        return None
    if kind == "otherq":
        return struct.pack("!6H", qid, rflags, 1, 0, 0, 0) + \
            encode_name("otherq.invalid") + struct.pack("!HH", 1, 1)
    if kind == "badans":
        # ANCOUNT 1; the record stops after its (compressed) owner name.
        return struct.pack("!6H", qid, rflags, 1, 1, 0, 0) + q[12:qend] + b"\xc0\x0c\x00"
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="ADDR:PORT (loopback)")
    ap.add_argument("--kind", required=True, choices=["otherq", "badans", "shorthdr", "badq"])
    ap.add_argument("--stats")
    a = ap.parse_args()
    addr, _, port = a.listen.rpartition(":")
    if not addr.startswith("127."):
        sys.exit("fault_badreply: %s is not a 127.x loopback address" % addr)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    counts = {"queries": 0, "replies": 0}

    def stop(_sig, _frm):
        if a.stats:
            with open(a.stats, "w") as f:
                for k, v in counts.items():
                    f.write("%s %d\n" % (k, v))
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12 or q[2] & 0x80:
            continue
        counts["queries"] += 1
        r = bad_reply(a.kind, q)
        if r is not None:
            s.sendto(r, peer)
            counts["replies"] += 1


if __name__ == "__main__":
    main()
