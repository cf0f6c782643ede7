#!/usr/bin/env python3
"""dnsq.py -- send ONE DNS query to ADDR:PORT and print the reply, stdlib only.

Used by the tests instead of dig (not installed, and it must never fall back to
/etc/resolv.conf): the server is always given explicitly and defaults to the
test NSD on 127.53.0.1.

  dnsq.py [-s ADDR] [-p PORT] [--tcp] [-t SECS] [--wait SECS] [--edns SIZE]
          [--no-rd] [--short] NAME [TYPE]

Output (one reply):
  rcode=NOERROR flags=qr,aa,rd proto=udp id=4660 qd=1 an=1 ns=0 ar=0
  an www.dnsf.test. 300 IN A 192.0.2.10
  ns ...
  ar ...
--short prints only the answer RDATA, one per line.

Exit status: 0 a reply was received (whatever its rcode), 1 no reply
(timeout, refused connection), 2 usage error.
--wait SECS re-sends every 0.1 s until a reply arrives or SECS pass (readiness).
"""
import argparse
import ipaddress
import random
import signal
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
          "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]


def encode_name(name):
    if name in (".", ""):
        return b"\0"
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("utf-8")
        if not raw or len(raw) > 63:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def label_text(raw):
    s = ""
    for b in raw:
        c = chr(b)
        if c in ".\\\"":
            s += "\\" + c
        elif 0x21 <= b <= 0x7e:
            s += c
        else:
            s += "\\%03d" % b
    return s


def read_name(msg, off):
    """Return (name, offset after the name in the original position)."""
    labels = []
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(label_text(msg[off:off + n]))
        off += n
    return (".".join(labels) + ".") if labels else ".", (end if end is not None else off)


def rdata_text(msg, rtype, off, rdlen):
    rd = msg[off:off + rdlen]
    if rtype == 1 and rdlen == 4:
        return str(ipaddress.IPv4Address(rd))
    if rtype == 28 and rdlen == 16:
        return str(ipaddress.IPv6Address(rd))
    if rtype in (2, 5, 12):
        return read_name(msg, off)[0]
    if rtype == 15:
        return "%d %s" % (struct.unpack("!H", rd[:2])[0], read_name(msg, off + 2)[0])
    if rtype == 16:
        parts, i = [], 0
        while i < len(rd):
            n = rd[i]
            parts.append('"%s"' % label_text(rd[i + 1:i + 1 + n]).replace("\\.", "."))
            i += 1 + n
        return " ".join(parts)
    if rtype == 6:
        mname, o = read_name(msg, off)
        rname, o = read_name(msg, o)
        return "%s %s %d %d %d %d %d" % ((mname, rname) + struct.unpack("!5I", msg[o:o + 20]))
    return "\\# %d %s" % (rdlen, rd.hex())


def parse(msg):
    if len(msg) < 12:
        raise ValueError("short reply (%d bytes)" % len(msg))
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    sections = []
    for tag, count in (("an", an), ("ns", ns), ("ar", ar)):
        for _ in range(count):
            name, off = read_name(msg, off)
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if rtype == 41:
                text = "udpsize=%d" % rclass
                sections.append((tag, name, ttl, "OPT", text, rclass))
            else:
                text = rdata_text(msg, rtype, off, rdlen)
                sections.append((tag, name, ttl, TYPE_NAMES.get(rtype, "TYPE%d" % rtype),
                                 text, rclass))
            off += rdlen
    names = [n for n, bit in (("qr", 15), ("aa", 10), ("tc", 9), ("rd", 8), ("ra", 7),
                              ("ad", 5), ("cd", 4)) if flags & (1 << bit)]
    rcode = flags & 0xF
    return {"id": qid, "flags": names, "rcode": RCODES[rcode] if rcode < len(RCODES)
            else "RCODE%d" % rcode, "counts": (qd, an, ns, ar), "rrs": sections}


def build_query(qid, name, qtype, rd, edns):
    flags = 0x0100 if rd else 0
    q = struct.pack("!6H", qid, flags, 1, 0, 0, 1 if edns else 0)
    q += encode_name(name) + struct.pack("!HH", qtype, 1)
    if edns:
        q += b"\0" + struct.pack("!HHIH", 41, edns, 0, 0)
    return q


def ask_udp(server, port, query, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((server, port))
        s.send(query)
        while True:
            data = s.recv(65535)
            if data[:2] == query[:2]:
                return data


def ask_tcp(server, port, query, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((server, port))
        s.sendall(struct.pack("!H", len(query)) + query)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                raise ConnectionError("connection closed")
            buf += chunk
        return buf[2:2 + struct.unpack("!H", buf[:2])[0]]


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description="one DNS query, printed")
    ap.add_argument("-s", "--server", default="127.53.0.1")
    ap.add_argument("-p", "--port", type=int, default=53)
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("-t", "--timeout", type=float, default=2.0)
    ap.add_argument("--wait", type=float, default=0.0)
    ap.add_argument("--edns", type=int, default=0, help="add OPT with this UDP size")
    ap.add_argument("--no-rd", action="store_true")
    ap.add_argument("--short", action="store_true")
    ap.add_argument("name")
    ap.add_argument("type", nargs="?", default="A")
    a = ap.parse_args()
    try:
        ipaddress.ip_address(a.server)
    except ValueError:
        ap.error("server must be a numeric address")
    qtype = TYPES.get(a.type.upper())
    if qtype is None:
        if a.type.upper().startswith("TYPE") and a.type[4:].isdigit():
            qtype = int(a.type[4:])
        else:
            ap.error("unknown type %s" % a.type)
    qid = random.randrange(1, 65535)
    query = build_query(qid, a.name, qtype, not a.no_rd, a.edns)
    deadline = time.monotonic() + a.wait
    while True:
        try:
            if a.tcp:
                reply = ask_tcp(a.server, a.port, query, a.timeout if not a.wait else 0.1)
            else:
                reply = ask_udp(a.server, a.port, query, a.timeout if not a.wait else 0.1)
            break
        except (OSError, ConnectionError) as e:
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            print("noreply %s" % (e.__class__.__name__ if not str(e) else e))
            return 1
    try:
        r = parse(reply)
    except (ValueError, struct.error, IndexError) as e:
        print("malformed %s" % e)
        return 1
    if a.short:
        for tag, _, _, _, text, _ in r["rrs"]:
            if tag == "an":
                print(text)
        return 0
    print("rcode=%s flags=%s proto=%s id=%d qd=%d an=%d ns=%d ar=%d size=%d" % (
        (r["rcode"], ",".join(r["flags"]) or "-", "tcp" if a.tcp else "udp", r["id"])
        + r["counts"] + (len(reply),)))
    for tag, name, ttl, tname, text, rclass in r["rrs"]:
        if tname == "OPT":
            print("%s %s OPT %s" % (tag, name, text))
        else:
            print("%s %s %d %s %s %s" % (tag, name, ttl, "IN" if rclass == 1 else
                                          "CLASS%d" % rclass, tname, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
