#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the log of `make bench-native` into results files.

    report_native.py --log build/bench/native.log --out bench/results

The log holds rounds ("KB,round,N"), each one repetition of every
configuration of kmbox-bench-native's floors, stream and rtt groups.
Each figure is the median of its per-round medians; each ratio (the
targets of issue 15) the median of the per-round ratios, so that a slow
moment of the host moves both sides of a ratio.  Writes
<out>/<date>-native.md, .csv and .svg; <date>-native.notes.md, if it
exists, is put in the .md as its notes.  Python standard library only,
and the chart and table helpers of report.py.  Asserts nothing.
"""
import argparse
import csv
import datetime
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (the VM report: formatting and the chart)

ORDER = ["kmbox-ring-spin", "kmbox-ring-zc-spin", "spsc-ref",
         "memfd-ring-spin", "kmbox-ring", "kmbox-ring-zc", "memfd-ring",
         "pipe", "unix-seqpacket", "posix-mq"]
SIZES = [64, 1024, 65536]


def parse(path):
    """[{key: median}] per round, and the env lines."""
    rounds, env, errors = [], {}, []
    cur = None
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("KB,env,"):
                _, _, key, val = line.split(",", 3)
                env[key] = val
            elif line.startswith("KB,round,"):
                cur = {}
                rounds.append(cur)
            elif line.startswith("KB,") and cur is not None:
                parts = line[3:].split(",")
                if len(parts) != len(report.FIELDS):
                    continue
                r = dict(zip(report.FIELDS, parts))
                v = report.num(r["median"])
                if v is None:
                    if r["metric"] == "failed":
                        errors.append("%s %s B failed in a round"
                                      % (r["mech"], r["size"]))
                    continue
                cur[(r["group"], r["mech"], int(r["size"]), r["metric"])] = v
            elif line.startswith("kmbox-bench: "):
                errors.append(line[len("kmbox-bench: "):])
    return rounds, env, errors


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


class Native:
    def __init__(self, rounds):
        self.rounds = rounds

    def get(self, group, mech, size, metric):
        return med([r.get((group, mech, size, metric)) for r in self.rounds])

    def per_round(self, fn):
        """Median over the rounds of fn(round), None where fn gives None."""
        out = []
        for r in self.rounds:
            try:
                out.append(fn(lambda g, m, s, k: r[(g, m, s, k)]))
            except (KeyError, ZeroDivisionError):
                pass
        return med(out), len(out)

    def mechs(self, group):
        seen = {k[1] for r in self.rounds for k in r if k[0] == group}
        return [m for m in ORDER if m in seen] + \
            sorted(m for m in seen if m not in ORDER)


def targets(N):
    """(what, figure, target, met?, how it is computed)."""
    rate = "rate"
    rows = []

    def add(what, fn, goal, higher, how):
        v, n = N.per_round(fn)
        met = None if v is None else (v >= goal if higher else v <= goal)
        rows.append((what, v, ("≥ %.1f×" if higher else "≤ %.1f×") % goal,
                     met, how, n))

    add("spinning 64 B streaming vs the reference SPSC ring",
        lambda g: g("stream", "kmbox-ring-spin", 64, rate) /
        g("stream", "spsc-ref", 64, rate), 0.9, True,
        "kmbox-ring-spin ÷ spsc-ref, msg/s")
    add("spinning 64 B streaming vs a pipe",
        lambda g: g("stream", "kmbox-ring-spin", 64, rate) /
        g("stream", "pipe", 64, rate), 20, True,
        "kmbox-ring-spin ÷ pipe, msg/s")
    add("blocking 64 B streaming vs the eventfd + memfd ring",
        lambda g: g("stream", "kmbox-ring", 64, rate) /
        g("stream", "memfd-ring", 64, rate), 1.0, True,
        "kmbox-ring ÷ memfd-ring, msg/s")
    add("spinning 64 B round trip vs the cache-line round trip",
        lambda g: g("rtt", "kmbox-ring-spin", 64, "rtt") /
        g("floors", "cacheline-rtt", 64, "rtt"), 1.5, False,
        "kmbox-ring-spin round trip ÷ cacheline-rtt, ns")
    add("zero-copy 64 KiB vs one memcpy of 64 KiB",
        lambda g: g("stream", "kmbox-ring-zc-spin", 65536, rate) *
        g("floors", "memcpy", 65536, "op") / 1e9, 0.8, True,
        "kmbox-ring-zc-spin msg/s × memcpy ns ÷ 1e9 (the producer copies "
        "each message in, the consumer reads every word in place)")
    add("copying 64 KiB vs two memcpys of 64 KiB",
        lambda g: g("stream", "kmbox-ring-spin", 65536, rate) * 2 *
        g("floors", "memcpy", 65536, "op") / 1e9, 0.8, True,
        "kmbox-ring-spin msg/s × 2 × memcpy ns ÷ 1e9")
    return rows


def ns_per(rate):
    return None if not rate else 1e9 / rate


def build_md(N, env, errors, date, notes, svg):
    o = []
    o.append("# kmbox ring, native: %s\n\n" % date)
    o.append("`make bench-native` on this host's own CPUs: libkmbox's ring "
             "(`userlib/ring.c` built as shipped) beside a reference SPSC "
             "ring, an eventfd + memfd ring, a pipe, AF_UNIX "
             "SOCK_SEQPACKET and POSIX mq, with memcpy and the cross-CPU "
             "cache-line round trip as floors.  **The ring's doorbell "
             "ioctls are answered by a futex stand-in that follows "
             "module/ring.c's protocol, not by kmbox.ko** (the host cannot "
             "load modules); the fast path, where nobody sleeps, makes no "
             "system call either way.  Producer and consumer are pinned to "
             "different CPUs.  %s rounds, each one repetition of every "
             "configuration in the same order; figures are medians over "
             "the rounds, ratios medians of the per-round ratios.\n\n"
             % env.get("rounds", "?"))
    o.append("| | |\n|---|---|\n")
    for key, label in (("cpu", "CPU"), ("vcpus", "CPUs"),
                       ("kernel", "kernel"), ("tick_mhz", "TSC MHz"),
                       ("host_quiet", "host quiet (no VM, no compiler, "
                        "load < 0.5)"),
                       ("load_before", "load average before"),
                       ("load_after", "load average after"),
                       ("elapsed_s", "run time (s)"),
                       ("doorbell", "doorbell")):
        o.append("| %s | %s |\n" % (label, env.get(key, "?")))
    o.append("\n![the ring natively](%s)\n\n" % svg)
    if notes:
        o.append("## Notes\n\n" + notes.strip() + "\n\n")

    o.append("## Targets (issue 15)\n\n")
    rows = []
    for what, v, goal, met, how, n in targets(N):
        rows.append([what, report.fratio(v), goal,
                     "–" if met is None else ("met" if met else "**not met**"),
                     how, str(n)])
    o.append(report.table(["target", "median ratio", "target", "", "how",
                           "rounds"], rows))
    o.append("\n")

    o.append("## Streaming (one producer, one consumer, different CPUs)\n\n")
    for size in SIZES:
        rows = []
        for m in N.mechs("stream"):
            r = N.get("stream", m, size, "rate")
            if r is None:
                continue
            rows.append([m, report.fmt(r), "%.1f" % ns_per(r),
                         report.fmt(r * size / 1e6, " MB/s"),
                         report.fmt(N.get("stream", m, size, "csw"))])
        o.append("%d-byte messages:\n\n" % size)
        o.append(report.table(["mechanism", "msg/s", "ns/msg", "bandwidth",
                               "switches/msg"], rows))
        o.append("\n")

    o.append("## Round trip (different CPUs)\n\n")
    sizes = sorted({k[2] for r in N.rounds for k in r if k[0] == "rtt"})
    rows = []
    for m in N.mechs("rtt"):
        rows.append([m] + ["%.0f" % v if v is not None else "–"
                           for v in (N.get("rtt", m, s, "rtt")
                                     for s in sizes)])
    o.append(report.table(["mechanism"] + ["%d B, ns" % s for s in sizes],
                          rows))
    o.append("\n")

    o.append("## Floors\n\n")
    rows = [["cache-line round trip, different CPUs",
             "%.0f ns" % (N.get("floors", "cacheline-rtt", 64, "rtt") or 0)],
            ["64 KiB handed across: copied in on one CPU, every word read "
             "on the other, answered",
             "%.0f ns" % (N.get("floors", "handoff", 65536, "rtt") or 0)]]
    for s in (64, 1024, 4096, 65536):
        v = N.get("floors", "memcpy", s, "op")
        if v is not None:
            rows.append(["memcpy %d B (hot)" % s, "%.1f ns" % v])
    for k in ("null-syscall", "clock_gettime"):
        v = N.get("floors", k, 0, "op")
        if v is not None:
            rows.append([k, "%.0f ns" % v])
    o.append(report.table(["floor", "median"], rows))
    o.append("\n")
    if errors:
        o.append("## Errors\n\n")
        for e in errors:
            o.append("- %s\n" % e)
    return "".join(o)


def chart(N, path, subtitle):
    width = 760
    parts = []
    y = 40
    rows = [(m, [N.get("stream", m, 64, "rate")])
            for m in N.mechs("stream") if N.get("stream", m, 64, "rate")]
    svg, h = report.bar_panel(20, y, width,
                              "64-byte streaming, median (messages/s, higher is better)",
                              rows, report.fmt, log=True)
    parts.append(svg)
    y += h + 10
    rows = [(m, [N.get("rtt", m, 64, "rtt")])
            for m in N.mechs("rtt") if N.get("rtt", m, 64, "rtt")]
    line = N.get("floors", "cacheline-rtt", 64, "rtt")
    if line:
        rows.append(("cache-line rtt", [line]))
    svg, h = report.bar_panel(20, y, width,
                              "64-byte round trip, median (ns, lower is better)",
                              rows, lambda v: "%.0f ns" % v, log=True)
    parts.append(svg)
    y += h + 10
    rows = [(m, [N.get("stream", m, 65536, "rate") * 65536 / 1e6])
            for m in N.mechs("stream") if N.get("stream", m, 65536, "rate")]
    mc = N.get("floors", "memcpy", 65536, "op")
    if mc:
        rows.append(("memcpy 64 KiB", [65536 / mc * 1e3]))
    svg, h = report.bar_panel(20, y, width,
                              "64 KiB streaming, median (MB/s, higher is better)",
                              rows, lambda v: report.fmt(v) + " MB/s", log=True)
    parts.append(svg)
    y += h + 10
    height = y + 10
    with open(path, "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                'viewBox="0 0 %d %d" font-family="sans-serif">\n'
                % (width, height, width, height))
        f.write('<style>.t{font-size:14px;font-weight:bold}.l{font-size:11px}'
                '.v{font-size:10px;fill:#222}.s{font-size:10px;fill:#444}'
                '.h{font-size:16px;font-weight:bold}</style>\n')
        f.write('<rect width="100%" height="100%" fill="white"/>\n')
        f.write('<text x="20" y="22" class="h">the kmbox ring natively '
                '(doorbell: futex stand-in)</text>\n')
        f.write('<text x="%d" y="22" class="s" text-anchor="end">%s</text>\n'
                % (width - 20, report.esc(subtitle)))
        f.write("\n".join(parts))
        f.write('\n<text x="20" y="%d" class="s">blue: kmbox ring; orange: '
                'memfd rings; grey: the rest (spsc-ref: the reference ring)'
                '</text>\n' % (height - 6))
        f.write("</svg>\n")


def write_csv(N, path):
    keys = sorted({k for r in N.rounds for k in r})
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["group", "mech", "size", "metric", "median_of_rounds",
                    "rounds"] + ["round%d" % (i + 1)
                                 for i in range(len(N.rounds))])
        for k in keys:
            vals = [r.get(k) for r in N.rounds]
            w.writerow(list(k) + [N.get(*k), sum(v is not None for v in vals)]
                       + ["" if v is None else "%.6g" % v for v in vals])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    a = ap.parse_args()
    rounds, env, errors = parse(a.log)
    if not rounds:
        print("report_native: no rounds in %s" % a.log, file=sys.stderr)
        return 1
    N = Native(rounds)
    os.makedirs(a.out, exist_ok=True)
    name = a.date + "-native"
    base = os.path.join(a.out, name)
    chart(N, base + ".svg", "%s, %s CPUs, %s" % (
        env.get("cpu", "?"), env.get("vcpus", "?"), a.date))
    write_csv(N, base + ".csv")
    notes = ""
    if os.path.exists(base + ".notes.md"):
        with open(base + ".notes.md") as f:
            notes = f.read()
    with open(base + ".md", "w") as f:
        f.write(build_md(N, env, errors, a.date, notes, name + ".svg"))
    print("report_native: wrote %s.md, .csv and .svg (%d rounds)"
          % (base, len(rounds)))
    for what, v, goal, met, how, n in targets(N):
        print("  %-55s %8s  target %s  %s" % (
            what, report.fratio(v), goal,
            "–" if met is None else ("met" if met else "NOT MET")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
