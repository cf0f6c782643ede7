#!/usr/bin/env python3
"""bench_report.py -- turn tests/bench.sh's raw key=value files into markdown.

  bench_report.py overhead FILE        bench_spawn's output for /bin/true
  bench_report.py failover FILE...     one benchlookup cell per file (with the
                                       fault proxies' stats as primary_* and
                                       secondary_* keys, see run_cell)
  bench_report.py cache DIR NSCD       the cache.*.kv files of bench_cache in DIR
                                       (cache_bench's output); NSCD is nscd's
                                       version, or "not measured: REASON"
  bench_report.py fresh MUSL FILE...   bench_fresh's cells (bench_spawn --sequence
                                       with the proxies' stats, see fresh_cell) and
                                       its preload pairs (pair=... files); MUSL is
                                       musl's version, or "not measured: REASON"

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
    "musl": "musl static",
    "race": "dnsfailover race",
    "hedge": "dnsfailover hedge",
    "balance": "dnsfailover balance",
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


# Issue 13's targets for the preload's cost to a fresh process, healthy servers (µs).
FRESH_PAIRS = (
    ("true", "`/bin/true`", 50),
    ("numeric", "`getent ahosts 127.0.0.1` (numeric)", 100),
    ("dns", "`getent ahosts www.dnsf.test` (one DNS lookup)", 200),
)


def fmt_us(us):
    return fmt_ns(us * 1000)


def fresh_done_when(cells):
    """Issue 13's "done when" for a dead primary, from the cells that ran: each strategy's
    median after learning within 1 ms of glibc's per-process median with healthy servers,
    and at most 10 queries to the dead primary from 50 processes."""
    by = {(d.get("fault"), d.get("resolver")): d for d in cells
          if d.get("exit", "0") == "0" and num(d, "count") > 0}
    base = by.get(("healthy", "glibc"))
    lines = []
    for res in ("hedge", "sequence", "race"):
        d = by.get(("blackhole", res))
        if d is None:
            continue
        n = num(d, "count")
        if base is None or "after_wall_p50_us" not in d:
            t = "no figure"
        else:
            after, limit = num(d, "after_wall_p50_us"), num(base, "wall_p50_us") + 1000
            t = "%s (%s)" % ("met" if after <= limit else "not met", fmt_us(after))
        q = num(d, "primary_queries")
        if n < 50:
            qt = "%d from %d processes (not all 50 ran)" % (q, n)
        else:
            qt = "%s (%d from %d)" % ("met" if q * 50 <= 10 * n else "not met", q, n)
        lines.append("%s: %s, queries %s" % (res, t, qt))
    if lines:
        print("\nIssue 13's targets, dead primary: after learning within 1 ms of glibc with a "
              "healthy server (%s), at most 10 queries to the dead primary from 50 processes. %s." % (
                  fmt_us(num(base, "wall_p50_us")) if base else "not measured", "; ".join(lines)))


def fresh(musl, paths):
    cells = []
    pairs = {}
    for p in paths:
        try:
            d = read_kv(p)
        except OSError:
            continue
        if "pair" in d:
            pairs[d["pair"]] = d
        else:
            cells.append(d)

    print("| primary | resolver | N | per process, median | p90 | median after learning "
          "| queries to the primary: all (per process) | peak RSS, median | failed |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    budget = None
    skip = None
    requested = None
    last_fault = None
    for d in cells:
        fault = d.get("fault", "?")
        flabel = {"blackhole": "dead (blackholed)", "slow300": "300 ms slow",
                  "healthy": "healthy"}.get(fault, fault) if fault != last_fault else ""
        last_fault = fault
        rlabel = RESOLVERS.get(d.get("resolver", "?"), d.get("resolver", "?"))
        n = num(d, "count")
        if d.get("exit", "0") != "0" or n == 0:
            print("| %s | %s | – | – | – | – | – | – | exit %s |" % (flabel, rlabel, d.get("exit", "?")))
            continue
        ncol = str(n)
        requested = num(d, "requested")
        if n < requested:
            ncol += "*"
            budget = num(d, "budget_ms")
        skip = num(d, "after_skip")
        after = fmt_us(num(d, "after_wall_p50_us")) if "after_wall_p50_us" in d else "–"
        pq = d.get("primary_queries")
        qcol = "%d (%.2f)" % (int(pq), int(pq) / n) if pq is not None else "?"
        fails = num(d, "failures")
        print("| %s | %s | %s | %s | %s | %s | %s | %d KiB | %s |" % (
            flabel, rlabel, ncol, fmt_us(num(d, "wall_p50_us")), fmt_us(num(d, "wall_p90_us")),
            after, qcol, num(d, "rss_p50_kb"), "%d/%d" % (fails, n) if fails else "0"))
    if skip is not None and requested is not None and requested > skip:
        print("\n**after learning**: the median of processes %d–%d (the last %d), or of those "
              "that ran." % (skip + 1, requested, requested - skip))
    if budget:
        print("\n\\* fewer than the %d processes asked for: no process starts after %d s in a cell." % (
            requested, budget // 1000))
    if musl.startswith("not "):
        print("\nmusl static: %s." % musl)
    fresh_done_when(cells)

    print()
    print("| a fresh process, healthy servers | without the preload, median (p10–p90) "
          "| with it, median (p10–p90) | difference of medians "
          "| paired difference, median (p10–p90) | issue 13's target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for key, label, target in FRESH_PAIRS:
        d = pairs.get(key)
        if d is None or d.get("exit", "0") != "0" or "runs" not in d:
            print("| %s | – | – | – | %s | ≤ +%d µs |" % (
                label, "exit %s" % d.get("exit", "?") if d else "not run", target))
            continue

        def spread(v):
            return "%d µs (%d–%d)" % (num(d, v + "_p50_us"), num(d, v + "_p10_us"), num(d, v + "_p90_us"))

        diff = num(d, "diff_wall_p50_us")
        fails = num(d, "failures")
        print("| %s | %s | %s | %+d µs | %+d µs (%+d – %+d) | ≤ +%d µs: %s |" % (
            label + (" (%d runs failed)" % fails if fails else ""), spread("plain_wall"),
            spread("preload_wall"), num(d, "preload_wall_p50_us") - num(d, "plain_wall_p50_us"),
            diff, num(d, "diff_wall_p10_us"), num(d, "diff_wall_p90_us"), target,
            "met" if diff <= target else "not met"))


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
        sys.exit("usage: bench_report.py overhead FILE | failover FILE... | cache DIR NSCD"
                 " | fresh MUSL FILE...")
    if sys.argv[1] == "overhead":
        overhead(sys.argv[2])
    elif sys.argv[1] == "failover":
        failover(sys.argv[2:])
    elif sys.argv[1] == "fresh":
        fresh(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "cache":
        cache(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "not installed")
    else:
        sys.exit("bench_report.py: unknown report " + sys.argv[1])


if __name__ == "__main__":
    main()
