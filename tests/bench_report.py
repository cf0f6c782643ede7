#!/usr/bin/env python3
"""bench_report.py -- turn tests/bench.sh's raw key=value files into markdown.

  bench_report.py overhead FILE        bench_spawn's output for /bin/true
  bench_report.py failover FILE...     one benchlookup cell per file (with the
                                       fault proxies' stats as primary_* and
                                       secondary_* keys, see run_cell)
  bench_report.py cache DIR NSCD       the cache.*.kv files of bench_cache in DIR
                                       (cache_bench's output); NSCD is nscd's
                                       version, or "not measured: REASON"

Prints the markdown tables on stdout.  Standard library only.
"""
import sys

FAULTS = {
    "healthy": "healthy",
    "blackhole": "primary blackholed",
    "slow300": "primary 300 ms slow",
    "servfail": "primary SERVFAIL",
    "closed": "primary closed port",
    "drop30": "primary drops 30 %",
    "alldown": "all servers down",
}
HOSTENT_CALLS = (
    ("gh", "gethostbyname"),
    ("gh2", "gethostbyname2 (AF_INET6)"),
    ("ghr", "gethostbyname_r (8 KiB buffer)"),
    ("gh2r", "gethostbyname2_r (AF_INET6, 8 KiB)"),
    ("gha", "gethostbyaddr"),
    ("ghar", "gethostbyaddr_r (8 KiB)"),
    ("gni", "getnameinfo"),
)
RESOLVERS = {
    "glibc": "glibc",
    "glibc-t1": "glibc t1",
    "race": "dnsfailover race",
    "hedge": "dnsfailover hedge",
    "sequence": "dnsfailover sequence",
}


def read_kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
    return d


def num(d, k, default=0):
    try:
        return int(d.get(k, default))
    except ValueError:
        return float(d.get(k, default))


def fmt_ns(ns):
    ms = ns / 1e6
    if ms < 1:
        return "%.2f ms" % ms
    if ms < 100:
        return "%.1f ms" % ms
    if ms < 1000:
        return "%.0f ms" % ms
    return "%.2f s" % (ms / 1000)


def overhead(path):
    d = read_kv(path)
    pw, lw = num(d, "plain_wall_p50_us"), num(d, "preload_wall_p50_us")
    pr, lr = num(d, "plain_rss_p50_kb"), num(d, "preload_rss_p50_kb")
    print("| `/bin/true` | wall time, median (p10–p90) | peak RSS, median (min–max) |")
    print("| --- | --- | --- |")
    print("| plain | %.2f ms (%.2f–%.2f) | %d KiB (%d–%d) |" % (
        pw / 1000, num(d, "plain_wall_p10_us") / 1000, num(d, "plain_wall_p90_us") / 1000,
        pr, num(d, "plain_rss_min_kb"), num(d, "plain_rss_max_kb")))
    print("| with the shim preloaded | %.2f ms (%.2f–%.2f) | %d KiB (%d–%d) |" % (
        lw / 1000, num(d, "preload_wall_p10_us") / 1000, num(d, "preload_wall_p90_us") / 1000,
        lr, num(d, "preload_rss_min_kb"), num(d, "preload_rss_max_kb")))
    print("| difference | %+.2f ms (%+.0f %%) | %+d KiB |" % (
        (lw - pw) / 1000, 100.0 * (lw - pw) / pw if pw else 0, lr - pr))
    if num(d, "failures"):
        print("\n%d runs did not exit 0." % num(d, "failures"))


def failover(paths):
    print("| fault | resolver | N | first lookup | p50 | p99 | failures | queries per lookup (primary + secondary) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
    budget_note = 0
    last_fault = None
    for p in paths:
        try:
            d = read_kv(p)
        except OSError:
            continue
        fault = d.get("fault", "?")
        res = d.get("resolver", "?")
        flabel = FAULTS.get(fault, fault) if fault != last_fault else ""
        last_fault = fault
        rlabel = RESOLVERS.get(res, res)
        n = num(d, "count")
        req = num(d, "requested")
        if d.get("exit", "0") != "0" or "count" not in d:
            print("| %s | %s | – | – | – | – | benchlookup exit %s | – |" % (
                flabel, rlabel, d.get("exit", "?")))
            continue
        ncol = str(n)
        if n < req:
            ncol += "*"
            budget_note = req
        fails = num(d, "failures")
        if fails:
            codes = sorted(k[4:] for k in d if k.startswith("err_"))
            fcol = "%d/%d (%s)" % (fails, n, ", ".join(codes))
        else:
            fcol = "0"
        pq = d.get("primary_queries")
        sq = d.get("secondary_queries")
        if n == 0:
            qcol = "–"
        elif pq is None and sq is not None:
            qcol = "? + %.2f (closed port: not counted)" % (int(sq) / n)
        elif pq is not None and sq is not None:
            qcol = "%.2f (%.2f + %.2f)" % ((int(pq) + int(sq)) / n, int(pq) / n, int(sq) / n)
        else:
            qcol = "?"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            flabel, rlabel, ncol, fmt_ns(num(d, "first_ns")), fmt_ns(num(d, "p50_ns")),
            fmt_ns(num(d, "p99_ns")), fcol, qcol))
    if budget_note:
        print("\n\\* fewer than the %d lookups asked for: the cell's time budget ran out." % budget_note)


