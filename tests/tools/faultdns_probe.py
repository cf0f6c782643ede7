#!/usr/bin/env python3
"""faultdns_probe.py: a DNS test client for the faultdns self-test (stdlib only).

  faultdns_probe.py [options] ADDR PORT NAME

Sends queries for NAME (type --type, default A) to ADDR:PORT and prints ONE
line of key=value fields, so shell tests can pick values out of it.

Ways of sending:
  default       --count queries one after the other, each from a new socket,
                waiting --timeout ms for the FIRST datagram / TCP message,
                whatever its ID (so wrong IDs and garbage are seen as such)
  --interval MS one UDP socket (or TCP connection), query i sent at i*MS ms,
                replies matched to queries by ID; --interval 0 sends all at
                once (concurrency).  After the last send it waits --timeout ms.
  --connect     UDP sockets are connect()ed: the kernel then drops datagrams
                from another source port and reports ICMP port unreachable
                as "refused"
  --tcp         DNS over TCP (length-prefixed)

Fields:
  sent replies timeouts refused closed     counts
  valid      replies that are a proper answer to our query (QR set, our ID,
             our question)
  idmatch    replies whose ID is the query's
  tc         replies with the TC bit
  lens       distinct reply lengths
  otherport  UDP replies whose source port is not PORT
  minms medms maxms                         reply times (-1 when none)
  pattern    one character per query: 1 answered, 0 not, r refused
  last reply: id rcode tc_bit aa qd an ns ar (the header's counts) a (first A
             record) len ms sport
"""
import argparse
import select
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "MX": 15, "TXT": 16, "AAAA": 28, "SOA": 6, "ANY": 255}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(qid, name, qtype):
    return struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n
        if n == 0:
            return off


def inspect(msg, query):
    """Fields of a reply; 'valid' says whether it answers query."""
    r = {"len": len(msg), "id": -1, "rcode": -1, "tc_bit": 0, "aa": 0, "qd": -1,
         "an": -1, "ns": -1, "ar": -1, "a": "-", "valid": 0}
    if len(msg) < 12:
        return r
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    r.update(id=qid, rcode=flags & 0xF, tc_bit=(flags >> 9) & 1, aa=(flags >> 10) & 1,
             qd=qd, an=an, ns=ns, ar=ar)
    qsec = query[12:]
    try:
        if flags & 0x8000 and qid == struct.unpack("!H", query[:2])[0] and qd == 1 \
                and msg[12:12 + len(qsec)].lower() == qsec.lower():
            r["valid"] = 1
        off = 12
        for _ in range(qd):
            off = skip_name(msg, off) + 4
        for _ in range(an):
            off = skip_name(msg, off)
            rtype, _rclass, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if rtype == 1 and rdlen == 4 and r["a"] == "-":
                r["a"] = socket.inet_ntoa(msg[off:off + 4])
            off += rdlen
    except (IndexError, struct.error):
        r["valid"] = 0
    return r


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_tcp_msg(s, deadline):
    buf = b""
    while True:
        if len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            return buf[2:2 + n], buf[2 + n:]
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        s.settimeout(left)
        chunk = s.recv(65535)
        if not chunk:
            raise EOFError()
        buf += chunk


