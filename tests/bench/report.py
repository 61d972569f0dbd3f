#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Markdown reports from client.py's records (python3 standard library only).

  report.py rest RESULTS.jsonl [LIMITS.txt]   run.sh: targets, every comparable figure, table
  report.py cstore RESULTS.jsonl              cstore.sh: C-STORE ingest, ours against Orthanc
  report.py imageops RESULTS.jsonl            image_ops.sh: PNG, anonymization, export, disk
  report.py boxes RESULTS.jsonl               boxes.sh: box transfers beside Orthanc's peers
  report.py soak RESULTS.jsonl                soak.sh: errors, latency per operation, memory
  report.py durability RESULTS.jsonl          durability.sh: ingest, synchronous FULL / NORMAL
  report.py dicomweb RESULTS.jsonl            dicomweb.sh: QIDO, WADO, STOW, C-FIND beside Orthanc
  report.py table RESULTS.jsonl...            every record: min / median / max over runs

Ratios are ours / Orthanc. Rates and memory are medians over runs; latencies are the median
(and p90) of every sample of every run pooled.
"""
import json
import os
import statistics
import sys

US, PEER = "sbx", "orthanc"


class Results:
    def __init__(self, paths):
        self.records = []
        for path in paths:
            if os.path.exists(path):
                with open(path) as fh:
                    self.records += [json.loads(x) for x in fh if x.strip()]
        self.by = {}
        for r in self.records:
            self.by.setdefault((r["measure"], r["server"], r["kind"]), []).append(r)

    def of(self, measure, server, kind):
        return self.by.get((measure, server, kind), [])

    def has(self, measure, kind):
        return bool(self.of(measure, US, kind) or self.of(measure, PEER, kind))

    def median(self, measure, server, kind, key):
        values = [r[key] for r in self.of(measure, server, kind) if r.get(key) is not None]
        return statistics.median(values) if values else None

    def best(self, measure, server, kind, key):
        values = [r[key] for r in self.of(measure, server, kind) if r.get(key) is not None]
        return max(values) if values else None

    def rate(self, measure, server, key="per_s"):
        rs = self.of(measure, server, "rate")
        if rs and all(r.get("errors", 0) >= r.get("n", 1) for r in rs):
            return "failed"   # nothing went through: a rate would say nothing
        return self.median(measure, server, "rate", key)

    def pooled(self, measure, server, q=0.5):
        samples = sorted(x for r in self.of(measure, server, "latency") for x in r["samples_ms"])
        if not samples:
            return "failed" if self.of(measure, server, "error") else None
        pos = (len(samples) - 1) * q
        low = int(pos)
        high = min(low + 1, len(samples) - 1)
        return samples[low] + (samples[high] - samples[low]) * (pos - low)

    def rss_mb(self, measure, server):
        v = self.median(measure, server, "memory", "vmrss")
        return None if v is None else v / 1024

    def images(self, measure, server):
        rs = self.of(measure, server, "memory")
        return rs[-1].get("images") if rs else None


def show(x, digits=None):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return "%.*f" % (digits, x)


def ratio(ours, theirs):
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)) or not theirs:
        return None
    return ours / theirs


class Table:
    def __init__(self, *columns):
        self.columns, self.rows = columns, []

    def add(self, *cells):
        self.rows.append([show(c) if not isinstance(c, str) else c for c in cells])

    def print(self):
        print("| " + " | ".join(self.columns) + " |")
        print("|" + "---|" * len(self.columns))
        for row in self.rows:
            print("| " + " | ".join(row) + " |")
        print()


def compare(table, label, ours, theirs, better):
    """A row: label | ours | Orthanc | ratio | better if."""
    table.add(label, ours, theirs, ratio(ours, theirs), better)


def verdict(r, ok):
    return "n/a" if r is None else ("**met**" if ok(r) else "**NOT met**")


def read_limits(path):
    """limits.sh's "name value unit" lines: name -> [values]."""
    found = {}
    if path and os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and not line.startswith("#"):
                    try:
                        found.setdefault(parts[0], []).append(float(parts[1]))
                    except ValueError:
                        pass
    return found