def fmt_lat(ns):
    if ns < 10000:
        return "%d ns" % ns
    if ns < 10000000:
        return "%.1f µs" % (ns / 1e3)
    return "%.1f ms" % (ns / 1e6)


def fmt_rate(r):
    if r >= 1e6:
        return "%.2f M/s" % (r / 1e6)
    if r >= 1e3:
        return "%.1f k/s" % (r / 1e3)
    return "%.0f /s" % r


def cache(directory, nscd):
    import os

    def kv(name):
        path = os.path.join(directory, "cache.%s.kv" % name)
        try:
            d = read_kv(path)
        except OSError:
            return None
        if d.get("exit", "0") != "0" or "calls" not in d and "count" not in d:
            return {"_error": "exit %s" % d.get("exit", "?")}
        return d

    have_nscd = not nscd.startswith("not ")
    nscd_proof = []

    def nscd_cell(name, key):
        """An nscd figure only if nscd provably answered (see cb_nscd in bench.sh): no
        call failed although the client's own resolver was unreachable, and nscd's
        counters show it was asked."""
        d = kv(name)
        if d is None or "_error" in d:
            return cell(d, key)
        fails = num(d, "failures")
        asked = num(d, "nscd_hosts_hits") + num(d, "nscd_hosts_misses")
        if "nscd_hosts_misses" not in d:
            return "no nscd counters", None
        if fails or asked == 0:
            return "not answered by nscd (%d failed, %d requests)" % (fails, asked), None
        nscd_proof.append((name, num(d, "calls"), asked))
        return cell(d, key)

    def cell(d, key):
        if d is None:
            return "–", None
        if "_error" in d:
            return "failed (%s)" % d["_error"], None
        v = num(d, key)
        fails = num(d, "failures")
        note = " (%d failed)" % fails if fails else ""
        return (fmt_rate(v) if key == "lookups_per_sec" else fmt_lat(v)) + note, v

    def ratio(a, b):
        """How many times A beats B: B / A for latencies (A = dnsfailover's)."""
        if a is None or b is None or a == 0 or b == 0:
            return "–"
        r = b / a
        return "%.0f×" % r if r >= 10 else "%.1f×" % r

    nscd_head = "nscd" if have_nscd else "nscd (not measured)"
    print("| per getaddrinfo call, list built and freed (median) | dnsfailover, cache hit "
          "| glibc, uncached (loopback NSD) | %s | dnsfailover faster than glibc by | ... than nscd by |"
          % nscd_head)
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    hits = {}
    ratios = {}
    for fam, flabel in (("unspec", "AF_UNSPEC"), ("inet", "AF_INET")):
        for t in (1, 2):
            s_txt, s_v = cell(kv("shim.%s.t%d" % (fam, t)), "call_p50_ns")
            g_txt, g_v = cell(kv("glibc.%s.t%d" % (fam, t)), "call_p50_ns")
            if have_nscd:
                n_txt, n_v = nscd_cell("nscd.%s.t%d" % (fam, t), "call_p50_ns")
            else:
                n_txt, n_v = "not measured", None
            hits[(fam, t)] = s_v
            ratios[(fam, t)] = (g_v / s_v if s_v and g_v else None, n_v / s_v if s_v and n_v else None)
            print("| %s, %d thread%s | %s | %s | %s | %s | %s |" % (
                flabel, t, "s" if t > 1 else "", s_txt, g_txt, n_txt,
                ratio(s_v, g_v), ratio(s_v, n_v)))
    s_txt, s_v = cell(kv("shim.hot8"), "lookups_per_sec")
    g_txt, g_v = cell(kv("glibc.hot8"), "lookups_per_sec")
    if have_nscd:
        n_txt, n_v = nscd_cell("nscd.hot8", "lookups_per_sec")
    else:
        n_txt, n_v = "not measured", None
    # For rates the speedup is dnsfailover's rate over the other's.
    print("| lookups per second, 8 threads, 100 hot names (AF_UNSPEC) | %s | %s | %s | %s | %s |" % (
        s_txt, g_txt, n_txt, ratio(g_v, s_v), ratio(n_v, s_v)))
    hot_vs_nscd = ratio(n_v, s_v) if n_v else None

    # issue 10, item 4: repeats of the hostent calls and getnameinfo
    print()
    print("| one repeated call (median) | dnsfailover, memo hit | glibc, uncached (loopback NSD) "
          "| %s | dnsfailover faster than glibc by | ... than nscd by |" % nscd_head)
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    hostent_hits = {}
    for call, label in HOSTENT_CALLS:
        s_txt, s_v = cell(kv("shim.%s" % call), "call_p50_ns")
        g_txt, g_v = cell(kv("glibc.%s" % call), "call_p50_ns")
        if have_nscd:
            n_txt, n_v = nscd_cell("nscd.%s" % call, "call_p50_ns")
        else:
            n_txt, n_v = "not measured", None
        if kv("shim.%s" % call) is not None:
            hostent_hits[call] = s_v
        print("| %s | %s | %s | %s | %s | %s |" % (
            label, s_txt, g_txt, n_txt, ratio(s_v, g_v), ratio(s_v, n_v)))

    if nscd_proof:
        print("\nnscd answered: %d cells, %s calls, none failed with the client's own resolver "
              "unreachable; nscd's socket saw %s hosts requests per cell (the rest were read from "
              "its shared database)." % (
                  len(nscd_proof), "{:,}".format(sum(c for _, c, _ in nscd_proof)),
                  "–".join(str(x) for x in sorted({min(a for _, _, a in nscd_proof),
                                                    max(a for _, _, a in nscd_proof)}))))
    elif not have_nscd:
        print("\nnscd %s." % nscd)

    # getaddrinfo alone and the clock's share, for the record
    d = kv("shim.unspec.t1")
    if d and "_error" not in d:
        print("\ndnsfailover, AF_UNSPEC, 1 thread: getaddrinfo alone %s median (p90 %s, p99 %s); "
              "clock_gettime pair %s, included in every figure above." % (
                  fmt_lat(num(d, "gai_p50_ns")), fmt_lat(num(d, "gai_p90_ns")),
                  fmt_lat(num(d, "gai_p99_ns")), fmt_lat(num(d, "clock_ns"))))

    # memory
    m = kv("shim.mem")
    g = kv("glibc.mem")
    print()
    print("| memory | RSS growth over %s distinct names | per name | cache entries at exit |" % (
        m.get("count", "?") if m and "_error" not in m else "?"))
    print("| --- | ---: | ---: | ---: |")
    for label, d in (("dnsfailover (cache and memo)", m), ("glibc alone", g)):
        if d is None or "_error" in d:
            print("| %s | failed | – | – |" % label)
            continue
        print("| %s | %+d KiB (%d → %d KiB) | %d bytes | %s |" % (
            label, num(d, "rss_delta_kb"), num(d, "rss_before_kb"), num(d, "rss_after_kb"),
            num(d, "bytes_per_name"), d.get("cache_entries", "–")))

    # issue 4's targets
    worst = max((v for v in hits.values() if v), default=None)
    lines = []
    if worst is not None:
        lines.append("cache hit ≤ 1 µs median (AF_UNSPEC and AF_INET, 1 and 2 threads): "
                     "%s (slowest cell %s)" % ("met" if worst <= 1000 else "NOT met", fmt_lat(worst)))
    gl = [r[0] for r in ratios.values() if r[0] is not None]
    if gl:
        lines.append("≥ 50× faster than glibc uncached: %s (smallest ratio %.0f×)" % (
            "met" if min(gl) >= 50 else "NOT met", min(gl)))
    ns = [r[1] for r in ratios.values() if r[1] is not None]
    if ns:
        lines.append("faster than nscd: %s (smallest ratio %s×%s)" % (
            ("NOT met" if min(ns) <= 1 else "met") if len(ns) == len(ratios) else
            "not established, %d of %d cells have an nscd figure" % (len(ns), len(ratios)),
            "%.0f" % min(ns) if min(ns) >= 10 else "%.1f" % min(ns),
            "; 8-thread hot-set throughput %s" % hot_vs_nscd if hot_vs_nscd else ""))
    elif not have_nscd:
        lines.append("faster than nscd: %s" % nscd)
    else:
        lines.append("faster than nscd: no nscd figure (see the nscd column)")
    if lines:
        print("\nIssue 4's targets: " + "; ".join(lines) + ".")
    if hostent_hits:
        worst = max(hostent_hits.values(), key=lambda v: v if v is not None else float("inf"))
        print("\nIssue 10's target: a repeat of each hostent call and getnameinfo ≤ 1 µs median: %s." % (
            "no figure for %s" % ", ".join(c for c, v in hostent_hits.items() if v is None)
            if worst is None else
            "%s (slowest %s)" % ("met" if worst <= 1000 else "NOT met", fmt_lat(worst))))


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: bench_report.py overhead FILE | failover FILE... | cache DIR NSCD")
    if sys.argv[1] == "overhead":
        overhead(sys.argv[2])
    elif sys.argv[1] == "failover":
        failover(sys.argv[2:])
    elif sys.argv[1] == "cache":
        cache(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "not installed")
    else:
        sys.exit("bench_report.py: unknown report " + sys.argv[1])


if __name__ == "__main__":
    main()
