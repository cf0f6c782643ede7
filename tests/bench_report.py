#!/usr/bin/env python3
"""bench_report.py -- turn tests/bench.sh's raw key=value files into markdown.

  bench_report.py overhead FILE        bench_spawn's output for /bin/true
  bench_report.py failover FILE...     one benchlookup cell per file (with the
                                       fault proxies' stats as primary_* and
                                       secondary_* keys, see run_cell)

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


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: bench_report.py overhead FILE | failover FILE...")
    if sys.argv[1] == "overhead":
        overhead(sys.argv[2])
    elif sys.argv[1] == "failover":
        failover(sys.argv[2:])
    else:
        sys.exit("bench_report.py: unknown report " + sys.argv[1])


if __name__ == "__main__":
    main()