def failures(res):
    lines = []
    for (measure, server, kind), rs in sorted(res.by.items()):
        for r in rs:
            if kind == "error":
                lines.append("- %s / %s (run %s): %s" % (measure, server, r.get("run"),
                                                        r.get("error")))
            elif r.get("errors"):
                lines.append("- %s / %s (run %s): %d failed requests; first: %s"
                             % (measure, server, r.get("run"), r["errors"],
                                r.get("first_errors")))
    if lines:
        print("## Failures\n")
        print("\n".join(lines) + "\n")


# ------------------------------------------------------------------ run.sh

LISTINGS = [("patients", "all patients"), ("patient_studies", "one patient's studies"),
            ("series", "all series (flat)"), ("find_patient", "patients whose name holds SON"),
            ("image_meta", "one image's metadata")]


def report_rest(res, limits_path):
    limits = read_limits(limits_path)
    disk = max(limits.get("disk_write_1GiB", []), default=None)
    n_big = res.images("memory@big", US) or res.images("memory@big", PEER) or "?"
    n_small = res.images("memory@small", US) or res.images("memory@small", PEER) or "?"

    print("## Targets\n")
    t = Table("target", "ours", "Orthanc", "ours / Orthanc", "goal", "verdict")
    u, p = res.rate("ingest_rest_c8", US), res.rate("ingest_rest_c8", PEER)
    r = ratio(u, p)
    t.add("REST ingest of 0.5 MB files, 8 clients (images/s)", u, p, r, ">= 2",
          verdict(r, lambda x: x >= 2))
    mb = res.rate("ingest_rest_c8", US, "mb_s")
    r = ratio(mb, disk)
    t.add("the same in MB/s, against the disk's write bandwidth (%s MB/s, best dd)" % show(disk),
          mb, "-", "%s of the disk" % show(r), ">= 0.5", verdict(r, lambda x: x >= 0.5))
    for op, what in LISTINGS[:4]:
        u, p = res.pooled(op + "@small", US), res.pooled(op + "@small", PEER)
        r = ratio(u, p)
        t.add("p50 of %s with %s images (ms)" % (what, n_small), u, p, r, "<= 1",
              verdict(r, lambda x: x <= 1))
    u, p = res.rss_mb("memory@big", US), res.rss_mb("memory@big", PEER)
    r = ratio(u, p)
    t.add("VmRSS after the 8-client ingest of %s images (MB)" % n_big, u, p, r, "<= 1",
          verdict(r, lambda x: x <= 1))
    t.print()

    print("## Every comparable figure (ratio = ours / Orthanc)\n")
    t = Table("measurement", "ours", "Orthanc", "ratio", "better if")
    for measure, what in (("ingest_rest_c1", "REST ingest 0.5 MB, 1 client"),
                          ("ingest_rest_c8", "REST ingest 0.5 MB, 8 clients"),
                          ("ingest_small_rest_c1", "REST ingest 64x64, 1 client"),
                          ("ingest_small_rest_c8", "REST ingest 64x64, 8 clients"),
                          ("download_c1", "download 0.5 MB, 1 client"),
                          ("download_c8", "download 0.5 MB, 8 clients"),
                          ("png_c8", "PNG 512x512, 8 clients")):
        if not res.has(measure, "rate"):
            continue
        compare(t, what + " (images/s)", res.rate(measure, US), res.rate(measure, PEER), "> 1")
        if not measure.startswith("png"):
            compare(t, what + " (MB/s)", res.rate(measure, US, "mb_s"),
                    res.rate(measure, PEER, "mb_s"), "> 1")
        if measure.startswith("ingest"):
            compare(t, what + " (server CPU ms an image)", res.rate(measure, US, "cpu_ms"),
                    res.rate(measure, PEER, "cpu_ms"), "< 1")
    for suffix, count in (("@big", n_big), ("@small", n_small), ("", n_big)):
        for op, what in LISTINGS + [("download", "download"), ("png", "PNG"),
                                    ("anonymize", "anonymize")]:
            if res.has(op + suffix, "latency") or res.has(op + suffix, "error"):
                compare(t, "p50 %s, %s images (ms)" % (what, count), res.pooled(op + suffix, US),
                        res.pooled(op + suffix, PEER), "< 1")
    for measure, what in (("memory@big", "after the ingest of %s images" % n_big),
                          ("memory@big-after-reads", "after the reads"),
                          ("memory@small", "after the ingest of %s small images" % n_small),
                          ("memory@small-after-reads", "after the listings")):
        if res.has(measure, "memory"):
            compare(t, "VmRSS %s (MB)" % what, res.rss_mb(measure, US), res.rss_mb(measure, PEER),
                    "< 1")
    samples = sorted({m[len("upload_"):] for (m, _, _) in res.by if m.startswith("upload_")})
    for name in samples:
        for op in ("png", "download", "anonymize"):
            compare(t, "sample %s: p50 %s (ms)" % (name, op), res.pooled(op + "_" + name, US),
                    res.pooled(op + "_" + name, PEER), "< 1")
    t.print()
    failures(res)
    if limits:
        print("Machine (limits.sh): disk write %s MB/s (dd 1 GiB, runs: %s); a synchronous 4 KiB "
              "write %s ms; loopback TCP %s Mbit/s (1 stream), %s (8 streams).\n"
              % (show(disk), ", ".join(show(x) for x in limits.get("disk_write_1GiB", [])),
                 show(statistics.median(limits["disk_sync_write_4KiB"]) if "disk_sync_write_4KiB" in limits
                      else None, 3),
                 show(max(limits.get("loopback_tcp_1_streams", []), default=None)),
                 show(max(limits.get("loopback_tcp_8_streams", []), default=None))))
    report_table(res)


