#!/usr/bin/env python3
"""seeds.py -- write the seed corpora of the fuzz targets (tests/fuzz/corpus/).

  seeds.py OUTDIR [SERVER]

The DNS replies are real: each question below is asked of SERVER (the test
NSD serving tests/fixtures, default 127.53.0.1, port 53) over UDP, and over
TCP where the UDP reply is truncated, and the reply bytes are kept. Run it
through tests/fuzz/make_seeds.sh, which starts that NSD. The other seeds
(config files, hosts files) are copied from tests/fixtures and conf/ by
make_seeds.sh itself.

Each target reads its input in its own layout (see the header of each
tests/fuzz/fuzz_*.c); this script writes the seeds in those layouts:
  dnsmsg    the reply
  answer    selector (0 A, 1 AAAA, 2 PTR, 3 A+AAAA), u16 buffer size,
            u16 split (length of the A reply for 3), the reply or replies
  rawquery  u16 buffer size (taken modulo 8192, plus 12), the reply
  dnsname   0 + a name as text, or 1 + a name in wire form
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dnsq  # noqa: E402

QUESTIONS = [
    ("www.dnsf.test", "A"), ("www.dnsf.test", "AAAA"), ("multi.dnsf.test", "A"),
    ("multi.dnsf.test", "AAAA"), ("alias1.dnsf.test", "A"), ("alias1.dnsf.test", "AAAA"),
    ("cname-out.dnsf.test", "A"), ("cname-dangling.dnsf.test", "A"),
    ("nodata.dnsf.test", "A"), ("nosuch.dnsf.test", "A"), ("mx.dnsf.test", "MX"),
    ("many.dnsf.test", "A"), ("bigtxt.dnsf.test", "TXT"), ("MiXeD.dnsf.test", "AAAA"),
    ("Under_Score.dnsf.test", "A"), ("-dash.dnsf.test", "A"), ("x.wild.dnsf.test", "A"),
    ("v6only.dnsf.test", "A"), ("10.2.0.192.in-addr.arpa", "PTR"),
    ("12.2.0.192.in-addr.arpa", "PTR"), ("13.2.0.192.in-addr.arpa", "PTR"),
    ("99.2.0.192.in-addr.arpa", "PTR"), ("11.2.0.192.in-addr.arpa", "PTR"),
    (".", "SOA"), ("dnsf.test", "NS"),
]

NAMES_TEXT = [b"www.dnsf.test", b"www.dnsf.test.", b"w\\119w.dnsf.test", b"a\\.b.dnsf.test",
              b"a\\\\b", b"\\000", b".", b"", b"a..b", b"x" * 63 + b".y", b"\\065\\066"]


def ask(server, name, qtype):
    q = dnsq.build_query(0x1234, name, dnsq.TYPES[qtype], True, 0)
    r = dnsq.ask_udp(server, 53, q, 2.0)
    if r[2] & 0x02:                     # TC: the whole answer over TCP
        return r, dnsq.ask_tcp(server, 53, q, 2.0)
    return r, None


def put(outdir, target, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def wire(name):
    return dnsq.encode_name(name.decode())


def main():
    outdir = sys.argv[1]
    server = sys.argv[2] if len(sys.argv) > 2 else "127.53.0.1"
    replies = {}
    for name, qtype in QUESTIONS:
        udp, tcp = ask(server, name, qtype)
        replies[(name, qtype)] = tcp or udp
        for r in (udp, tcp):
            if r is None:
                continue
            put(outdir, "dnsmsg", r)
            put(outdir, "rawquery", struct.pack("!H", 500) + r)
            put(outdir, "rawquery", struct.pack("!H", 4084) + r)
    for (name, qtype), r in replies.items():
        sel = {"A": 0, "AAAA": 1, "PTR": 2}.get(qtype)
        if sel is not None:
            put(outdir, "answer", struct.pack("!BHH", sel, 1024, 0) + r)
            put(outdir, "answer", struct.pack("!BHH", sel, 40, 0) + r)
    for name in ("www.dnsf.test", "multi.dnsf.test", "alias1.dnsf.test", "MiXeD.dnsf.test",
                 "v6only.dnsf.test"):
        a = replies.get((name, "A")) or ask(server, name, "A")[0]
        aaaa = replies.get((name, "AAAA")) or ask(server, name, "AAAA")[0]
        put(outdir, "answer", struct.pack("!BHH", 3, 1024, len(a)) + a + aaaa)
    for t in NAMES_TEXT:
        put(outdir, "dnsname", b"\0" + t)
    for t in (b"www.dnsf.test", b"a\\.b", b"x"):
        put(outdir, "dnsname", b"\1" + wire(t))
    put(outdir, "dnsname", b"\1\3a\0b\0")


if __name__ == "__main__":
    main()
