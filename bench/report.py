#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the console of a `make bench` VM run into results files.

    report.py --console build/vm-bench/console.log --out bench/results ...

Reads the "KB,..." lines of kmbox-bench and the "KBX,..." lines of the
kernel's mq_perf_tests and of perf, and writes <out>/<date>.csv (every
figure), <out>/<date>.md (tables, ratios, targets, where the time goes)
and <out>/<date>.svg (the chart the README shows).  Python standard
library only.  Asserts nothing: a missing figure is reported as missing.
"""
import argparse
import csv
import datetime
import math
import os
import re
import sys

FIELDS = ["group", "mech", "size", "place", "param", "metric", "unit",
          "median", "p99", "p999", "n"]

KMBOX = ("kmbox-rw", "kmbox-ioctl", "kmbox-ring", "kmbox-ring-spin",
         "kmbox-sendv/1", "kmbox-sendv/8", "kmbox-sendv/32",
         "kmbox-sendv/128")
MSG_ORDER = ["kmbox-rw", "kmbox-ioctl", "kmbox-sendv/1", "kmbox-sendv/8",
             "kmbox-sendv/32", "kmbox-sendv/128", "kmbox-ring",
             "kmbox-ring-spin", "pipe", "unix-seqpacket", "unix-stream",
             "posix-mq", "sysv-msg", "memfd-ring", "memfd-ring-spin",
             "pmqtest"]


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def parse(path):
    recs, env, phases, mqperf, perf, errors = [], {}, [], [], [], []
    cur_test = None
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.replace("\r", "").rstrip("\n")
            if line.startswith("KB,env,"):
                _, _, key, val = line.split(",", 3)
                env[key] = val
            elif line.startswith("KB,phase,"):
                parts = line.split(",")
                if len(parts) >= 4 and num(parts[3]) is not None:
                    phases.append((parts[2], num(parts[3])))
            elif line.startswith("KB,error,"):
                errors.append(line[9:])
            elif line.startswith("KB,"):
                parts = line[3:].split(",")
                if len(parts) != len(FIELDS):
                    continue
                r = dict(zip(FIELDS, parts))
                r["size"] = int(r["size"])
                for k in ("median", "p99", "p999"):
                    r[k] = num(r[k])
                r["n"] = int(r["n"]) if r["n"].isdigit() else 0
                recs.append(r)
            elif line.startswith("KBX,mq_perf_tests,"):
                text = line[len("KBX,mq_perf_tests,"):].strip()
                m = re.match(r"Test #(\w+):\s*(.*)", text)
                if m:
                    cur_test = {"test": m.group(1), "desc": m.group(2).rstrip(":"),
                                "nsec": []}
                    mqperf.append(cur_test)
                m = re.match(r"(\d+) nsec/msg", text)
                if m and cur_test is not None:
                    cur_test["nsec"].append(int(m.group(1)))
            elif line.startswith("KBX,perf,"):
                _, _, name, text = line.split(",", 3)
                perf.append((name, text))
            elif line.startswith("KBX,perf-error,"):
                errors.append("perf: " + line.split(",", 2)[2])
            elif line.startswith("kmbox-bench: "):
                errors.append(line[len("kmbox-bench: "):])
    return recs, env, phases, mqperf, perf, errors


class Figures:
    def __init__(self, recs):
        self.recs = recs
        self.idx = {}
        for r in recs:
            key = (r["group"], r["mech"], r["size"], r["place"], r["param"],
                   r["metric"])
            self.idx[key] = r

    def get(self, group, mech, size, place="-", param="-", metric="",
            field="median"):
        r = self.idx.get((group, mech, size, place, param, metric))
        return None if r is None else r[field]

    def mechs(self, group):
        seen = []
        for r in self.recs:
            if r["group"] == group and r["mech"] not in seen:
                seen.append(r["mech"])
        return sorted(seen, key=lambda m: MSG_ORDER.index(m)
                      if m in MSG_ORDER else 99)


# --- formatting ---------------------------------------------------------

def fmt(v, unit=""):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1e6:
        s = "%.2fM" % (v / 1e6)
    elif a >= 1e4:
        s = "%.0fk" % (v / 1e3)
    elif a >= 1e3:
        s = "%.1fk" % (v / 1e3)
    elif a >= 100:
        s = "%.0f" % v
    elif a >= 10:
        s = "%.1f" % v
    else:
        s = "%.2f" % v
    return s + unit


def us(ns):
    return None if ns is None else ns / 1e3


def fus(ns):
    v = us(ns)
    if v is None:
        return "–"
    if v >= 1000:
        return "%.2f ms" % (v / 1e3)
    if v >= 100:
        return "%.0f µs" % v
    return "%.1f µs" % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fratio(v):
    return "–" if v is None else "%.2f×" % v


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "--:" for i in range(len(head))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out) + "\n"


# --- the chart ------------------------------------------------------------

def color(mech):
    if mech.startswith("kmbox"):
        return "#1f6fb4"
    if mech.startswith("memfd"):
        return "#e07b1a"
    return "#8c8c8c"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def bar_panel(x0, y0, width, title, rows, unit_fmt, log=False, series=None):
    """rows: [(label, [values per series])]; returns (svg, height)."""
    series = series or [""]
    label_w, bar_h, gap = 150, 13, 6
    ns = len(series)
    vals = [v for _, vs in rows for v in vs if v]
    if not vals:
        return "", 0
    vmax = max(vals)
    vmin = min(vals)
    plot_w = width - label_w - 70
    if log:
        lo = 10 ** math.floor(math.log10(vmin))
        hi = 10 ** math.ceil(math.log10(vmax))

        def xpos(v):
            return plot_w * (math.log10(v) - math.log10(lo)) / \
                (math.log10(hi) - math.log10(lo))
    else:
        lo, hi = 0, vmax * 1.05

        def xpos(v):
            return plot_w * v / hi
    out = []
    y = y0
    out.append('<text x="%d" y="%d" class="t">%s</text>' % (x0, y + 14, esc(title)))
    y += 24
    if ns > 1:
        lx = x0 + label_w
        for i, s in enumerate(series):
            op = 1.0 if i == 0 else 0.55
            out.append('<rect x="%d" y="%d" width="10" height="10" fill="#555" '
                       'fill-opacity="%.2f"/>' % (lx, y, op))
            out.append('<text x="%d" y="%d" class="s">%s</text>' % (lx + 14, y + 9, esc(s)))
            lx += 14 + 7 * len(s) + 20
        y += 16
    top = y
    for label, vs in rows:
        out.append('<text x="%d" y="%d" class="l" text-anchor="end">%s</text>'
                   % (x0 + label_w - 6, y + bar_h * ns / 2 + 4, esc(label)))
        for i, v in enumerate(vs):
            by = y + i * bar_h
            if v:
                w = max(1.0, xpos(v))
                op = 1.0 if i == 0 else 0.55
                out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" '
                           'fill-opacity="%.2f"/>' % (x0 + label_w, by, w, bar_h - 2,
                                                      color(label), op))
                out.append('<text x="%.1f" y="%d" class="v">%s</text>'
                           % (x0 + label_w + w + 3, by + bar_h - 3, esc(unit_fmt(v))))
            else:
                out.append('<text x="%d" y="%d" class="v">n/a</text>'
                           % (x0 + label_w + 3, by + bar_h - 3))
        y += bar_h * ns + gap
    # axis
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'
               % (x0 + label_w, top - 2, x0 + label_w, y))
    if log:
        t = lo
        while t <= hi * 1.0001:
            x = x0 + label_w + xpos(t)
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                       % (x, top - 2, x, y))
            out.append('<text x="%.1f" y="%d" class="s" text-anchor="middle">%s</text>'
                       % (x, y + 12, esc(unit_fmt(t))))
            t *= 10
        y += 14
    return "\n".join(out), y - y0 + 10


def chart(F, path, subtitle):
    width = 760
    parts = []
    y = 40
    rtt_rows = []
    for m in F.mechs("rtt"):
        a = F.get("rtt", m, 64, "same-cpu", "-", "rtt")
        b = F.get("rtt", m, 64, "cross-cpu", "-", "rtt")
        if a or b:
            rtt_rows.append((m, [us(a), us(b)]))
    svg, h = bar_panel(20, y, width, "64-byte round trip, median (µs, lower is better)",
                       rtt_rows, lambda v: "%.1f µs" % v if v < 100 else "%.0f µs" % v,
                       log=True, series=["same vCPU", "different vCPUs"])
    parts.append(svg)
    y += h + 10
    st_rows = []
    for m in F.mechs("stream"):
        a = F.get("stream", m, 64, "cross-cpu", "cap256", "rate")
        b = F.get("stream", m, 65536, "cross-cpu", "cap64", "bw")
        if a or b:
            st_rows.append((m, [a]))
    svg, h = bar_panel(20, y, width, "64-byte streaming, median (messages/s, higher is better)",
                       st_rows, lambda v: fmt(v), log=True)
    parts.append(svg)
    y += h + 10
    bw_rows = []
    for m in F.mechs("stream"):
        b = F.get("stream", m, 65536, "cross-cpu", "cap64", "bw")
        if b:
            bw_rows.append((m, [b]))
    mc = F.get("floors", "memcpy", 65536, "-", "-", "bw")
    if mc:
        bw_rows.append(("memcpy 64 KiB", [mc]))
    svg, h = bar_panel(20, y, width, "64 KiB streaming, median (MB/s, higher is better)",
                       bw_rows, lambda v: fmt(v) + " MB/s", log=True)
    parts.append(svg)
    y += h + 10
    height = y + 10
    with open(path, "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                'viewBox="0 0 %d %d" font-family="sans-serif">\n' % (width, height, width, height))
        f.write('<style>.t{font-size:14px;font-weight:bold}.l{font-size:11px}'
                '.v{font-size:10px;fill:#222}.s{font-size:10px;fill:#444}'
                '.h{font-size:16px;font-weight:bold}</style>\n')
        f.write('<rect width="100%" height="100%" fill="white"/>\n')
        f.write('<text x="20" y="22" class="h">kmbox against what Linux has, one VM boot</text>\n')
        f.write('<text x="%d" y="22" class="s" text-anchor="end">%s</text>\n'
                % (width - 20, esc(subtitle)))
        f.write("\n".join(parts))
        f.write('\n<text x="20" y="%d" class="s">blue: kmbox; orange: userspace rings in '
                'memfd shared memory; grey: pipe, AF_UNIX, POSIX mq, System V</text>\n'
                % (height - 6))
        f.write("</svg>\n")


# --- the markdown -----------------------------------------------------------

def build_md(F, a, env, phases, mqperf, perf, errors, date, chart_name, notes):
    L = []
    w = L.append
    quick = a.quick == "1"
    w("# kmbox benchmark results, %s%s\n" % (date, " (quick mode)" if quick else ""))
    w("Produced by `make bench` (`scripts/bench.sh`): every figure below comes "
      "from one boot of the same VM, mechanisms interleaved, %s repetitions of "
      "each configuration.  Raw figures: [%s.csv](%s.csv); chart: "
      "[%s](%s).\n" % (env.get("reps", "?"), date, date, chart_name, chart_name))
    if quick:
        w("**Quick mode** (`BENCH_QUICK=1`): slices of a few milliseconds and a "
          "smaller matrix; a smoke test of the benchmark, not figures to quote.\n")
    w("![chart](%s)\n" % chart_name)

    # environment
    w("## Environment\n")
    rows = [["QEMU (host)", a.qemu], ["accelerator", a.accel],
            ["vCPUs", env.get("vcpus", a.smp)], ["guest memory", "%s MiB" % a.mem],
            ["guest kernel", env.get("kernel", "?")],
            ["clocksource", env.get("clocksource", "?")],
            ["guest CPU", env.get("cpu", "?")],
            ["timer", "TSC read directly (%s MHz, calibrated against CLOCK_MONOTONIC)"
             % env.get("tick_mhz", "?")],
            ["kmbox features", env.get("kmbox_features", "?")],
            ["wall time of the run", "%s s (build, boot, benchmark, report)" % a.elapsed]]
    w(table(["what", "value"], rows))
    if a.vm_rc != "0":
        w("**The VM run did not finish cleanly (exit %s): figures may be missing.**\n" % a.vm_rc)

    # the key table
    w("## Key figures\n")
    w(key_table(F))

    # targets
    w("## Targets\n")
    w(targets(F))
    if notes:
        w("## Findings\n")
        w("Written after this run from its figures and profiles "
          "(`%s.notes.md`, kept beside the generated file).\n" % date)
        w(notes)

    hangs = [r for r in F.recs if r["metric"] == "hangs"]
    if hangs:
        w("### Hangs\n")
        w("Slices that made no progress for 20 s past their end were stopped "
          "by kmbox-bench's watchdog (the processes killed, the slice "
          "dropped, the next repetitions measured as usual):\n")
        w(table(["group", "mechanism", "size", "placement", "parameter",
                 "slices hung"],
                [[r["group"], r["mech"], str(r["size"]), r["place"], r["param"],
                  "%d of %d" % (r["median"], r["n"])] for r in hangs]))

    # round trip
    w("## 1. Round trip, blocking receive\n")
    w("Two processes, one message each way per round trip; `same` pins both "
      "on vCPU 1, `cross` one on vCPU 0 and one on vCPU 1.  Percentiles over "
      "every round trip of every repetition.  Ratios: kmbox time / peer time "
      "(below 1 is faster).  Spinning mechanisms are measured on different "
      "vCPUs only.\n")
    for size in (64, 1):
        rows = []
        pipe_s = F.get("rtt", "pipe", size, "same-cpu", "-", "rtt")
        mq_s = F.get("rtt", "posix-mq", size, "same-cpu", "-", "rtt")
        pipe_c = F.get("rtt", "pipe", size, "cross-cpu", "-", "rtt")
        mq_c = F.get("rtt", "posix-mq", size, "cross-cpu", "-", "rtt")
        for m in F.mechs("rtt"):
            g = lambda pl, f="median": F.get("rtt", m, size, pl, "-", "rtt", f)
            if g("same-cpu") is None and g("cross-cpu") is None:
                continue
            iskm = m.startswith("kmbox")
            rows.append([("**%s**" % m) if iskm else m,
                         fus(g("same-cpu")), fus(g("same-cpu", "p99")),
                         fus(g("same-cpu", "p999")),
                         fratio(ratio(g("same-cpu"), pipe_s)) if iskm else "",
                         fratio(ratio(g("same-cpu"), mq_s)) if iskm else "",
                         fus(g("cross-cpu")), fus(g("cross-cpu", "p99")),
                         fus(g("cross-cpu", "p999")),
                         fratio(ratio(g("cross-cpu"), pipe_c)) if iskm else "",
                         fratio(ratio(g("cross-cpu"), mq_c)) if iskm else "",
                         fmt(F.get("rtt", m, size, "same-cpu", "-", "csw")),
                         fmt(F.get("rtt", m, size, "cross-cpu", "-", "csw"))])
        if rows:
            w("### %d-byte messages\n" % size)
            w(table(["mechanism", "same p50", "p99", "p99.9", "× pipe", "× mq",
                     "cross p50", "p99", "p99.9", "× pipe", "× mq",
                     "csw/rt same", "csw/rt cross"], rows))

    # wake-up
    w("## Wake-up latency beside rt-tests' pmqtest\n")
    w("pmqtest (Debian rt-tests) measures the time from `mq_send()` by one "
      "thread to the return of `mq_receive()` in another thread that was "
      "asleep, with 1 ms between messages, 8-byte messages, µs resolution "
      "(gettimeofday).  kmbox-bench runs the same loop (two threads, 1 ms "
      "pause, 8 bytes) over kmbox and over POSIX mq itself, in the same "
      "repetitions as pmqtest (`-a 1` for the same vCPU; pmqtest has no "
      "two-vCPU mode).  avg: median over repetitions of each repetition's mean; "
      "max: over all repetitions.\n")
    rows = []
    for pl in ("same-cpu", "cross-cpu", "unpinned"):
        for m in F.mechs("wake"):
            avg = F.get("wake", m, 8, pl, "-", "avg")
            if avg is None:
                continue
            rows.append([pl, ("**%s**" % m) if m.startswith("kmbox") else m,
                         fus(F.get("wake", m, 8, pl, "-", "lat")),
                         fus(F.get("wake", m, 8, pl, "-", "lat", "p99")),
                         fus(avg), fus(F.get("wake", m, 8, pl, "-", "min")),
                         fus(F.get("wake", m, 8, pl, "-", "max"))])
    w(table(["placement", "mechanism", "p50", "p99", "avg", "min", "max"], rows))

    # streaming
    w("## 2. One-way streaming\n")
    w("One producer (vCPU 1) to one consumer (vCPU 0), as fast as they go, "
      "for a fixed time per repetition; the clock starts at the first message "
      "received.  Capacity: 256 messages (64 messages at 64 KiB) for every "
      "queue, the pipe buffer set to the same bytes plus a page (rounded up to "
      "a power of two pages by the kernel), the rings sized to hold "
      "as much; AF_UNIX sockets keep their default buffers (`max_dgram_qlen` "
      "raised to 256).  `slow rep`: the rate that 99% of repetitions beat "
      "(the slowest, with 11).  Ratios: kmbox rate / peer rate (above 1 is "
      "faster).  csw/msg: context switches of both processes per message.\n")
    for size, cap in ((64, "cap256"), (4096, "cap256"), (65536, "cap64")):
        rows = []
        pipe = F.get("stream", "pipe", size, "cross-cpu", cap, "rate")
        mq = F.get("stream", "posix-mq", size, "cross-cpu", cap, "rate")
        for m in F.mechs("stream"):
            r = F.get("stream", m, size, "cross-cpu", cap, "rate")
            if r is None:
                continue
            iskm = m.startswith("kmbox")
            rows.append([("**%s**" % m) if iskm else m, fmt(r),
                         fmt(F.get("stream", m, size, "cross-cpu", cap, "rate", "p99")),
                         fmt(F.get("stream", m, size, "cross-cpu", cap, "bw")),
                         fratio(ratio(r, pipe)) if iskm else "",
                         fratio(ratio(r, mq)) if iskm else "",
                         fmt(F.get("stream", m, size, "cross-cpu", cap, "csw"))])
        if rows:
            w("### %s\n" % ("%d B" % size if size < 1024 else "%d KiB" % (size // 1024)))
            w(table(["mechanism", "msg/s", "slow rep", "MB/s", "× pipe", "× mq",
                     "csw/msg"], rows))

    # fan-in
    w("## 3. Fan-in\n")
    w("N producer processes, all on vCPU 1, to one consumer alone on vCPU 0 "
      "(so that the consumer's CPU time does not shrink as N grows on this "
      "2-vCPU machine), 64-byte messages carrying the producer, a sequence "
      "number and a TSC timestamp.  "
      "min share: the smallest producer's count × N / total (1 is perfectly "
      "fair; the target is at least 0.5), median over repetitions, and the "
      "worst repetition.  Latency: consumer's receipt minus the timestamp, "
      "every message; with producers that never wait it is the time spent "
      "queued, so it grows with the queue's capacity (256 messages here).\n")
    rows = []
    for m in F.mechs("fanin"):
        base = F.get("fanin", m, 64, "cross-cpu", "N1", "rate")
        for n in (1, 2, 4, 8):
            p = "N%d" % n
            r = F.get("fanin", m, 64, "cross-cpu", p, "rate")
            if r is None:
                continue
            rows.append([("**%s**" % m) if m.startswith("kmbox") else m, str(n),
                         fmt(r), fratio(ratio(r, base)),
                         fmt(F.get("fanin", m, 64, "cross-cpu", p, "minshare")),
                         fmt(F.get("fanin", m, 64, "cross-cpu", p, "minshare", "p99")),
                         fus(F.get("fanin", m, 64, "cross-cpu", p, "lat")),
                         fus(F.get("fanin", m, 64, "cross-cpu", p, "lat", "p99"))])
    w(table(["mechanism", "N", "msg/s", "× N=1", "min share", "worst rep",
             "lat p50", "lat p99"], rows))

    # scaling
    w("## 4. Scaling with state\n")
    w("One thread sends one 64-byte message and receives one, with 1, 1024 "
      "or 65535 messages already queued (capacity 65536); `random-prio` "
      "fills and sends with random priorities 0–31 (the receiver always "
      "takes the highest).  Per send+receive pair.  Every queue is filled "
      "first and the slices of all depths are interleaved; a pipe, which "
      "is O(1) by construction, shows what the machine itself does at "
      "depth (its memory footprint, TLB) so the last ratio divides it out.\n")
    rows = []
    p1 = F.get("scale", "pipe", 64, "prio0", "depth1", "pair")
    p64 = F.get("scale", "pipe", 64, "prio0", "depth65535", "pair")
    pipe_r = ratio(p64, p1)
    for m in F.mechs("scale"):
        for pat in ("prio0", "random-prio"):
            d1 = F.get("scale", m, 64, pat, "depth1", "pair")
            if d1 is None:
                continue
            d1k = F.get("scale", m, 64, pat, "depth1024", "pair")
            d64 = F.get("scale", m, 64, pat, "depth65535", "pair")
            rows.append([("**%s**" % m) if m.startswith("kmbox") else m, pat,
                         fus(d1), fus(d1k), fus(d64), fratio(ratio(d64, d1)),
                         fratio(ratio(ratio(d64, d1), pipe_r)),
                         fus(F.get("scale", m, 64, pat, "depth65535", "pair", "p99"))])
    w(table(["mechanism", "priorities", "1 queued", "1k queued", "64k queued",
             "64k / 1", "÷ pipe's 64k / 1", "64k p99"], rows))
    w("### The kernel's mq_perf_tests beside kmbox\n")
    w(mqperf_table(F, mqperf))
    w("### Create, open and close with objects existing\n")
    w("kmbox: `kmbox_create(name, EXCL)` + `close()` (the mailbox goes with "
      "its last descriptor), and `kmbox_open()` + `close()` of a random "
      "existing name; the population is named mailboxes, one descriptor "
      "each.  POSIX mq: `mq_open(O_CREAT|O_EXCL)` + `mq_close()` + "
      "`mq_unlink()`, and `mq_open()` + `mq_close()` of a random existing "
      "name; the population is named queues.\n")
    rows = []
    for mech in ("kmbox", "posix-mq"):
        for op in (("create+close", "create+close+unlink") if mech == "posix-mq"
                   else ("create+close",)) + ("open+close",):
            if mech == "posix-mq" and op == "create+close":
                continue
            pops = sorted({int(r["param"].split("@")[1]) for r in F.recs
                           if r["group"] == "objects" and r["mech"] == mech
                           and r["param"].startswith(op + "@")})
            if not pops:
                continue
            cells = [mech, op]
            for p in pops:
                key = "%s@%d" % (op, p)
                cells.append("%s op/s (p99 %s)" % (
                    fmt(F.get("objects", mech, 0, "-", key, "rate")),
                    fus(F.get("objects", mech, 0, "-", key, "op", "p99"))))
            rows.append(cells)
            pop_head = ["%d existing" % p for p in pops]
    if rows:
        w(table(["mechanism", "operation"] + pop_head, rows))

    # memory
    w("## 5. Memory\n")
    w("Kernel memory per object: the growth of `Slab` in /proc/meminfo over "
      "10,000 empty objects (default attributes, one descriptor each, the "
      "descriptor's `struct file` included) and over 65,536 queued 64-byte "
      "messages, median of 3 runs.  The slab caches that grew most "
      "(SLUB merges caches, so kmbox's objects may show under a generic "
      "`kmalloc-*` name).\n")
    rows = []
    for what in ("empty", "per-64B-msg"):
        for mech in ("kmbox", "posix-mq"):
            s = F.get("memory", mech, 64, what, "-", "slab")
            if s is None:
                continue
            caches = [r for r in F.recs if r["group"] == "memory" and
                      r["mech"] == mech and r["place"] == what and
                      r["metric"] == "cache"]
            rows.append([what, mech, "%.0f B" % s,
                         ", ".join("%s %.0f B" % (c["param"], c["median"]) for c in caches)])
    w(table(["object", "mechanism", "slab / object",
             "largest slab growth / object"], rows))

    # floors
    w("## Floors\n")
    rows = []
    for label in ("null-syscall", "kmbox-version-ioctl", "kmbox-enotty-ioctl",
                  "clock_gettime", "tsc-read"):
        v = F.get("floors", label, 0, "-", "-", "op")
        if v is not None:
            rows.append([label, "%.0f ns" % v,
                         "%.0f ns" % (F.get("floors", label, 0, "-", "-", "op", "p99") or 0)])
    for size in (64, 4096, 65536, 16 << 20):
        v = F.get("floors", "memcpy", size, "-", "-", "bw")
        if v is not None:
            rows.append(["memcpy %s" % (("%d B" % size) if size < 1024 else
                                        ("%d KiB" % (size >> 10)) if size < 1 << 20
                                        else "%d MiB" % (size >> 20)),
                         "%s MB/s" % fmt(v),
                         "%s MB/s" % fmt(F.get("floors", "memcpy", size, "-", "-", "bw", "p99"))])
    w("`null-syscall` is `getppid()`; `kmbox-version-ioctl` is "
      "`KMBOX_IOC_VERSION` on /dev/kmbox (copies 16 bytes out), "
      "`kmbox-enotty-ioctl` an unknown kmbox command (the dispatch floor: "
      "`ENOTTY`).  Median and slowest repetition.\n")
    w(table(["floor", "median", "slow rep"], rows))

    # where the time goes
    w("## Where the time goes\n")
    w(profile(F, perf))

    # method
    w("## Method\n")
    w(METHOD)
    if phases:
        rows = []
        for i, (name, t) in enumerate(phases[:-1]):
            rows.append([name, "%.0f s" % (phases[i + 1][1] - t)])
        w("Time per phase in the guest:\n")
        w(table(["phase", "seconds"], rows))
    if errors:
        w("## Messages of the run\n")
        w("```\n" + "\n".join(errors[:40]) + "\n```\n")
    return "\n".join(L)


METHOD = """\
* One boot of Debian's stock 6.1 kernel in QEMU (`scripts/vm-run.sh`),
  `kmbox.ko` loaded, every mechanism measured in that boot.  The guest
  raises the queue limits first: `fs.mqueue.msg_max` 65536,
  `msgsize_max` 1 MiB, `queues_max` 65536, `kernel.msgmax` 1 MiB,
  `kernel.msgmnb` 4 MiB, `net.unix.max_dgram_qlen` 256;
  `RLIMIT_MSGQUEUE` and `RLIMIT_NOFILE` are lifted.