# ------------------------------------------------------------------ cstore.sh

def report_cstore(res):
    print("## C-STORE ingest (goal: at least 2x Orthanc's images/s)\n")
    print("Orthanc is measured as packaged and started with `TCP_NODELAY=1` in its environment "
          "(its DCMTK keeps Nagle's algorithm on otherwise); the goal is judged against the "
          "first.\n")
    t = Table("senders", "ours (images/s)", "Orthanc", "ours / Orthanc", "verdict",
              "Orthanc, TCP_NODELAY=1", "ours / it", "server CPU ms an image, ours / Orthanc")
    measures = sorted({m for (m, _, k) in res.by if k == "rate" and m.startswith("ingest_cstore")
                       and not m.endswith("_tcpnodelay")}, key=len)
    for m in measures:
        u, p, q = res.rate(m, US), res.rate(m, PEER), res.rate(m + "_tcpnodelay", PEER)
        r = ratio(u, p)
        senders = (res.of(m, US, "rate") or res.of(m, PEER, "rate"))[0].get("senders", "?")
        t.add("%s storescu" % senders, u, p, r, verdict(r, lambda x: x >= 2), q, ratio(u, q),
              "%s / %s" % (show(res.rate(m, US, "cpu_ms")), show(res.rate(m, PEER, "cpu_ms"))))
    t.print()
    failures(res)
    report_table(res)


# ------------------------------------------------------------------ boxes.sh

def report_boxes(res):
    print("## Box transfers A -> B (goals: at least 3x Orthanc's peer transfer, and at least "
          "half of one upload stream)\n")
    print("Orthanc sends with `POST /peers/b/store` (one job); it never anonymizes on the way, "
          "so each of our four transfers is set beside the same Orthanc figure. CPU is both "
          "servers' together.\n")
    peer = res.rate("box_peer", PEER)
    stream = res.rate("ingest_one_stream", US)
    t = Table("transfer", "images/s", "MB/s", "CPU ms an image (A + B)", "/ Orthanc peer",
              "verdict (3x)", "/ one upload stream", "verdict (0.5x)")
    for m, label in (("box_push_plain", "ours, push, not anonymized"),
                     ("box_push_anon", "ours, push, anonymized"),
                     ("box_poll_plain", "ours, poll, not anonymized"),
                     ("box_poll_anon", "ours, poll, anonymized"),
                     ("box_push_anon_z0", "ours, push, anonymized, box.compression_level 0"),
                     ("box_poll_anon_z0", "ours, poll, anonymized, box.compression_level 0")):
        u = res.rate(m, US)
        r, s = ratio(u, peer), ratio(u, stream)
        t.add(label, u, res.rate(m, US, "mb_s"), res.rate(m, US, "cpu_ms"), r,
              verdict(r, lambda x: x >= 3), s, verdict(s, lambda x: x >= 0.5))
    t.add("Orthanc, peer store", peer, res.rate("box_peer", PEER, "mb_s"),
          res.rate("box_peer", PEER, "cpu_ms"), "1", "", ratio(peer, res.rate(
              "ingest_one_stream", PEER)), "")
    t.add("ours, one upload stream (POST /api/images)", stream,
          res.rate("ingest_one_stream", US, "mb_s"), res.rate("ingest_one_stream", US, "cpu_ms"),
          "", "", "1", "")
    t.add("Orthanc, one upload stream (POST /instances)", res.rate("ingest_one_stream", PEER),
          res.rate("ingest_one_stream", PEER, "mb_s"),
          res.rate("ingest_one_stream", PEER, "cpu_ms"), "", "", "", "")
    t.print()
    failures(res)
    report_table(res)


