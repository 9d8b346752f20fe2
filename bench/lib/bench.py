#!/usr/bin/env python3
"""Measurement and aggregation helpers for bench/run (standard library only).

  bench.py snap PGID...            -> "<cpu_ticks> <rss_kib> <nprocs>" summed over every process
                                      in those process groups (utime+stime+cutime+cstime)
  bench.py sample OUT SECS PGID... -> sample the groups' RSS every 0.2 s for at most SECS
                                      seconds (or until SIGTERM); keep the peak (KiB) in OUT
  bench.py record ...              -> append one run as a JSON line (see --help)
  bench.py report RUNS.jsonl       -> markdown table of medians + Sluice ratios on stdout
  bench.py h2load OUT [--expect-bytes N]
                                   -> read h2load's output in OUT, append a WRKRESULT line to it
                                      (h2load prints no percentiles: mean_us and max_us only)
"""
import argparse
import json
import re
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
        if "p50_us" in w:                      # wrk and tlsload
            row["p50_ms"] = w["p50_us"] / 1000.0
            row["p99_ms"] = w["p99_us"] / 1000.0
        else:                                  # h2load: min/max/mean/sd only
            row["mean_ms"] = w.get("mean_us", 0) / 1000.0
            row["max_ms"] = w.get("max_us", 0) / 1000.0
        if "resumed" in w:                     # tlsload: must stay 0 (full handshakes only)
            row["resumed"] = int(w["resumed"])
        if "err_size" in w:
            row["errors_size"] = int(w["err_size"])
        row["errors"] = int(w["err_connect"] + w["err_read"] + w["err_write"]
                            + w["err_timeout"] + w["err_status"])
        row["errors_status"] = int(w["err_status"])
        row["mbytes_per_s"] = w["bytes"] / (w["duration_us"] / 1e6) / 1e6
        if a.cpu0 is not None and a.cpu1 is not None and req > 0:
            row["cpu_us_per_req"] = (a.cpu1 - a.cpu0) * 1e6 / CLK_TCK / req
            # share of one core the proxy used while measured (100 = one core busy)
            row["cpu_pct"] = (a.cpu1 - a.cpu0) / CLK_TCK / (w["duration_us"] / 1e6) * 100
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
    "f": "f: TLS 1.3 full handshake per request (GET /small), 64 conns",
    "g": "g: h2 over TLS 1.3, GET /small, 8 conns × 32 streams",
}
# scenarios whose latency columns hold h2load's mean and max instead of p50 and p99
MEAN_MAX = {"g"}
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
    out.append("| scenario | target | runs ok | req/s | p50 ms | p99 ms | errors | CPU µs/req | CPU % | RSS idle MiB | RSS peak MiB |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for s in scenarios:
        for t in targets:
            rs = [r for r in rows if r["scenario"] == s and r["target"] == t]
            if not rs:
                continue
            ok = [r for r in rs if r["status"] == "ok" and "rps" in r]
            m = {k: med(ok, k) for k in ("rps", "p50_ms", "p99_ms", "mean_ms", "max_ms", "errors",
                                          "cpu_us_per_req", "cpu_pct", "rss_idle_mib", "rss_peak_mib")}
            medians[(s, t)] = m
            if s in MEAN_MAX:
                lat1, lat2 = "mean " + fmt(m["mean_ms"], 2), "max " + fmt(m["max_ms"], 2)
            else:
                lat1, lat2 = fmt(m["p50_ms"], 2), fmt(m["p99_ms"], 2)
            resumed = sum(r.get("resumed", 0) for r in ok)
            errs = fmt(m["errors"]) + (f" ({resumed} resumed!)" if resumed else "")
            out.append("| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                SCEN_TITLES.get(s, s), t, len(ok), len(rs), fmt(m["rps"]), lat1, lat2, errs,
                fmt(m["cpu_us_per_req"], 1), fmt(m["cpu_pct"], 0),
                fmt(m["rss_idle_mib"], 1), fmt(m["rss_peak_mib"], 1)))
    out.append("")
    out.append("Medians across rounds. errors = socket errors (connect, read, write, timeout) + "
               "responses with status >= 400. CPU µs/req = the proxy's utime+stime (all its "
               "processes) during the measured run / requests; CPU % = the same CPU time / the "
               "run's duration (100 = one core busy: below the proxy's core count, the load "
               "generator, not the proxy, set the pace). direct = wrk straight to the "
               "backend (no proxy: no CPU/RSS; not run in the TLS scenarios).")
    if any(s in scenarios for s in ("f", "g")):
        out.append("")
        out.append("f: bench/tlsload (Go), a new TCP + TLS 1.3 connection for every request with a "
                   "full handshake (no session cache on the client, so no PSK is ever offered; "
                   "resumed handshakes are counted and must be 0), X25519, ECDSA P-256 "
                   "certificate, HTTP/1.1 with Connection: close: req/s = handshakes/s, "
                   "CPU µs/req = proxy CPU per handshake + request. g: h2load over TLS 1.3 "
                   "(ALPN h2); h2load prints no percentiles, so its p50/p99 columns hold the "
                   "mean and the max time per request.")
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


def _dur_us(v):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", v)
    if not m:
        return 0.0
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def cmd_h2load(a):
    """h2load's summary -> the WRKRESULT line bench/wrk/common.lua prints (appended to the file).
    requests = succeeded; errors: failed (errored and timed out included) as err_read, 4xx/5xx as
    err_status, plus bodies whose total size is not succeeded x --expect-bytes (err_size)."""
    text = open(a.out).read()
    r = {}
    m = re.search(r"^finished in ([0-9.]+(?:us|ms|s)),", text, re.M)
    if m:
        r["duration_us"] = _dur_us(m.group(1))
    m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    if m:
        r["succeeded"], r["failed"], r["timeout"] = int(m.group(4)), int(m.group(5)), int(m.group(7))
    m = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    if m:
        r["bad_status"] = int(m.group(3)) + int(m.group(4))
    m = re.search(r"^traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?\((\d+)\) data", text, re.M)
    if m:
        r["bytes"], r["data"] = int(m.group(1)), int(m.group(3))
    m = re.search(r"^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        r["max_us"], r["mean_us"] = _dur_us(m.group(2)), _dur_us(m.group(3))
    need = ("duration_us", "succeeded", "bad_status", "bytes", "max_us")
    if not all(k in r for k in need) or r["duration_us"] <= 0:
        print("bench.py h2load: no h2load summary in " + a.out, file=sys.stderr)
        sys.exit(1)
    err_size = 0
    if a.expect_bytes is not None and a.expect_bytes > 0:
        want = r["succeeded"] * a.expect_bytes
        err_size = int(round(abs(r["data"] - want) / a.expect_bytes))
    line = ("WRKRESULT requests=%d duration_us=%d bytes=%d err_connect=0 err_read=%d err_write=0 "
            "err_timeout=%d err_status=%d max_us=%d mean_us=%.1f err_size=%d\n" % (
                r["succeeded"], r["duration_us"], r["bytes"], r["failed"] - r["timeout"],
                r["timeout"], r["bad_status"] + err_size, r["max_us"], r["mean_us"], err_size))
    with open(a.out, "a") as f:
        f.write(line)
    sys.stdout.write(line)


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
    s = sub.add_parser("h2load"); s.add_argument("out")
    s.add_argument("--expect-bytes", type=int, default=None); s.set_defaults(fn=cmd_h2load)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
