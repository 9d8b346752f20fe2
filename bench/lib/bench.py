#!/usr/bin/env python3
"""Measurement and aggregation helpers for bench/run (standard library only).

  bench.py snap PGID...            -> "<cpu_ticks> <rss_kib> <nprocs>" summed over every process
                                      in those process groups (utime+stime+cutime+cstime)
  bench.py sample OUT SECS PGID... -> sample the groups' RSS every 0.2 s for at most SECS
                                      seconds (or until SIGTERM); keep the peak (KiB) in OUT
  bench.py record ...              -> append one run as a JSON line (see --help)
  bench.py report RUNS.jsonl       -> markdown table of medians + Sluice ratios on stdout
"""
import argparse
import json
import os
import signal
import statistics
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def group_pids(pgids):
    """PIDs of every process whose process group is one of pgids."""
    want = {int(p) for p in pgids if p and p != "-"}
    pids = []
    if not want:
        return pids
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command may contain spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        # fields[0] = state (field 3), fields[2] = pgrp (field 5)
        if int(fields[2]) in want and fields[0] != "Z":
            pids.append(int(name))
    return pids


def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    # utime, stime, cutime, cstime = fields 14..17 (1-based) = index 11..14 here
    return sum(int(x) for x in fields[11:15])


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_KIB


def snap(pgids):
    ticks = rss = n = 0
    for pid in group_pids(pgids):
        try:
            ticks += proc_cpu_ticks(pid)
            rss += proc_rss_kib(pid)
            n += 1
        except (OSError, ValueError, IndexError):
            pass  # exited meanwhile
    return ticks, rss, n


def cmd_snap(args):
    t, r, n = snap(args.pgid)
    print(t, r, n)


