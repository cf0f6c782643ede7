#!/usr/bin/env bash
# 81_res_clients: real clients of the res_* API through the shim, with the primary healthy
# and then blackholed (issue 6). Clients: python3 calling libc's res_query and res_search
# through ctypes (ctypes.CDLL(None), i.e. dlsym), and tests/tools/resq (C: res_query,
# res_search, res_querydomain, the res_n* forms and the old __res_* names).
#
#   healthy     resolv.conf -> NSD. Answers through the shim equal glibc's; the shim's
#               debug log shows its hooks ran and that it sent the queries itself.
#   blackholed  resolv.conf -> faultdns blackhole (127.53.0.2), then NSD. Through the shim
#               an MX res_query answers correctly within the hedge bound (< 300 ms
#               including process start, three fresh processes); glibc alone, run once,
#               waits out its 5 s timeout. Both figures are printed (issue 6's done-when).
#   pass-through  a program that set its own nameserver in _res is answered by libc from
#               that server (faultdns answering NXDOMAIN to everything on 127.53.0.3);
#               RES_USEVC goes to libc, which uses TCP (faultdns pass on 127.53.0.4
#               counts UDP and TCP queries).
#   old names   a binary bound to __res_query@GLIBC_2.2.5 (resq old_query) reaches the shim:
#               ld.so binds the symbol to libdnsfailover.so (LD_DEBUG=bindings) and the
#               hook logs.
#
# errno is not compared here (tests/integration/80_res_differential.sh does that).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/shimrun.sh
. "$DNSF_ROOT/tests/lib/shimrun.sh"

require_root
require_cmd nsd "$DNSF_PYTHON"
require_tool resq
require_tool faultdns
require_lib
RESQ=$TOOLS/resq
BOUND_MS=${DNSF_RES_HEDGE_BOUND_MS:-300}

sr_ns_start
sr_fault 127.53.0.2 blackhole
GOOD=$(sr_etc good "$DNSF_NS_ADDR" --search dnsf.test)
BH=$(sr_etc blackhole 127.53.0.2 "$DNSF_NS_ADDR" --search dnsf.test)   # timeout 5, attempts 2
LOGCONF=$(sr_conf log <<EOF
log: { level = "debug"; target = "stderr"; };
EOF
)
W=$DNSF_TMP/w
mkdir -p "$W"

# ---- the python client: res_query / res_search from libc through ctypes
cat >"$W/resclient.py" <<'EOF'
"""resclient.py CALL NAME TYPE [CALL NAME TYPE ...]: libc's res_query/res_search via ctypes.

Prints per call the return value, h_errno, the answer section in text and the reply's bytes
in hex (ID masked). Each call's duration goes to stderr ("time NAME N ms")."""
import ctypes
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33}
TNAME = {v: k for k, v in TYPES.items()}
HERR = {1: "HOST_NOT_FOUND", 2: "TRY_AGAIN", 3: "NO_RECOVERY", 4: "NO_DATA", 77: "unchanged"}

libc = ctypes.CDLL(None)
herrno = libc.__h_errno_location
herrno.restype = ctypes.POINTER(ctypes.c_int)
for fn in (libc.res_query, libc.res_search):
    fn.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    fn.restype = ctypes.c_int