class Result:
    def __init__(self):
        self.sent = self.replies = self.timeouts = self.refused = self.closed = 0
        self.valid = self.idmatch = self.tc = self.otherport = 0
        self.lens = set()
        self.times = []
        self.pattern = []
        self.last = {"id": -1, "rcode": -1, "tc_bit": 0, "aa": 0, "qd": -1, "an": -1,
                     "ns": -1, "ar": -1, "a": "-", "len": -1, "ms": -1, "sport": -1}

    def reply(self, msg, query, ms, sport, port):
        r = inspect(msg, query)
        self.replies += 1
        self.valid += r["valid"]
        self.idmatch += int(r["id"] == struct.unpack("!H", query[:2])[0])
        self.tc += r["tc_bit"]
        self.lens.add(len(msg))
        self.times.append(ms)
        if sport is not None and sport != port:
            self.otherport += 1
        del r["valid"]
        r["ms"] = round(ms)
        r["sport"] = sport if sport is not None else -1
        self.last = r

    def line(self):
        t = sorted(self.times)
        f = [("sent", self.sent), ("replies", self.replies), ("timeouts", self.timeouts),
             ("refused", self.refused), ("closed", self.closed), ("valid", self.valid),
             ("idmatch", self.idmatch), ("tc", self.tc), ("lens", len(self.lens)),
             ("otherport", self.otherport),
             ("minms", round(t[0]) if t else -1), ("medms", round(t[len(t) // 2]) if t else -1),
             ("maxms", round(t[-1]) if t else -1), ("pattern", "".join(self.pattern) or "-")]
        f += list(self.last.items())
        return " ".join("%s=%s" % kv for kv in f)


def one_by_one(a, res):
    for i in range(a.count):
        qid = (a.id + i) & 0xFFFF
        q = build_query(qid, a.name, a.qtype)
        t0 = time.monotonic()
        deadline = t0 + a.timeout / 1000.0
        res.sent += 1
        try:
            if a.tcp:
                with socket.socket(family(a.addr), socket.SOCK_STREAM) as s:
                    s.settimeout(a.timeout / 1000.0)
                    s.connect((a.addr, a.port))
                    s.sendall(struct.pack("!H", len(q)) + q)
                    msg, _ = recv_tcp_msg(s, deadline)
                    res.reply(msg, q, (time.monotonic() - t0) * 1000, None, a.port)
            else:
                with socket.socket(family(a.addr), socket.SOCK_DGRAM) as s:
                    if a.connect:
                        s.connect((a.addr, a.port))
                        s.send(q)
                    else:
                        s.sendto(q, (a.addr, a.port))
                    s.settimeout(a.timeout / 1000.0)
                    msg, src = s.recvfrom(65535)
                    res.reply(msg, q, (time.monotonic() - t0) * 1000, src[1], a.port)
            res.pattern.append("1")
        except socket.timeout:
            res.timeouts += 1
            res.pattern.append("0")
        except ConnectionRefusedError:
            res.refused += 1
            res.pattern.append("r")
        except (EOFError, ConnectionResetError):
            res.closed += 1
            res.pattern.append("c")


def spread(a, res):
    """One socket; query i at i*interval; replies matched by ID."""
    n = a.count
    ids = [(a.id + i) & 0xFFFF for i in range(n)]
    queries = [build_query(q, a.name, a.qtype) for q in ids]
    by_id = {q: i for i, q in enumerate(ids)}
    sent_at = [None] * n
    got = [None] * n
    if a.tcp:
        s = socket.socket(family(a.addr), socket.SOCK_STREAM)
        s.settimeout(a.timeout / 1000.0)
        try:
            s.connect((a.addr, a.port))
        except ConnectionRefusedError:
            res.sent, res.refused = n, n
            res.pattern = ["r"] * n
            return
    else:
        s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
        if a.connect:
            s.connect((a.addr, a.port))
    s.setblocking(False)
    start = time.monotonic()
    nxt = 0
    tbuf = b""
    end = None
    with s:
        while True:
            now = time.monotonic()
            while nxt < n and now >= start + nxt * a.interval / 1000.0:
                q = queries[nxt]
                try:
                    if a.tcp:
                        s.setblocking(True)
                        s.sendall(struct.pack("!H", len(q)) + q)
                        s.setblocking(False)
                    elif a.connect:
                        s.send(q)
                    else:
                        s.sendto(q, (a.addr, a.port))
                except ConnectionRefusedError:
                    got[nxt] = "r"
                sent_at[nxt] = time.monotonic()
                res.sent += 1
                nxt += 1
                if nxt == n:
                    end = time.monotonic() + a.timeout / 1000.0
            if nxt == n and (time.monotonic() >= end or all(g is not None for g in got)):
                break
            wake = end if nxt == n else start + nxt * a.interval / 1000.0
            r, _, _ = select.select([s], [], [], max(0.0, wake - time.monotonic()))
            if not r:
                continue
            try:
                if a.tcp:
                    chunk = s.recv(65535)
                    if not chunk:
                        break
                    tbuf += chunk
                    msgs = []
                    while len(tbuf) >= 2 and len(tbuf) >= 2 + struct.unpack("!H", tbuf[:2])[0]:
                        m = struct.unpack("!H", tbuf[:2])[0]
                        msgs.append((tbuf[2:2 + m], None))
                        tbuf = tbuf[2 + m:]
                else:
                    msg, src = s.recvfrom(65535)
                    msgs = [(msg, src[1])]
            except ConnectionRefusedError:
                res.refused += 1
                continue
            except BlockingIOError:
                continue
            for msg, sport in msgs:
                if len(msg) < 2:
                    continue
                i = by_id.get(struct.unpack("!H", msg[:2])[0])
                if i is None or got[i] is not None or sent_at[i] is None:
                    continue
                got[i] = "1"
                res.reply(msg, queries[i], (time.monotonic() - sent_at[i]) * 1000, sport,
                          a.port)
    for g in got:
        res.pattern.append(g or "0")
        if g is None:
            res.timeouts += 1


def main():
    ap = argparse.ArgumentParser(description="DNS probe for the faultdns self-test")
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("--type", default="A")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--connect", action="store_true")
    ap.add_argument("--timeout", type=float, default=1000, help="ms")
    ap.add_argument("--id", type=int, default=0x1234)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=None, help="ms")
    a = ap.parse_args()
    a.qtype = TYPES[a.type.upper()]
    res = Result()
    if a.interval is None:
        one_by_one(a, res)
    else:
        spread(a, res)
    print(res.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