# ------------------------------------------------------------------ durability.sh

def report_durability(res):
    print("## Ingest before and after full durability (goal: at least 2x Orthanc with 8 clients, "
          "durable)\n")
    print("`sbx`: the node as it is (SQLite `synchronous=FULL`); `sbx_normal`: the same source "
          "with `synchronous=NORMAL`, as before the change. Medians over runs.\n")
    t = Table("clients", "ours, durable (img/s)", "ours, NORMAL (img/s)", "Orthanc (img/s)",
              "durable / NORMAL", "durable / Orthanc", "verdict (8 clients: 2x)",
              "CPU ms an image: durable / NORMAL / Orthanc")
    for clients in (1, 8):
        m = "ingest_rest_c%d" % clients
        full, normal, peer = res.rate(m, US), res.rate(m, "sbx_normal"), res.rate(m, PEER)
        r = ratio(full, peer)
        t.add(str(clients), full, normal, peer, ratio(full, normal), r,
              verdict(r, lambda x: x >= 2) if clients == 8 else "",
              " / ".join(show(res.rate(m, s, "cpu_ms")) for s in (US, "sbx_normal", PEER)))
    t.print()
    failures(res)
    report_table(res)


# ------------------------------------------------------------------ soak.sh

def report_soak(res):
    ops = [r for r in res.records if r.get("kind") == "soak" and r["measure"] != "soak_memory"]
    memory = [r for r in res.records if r["measure"] == "soak_memory"]
    errors = sum(r["errors"] for r in ops)
    print("## Soak (goals: 0 errors, a flat memory)\n")
    print("Errors: **%d** of %d requests.\n" % (errors, sum(r["n"] + r["errors"] for r in ops)))
    t = Table("operation", "requests", "errors", "p50 ms", "p99 ms")
    for r in ops:
        t.add(r["measure"][len("soak_"):], str(r["n"]), str(r["errors"]), r.get("p50_ms"),
              r.get("p99_ms"))
    t.print()
    for r in ops:
        for e in r.get("first_errors", []):
            print("- %s: %s" % (r["measure"], e))
    for m in memory:
        print("\nRSS: %s MB at the first sample, %s MB at the last, %s MB at most (%d samples); "
              "slope %s MB/min over the run, %s MB/min over its second half.\n"
              % (m["rss_first_mb"], m["rss_last_mb"], m["rss_max_mb"], m["samples"],
                 m["slope_mb_per_min"], m["slope_second_half_mb_per_min"]))
        print("Samples (MB, every 10 s): " + " ".join(str(x) for x in m["rss_mb"]))


# ------------------------------------------------------------------ image_ops.sh

