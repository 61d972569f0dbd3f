#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Targets and ratios of our node ("sbx") against Orthanc from one peer_orthanc.sh run.

Usage: summary.py RESULTS.jsonl [LIMITS.txt]
       summary.py --cstore RESULTS.jsonl   (only the C-STORE table, for cstore.sh)
RESULTS.jsonl is the driver's results file (bench.py records), LIMITS.txt the output of
machine_limits.sh (for the disk write bandwidth). Prints Markdown. Medians: throughput and
memory over runs, latency over all samples pooled (as `bench.py report` does).
"""
import json
import os
import re
import statistics
import sys

US, PEER = "sbx", "orthanc"


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def group(recs):
    g = {}
    for r in recs:
        g.setdefault((r["phase"], r["target"], r["kind"]), []).append(r)
    return g


def thr(g, phase, target, key="img_s"):
    rs = g.get((phase, target, "throughput"), [])
    v = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(v) if v else None


def errors(g, phase, target):
    rs = g.get((phase, target, "throughput"), [])
    return sum(r.get("errors", 0) for r in rs) if rs else None


def lat(g, phase, target):
    rs = g.get((phase, target, "latency"), [])
    s = [x for r in rs for x in r.get("samples_ms", [])]
    return statistics.median(s) if s else None


def mem(g, phase, target):
    rs = g.get((phase, target, "memory"), [])
    v = [r["VmRSS"] / 1024 for r in rs if "VmRSS" in r]
    inst = rs[-1].get("instances", rs[-1].get("count_error")) if rs else None
    return (statistics.median(v) if v else None), inst


def disk(path):
    """dd 1 GiB conv=fdatasync figures (MB/s) and the O_DSYNC 4 KiB write cost (ms)."""
    if not path or not os.path.exists(path):
        return [], []
    seq, dsync, sect = [], [], None
    with open(path) as f:
        for line in f:
            if line.startswith("## disk") and "dd 1 GiB" in line:
                sect = "seq"
            elif line.startswith("## disk") and "O_DSYNC" in line:
                sect = "dsync"
            elif line.startswith("##"):
                sect = None
            m = re.match(r"(\d+) bytes .* copied, ([\d.]+) s", line)
            if m and sect:
                b, s = int(m.group(1)), float(m.group(2))
                if sect == "seq":
                    seq.append(b / s / 1e6)
                else:
                    dsync.append(s * 1e3 / (b / 4096))
    return seq, dsync


def f(x, nd=1):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return "%.0f" % x if abs(x) >= 100 else ("%." + str(nd) + "f") % x


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**NOT met**")


def cstore_table(g):
    """C-STORE ingest (issue 6: >= 2x Orthanc's images/s), when it was measured: ours against
    Orthanc as packaged and against Orthanc started with TCP_NODELAY=1 (phase suffix
    _srv_tcpnodelay), whose DCMTK otherwise waits for delayed ACKs."""
    phases = sorted({k[0] for k in g if k[0].startswith("ingest_cstore")
                     and not k[0].endswith("_srv_tcpnodelay")}, key=len)
    if not phases:
        return
    print("## C-STORE ingest, 0.5 MB files (issue: >= 2x Orthanc's images/s)\n")
    print("| senders | ours img/s | Orthanc as packaged | ours / it | verdict "
          "| Orthanc with TCP_NODELAY=1 | ours / it |")
    print("|---|---|---|---|---|---|---|")
    for ph in phases:
        u, p, q = thr(g, ph, US), thr(g, ph, PEER), thr(g, ph + "_srv_tcpnodelay", PEER)
        if errors(g, ph, US):
            u = "failed"
        senders = "1 storescu" if ph == "ingest_cstore" else ph.rsplit("_c", 1)[1] + " at once"
        r, rq = (None, None) if isinstance(u, str) else (ratio(u, p), ratio(u, q))
        print("| %s | %s | %s | %s | %s | %s | %s |"
              % (senders, f(u), f(p), f(r, 2), verdict(None if r is None else r >= 2), f(q),
                 f(rq, 2)))
    print()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--cstore":
        cstore_table(group(load(sys.argv[2])))
        return
    recs = load(sys.argv[1]) if os.path.exists(sys.argv[1]) else []
    g = group(recs)
    seq, dsync = disk(sys.argv[2] if len(sys.argv) > 2 else None)
    disk_mb = max(seq) if seq else None   # the best run: the disk's bandwidth

    print("## Targets (issue: REST ingest, listings, memory)\n")
    print("| target | ours | Orthanc | ours / Orthanc | goal | verdict |")
    print("|---|---|---|---|---|---|")
    u, p = thr(g, "ingest_rest_c8", US), thr(g, "ingest_rest_c8", PEER)
    r = ratio(u, p)
    print("| REST ingest, 8 clients, 0.5 MB files (img/s) | %s | %s | %s | >= 2 | %s |"
          % (f(u), f(p), f(r, 2), verdict(None if r is None else r >= 2)))
    um = thr(g, "ingest_rest_c8", US, "MB_s")
    rd = ratio(um, disk_mb)
    print("| same, MB/s vs disk write bandwidth (dd 1 GiB fdatasync, best of 3: %s MB/s) "
          "| %s MB/s | - | %s of disk | >= 0.50 of disk | %s |"
          % (f(disk_mb), f(um), f(rd, 2), verdict(None if rd is None else rd >= 0.5)))
    for op, label in (("patients", "GET patients (all)"),
                      ("patient_studies", "GET studies of one patient"),
                      ("series", "GET flatseries / series (all)"),
                      ("find_patient", "patient query, name like SON")):
        u, p = lat(g, op + "@20000", US), lat(g, op + "@20000", PEER)
        r = ratio(u, p)
        print("| p50 %s @20000 (ms) | %s | %s | %s | <= 1 | %s |"
              % (label, f(u, 2), f(p, 2), f(r, 2), verdict(None if r is None else r <= 1)))
    (u, ui), (p, pi) = mem(g, "memory@2000", US), mem(g, "memory@2000", PEER)
    r = ratio(u, p)
    print("| VmRSS after REST ingest of 2000 x 0.5 MB (MB) | %s | %s | %s | <= 1 | %s |"
          % (f(u), f(p), f(r, 2), verdict(None if r is None else r <= 1)))

    print()
    cstore_table(g)
    print("## All comparable figures (median; ratio = ours / Orthanc)\n")
    print("| measurement | ours | Orthanc | ratio | better if | our errors |")
    print("|---|---|---|---|---|---|")

    def row(label, u, p, better, err=None):
        def nd(x):
            return 2 if isinstance(x, (int, float)) and x < 10 else 1
        r = ratio(u, p) if not isinstance(u, str) else None
        print("| %s | %s | %s | %s | %s | %s |" % (label, f(u, nd(u)), f(p, nd(p)), f(r, 2),
                                                   better, "-" if err is None else err))

    for ph, label in (("ingest_cstore", "C-STORE ingest 0.5 MB, 1 storescu"),
                      ("ingest_rest_c1", "REST ingest 0.5 MB, 1 client"),
                      ("ingest_rest_c8", "REST ingest 0.5 MB, 8 clients"),
                      ("ingest_small2000_rest_c1", "REST ingest 2000 x 64x64, 1 client"),
                      ("ingest_small_rest_c8", "REST ingest 20000 x 64x64, 8 clients"),
                      ("download_c1", "download 0.5 MB, 1 client"),
                      ("download_c8", "download 0.5 MB, 8 clients"),
                      ("png_c8", "PNG, 8 clients")):
        if (ph, US, "throughput") not in g and (ph, PEER, "throughput") not in g:
            continue
        ours = thr(g, ph, US)
        if all(r.get("errors", 0) >= r.get("n", 0) for r in g.get((ph, US, "throughput"), [{}])):
            ours = "failed"   # every request failed: the rate says nothing
        row(label + " (img/s)", ours, thr(g, ph, PEER), "> 1", errors(g, ph, US))
        if ph.startswith("ingest") or ph.startswith("download"):
            row(label + " (MB/s)", thr(g, ph, US, "MB_s"), thr(g, ph, PEER, "MB_s"), "> 1")
        if ph.startswith("ingest"):
            row(label + " (server CPU ms/img)", thr(g, ph, US, "server_cpu_ms_per_img"),
                thr(g, ph, PEER, "server_cpu_ms_per_img"), "< 1")
    for suffix in ("@2000", "@20000", ""):
        for op in ("patients", "patient_studies", "series", "find_patient", "image_meta",
                   "download", "png", "anonymize"):
            ph = op + suffix
            if (ph, US, "latency") not in g and (ph, PEER, "latency") not in g:
                continue
            err = "failed" if (ph, US, "error") in g else None
            row("p50 latency %s (ms)" % ph, lat(g, ph, US), lat(g, ph, PEER), "< 1", err)
    for ph in ("memory@2000", "memory@2000-after-reads", "memory@20000",
               "memory@20000-after-reads"):
        (u, ui), (p, pi) = mem(g, ph, US), mem(g, ph, PEER)
        if u is None and p is None:
            continue
        row("VmRSS %s (MB; instances ours %s, Orthanc %s)" % (ph, ui, pi), u, p, "< 1")

    fails = sorted({(k[0], k[1]) for k in g if k[2] == "error"})
    errs = [(k[0], k[1], errors(g, k[0], k[1])) for k in g
            if k[2] == "throughput" and errors(g, k[0], k[1])]
    if fails or errs:
        print("\n## Failures\n")
        for ph, tg in fails:
            e = g[(ph, tg, "error")][0].get("error", "")
            print("- %s / %s: %s" % (ph, tg, e))
        for ph, tg, n in sorted(errs):
            first = next((r.get("first_errors") for r in g[(ph, tg, "throughput")]
                          if r.get("first_errors")), None)
            print("- %s / %s: %d request errors; first: %s" % (ph, tg, n, first))
    if seq:
        print("\nDisk (machine_limits.sh): dd 1 GiB conv=fdatasync %s MB/s (min / median / max "
              "%s / %s / %s); 4 KiB O_DSYNC write %s ms."
              % (f(disk_mb), f(min(seq)), f(statistics.median(seq)), f(max(seq)),
                 f(statistics.median(dsync), 2) if dsync else "-"))


if __name__ == "__main__":
    main()
