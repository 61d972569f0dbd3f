#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Export and disk figures of tests/bench/image_ops.sh, and its report (python3 stdlib only).

Subcommands:
  export  one export of all images as one ZIP, right after dropping the page cache
          (--cache cold) or after reading the server's whole data directory (--cache warm).
          ours:    POST /api/images/export [ids] -> {"id": n}, then GET /api/images/export?id=n
          Orthanc: POST /tools/create-archive {"Resources": [instance ids], "Synchronous": true}
          (1.10.1 answers with the ZIP, streamed). The ZIP is counted as it arrives, not kept;
          its entry count is read from its end of central directory record.
  disk    the disk's read bandwidth: dd of a 1 GiB file with O_DIRECT, and buffered from a
          cold page cache; a cold read of each server's stored DICOM files, one after the other.
  report  Markdown: measurement | ours | Orthanc | ours / Orthanc, then the JSON lines.

PNG and anonymization are measured by the shared client ../shared/bench/bench.py (latency,
throughput), whose Target (routes, auth, keep-alive) and record format are used here too;
the report reads its records with summary.py's helpers.
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ beside summary.py or in ../shared
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SBX_SHARED_BENCH") or
                os.path.join(HERE, "..", "..", "..", "shared", "bench"))
import bench  # noqa: E402  ../shared/bench/bench.py
from summary import f, group, lat, load, ratio, thr  # noqa: E402

US, PEER = "sbx", "orthanc"
CHUNK = 1 << 20
EOCD_TAIL = 22 + 65535 + 20 + 56   # end of central directory + comment + zip64 locator/record


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as fh:
        fh.write("3\n")


def read_paths(paths):
    """Reads every file through; returns the bytes read."""
    buf = bytearray(CHUNK)
    n = 0
    for p in paths:
        with open(p, "rb", buffering=0) as fh:
            while True:
                k = fh.readinto(buf)
                if not k:
                    break
                n += k
    return n


def tree(d):
    return sorted(os.path.join(r, x) for r, _, xs in os.walk(d) for x in xs
                  if os.path.isfile(os.path.join(r, x)))


def dicom_files(d):
    """Files of a data directory that hold DICOM (preamble then DICM), in path order."""
    out = []
    for p in tree(d):
        with open(p, "rb") as fh:
            if fh.read(132)[128:] == b"DICM":
                out.append(p)
    return out


def zip_entries(tail):
    """Entry count from the end of central directory record (zip64 when it says 0xFFFF)."""
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) < i + 22:
        return None
    n = struct.unpack_from("<H", tail, i + 10)[0]
    if n == 0xFFFF:
        j = tail.rfind(b"PK\x06\x06", 0, i)
        if j >= 0 and len(tail) >= j + 56:
            n = struct.unpack_from("<Q", tail, j + 32)[0]
    return n


def stream(t, method, path, body, ctype):
    """Sends one request and reads the answer through; (status, ctype, bytes, tail, ttfb)."""
    h = dict(t.headers)
    h["Content-Type"] = ctype
    c = t.conn()
    c.request(method, t.prefix + path, body=body, headers=h)
    r = c.getresponse()
    buf = bytearray(CHUNK)
    mv = memoryview(buf)
    n, tail, first = 0, b"", None
    while True:
        k = r.readinto(buf)
        if not k:
            break
        if first is None:
            first = bench.now()
        n += k
        tail = bytes(mv[k - EOCD_TAIL:k]) if k >= EOCD_TAIL else (tail + bytes(mv[:k]))[-EOCD_TAIL:]
    if r.getheader("Connection", "").lower() == "close":
        c.close()
        t._local.c = None
    return r.status, r.getheader("Content-Type", ""), n, tail, first