* Interleaving: within each group every configuration (mechanism ×
  size × placement) runs one slice per repetition, all of them in turn,
  then the next repetition (A B C … A B C …), 11 repetitions; a slow
  moment of the host spreads over every mechanism instead of one.
* Slices are timed, not counted (150–250 ms each for messaging, 50 ms
  for one-thread loops), so a slow machine makes fewer samples, not a
  longer run.
* Latency: every round trip (or message) is a sample; p50, p99 and
  p99.9 are nearest-rank percentiles over all samples of all
  repetitions.  Rates: one figure per repetition; the median, and the
  slowest repetition (`slow rep`, the 1st percentile).
* Time is read with the TSC (about 10–25 ns in the guest), calibrated
  against CLOCK_MONOTONIC; in this guest clock_gettime() is a system call
  reading the HPET (about 0.9 µs) and would weigh on every figure.
* Context switches come from getrusage() of both processes.
* kmbox-ring-spin and memfd-ring-spin spin on the other side's published
  index before each call (the libkmbox ring has no spin mode of its
  own: polling it with KMBOX_DONTWAIT makes a RING_WAIT system call per
  empty poll and leaves the waiting flag raised, so the producer then
  rings the doorbell on every message).
* Nothing here is asserted: a slow machine never fails a build.  TCG
  emulates every instruction; absolute figures are 10–100× those of real
  hardware, system calls and context switches relatively dearer than
  copies.  Compare ratios, not absolute values.