def report_imageops(res):
    print("## Image operations (ratio = ours / Orthanc)\n")
    print("`better if`: `< 1` where less is better (time, CPU, memory), `> 1` where more is "
          "(images/s, MB/s, share of the disk).\n")
    t = Table("measurement", "ours", "Orthanc", "ratio", "better if")

    def n_of(measure, kind):
        rs = res.of(measure, US, kind) or res.of(measure, PEER, kind)
        return rs[0]["n"] if rs else "?"

    for op, what in (("png", "PNG of a 512x512 CT"), ("anonymize", "anonymization")):
        compare(t, "%s: p50, %s sequential (ms)" % (what, n_of(op, "latency")),
                res.pooled(op, US), res.pooled(op, PEER), "< 1")
        compare(t, "%s: p90 (ms)" % what, res.pooled(op, US, 0.9), res.pooled(op, PEER, 0.9),
                "< 1")
        for clients in ((8,) if op == "png" else (1, 8)):
            m = "%s_c%d" % (op, clients)
            compare(t, "%s: %d client%s, %s images (images/s)"
                    % (what, clients, "s" if clients > 1 else "", n_of(m, "rate")),
                    res.rate(m, US), res.rate(m, PEER), "> 1")
        compare(t, "%s: server CPU an image, 8 clients (ms)" % what,
                res.rate(op + "_c8", US, "cpu_ms"), res.rate(op + "_c8", PEER, "cpu_ms"), "< 1")
    size = [res.median("png", s, "latency", "bytes") for s in (US, PEER)]
    compare(t, "PNG size (KB)", *[None if x is None else x / 1e3 for x in size], "-")

    direct = res.best("disk_dd_direct_read", "disk", "disk", "mb_s")
    stored = {s: res.best("disk_stored_cold_read", s, "disk", "mb_s") for s in (US, PEER)}
    for cache in ("cold", "warm"):
        m = "export_" + cache

        def value(server, key, scale=1.0):
            if res.of(m, server, "error") and not res.of(m, server, "export"):
                return "failed"
            v = res.median(m, server, "export", key)
            return None if v is None else v * scale

        def share(server, of):
            v = value(server, "mb_s")
            return v if isinstance(v, str) else (None if v is None or not of else 100 * v / of)

        label = "export of every image as one ZIP, %s page cache: " % cache
        compare(t, label + "seconds", value(US, "seconds"), value(PEER, "seconds"), "< 1")
        compare(t, label + "MB/s of DICOM", value(US, "mb_s"), value(PEER, "mb_s"), "> 1")
        compare(t, label + "% of the disk (dd, O_DIRECT)", share(US, direct), share(PEER, direct),
                "> 1")
        compare(t, label + "% of a cold read of the server's own files", share(US, stored[US]),
                share(PEER, stored[PEER]), "> 1")
        compare(t, label + "ZIP (MB)", value(US, "zip_bytes", 1e-6), value(PEER, "zip_bytes", 1e-6),
                "-")
        compare(t, label + "first byte (s)", value(US, "first_byte_s"),
                value(PEER, "first_byte_s"), "< 1")
        compare(t, label + "server CPU (s)", value(US, "cpu_s"), value(PEER, "cpu_s"), "< 1")
    compare(t, "cold read of the stored files, one after the other (MB/s, best run)",
            stored[US], stored[PEER], "-")
    compare(t, "ingest before all this, 8 clients (images/s)", res.rate("ingest_rest_c8", US),
            res.rate("ingest_rest_c8", PEER), "> 1")
    compare(t, "VmRSS at the end (MB)", res.rss_mb("memory@end", US), res.rss_mb("memory@end", PEER),
            "< 1")
    t.print()
    if direct:
        print("Disk read bandwidth: dd of the scratch file with O_DIRECT %s MB/s, buffered from a "
              "cold cache %s MB/s (best runs).\n"
              % (show(direct), show(res.best("disk_dd_read", "disk", "disk", "mb_s"))))
    failures(res)
    report_table(res)


# ------------------------------------------------------------------ every record