def cmd_export(a):
    t = bench.Target(a)
    with open(a.ids) as fh:
        ids = [x.strip() for x in fh if x.strip()]
    with open(a.files) as fh:
        dicom_bytes = sum(os.path.getsize(x.strip()) for x in fh if x.strip())
    rec = {"phase": "export_" + a.cache, "kind": "export", "n": len(ids),
           "dicom_bytes": dicom_bytes}
    if a.cache == "cold":
        drop_caches()
    else:
        rec["warmed_bytes"] = read_paths(tree(a.data_dir))
    c0, s0 = os.times(), bench.proc_cpu2(t.pid)
    t0 = bench.now()
    if a.flavor == "orthanc":
        route = "POST /tools/create-archive"
        body = json.dumps({"Resources": ids, "Synchronous": True})
        status, ctype, n, tail, first = stream(t, "POST", "/tools/create-archive", body,
                                               "application/json")
        rec["request_s"] = None
    else:
        route = "POST /api/images/export"
        status, b = t.request("POST", "/api/images/export", json.dumps([int(x) for x in ids]),
                              "application/json", expect=None)
        rec["request_s"] = round(bench.now() - t0, 3)
        if status in (404, 405):
            rec.update({"kind": "unavailable", "status": status,
                        "error": "%s -> HTTP %d" % (route, status)})
            bench.record(a, rec)
            return
        if status not in (200, 201):
            rec.update({"kind": "error", "status": status,
                        "error": "%s -> HTTP %d %s" % (route, status, b[:200])})
            bench.record(a, rec)
            return
        route = "GET /api/images/export?id=%s" % json.loads(b)["id"]
        status, ctype, n, tail, first = stream(t, "GET", route[4:], None, "application/json")
    dt = bench.now() - t0
    c1, s1 = os.times(), bench.proc_cpu2(t.pid)
    entries = zip_entries(tail) if status == 200 else None
    rec.update({"status": status, "content_type": ctype, "zip_bytes": n, "entries": entries,
                "seconds": round(dt, 3), "ttfb_s": round(first - t0, 3) if first else None,
                "MB_s": round(dicom_bytes / dt / 1e6, 1), "zip_MB_s": round(n / dt / 1e6, 1),
                "client_cpu_s": round((c1.user + c1.system) - (c0.user + c0.system), 2),
                "errors": 0 if status == 200 and entries == len(ids) else 1})
    if s0 and s1:
        rec["server_cpu_s"] = round(sum(s1) - sum(s0), 2)
    if rec["errors"]:
        rec["error"] = "%s -> HTTP %d, %s entries of %d: %s" % (
            route, status, entries, len(ids), tail[-200:] if n < 4096 else "")
    bench.record(a, rec)


DD = re.compile(r"(\d+) bytes .* copied, ([\d.]+) s")


def cmd_disk(a):
    def rec(phase, target, run, nbytes, seconds, **more):
        r = {"phase": phase, "kind": "disk", "bytes": nbytes, "seconds": round(seconds, 3),
             "MB_s": round(nbytes / seconds / 1e6, 1)}
        r.update(more)
        bench.record(argparse.Namespace(name=target, flavor="-", run=run, out=a.out), r)

    env = dict(os.environ, LC_ALL="C")
    for run in range(1, a.runs + 1):
        for phase, flags in (("disk_dd_direct_read", ["iflag=direct"]), ("disk_dd_cold_read", [])):
            drop_caches()
            p = subprocess.run(["dd", "if=" + a.scratch, "of=/dev/null", "bs=1M"] + flags,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, check=True)
            m = DD.search(p.stderr)
            rec(phase, "disk", run, int(m.group(1)), float(m.group(2)), cmd=" ".join(p.args))
    for spec in a.stored:
        name, _, d = spec.partition("=")
        paths = dicom_files(d)
        for run in range(1, a.runs + 1):
            drop_caches()
            t0 = bench.now()
            n = read_paths(paths)
            rec("disk_cold_read_stored", name, run, n, bench.now() - t0, n_files=len(paths))


# ---------------------------------------------------------------- report

def recs_of(g, phase, target, kind):
    return g.get((phase, target, kind), [])


def med(rs, key):
    v = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(v) if v else None


def best(rs, key):
    v = [r[key] for r in rs if r.get(key) is not None]
    return max(v) if v else None


def p90(g, phase, target):
    s = [x for r in recs_of(g, phase, target, "latency") for x in r.get("samples_ms", [])]
    return bench.pctl(s, 0.9) if s else None


