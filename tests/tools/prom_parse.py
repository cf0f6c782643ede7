#!/usr/bin/env python3
"""prom_parse: check Prometheus text exposition (format 0.0.4) strictly; print the samples.

    prom_parse.py < METRICS

The rules checked (prometheus.io/docs/instrumenting/exposition_formats):
  - every line is "# HELP name text", "# TYPE name counter|gauge|histogram|summary|untyped",
    a sample "name{label="value",...} number [timestamp]", or empty;
  - names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*;
  - label values are double-quoted with only the escapes \\\\, \\" and \\n;
  - a metric's HELP and TYPE come once each, before its first sample, and its samples
    are not interleaved with another metric's;
  - the values parse as Go's ParseFloat would (a float, +Inf, -Inf, NaN).
Output: one line per sample, "name<TAB>labels as JSON (sorted)<TAB>value"; exit 1 with
"line N: why" on the first violation.
"""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"


def parse_labels(text, n):
    labels, i = {}, 0
    while i < len(text):
        m = re.match(LABEL, text[i:])
        if not m or text[i + m.end():i + m.end() + 2] != '="':
            raise ValueError("line %d: bad label at %r" % (n, text[i:]))
        key = m.group(0)
        i += m.end() + 2
        val = []
        while True:
            if i >= len(text):
                raise ValueError("line %d: unterminated label value" % n)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("line %d: bad escape \\%s" % (n, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("line %d: raw newline in a label value" % n)
            else:
                val.append(c)
                i += 1
        if key in labels:
            raise ValueError("line %d: label %s twice" % (n, key))
        labels[key] = "".join(val)
        if i < len(text):
            if text[i] != ",":
                raise ValueError("line %d: expected ',' at %r" % (n, text[i:]))
            i += 1
    return labels


def main():
    helps, types, seen_samples, done, last = {}, {}, set(), set(), None
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        m = re.fullmatch(r"# (HELP|TYPE) (%s) ?(.*)" % NAME, line)
        if m:
            kind, name, rest = m.groups()
            table = helps if kind == "HELP" else types
            if name in table or name in seen_samples:
                raise SystemExit("line %d: %s for %s repeated or after its samples" % (n, kind, name))
            if kind == "TYPE" and rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise SystemExit("line %d: bad type %r" % (n, rest))
            table[name] = rest
            continue
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"(%s)(?:\{(.*)\})? (\S+)(?: -?[0-9]+)?" % NAME, line)
        if not m:
            raise SystemExit("line %d: not a sample: %r" % (n, line))
        name, labels, value = m.groups()
        try:
            labels = parse_labels(labels or "", n)
        except ValueError as e:
            raise SystemExit(str(e))
        if value not in ("+Inf", "-Inf", "NaN"):
            try:
                float(value)
            except ValueError:
                raise SystemExit("line %d: bad value %r" % (n, value))
        if name != last:
            if name in done:
                raise SystemExit("line %d: samples of %s interleaved with another metric's" % (n, name))
            if last is not None:
                done.add(last)
            last = name
        seen_samples.add(name)
        print("%s\t%s\t%s" % (name, json.dumps(labels, sort_keys=True), value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