def report_table(res):
    print("## Every record (min / median / max over runs)\n")
    rates = Table("measure", "server", "runs", "n", "images/s", "MB/s", "server CPU ms each",
                  "errors")
    lats = Table("measure", "server", "runs x n", "p50 (pooled)", "p90", "min / max",
                 "response bytes", "items", "server CPU ms each")
    mems = Table("measure", "server", "runs", "VmRSS MB", "VmHWM MB", "threads", "images")

    def spread(rs, key):
        v = [r[key] for r in rs if r.get(key) is not None]
        if not v:
            return "-"
        return "%s / **%s** / %s" % (show(min(v)), show(statistics.median(v)), show(max(v)))

    for (measure, server, kind), rs in sorted(res.by.items()):
        if kind == "rate":
            rates.add(measure, server, str(len(rs)), str(rs[0]["n"]), spread(rs, "per_s"),
                      spread(rs, "mb_s"), spread(rs, "cpu_ms"),
                      str(sum(r.get("errors", 0) for r in rs)))
        elif kind == "latency":
            all_ms = [x for r in rs for x in r["samples_ms"]]
            lats.add(measure, server, "%dx%d" % (len(rs), rs[0]["n"]), res.pooled(measure, server),
                     res.pooled(measure, server, 0.9),
                     "%s / %s" % (show(min(all_ms)), show(max(all_ms))), str(rs[0]["bytes"]),
                     "-" if rs[0].get("items") is None else str(rs[0]["items"]),
                     spread(rs, "cpu_ms"))
        elif kind == "memory" and any("vmrss" in r for r in rs):
            mems.add(measure, server, str(len(rs)), res.rss_mb(measure, server),
                     max(r.get("vmhwm", 0) for r in rs) / 1024,
                     str(rs[-1].get("threads", "-")), str(rs[-1].get("images", "-")))
    for title, table in (("Rates", rates), ("Latencies in ms", lats), ("Memory", mems)):
        if table.rows:
            print("### %s\n" % title)
            table.print()


def report_dicomweb(res):
    print("## DICOMweb and C-FIND (goal: at least 3x Orthanc with its DICOMweb plugin on each)\n")
    t = Table("measure", "ours", "Orthanc", "ours / Orthanc (better = higher)", "verdict")

    def row(label, ours, theirs, higher_is_better):
        r = ratio(ours, theirs) if higher_is_better else ratio(theirs, ours)
        t.add(label, ours, theirs, r, verdict(r, lambda x: x >= 3))

    row("QIDO-RS studies by patient name, p50 ms", res.pooled("qido_studies", US),
        res.pooled("qido_studies", PEER), False)
    for m, what in (("wado_series", "200 x 64x64"), ("wado_series_512", "200 x 512x512")):
        if not any(k[0] == m for k in res.by):
            continue
        row("WADO-RS of one series (%s), MB/s, Python client" % what, res.rate(m, US, "mb_s"),
            res.rate(m, PEER, "mb_s"), True)
        row("WADO-RS of one series (%s), MB/s, curl" % what,
            res.median(m, US, "rate", "curl_mb_s"), res.median(m, PEER, "rate", "curl_mb_s"),
            True)
    stow = sorted({m for (m, _, k) in res.by if k == "rate" and m.startswith("stow_c")})
    for m in stow:
        row("STOW-RS (%s clients), images/s" % m[len("stow_c"):], res.rate(m, US),
            res.rate(m, PEER), True)
    row("C-FIND study level, ms a query on an open association",
        res.median("cfind_study", US, "rate", "mean_ms"),
        res.median("cfind_study", PEER, "rate", "mean_ms"), False)
    row("archive load (REST, 8 clients), images/s", res.rate("archive_load", US),
        res.rate("archive_load", PEER), True)
    t.print()
    failures(res)
    report_table(res)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("rest", "cstore", "imageops", "boxes", "soak",
                                                     "durability", "dicomweb", "table"):
        sys.exit(__doc__)
    command = sys.argv[1]
    if command == "rest":
        report_rest(Results(sys.argv[2:3]), sys.argv[3] if len(sys.argv) > 3 else None)
    elif command == "cstore":
        report_cstore(Results(sys.argv[2:3]))
    elif command == "imageops":
        report_imageops(Results(sys.argv[2:3]))
    elif command == "boxes":
        report_boxes(Results(sys.argv[2:3]))
    elif command == "soak":
        report_soak(Results(sys.argv[2:3]))
    elif command == "durability":
        report_durability(Results(sys.argv[2:3]))
    elif command == "dicomweb":
        report_dicomweb(Results(sys.argv[2:3]))
    else:
        report_table(Results(sys.argv[2:]))


if __name__ == "__main__":
    main()
