#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The DICOMweb and C-FIND measurements of dicomweb.sh against one running server (python3
standard library, and DCMTK's findscu). Both servers answer the same PS3.18 requests under
/dicom-web, so every request is the same for ours and Orthanc's DICOMweb plugin.

  dicomweb.py qido   --index INDEX.tsv -n N           QIDO-RS studies search by patient name
  dicomweb.py wado   --index INDEX.tsv --runs N       WADO-RS retrieval of the largest series
  dicomweb.py stow   --files FILES --clients C --per-request K   STOW-RS of every file
  dicomweb.py cfind  --index INDEX.tsv -n N --dicom-port P --called AE   C-FIND, one association

Each appends one record to --out, in client.py's format (report.py dicomweb reads them).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402  (the measuring client's server, records and helpers)

BOUNDARY = "sbx-bench-boundary"


def index_rows(path):
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in fh if line.strip()]


def patient_names(rows):
    """Every patient name of the corpus, in corpus order."""
    return list(dict.fromkeys(r["patient_name"] for r in rows))


def largest_series(rows):
    """(study UID, series UID, images) of the series with the most images."""
    count = collections.Counter((r["study_uid"], r["series_uid"]) for r in rows)
    (study, series), n = count.most_common(1)[0]
    return study, series, n


def cmd_qido(a, server):
    names = patient_names(index_rows(a.index))
    samples, nbytes = [], 0
    for i in range(a.warmup + a.n):
        name = names[(i * 7) % len(names)]
        started = time.perf_counter()
        status, body = server.call("GET", "/dicom-web/studies?PatientName=" +
                                   urllib.parse.quote(name),
                                   ok=(200,))
        took = (time.perf_counter() - started) * 1000
        if not body.startswith(b"["):
            raise RuntimeError("QIDO answered no JSON list: %r" % body[:80])
        if i >= a.warmup:
            samples.append(took)
            nbytes = len(body)
    client.write(a, {"measure": "qido_studies", "kind": "latency", "n": len(samples),
                     "bytes": nbytes,
                     "samples_ms": [round(x, 3) for x in samples],
                     "p50_ms": round(client.quantile(samples, 0.5), 3)})


def cmd_wado(a, server):
    study, series, n = largest_series(index_rows(a.index))
    path = "/dicom-web/studies/%s/series/%s" % (study, series)
    headers = {"Accept": 'multipart/related; type="application/dicom"'}
    best = []
    for _ in range(a.runs):
        started = time.perf_counter()
        r = server.open("GET", path, extra_headers=headers)
        nbytes = 0
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            nbytes += len(chunk)
        seconds = time.perf_counter() - started
        if r.status != 200:
            raise RuntimeError("WADO-RS answered %d" % r.status)
        best.append((seconds, nbytes))
    seconds, nbytes = sorted(best)[len(best) // 2]   # the median run
    client.write(a, client.rate_record("wado_series", n, nbytes, seconds, [], []))


def multipart(blobs):
    out = bytearray()
    for b in blobs:
        out += b"--" + BOUNDARY.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n"
        out += b
        out += b"\r\n"
    out += b"--" + BOUNDARY.encode() + b"--\r\n"
    return bytes(out)


def cmd_stow(a, server):
    paths = client.lines(a.files)
    bodies = []
    for i in range(0, len(paths), a.per_request):
        blobs = []
        for p in paths[i:i + a.per_request]:
            with open(p, "rb") as fh:
                blobs.append(fh.read())
        bodies.append((multipart(blobs), len(blobs), sum(map(len, blobs))))
    ctype = 'multipart/related; type="application/dicom"; boundary=%s' % BOUNDARY

    def post(i):
        status, body = server.call("POST", "/dicom-web/studies", bodies[i][0], ctype, ok=(200,))
        answer = json.loads(body)
        if isinstance(answer, list):
            answer = answer[0] if answer else {}
        failed = answer.get("00081198", {}).get("Value", [])
        stored = answer.get("00081199", {}).get("Value", [])
        if failed or len(stored) != bodies[i][1]:
            raise RuntimeError("STOW-RS stored %d of %d: %r" % (len(stored), bodies[i][1],
                                                                 body[:200]))

    meter = client.CpuMeter(server.pid)
    meter.start()
    seconds, took, _, errors = client.parallel(a.clients, len(bodies), post)
    images = sum(b[1] for b in bodies)
    record = client.rate_record("stow_c%d" % a.clients, images, sum(b[2] for b in bodies),
                                seconds, took, errors, clients=a.clients,
                                per_request=a.per_request)
    record.update(meter.stop(images))
    client.write(a, record)


def cmd_cfind(a, server):
    names = patient_names(index_rows(a.index))
    name = names[len(names) // 2]
    command = ["findscu", "-S", "-aec", a.called, "--repeat", str(a.n),
               "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=" + name,
               "-k", "StudyInstanceUID", "-k", "StudyDate", "127.0.0.1", str(a.dicom_port)]
    # Nagle's algorithm off on findscu's side too (DCMTK reads TCP_NODELAY), as on both servers'.
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True,
                          env=dict(os.environ, TCP_NODELAY="1"))
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError("findscu failed: " + (done.stderr or done.stdout)[-300:])
    client.write(a, {"measure": "cfind_study", "kind": "rate", "n": a.n, "bytes": 0,
                     "seconds": round(seconds, 3), "per_s": round(a.n / seconds, 2),
                     "mean_ms": round(seconds * 1000 / a.n, 3), "errors": 0})


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["qido", "wado", "stow", "cfind"])
    p.add_argument("--server", choices=["sbx", "orthanc"], required=True)
    p.add_argument("--label")
    p.add_argument("--url", required=True)
    p.add_argument("--auth")
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--out", required=True)
    p.add_argument("--run", type=int, default=1)
    p.add_argument("--index")
    p.add_argument("--files")
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--per-request", type=int, default=10)
    p.add_argument("--dicom-port", type=int)
    p.add_argument("--called")
    a = p.parse_args()
    server = client.Server(a)
    {"qido": cmd_qido, "wado": cmd_wado, "stow": cmd_stow, "cfind": cmd_cfind}[a.command](a, server)


if __name__ == "__main__":
    main()