def cmd_report(a):
    recs = load(a.results) if os.path.exists(a.results) else []
    g = group(recs)
    rows = []

    def row(label, u, p, better):
        rows.append((label, u, p, better))

    def pair(fn, *args):
        return fn(g, *args, US), fn(g, *args, PEER)

    def nlat(phase):
        rs = recs_of(g, phase, PEER, "latency") or recs_of(g, phase, US, "latency")
        return rs[0]["n"] if rs else "?"

    def nthr(phase):
        rs = recs_of(g, phase, PEER, "throughput") or recs_of(g, phase, US, "throughput")
        return rs[0]["n"] if rs else "?"

    def cpu(phase, target):
        return med(recs_of(g, phase, target, "throughput"), "server_cpu_ms_per_req")

    row("PNG 512x512 CT: p50 latency, %s sequential (ms)" % nlat("png"), *pair(lat, "png"),
        "< 1")
    row("PNG: p90 latency (ms)", *pair(p90, "png"), "< 1")
    row("PNG: throughput, 8 clients, %s images (img/s)" % nthr("png_c8"),
        *pair(thr, "png_c8"), "> 1")
    row("PNG: server CPU per image, 8 clients (ms)", cpu("png_c8", US), cpu("png_c8", PEER),
        "< 1")
    size = {t: med(recs_of(g, "png", t, "latency"), "resp_bytes") for t in (US, PEER)}
    row("PNG: size (KB)", *[None if size[t] is None else size[t] / 1e3 for t in (US, PEER)],
        "info")
    row("anonymize: p50 latency, %s sequential (ms)" % nlat("anonymize"),
        *pair(lat, "anonymize"), "< 1")
    row("anonymize: p90 latency (ms)", *pair(p90, "anonymize"), "< 1")
    for c in (1, 8):
        ph = "anonymize_c%d" % c
        row("anonymize: throughput, %d client%s, %s images (img/s)"
            % (c, "s" if c > 1 else "", nthr(ph)), *pair(thr, ph), "> 1")
    row("anonymize: server CPU per image, 8 clients (ms)", cpu("anonymize_c8", US),
        cpu("anonymize_c8", PEER), "< 1")

    dd_direct = best(recs_of(g, "disk_dd_direct_read", "disk", "disk"), "MB_s")
    dd_cold = best(recs_of(g, "disk_dd_cold_read", "disk", "disk"), "MB_s")
    stored = {t: best(recs_of(g, "disk_cold_read_stored", t, "disk"), "MB_s") for t in (US, PEER)}
    export_note = []
    for cache in ("cold", "warm"):
        ph = "export_" + cache
        ex = {t: recs_of(g, ph, t, "export") for t in (US, PEER)}
        ok = {t: [r for r in ex[t] if not r.get("errors")] for t in (US, PEER)}
        na = {t: None for t in (US, PEER)}
        for t in (US, PEER):
            bad = recs_of(g, ph, t, "unavailable") or recs_of(g, ph, t, "error") or ex[t]
            if not ok[t] and bad:
                na[t] = "not available" if bad[0]["kind"] == "unavailable" else "failed"
        first = (ex[PEER] or ex[US] or [{}])[0]
        if first and not export_note:
            export_note.append("Export: all %s images, %.0f MB of DICOM, as one ZIP; MB/s are "
                               "of those DICOM bytes, seconds from the first request to the "
                               "ZIP's last byte; median of %d runs."
                               % (first.get("n"), first.get("dicom_bytes", 0) / 1e6,
                                  max(len(ex[US]), len(ex[PEER]))))

        def val(key, t, scale=1.0):
            if na[t]:
                return na[t]
            v = med(ok[t], key)
            return None if v is None else v * scale

        def pct(t, of):
            v = val("MB_s", t)
            return v if isinstance(v, str) else (None if v is None or not of
                                                 else 100 * v / of)
        label = "export, %s page cache: " % cache
        row(label + "seconds", val("seconds", US), val("seconds", PEER), "< 1")
        row(label + "MB/s of DICOM", val("MB_s", US), val("MB_s", PEER), "> 1")
        row(label + "% of the disk's read bandwidth (dd O_DIRECT)", pct(US, dd_direct),
            pct(PEER, dd_direct), "> 1")
        row(label + "% of a cold read of the server's own stored files", pct(US, stored[US]),
            pct(PEER, stored[PEER]), "> 1")
        row(label + "ZIP size (MB)", val("zip_bytes", US, 1e-6), val("zip_bytes", PEER, 1e-6),
            "info")
        row(label + "time to first byte (s)", val("ttfb_s", US), val("ttfb_s", PEER), "< 1")
        row(label + "server CPU (s)", val("server_cpu_s", US), val("server_cpu_s", PEER), "< 1")
    row("disk: cold read of the stored DICOM files, one after the other (MB/s, best of %d)"
        % len(recs_of(g, "disk_cold_read_stored", US, "disk")), stored[US], stored[PEER], "info")
    row("ingest for the above, 8 clients (img/s)", *pair(thr, "ingest_rest_c8"), "> 1")
    mem = {t: med(recs_of(g, "memory@after-image-ops", t, "memory"), "VmRSS") for t in (US, PEER)}
    row("VmRSS after all of the above (MB)", *[None if mem[t] is None else mem[t] / 1024
                                                for t in (US, PEER)], "< 1")

    print("## Image operations: ours beside Orthanc (ratio = ours / Orthanc)\n")
    print("Better for us: `< 1` where lower is better (latency, seconds, CPU, memory), `> 1` "
          "where higher is better (img/s, MB/s, % of the disk); `info`: neither.\n")
    for line in export_note:
        print(line + "\n")
    print("| measurement | ours | Orthanc | ours / Orthanc | better if |")
    print("|---|---|---|---|---|")
    for label, u, p, better in rows:
        def cell(x):
            if isinstance(x, str):
                return x
            return f(x, 2 if x is not None and abs(x) < 10 else 1)
        r = None if isinstance(u, str) or isinstance(p, str) else ratio(u, p)
        print("| %s | %s | %s | %s | %s |" % (label, cell(u), cell(p), f(r, 2), better))

    dd = recs_of(g, "disk_dd_direct_read", "disk", "disk")
    ddc = recs_of(g, "disk_dd_cold_read", "disk", "disk")
    if dd:
        print("\nDisk read bandwidth (the best run stands for the disk): `dd` of a 1 GiB file, "
              "bs=1M, iflag=direct: %s MB/s (runs: %s); buffered after dropping the page cache: "
              "%s MB/s (runs: %s). Cold reads of the stored DICOM files: ours %s, Orthanc %s MB/s."
              % (f(dd_direct), ", ".join(f(r["MB_s"]) for r in dd), f(dd_cold),
                 ", ".join(f(r["MB_s"]) for r in ddc), f(stored[US]), f(stored[PEER])))
    problems = [r for r in recs if r.get("kind") in ("error", "unavailable") or r.get("errors")]
    if problems:
        print("\n## Failures and missing routes\n")
        for r in problems:
            first = r.get("error") or "%s request errors; first: %s" % (
                r.get("errors"), r.get("first_errors"))
            print("- %s / %s (run %s): %s" % (r["phase"], r["target"], r.get("run"), first))
    print("\n## Raw results (JSON lines, `bench.py` format)\n")
    print("```")
    with open(a.results) as fh:
        sys.stdout.write(fh.read())
    print("```")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("export")
    p.add_argument("--flavor", choices=["orthanc", "slicebox"], required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--auth", default="")
    p.add_argument("--name", default="")
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--run", type=int, default=0)
    p.add_argument("--out", default="")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--ids", required=True, help="image ids, one a line")
    p.add_argument("--files", required=True, help="the uploaded files (for the DICOM bytes)")
    p.add_argument("--cache", choices=["cold", "warm"], required=True)
    p.add_argument("--data-dir", required=True, help="the server's data dir (read for warm)")
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser("disk")
    p.add_argument("--out", default="")
    p.add_argument("--scratch", required=True, help="a 1 GiB file on the disk of the data dirs")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stored", action="append", default=[], help="NAME=DATA_DIR")
    p.set_defaults(fn=cmd_disk)

    p = sub.add_parser("report")
    p.add_argument("results")
    p.set_defaults(fn=cmd_report)

    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