"""


def mqperf_table(F, mqperf):
    out = []
    out.append("mq_perf_tests (tools/testing/selftests/mqueue in linux-source-6.1, "
               "built unchanged, run once) times `mq_send()` and `mq_receive()` "
               "of 16-byte messages in one thread with the per-thread CPU clock, "
               "10 M times on an empty queue and 100 k times on a queue filled to "
               "its limit (65529 messages) with constant, increasing, decreasing "
               "and random priorities.  kmbox-bench runs the same loops, "
               "time-sliced and interleaved, for kmbox and for POSIX mq "
               "(priorities modulo 32: kmbox has 32 levels, POSIX 32768).  "
               "Per message, send + receive.\n")
    tests = [("1", "prio0", "depth0", "queue empty"),
             ("2a", "prio0", "depth65529", "full, constant priority"),
             ("2b", "inc-prio", "depth65529", "full, increasing priority"),
             ("2c", "dec-prio", "depth65529", "full, decreasing priority"),
             ("2d", "random-prio", "depth65529", "full, random priority")]
    ext = {t["test"]: t["nsec"] for t in mqperf}
    rows = []
    for t, pat, depth, desc in tests:
        e = ext.get(t)
        e_sum = sum(e[:2]) if e and len(e) >= 2 else None
        km = F.get("mqperf", "kmbox-ioctl", 16, pat, depth, "pair")
        mq = F.get("mqperf", "posix-mq", 16, pat, depth, "pair")
        if e_sum is None and km is None and mq is None:
            continue
        rows.append(["#" + t + " " + desc,
                     ("%d + %d = %d ns" % (e[0], e[1], e_sum)) if e_sum else "not run",
                     "%.0f ns" % mq if mq else "–", "%.0f ns" % km if km else "–",
                     fratio(ratio(km, mq))])
    if not rows:
        return "(no figures)\n"
    return "\n".join(out) + "\n" + table(
        ["test", "mq_perf_tests (send + recv)", "posix-mq, kmbox-bench",
         "**kmbox**, kmbox-bench", "kmbox / mq"], rows)


def key_table(F):
    rows = []

    def row(what, unit_fmt, km, pipe, mq, better_low):
        if km is None:
            return
        rp, rm = ratio(km, pipe), ratio(km, mq)
        rows.append([what, unit_fmt(km), unit_fmt(pipe), unit_fmt(mq),
                     fratio(rp), fratio(rm)])

    for pl, name in (("same-cpu", "same vCPU"), ("cross-cpu", "two vCPUs")):
        for m in ("kmbox-ioctl", "kmbox-ring"):
            row("64 B round trip, %s, %s" % (name, m), fus,
                F.get("rtt", m, 64, pl, "-", "rtt"),
                F.get("rtt", "pipe", 64, pl, "-", "rtt"),
                F.get("rtt", "posix-mq", 64, pl, "-", "rtt"), True)
    for m in ("kmbox-ioctl", "kmbox-sendv/32", "kmbox-ring", "kmbox-ring-spin"):
        row("64 B streaming, %s (msg/s)" % m, fmt,
            F.get("stream", m, 64, "cross-cpu", "cap256", "rate"),
            F.get("stream", "pipe", 64, "cross-cpu", "cap256", "rate"),
            F.get("stream", "posix-mq", 64, "cross-cpu", "cap256", "rate"), False)
    for m in ("kmbox-ioctl", "kmbox-ring"):
        row("64 KiB streaming, %s (MB/s)" % m, fmt,
            F.get("stream", m, 65536, "cross-cpu", "cap64", "bw"),
            F.get("stream", "pipe", 65536, "cross-cpu", "cap64", "bw"),
            F.get("stream", "posix-mq", 65536, "cross-cpu", "cap64", "bw"), False)
    row("fan-in N=8, kmbox-ioctl (msg/s)", fmt,
        F.get("fanin", "kmbox-ioctl", 64, "cross-cpu", "N8", "rate"),
        F.get("fanin", "pipe", 64, "cross-cpu", "N8", "rate"),
        F.get("fanin", "posix-mq", 64, "cross-cpu", "N8", "rate"), False)
    row("send+receive, 64k queued, random priorities", fus,
        F.get("scale", "kmbox-ioctl", 64, "random-prio", "depth65535", "pair"),
        None,
        F.get("scale", "posix-mq", 64, "random-prio", "depth65535", "pair"), True)
    km = F.get("memory", "kmbox", 64, "per-64B-msg", "-", "slab")
    mq = F.get("memory", "posix-mq", 64, "per-64B-msg", "-", "slab")
    if km is not None:
        rows.append(["kernel memory per queued 64 B message", "%.0f B" % km, "–",
                     "%.0f B" % mq if mq else "–", "–", fratio(ratio(km, mq))])
    km = F.get("memory", "kmbox", 64, "empty", "-", "slab")
    mq = F.get("memory", "posix-mq", 64, "empty", "-", "slab")
    if km is not None:
        rows.append(["kernel memory per empty mailbox / queue", "%.0f B" % km, "–",
                     "%.0f B" % mq if mq else "–", "–", fratio(ratio(km, mq))])
    return table(["figure (median)", "kmbox", "pipe", "POSIX mq", "kmbox / pipe",
                  "kmbox / mq"], rows) + (
        "\nRatios of times: below 1 means kmbox is faster; of rates: above 1.\n")


def targets(F):
    rows = []

    def add(name, figure, ok, far):
        status = "–" if ok is None else ("met" if ok else "**missed**")
        rows.append([name, figure, status, far])

    def pct(v):
        return "%+.0f%%" % (100 * (v - 1)) if v is not None else "–"

    for pl, name in (("same-cpu", "same vCPU"), ("cross-cpu", "two vCPUs")):
        for m in ("kmbox-ioctl", "kmbox-rw", "kmbox-ring"):
            km = F.get("rtt", m, 64, pl, "-", "rtt")
            pipe = F.get("rtt", "pipe", 64, pl, "-", "rtt")
            mq = F.get("rtt", "posix-mq", 64, pl, "-", "rtt")
            if km is None or pipe is None or mq is None:
                continue
            best = min(pipe, mq)
            add("64 B round trip ≤ pipe and POSIX mq (%s, %s)" % (m, name),
                "%s vs pipe %s, mq %s" % (fus(km), fus(pipe), fus(mq)),
                km <= best, "%s against the faster" % pct(km / best))
    pipe = F.get("stream", "pipe", 64, "cross-cpu", "cap256", "rate")
    mq = F.get("stream", "posix-mq", 64, "cross-cpu", "cap256", "rate")
    for m in ("kmbox-ioctl", "kmbox-rw"):
        km = F.get("stream", m, 64, "cross-cpu", "cap256", "rate")
        if None not in (km, pipe, mq):
            add("64 B streaming unbatched ≥ 1.0× POSIX mq and ≥ 0.9× pipe (%s)" % m,
                "%s vs pipe %s, mq %s msg/s" % (fmt(km), fmt(pipe), fmt(mq)),
                km >= mq and km >= 0.9 * pipe,
                "%.2f× mq, %.2f× pipe" % (km / mq, km / pipe))
    km = F.get("stream", "kmbox-sendv/32", 64, "cross-cpu", "cap256", "rate")
    if None not in (km, pipe):
        add("64 B streaming, batch 32 ≥ 2× pipe", "%s msg/s = %.2f× pipe" % (fmt(km), km / pipe),
            km >= 2 * pipe, "%.0f%% of the target" % (100 * km / (2 * pipe)))
    for m in ("kmbox-ring", "kmbox-ring-spin"):
        km = F.get("stream", m, 64, "cross-cpu", "cap256", "rate")
        if None not in (km, pipe):
            add("64 B streaming, ring ≥ 10× pipe (%s)" % m,
                "%s msg/s = %.2f× pipe" % (fmt(km), km / pipe),
                km >= 10 * pipe, "%.0f%% of the target" % (100 * km / (10 * pipe)))
    us_ = [F.get("stream", m, 65536, "cross-cpu", "cap64", "bw")
           for m in ("unix-seqpacket", "unix-stream")]
    us_ = [v for v in us_ if v is not None]
    for m in ("kmbox-ioctl", "kmbox-rw"):
        km = F.get("stream", m, 65536, "cross-cpu", "cap64", "bw")
        if km is not None and us_:
            add("64 KiB streaming ≥ AF_UNIX (%s)" % m,
                "%s vs AF_UNIX %s MB/s" % (fmt(km), fmt(max(us_))),
                km >= max(us_), "%.2f× the better socket" % (km / max(us_)))
    mc = F.get("floors", "memcpy", 65536, "-", "-", "bw")
    for m in ("kmbox-ring", "kmbox-ring-spin"):
        km = F.get("stream", m, 65536, "cross-cpu", "cap64", "bw")
        if None not in (km, mc):
            add("64 KiB ring ≥ 0.8× guest memcpy (%s)" % m,
                "%s vs memcpy %s MB/s" % (fmt(km), fmt(mc)),
                km >= 0.8 * mc, "%.2f× memcpy" % (km / mc))
    for m in ("kmbox-ioctl", "kmbox-rw"):
        n1 = F.get("fanin", m, 64, "cross-cpu", "N1", "rate")
        n8 = F.get("fanin", m, 64, "cross-cpu", "N8", "rate")
        sh = F.get("fanin", m, 64, "cross-cpu", "N8", "minshare")
        if None not in (n1, n8):
            add("fan-in N=8 aggregate ≥ 0.8× N=1 (%s)" % m,
                "%s vs %s msg/s" % (fmt(n8), fmt(n1)), n8 >= 0.8 * n1,
                "%.2f× N=1" % (n8 / n1))
        if sh is not None:
            add("fan-in N=8, no producer below half its share (%s)" % m,
                "smallest share %.2f of fair (median rep)" % sh, sh >= 0.5,
                "%.2f (target 0.5)" % sh)
    for pat in ("prio0", "random-prio"):
        d1 = F.get("scale", "kmbox-ioctl", 64, pat, "depth1", "pair")
        d64 = F.get("scale", "kmbox-ioctl", 64, pat, "depth65535", "pair")
        if None not in (d1, d64):
            add("flat cost 1 → 64k queued (kmbox-ioctl, %s)" % pat,
                "%s → %s" % (fus(d1), fus(d64)), d64 <= 1.2 * d1,
                "%.2f× (flat: within 1.2×)" % (d64 / d1))
    for op in ("create+close", "open+close"):
        r0 = F.get("objects", "kmbox", 0, "-", op + "@0", "rate")
        r10k = F.get("objects", "kmbox", 0, "-", op + "@10000", "rate")
        if None not in (r0, r10k):
            add("%s at 10k names ≥ 0.9× with none (kmbox)" % op,
                "%s vs %s op/s" % (fmt(r10k), fmt(r0)), r10k >= 0.9 * r0,
                "%.2f× the rate with none" % (r10k / r0))
    if not rows:
        return "(no figures)\n"
    return table(["target", "figure (median)", "status", "how far"], rows)


def profile(F, perf):
    out = []
    sysc = F.get("floors", "null-syscall", 0, "-", "-", "op")
    vio = F.get("floors", "kmbox-version-ioctl", 0, "-", "-", "op")
    enotty = F.get("floors", "kmbox-enotty-ioctl", 0, "-", "-", "op")
    out.append(
        "Method: subtraction between figures of the same boot.  A round trip "
        "on one vCPU is two sends, two receives and two wake-ups with a "
        "context switch each; `send+recv` is the cost of one send and one "
        "receive in one thread at depth 1 (section 4), with no wake-up; "
        "the rest of the round trip, halved, is the cost of waking the "
        "other process and switching to it.  The floors tell how much of a "
        "call is entering the kernel at all.\n")
    rows = []
    for m, floor in (("kmbox-ioctl", vio), ("kmbox-rw", sysc), ("pipe", sysc),
                     ("posix-mq", sysc), ("sysv-msg", sysc)):
        rt = F.get("rtt", m, 64, "same-cpu", "-", "rtt")
        pair = F.get("scale", m, 64, "prio0", "depth1", "pair")
        if rt is None or pair is None:
            continue
        wake = (rt - 2 * pair) / 2
        rows.append([m, fus(rt), fus(pair),
                     fus(2 * floor) if floor else "–",
                     fus(pair - 2 * floor) if floor else "–",
                     fus(wake), fmt(F.get("rtt", m, 64, "same-cpu", "-", "csw"))])
    if rows:
        out.append(table(["mechanism", "round trip (same vCPU)", "send+recv, one thread",
                          "of which 2 × entry floor", "kernel work beyond entry",
                          "wake-up + switch, per hop", "csw per round trip"], rows))
    if sysc and vio and enotty:
        out.append("Entering kmbox: a null system call costs %.0f ns, an "
                   "unknown kmbox ioctl (dispatch, then ENOTTY) %.0f ns, "
                   "KMBOX_IOC_VERSION %.0f ns: the ioctl path itself costs "
                   "%.0f ns more than a bare system call before any mailbox "
                   "work, on every kmbox call.\n"
                   % (sysc, enotty, vio, enotty - sysc))
    if perf:
        out.append("`perf record -g -e cpu-clock -F 2000 -a` in the guest (software "
                   "clock sampling, TCG has no PMU; every CPU, idle included, "
                   "and the 0.2 s of clock calibration at kmbox-bench's start), "
                   "4 seconds of each: a 64-byte round trip on one vCPU, and "
                   "64-byte streaming across two vCPUs, kmbox beside a peer.  "
                   "Symbols above 3% of the samples, with their callers:\n")
        names = []
        for name, _ in perf:
            if name not in names:
                names.append(name)
        for name in names:
            fig = ""
            kind, mech = (name.split(" ", 1) + [""])[:2]
            if kind == "rtt":
                v = F.get("profile", mech, 64, "same-cpu", "-", "rtt")
                fig = " (round trip %s under perf)" % fus(v) if v else ""
            elif kind == "stream":
                v = F.get("profile", mech, 64, "cross-cpu", "-", "rate")
                fig = " (%s msg/s under perf)" % fmt(v) if v else ""
            out.append("**%s**%s:\n" % (name, fig))
            out.append("```\n" + "\n".join(t for n, t in perf if n == name) + "\n```\n")
    else:
        out.append("(No perf profile in this run: `perf` was not on the host, "
                   "or this was the quick mode.)\n")
    return "\n".join(out)


def write_csv(F, path, env):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(FIELDS)
        for r in F.recs:
            wr.writerow([r[k] if r[k] is not None else "" for k in FIELDS])
        for k, v in sorted(env.items()):
            wr.writerow(["env", k, 0, "-", "-", v, "-", "", "", "", 0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--console", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    ap.add_argument("--qemu", default="?")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--mem", default="1024")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--quick", default="0")
    ap.add_argument("--vm-rc", default="0")
    a = ap.parse_args()
    recs, env, phases, mqperf, perf, errors = parse(a.console)
    if not recs:
        print("report: no figures in %s" % a.console, file=sys.stderr)
        return 1
    F = Figures(recs)
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, a.date)
    chart(F, base + ".svg", "%s, %s, %s vCPUs, %s" % (
        env.get("kernel", "?"), a.accel, env.get("vcpus", a.smp), a.date))
    write_csv(F, base + ".csv", env)
    notes = ""
    if os.path.exists(base + ".notes.md"):
        with open(base + ".notes.md") as f:
            notes = f.read()
    with open(base + ".md", "w") as f:
        f.write(build_md(F, a, env, phases, mqperf, perf, errors, a.date,
                         a.date + ".svg", notes))
    print("report: wrote %s.md, %s.csv and %s.svg (%d figures)"
          % (base, base, base, len(recs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
