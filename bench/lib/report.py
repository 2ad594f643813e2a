"""The table of bench/run.sh: medians of its results file, one row per (size, sessions).

    report.py RESULTS CLK_TCK REPEATS all|content|policy

RESULTS has one line per run: target, size, sessions, repetition, count, seconds (or
"fail"), CPU ticks of the target's process. "all" is the table of the default run (direct,
haproxy, three mxgates), "content" the one of issue 11's DKIM and DMARC run.
"""
import statistics
import sys
from collections import defaultdict

path, clk, repeats, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rate = defaultdict(list)   # (target, size, sessions) -> [msg/s]
cpu = defaultdict(list)    # (target, size, sessions) -> [µs/msg]
fails = defaultdict(int)
try:
    rows = [l.rstrip("\n").split("\t") for l in open(path)]
except FileNotFoundError:
    rows = []
for target, size, sessions, rep, count, elapsed, ticks in rows:
    key = (target, int(size), int(sessions))
    if elapsed == "fail":
        fails[key] += 1
        continue
    rate[key].append(int(count) / float(elapsed))
    if target != "direct":
        cpu[key].append(int(ticks) / clk * 1e6 / int(count))


def med(v):
    return statistics.median(v) if v else None


def fmt(v, spec="{:.0f}"):
    return spec.format(v) if v is not None else "n/a"


def ratio(a, b):
    return fmt(a / b if a and b else None, "{:.2f}")


def cpu_cells(size, sess, targets):
    return (fmt(med(cpu[(t, size, sess)]), "{:.1f}") for t in targets)


combos = sorted({(s, n) for (_, s, n) in list(rate) + list(fails)})
print(f"\nmessages/s, median of {repeats} run(s); CPU = process utime+stime per message (10 ms tick resolution)\n")
if mode == "all":
    hdr = ("size", "sess", "direct", "haproxy", "mxgate", "filters", "spf", "mx/direct", "mx/haproxy", "filt/mx",
           "spf/mx", "mx CPU µs/msg", "filt CPU µs/msg", "spf CPU µs/msg", "hap CPU µs/msg")
    line = "{:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11} {:>8} {:>7} {:>14} {:>16} {:>15} {:>15}"
    print(line.format(*hdr))
    for size, sess in combos:
        d, h, m, x, p = (med(rate[(t, size, sess)]) for t in ("direct", "haproxy", "mxgate", "filters", "spf"))
        print(line.format(f"{size // 1024}KB", sess, fmt(d), fmt(h), fmt(m), fmt(x), fmt(p), ratio(m, d),
                          ratio(m, h), ratio(x, m), ratio(p, m),
                          *cpu_cells(size, sess, ("mxgate", "filters", "spf", "haproxy"))))
elif mode == "policy":
    hdr = ("size", "sess", "mxgate", "filters", "policy", "filt/mx", "pol/mx", "pol/filt", "filt CPU µs/msg",
           "pol CPU µs/msg")
    line = "{:>7} {:>5} {:>9} {:>9} {:>9} {:>8} {:>7} {:>9} {:>16} {:>15}"
    print(line.format(*hdr))
    for size, sess in combos:
        m, x, p = (med(rate[(t, size, sess)]) for t in ("mxgate", "filters", "policy"))
        print(line.format(f"{size // 1024}KB", sess, fmt(m), fmt(x), fmt(p), ratio(x, m), ratio(p, m), ratio(p, x),
                          *cpu_cells(size, sess, ("filters", "policy"))))
else:
    hdr = ("size", "sess", "mxgate", "content", "content/mx", "mx CPU µs/msg", "content CPU µs/msg")
    line = "{:>7} {:>5} {:>9} {:>9} {:>11} {:>14} {:>19}"
    print(line.format(*hdr))
    for size, sess in combos:
        m, c = (med(rate[(t, size, sess)]) for t in ("mxgate", "content"))
        print(line.format(f"{size // 1024}KB", sess, fmt(m), fmt(c), ratio(c, m),
                          *cpu_cells(size, sess, ("mxgate", "content"))))
bad = {k: v for k, v in fails.items() if v}
if bad:
    print("\nfailed runs: " + ", ".join(f"{t} {s // 1024}KB x{n}: {c}" for (t, s, n), c in sorted(bad.items())))