def name_at(pkt, off):
    """(name, offset after it) for a possibly compressed name at OFF."""
    labels, end, jumps = [], None, 0
    while True:
        n = pkt[off]
        if n >= 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | pkt[off + 1]
            jumps += 1
            if jumps > 50:
                raise ValueError("loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(pkt[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


def answers(pkt):
    qd, an = struct.unpack("!HH", pkt[4:8])
    off = 12
    for _ in range(qd):
        off = name_at(pkt, off)[1] + 4
    out = []
    for _ in range(an):
        owner, off = name_at(pkt, off)
        rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", pkt[off:off + 10])
        off += 10
        rd = pkt[off:off + rdlen]
        t = TNAME.get(rtype, str(rtype))
        if rtype == 15:
            text = "%d %s" % (struct.unpack("!H", rd[:2])[0], name_at(pkt, off + 2)[0])
        elif rtype in (2, 5, 12):
            text = name_at(pkt, off)[0]
        elif rtype == 1:
            text = ".".join(str(b) for b in rd)
        elif rtype == 16:
            parts, i = [], 0
            while i < len(rd):
                parts.append('"%s"' % rd[i + 1:i + 1 + rd[i]].decode("ascii", "replace"))
                i += 1 + rd[i]
            text = " ".join(parts)
        else:
            text = rd.hex()
        out.append("%s %d %s %s" % (owner, ttl, t, text))
        off += rdlen
    return out


args = sys.argv[1:]
for i in range(0, len(args), 3):
    call, name, qtype = args[i:i + 3]
    fn = {"query": libc.res_query, "search": libc.res_search}[call]
    buf = ctypes.create_string_buffer(4096)
    herrno()[0] = 77
    t0 = time.monotonic()
    n = fn(name.encode(), 1, TYPES[qtype], buf, len(buf))
    ms = (time.monotonic() - t0) * 1000
    h = herrno()[0]
    print("res_%s(%s, %s): return=%d h_errno=%s" % (call, name, qtype, n, HERR.get(h, h)))
    if n > 0:
        pkt = buf.raw[:min(n, len(buf))]
        flags = struct.unpack("!H", pkt[2:4])[0]
        print("  rcode=%d tc=%d" % (flags & 0xF, (flags >> 9) & 1))
        for line in answers(pkt):
            print("  " + line)
        print("  bytes=" + pkt[2:].hex())
    print("time %s %s %.0f ms" % (call, name, ms), file=sys.stderr)
sys.stdout.flush()
EOF
PY=("$DNSF_PYTHON" -I "$W/resclient.py")
PYCALLS=(query mx.dnsf.test MX search mx MX query nosuch.dnsf.test MX search nodata TXT
	search bigtxt TXT query 13.2.0.192.in-addr.arpa PTR)
CCALLS=(query mx.dnsf.test MX -- search mx MX -- nquery nosuch.dnsf.test A
	-- nsearch bigtxt TXT len=512 -- querydomain www dnsf.test AAAA -- old_query mx.dnsf.test MX
	-- old_nsearch nodata TXT)

# noerrno FILE: the file without errno lines
noerrno() { grep -v '^  errno' "$1"; }
# answers FILE: resq output without errno lines and without what failed calls left in the
# buffer (80_res_differential compares those); return values and answers stay.
answers() {
	awk '/^\[[0-9]+\] / { skip = 0 }
	/^  errno/ { next }
	/^  return=-/ { print; skip = 1; next }
	!skip { print }' "$1"
}

# ================================================================ primary healthy
sr_plain "$GOOD" "${PY[@]}" "${PYCALLS[@]}" >"$W/py.glibc" 2>"$W/py.glibc.err"
echo "rc=$?" >>"$W/py.glibc"
ref=$(cat "$W/py.glibc")
assert_contains "$ref" "res_query(mx.dnsf.test, MX): return=160 h_errno=unchanged
  rcode=0 tc=0
  mx.dnsf.test. 3600 MX 10 mx.dnsf.test.
  mx.dnsf.test. 3600 MX 20 www.dnsf.test." "python reference (glibc): res_query MX answers both MX records"
assert_contains "$ref" "res_search(mx, MX): return=160" "python reference: res_search applies the search list"
assert_contains "$ref" "res_query(nosuch.dnsf.test, MX): return=-1 h_errno=HOST_NOT_FOUND" \
	"python reference: NXDOMAIN is -1 with HOST_NOT_FOUND"
assert_contains "$ref" "res_search(nodata, TXT): return=" "python reference: res_search TXT through the search list"
assert_contains "$ref" "res_search(bigtxt, TXT): return=707" "python reference: the big TXT reply (TCP) in full"
assert_contains "$ref" "13.2.0.192.in-addr.arpa. 300 PTR two-a.dnsf.test." "python reference: PTR"
assert_eq "rc=0" "$(tail -n 1 "$W/py.glibc")" "python reference: exit 0"

sr_shim "$GOOD" "$LOGCONF" "${PY[@]}" "${PYCALLS[@]}" >"$W/py.shim" 2>"$W/py.shim.err"
echo "rc=$?" >>"$W/py.shim"
if cmp -s "$W/py.glibc" "$W/py.shim"; then
	ok "healthy: python3 ctypes res_query/res_search through the shim: output identical to glibc's"
else
	not_ok "healthy: python3 ctypes res_query/res_search through the shim: output identical to glibc's"
	diff "$W/py.glibc" "$W/py.shim" | head -n 30 | sed 's/^/#   /'
fi
assert_eq 3 "$(sr_count "$W/py.shim.err" 'debug: hook res_query\(')" "healthy: python: 3 'hook res_query(' lines (ctypes found the shim's res_query)"
assert_eq 3 "$(sr_count "$W/py.shim.err" 'debug: hook res_search\(')" "healthy: python: 3 'hook res_search(' lines"
# (the shim's answer cache serves res_search(mx) from res_query(mx.dnsf.test)'s reply)
for a in "mx.dnsf.test type 15" "nosuch.dnsf.test type 15" "nodata.dnsf.test type 16" \
	"bigtxt.dnsf.test type 16" "13.2.0.192.in-addr.arpa type 12"; do
	assert_contains "$(cat "$W/py.shim.err")" "debug: ask $DNSF_NS_ADDR:53 for $a" \
		"healthy: python: the shim asked NSD for $a itself"
done

sr_plain "$GOOD" "$RESQ" "${CCALLS[@]}" >"$W/c.glibc" 2>"$W/c.glibc.err"
echo "rc=$?" >>"$W/c.glibc"
assert_contains "$(cat "$W/c.glibc")" "mx.dnsf.test. 3600 IN MX 10 mx.dnsf.test." "C reference (glibc): MX answered"
assert_contains "$(cat "$W/c.glibc")" "[4] res_nsearch(\"bigtxt\", class=IN, type=TXT, len=512)
  return=707" "C reference: res_nsearch of the big TXT into 512 bytes returns the full length"
assert_eq "rc=0" "$(tail -n 1 "$W/c.glibc")" "C reference: exit 0"
sr_shim "$GOOD" "$LOGCONF" "$RESQ" "${CCALLS[@]}" >"$W/c.shim" 2>"$W/c.shim.err"
echo "rc=$?" >>"$W/c.shim"
if [ "$(answers "$W/c.glibc")" == "$(answers "$W/c.shim")" ]; then
	ok "healthy: resq (7 calls) through the shim: the same return values, h_errno and answers as glibc"
else
	not_ok "healthy: resq (7 calls) through the shim: the same return values, h_errno and answers as glibc"
	diff <(answers "$W/c.glibc") <(answers "$W/c.shim") | head -n 30 | sed 's/^/#   /'
fi
for h in 'hook res_query\(mx.dnsf.test, type 15\)' 'hook res_search\(mx, type 15\)' \
	'hook res_nquery\(nosuch.dnsf.test, type 1\)' 'hook res_nsearch\(bigtxt, type 16\)' \
	'hook res_querydomain\(www, type 28\)' 'hook res_nsearch\(nodata, type 16\)'; do
	n=$(sr_count "$W/c.shim.err" "debug: $h")
	if [ "$n" -ge 1 ]; then ok "healthy: resq: the log shows '${h//\\/}'"; else
		not_ok "healthy: resq: the log shows '${h//\\/}'"; fi
done
assert_eq 2 "$(sr_count "$W/c.shim.err" 'debug: hook res_query\(mx.dnsf.test, type 15\)')" \
	"healthy: resq: res_query and __res_query (old_query) both logged 'hook res_query(mx.dnsf.test, type 15)'"

# ================================================================ primary blackholed
# What the answer must be: glibc against the healthy server alone.
expected=$(noerrno "$W/c.glibc" | sed -n '/^\[1\]/,/^\[2\]/p' | sed '$d')
[ -n "$expected" ] || bail "no reference MX answer"
figs="" calls=""
for i in 1 2 3; do
	sr_timed "$W/bh.out" "$W/bh.err" sr_shim "$BH" - "$RESQ" -t query mx.dnsf.test MX
	figs="$figs ${SR_MS}ms"
	t=$(sed -n 's/^time \[1\] \([0-9]*\) ms$/\1/p' "$W/bh.err")
	calls="$calls ${t}ms"
	sed -i '/^time \[1\] [0-9]* ms$/d' "$W/bh.err"
	assert_eq "0|$expected" "$SR_RC|$(noerrno "$W/bh.out")" "blackholed, shim run $i: res_query MX answers exactly as glibc does against a healthy server"
	if [ "$SR_MS" -lt "$BOUND_MS" ]; then
		ok "blackholed, shim run $i: res_query MX answered in $SR_MS ms (< $BOUND_MS ms, process start included)"
	else
		not_ok "blackholed, shim run $i: res_query MX took $SR_MS ms (>= $BOUND_MS ms)"
	fi
	assert_eq "" "$(cat "$W/bh.err")" "blackholed, shim run $i: nothing on stderr"
done
diag "figure: shim, primary blackholed: res_query(mx.dnsf.test, MX) took$figs (process start included); the call itself$calls"
shim_first=${figs# }
shim_first=${shim_first%% *}

# The shim, the other calls (one process): all answered, quickly.
sr_timed "$W/bhc.out" "$W/bhc.err" sr_shim "$BH" - "$RESQ" "${CCALLS[@]}"
echo "rc=$SR_RC" >>"$W/bhc.out"
if [ "$(noerrno "$W/bhc.out")" == "$(noerrno "$W/c.shim")" ]; then
	ok "blackholed, shim: resq (7 calls) gives the same output as with the primary healthy"
else
	not_ok "blackholed, shim: resq (7 calls) gives the same output as with the primary healthy"
	diff <(noerrno "$W/c.shim") <(noerrno "$W/bhc.out") | grep -v '^[<>]   [0-9a-f]\{4\}:' | head -n 30 | sed 's/^/#   /'
fi
if [ "$SR_MS" -lt 2000 ]; then ok "blackholed, shim: resq's 7 calls took $SR_MS ms (< 2000 ms; glibc needs ~5 s each)"; else
	not_ok "blackholed, shim: resq's 7 calls took $SR_MS ms (>= 2000 ms)"; fi

sr_timed "$W/bhpy.out" "$W/bhpy.err" sr_shim "$BH" - "${PY[@]}" "${PYCALLS[@]}"
echo "rc=$SR_RC" >>"$W/bhpy.out"
if cmp -s "$W/py.glibc" "$W/bhpy.out"; then
	ok "blackholed, shim: python3 ctypes res_query/res_search: output identical to glibc's with a healthy primary"
else
	not_ok "blackholed, shim: python3 ctypes res_query/res_search: output identical to glibc's with a healthy primary"
	diff "$W/py.glibc" "$W/bhpy.out" | head -n 30 | sed 's/^/#   /'
fi
pyfig=$(grep -m1 '^time query mx.dnsf.test' "$W/bhpy.err")
if [ "$SR_MS" -lt 2000 ]; then
	ok "blackholed, shim: python3's 6 calls took $SR_MS ms in all (< 2000 ms); ${pyfig#time }"
else
	not_ok "blackholed, shim: python3's 6 calls took $SR_MS ms (>= 2000 ms)"
fi

# glibc alone, once (it costs 5 s): it waits for the primary before asking the secondary.
sr_timed "$W/bhg.out" "$W/bhg.err" sr_plain "$BH" "$RESQ" -t query mx.dnsf.test MX
assert_eq "0|$expected" "$SR_RC|$(noerrno "$W/bhg.out")" "blackholed, glibc alone: the same answer, eventually"
if [ "$SR_MS" -ge 4500 ]; then
	ok "blackholed, glibc alone: res_query MX took $SR_MS ms (>= 4500 ms: it waited out the dead primary)"
else
	not_ok "blackholed, glibc alone: res_query MX took only $SR_MS ms (< 4500 ms): the primary was not really blackholed?"
fi
diag "figure: glibc alone, primary blackholed: res_query(mx.dnsf.test, MX) took ${SR_MS}ms; the call itself $(sed -n 's/^time \[1\] \([0-9]*\) ms$/\1/p' "$W/bhg.err")ms"
diag "figures (issue 6): MX res_query with the primary blackholed: shim ${shim_first}, glibc ${SR_MS}ms"

# ================================================================ the old names
sr_shim "$GOOD" "$LOGCONF" env LD_DEBUG=bindings "$RESQ" old_query mx.dnsf.test MX \
	-- old_nquerydomain mx dnsf.test MX >"$W/old.out" 2>"$W/old.err"
assert_contains "$(cat "$W/old.out")" "[1] __res_query(\"mx.dnsf.test\", class=IN, type=MX, len=4096)
  return=160" "old names: __res_query answers"
assert_contains "$(cat "$W/old.out")" "[2] __res_nquerydomain(\"mx\", \"dnsf.test\", class=IN, type=MX, len=4096)
  return=160" "old names: __res_nquerydomain answers"
for s in __res_query __res_nquerydomain; do
	if grep -qE "binding file [^ ]*resq \[0\] to [^ ]*libdnsfailover\.so \[0\]: normal symbol \`$s' \[GLIBC_2\.2\.5\]" "$W/old.err"; then
		ok "old names: ld.so binds resq's $s@GLIBC_2.2.5 to libdnsfailover.so"
	else
		not_ok "old names: ld.so binds resq's $s@GLIBC_2.2.5 to libdnsfailover.so"
		grep "symbol \`$s'" "$W/old.err" | head -n 3 | sed 's/^/#   /'
	fi
done
assert_eq 1 "$(sr_count "$W/old.err" 'debug: hook res_query\(mx.dnsf.test, type 15\)')" "old names: __res_query ran the hook"
assert_eq 1 "$(sr_count "$W/old.err" 'debug: hook res_nquerydomain\(mx, type 15\)')" "old names: __res_nquerydomain ran the hook"

# ================================================================ pass-through
# The program's own nameserver: faultdns on 127.53.0.3 answers NXDOMAIN to everything. The
# resolv.conf names NSD only, so an answer other than NXDOMAIN would mean the shim ignored
# the program's server.
sr_fault 127.53.0.3 nxdomain
for f in query nquery; do
	sr_plain "$GOOD" "$RESQ" "$f" mx.dnsf.test MX ns=127.53.0.3:53 >"$W/own.glibc" 2>&1
	sr_shim "$GOOD" "$LOGCONF" "$RESQ" "$f" mx.dnsf.test MX ns=127.53.0.3:53 >"$W/own.shim" 2>"$W/own.err"
	assert_contains "$(cat "$W/own.glibc")" "return=-1 h_errno=HOST_NOT_FOUND" \
		"own nameserver, glibc: res_$f asked the program's server (NXDOMAIN from faultdns)"
	assert_eq "$(noerrno "$W/own.glibc")" "$(noerrno "$W/own.shim")" \
		"own nameserver, shim: res_$f gives glibc's answer from the program's server"
	assert_eq 1 "$(sr_count "$W/own.err" "debug: hook res_$f\\(mx.dnsf.test")" "own nameserver, shim: the res_$f hook ran"
	assert_eq 0 "$(sr_count "$W/own.err" 'debug: ask ')" "own nameserver, shim: res_$f was passed to libc (no 'ask' lines)"
done
sr_shim "$GOOD" "$LOGCONF" "$RESQ" query mx.dnsf.test MX ns=127.53.0.1:53 >"$W/same.out" 2>"$W/same.err"
assert_contains "$(cat "$W/same.out")" "return=160" "control: _res naming resolv.conf's own server is not 'own servers'"
n=$(sr_count "$W/same.err" 'debug: ask ')
if [ "$n" -ge 1 ]; then ok "control: ... and the shim answers it itself ($n 'ask' lines)"; else
	not_ok "control: ... and the shim answers it itself (no 'ask' lines)"; fi

# RES_USEVC: libc answers over TCP. faultdns pass on 127.53.0.4 counts UDP and TCP queries.
STATS=$DNSF_TMP/usevc.stats
sr_fault 127.53.0.4 pass --stats "$STATS"
VC=$(sr_etc usevc 127.53.0.4)
sr_plain "$GOOD" "$RESQ" query mx.dnsf.test MX set=USEVC >"$W/vc.glibc" 2>&1
sr_shim "$VC" "$LOGCONF" "$RESQ" query mx.dnsf.test MX set=USEVC -- nquery mx.dnsf.test MX set=USEVC \
	>"$W/vc.shim" 2>"$W/vc.err"
dnsf_stop_pid "$SR_FAULT_PID"   # SIGTERM: faultdns writes its stats file
dnsf_untrack_pid "$SR_FAULT_PID"
assert_contains "$(noerrno "$W/vc.shim")" "$(noerrno "$W/vc.glibc" | sed 1d)" "RES_USEVC, shim: res_query answers as glibc does"
assert_eq 1 "$(sr_count "$W/vc.err" 'debug: hook res_query\(mx.dnsf.test')" "RES_USEVC, shim: the res_query hook ran"
assert_eq 1 "$(sr_count "$W/vc.err" 'debug: hook res_nquery\(mx.dnsf.test')" "RES_USEVC, shim: the res_nquery hook ran"
assert_eq 0 "$(sr_count "$W/vc.err" 'debug: ask ')" "RES_USEVC, shim: passed to libc (no 'ask' lines)"
assert_eq "udp 0|tcp 2" "$(grep -x 'udp [0-9]*' "$STATS")|$(grep -x 'tcp [0-9]*' "$STATS")" \
	"RES_USEVC, shim: the 2 queries went over TCP, none over UDP (faultdns stats)"

finish