def cmd_sample(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    peak = 0
    deadline = time.monotonic() + args.secs
    while not stop and time.monotonic() < deadline:
        _, rss, _ = snap(args.pgid)
        if rss > peak:
            peak = rss
            with open(args.out + ".tmp", "w") as f:
                f.write(f"{peak}\n")
            os.replace(args.out + ".tmp", args.out)
        time.sleep(0.2)
    with open(args.out, "w") as f:
        f.write(f"{peak}\n")


def parse_wrk(path):
    """The WRKRESULT line our lua done() prints, plus wrk's own 'Requests/sec'."""
    res = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("WRKRESULT "):
                    for kv in line.split()[1:]:
                        k, v = kv.split("=", 1)
                        res[k] = float(v)
    except OSError:
        pass
    return res


def cmd_record(a):
    w = parse_wrk(a.wrk_out)
    row = {"round": a.round, "scenario": a.scenario, "target": a.target, "status": a.status,
           "connections": a.connections, "note": a.note}
    if a.status == "ok" and "requests" in w and w.get("duration_us", 0) > 0:
        req = w["requests"]
        row["requests"] = int(req)
        row["rps"] = req / (w["duration_us"] / 1e6)
        row["p50_ms"] = w["p50_us"] / 1000.0
        row["p99_ms"] = w["p99_us"] / 1000.0
        row["errors"] = int(w["err_connect"] + w["err_read"] + w["err_write"]
                            + w["err_timeout"] + w["err_status"])
        row["errors_status"] = int(w["err_status"])
        row["mbytes_per_s"] = w["bytes"] / (w["duration_us"] / 1e6) / 1e6
        if a.cpu0 is not None and a.cpu1 is not None and req > 0:
            row["cpu_us_per_req"] = (a.cpu1 - a.cpu0) * 1e6 / CLK_TCK / req
        if a.bcpu0 is not None and a.bcpu1 is not None and req > 0:
            row["backend_cpu_us_per_req"] = (a.bcpu1 - a.bcpu0) * 1e6 / CLK_TCK / req
        if a.rss_idle is not None:
            row["rss_idle_mib"] = a.rss_idle / 1024.0
        if a.rss_peak is not None:
            row["rss_peak_mib"] = a.rss_peak / 1024.0
    elif a.status == "ok":
        row["status"] = "no-result"
    with open(a.out, "a") as f:
        f.write(json.dumps(row) + "\n")


SCEN_TITLES = {
    "a": "a: keep-alive GET /small, 64 conns",
    "b": "b: Connection: close GET /small, 64 conns",
    "c": "c: keep-alive GET /100k, 64 conns",
    "d": "d: keep-alive POST /upload 1 MiB, 16 conns",
    "e": "e: keep-alive GET /small, 1000 conns",
}
TARGET_ORDER = ["direct", "nginx", "haproxy", "go", "sluice"]
PEERS = ["nginx", "haproxy", "go"]


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


def cmd_report(a):
    rows = []
    with open(a.runs) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    scenarios = sorted({r["scenario"] for r in rows})
    targets = sorted({r["target"] for r in rows},
                     key=lambda t: TARGET_ORDER.index(t) if t in TARGET_ORDER else 99)
    out = []
    out.append("| scenario | target | runs ok | req/s | p50 ms | p99 ms | errors | CPU µs/req | RSS idle MiB | RSS peak MiB |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for s in scenarios:
        for t in targets:
            rs = [r for r in rows if r["scenario"] == s and r["target"] == t]
            if not rs:
                continue
            ok = [r for r in rs if r["status"] == "ok" and "rps" in r]
            m = {k: med(ok, k) for k in ("rps", "p50_ms", "p99_ms", "errors", "cpu_us_per_req",
                                          "rss_idle_mib", "rss_peak_mib")}
            medians[(s, t)] = m
            out.append("| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} |".format(
                SCEN_TITLES.get(s, s), t, len(ok), len(rs), fmt(m["rps"]), fmt(m["p50_ms"], 2),
                fmt(m["p99_ms"], 2), fmt(m["errors"]), fmt(m["cpu_us_per_req"], 1),
                fmt(m["rss_idle_mib"], 1), fmt(m["rss_peak_mib"], 1)))
    out.append("")
    out.append("Medians across rounds. errors = socket errors (connect, read, write, timeout) + "
               "responses with status >= 400. CPU µs/req = the proxy's utime+stime (all its "
               "processes) during the measured run / requests. direct = wrk straight to the "
               "backend (no proxy: no CPU/RSS).")
    out.append("")
    out.append("### Sluice relative to each peer")
    out.append("")
    if not any(t == "sluice" for t in targets):
        out.append("Sluice was not measured in this run, so there are no ratios.")
    else:
        out.append("req/s ratio = Sluice ÷ peer (above 1: Sluice serves more); "
                   "CPU ratio = Sluice ÷ peer CPU per request (below 1: Sluice spends less).")
        out.append("")
        out.append("| scenario | peer | req/s ratio | CPU/req ratio |")
        out.append("|---|---|---:|---:|")
        for s in scenarios:
            sm = medians.get((s, "sluice"))
            for p in PEERS:
                pm = medians.get((s, p))
                if not sm or not pm:
                    continue
                rr = sm["rps"] / pm["rps"] if sm["rps"] and pm["rps"] else None
                cr = (sm["cpu_us_per_req"] / pm["cpu_us_per_req"]
                      if sm["cpu_us_per_req"] and pm["cpu_us_per_req"] else None)
                out.append(f"| {SCEN_TITLES.get(s, s)} | {p} | {fmt(rr, 2)} | {fmt(cr, 2)} |")
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        out.append("")
        out.append("### Runs that failed")
        out.append("")
        for r in failed:
            out.append(f"- round {r['round']}, scenario {r['scenario']}, {r['target']}: "
                       f"{r['status']} {r.get('note') or ''}".rstrip())
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snap"); s.add_argument("pgid", nargs="*"); s.set_defaults(fn=cmd_snap)
    s = sub.add_parser("sample"); s.add_argument("out"); s.add_argument("secs", type=float)
    s.add_argument("pgid", nargs="*"); s.set_defaults(fn=cmd_sample)
    s = sub.add_parser("record")
    s.add_argument("--out", required=True); s.add_argument("--round", type=int, required=True)
    s.add_argument("--scenario", required=True); s.add_argument("--target", required=True)
    s.add_argument("--status", default="ok"); s.add_argument("--note", default="")
    s.add_argument("--connections", type=int, default=0)
    s.add_argument("--wrk-out", default="/dev/null")
    for k in ("cpu0", "cpu1", "bcpu0", "bcpu1", "rss-idle", "rss-peak"):
        s.add_argument("--" + k, type=float, default=None)
    s.set_defaults(fn=cmd_record)
    s = sub.add_parser("report"); s.add_argument("runs"); s.set_defaults(fn=cmd_report)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
