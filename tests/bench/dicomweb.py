#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The DICOMweb and C-FIND measurements of dicomweb.sh against one running server (python3
standard library, and DCMTK's findscu). Both servers answer the same PS3.18 requests under
/dicom-web, so every request is the same for ours and Orthanc's DICOMweb plugin.

  dicomweb.py qido   --index INDEX.tsv -n N           QIDO-RS studies search by patient name
  dicomweb.py wado   --index INDEX.tsv --runs N       WADO-RS retrieval of the largest series
                     (by this client, reading 4 MiB at a time, and by curl)
  dicomweb.py stow   --files FILES --clients C --per-request K   STOW-RS of every file
  dicomweb.py cfind  --index INDEX.tsv -n N --dicom-port P --called AE   C-FIND on one association

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
        # "^" is sent as it is: Orthanc 1.10 does not decode "%5E" in a query and finds nothing.
        status, body = server.call("GET", "/dicom-web/studies?PatientName=" +
                                   urllib.parse.quote(name, safe="^"),
                                   ok=(200,))
        took = (time.perf_counter() - started) * 1000
        studies = json.loads(body) if body.startswith(b"[") else None
        if not studies:
            raise RuntimeError("QIDO found no study of %s: %r" % (name, body[:80]))
        if i >= a.warmup:
            samples.append(took)
            nbytes, items = len(body), len(studies)
    client.write(a, {"measure": "qido_studies", "kind": "latency", "n": len(samples),
                     "bytes": nbytes, "items": items,
                     "samples_ms": [round(x, 3) for x in samples],
                     "p50_ms": round(client.quantile(samples, 0.5), 3)})


def curl_seconds(a, path, headers):
    """(seconds, bytes) of one retrieval by curl, which reads as fast as loopback allows: the
    figure that tells whether Python's client is the limit."""
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}"]
    for k, v in headers.items():
        command += ["-H", "%s: %s" % (k, v)]
    if a.auth:
        command += ["-u", a.auth]
    done = subprocess.run(command + [a.url.rstrip("/") + path], capture_output=True, text=True)
    status, nbytes, seconds = done.stdout.split()
    if done.returncode != 0 or status != "200":
        raise RuntimeError("curl: WADO-RS answered %s" % status)
    return float(seconds), int(nbytes)


def cmd_wado(a, server):
    study, series, n = largest_series(index_rows(a.index))
    path = "/dicom-web/studies/%s/series/%s" % (study, series)
    headers = {"Accept": 'multipart/related; type="application/dicom"'}
    best = []
    buffer = memoryview(bytearray(4 << 20))   # read into, 4 MiB at a time: no allocation a read
    for _ in range(a.runs):
        started = time.perf_counter()
        r = server.open("GET", path, extra_headers=headers)
        nbytes = 0
        while True:
            got = r.readinto(buffer)
            if not got:
                break
            nbytes += got
        seconds = time.perf_counter() - started
        if r.status != 200:
            raise RuntimeError("WADO-RS answered %d" % r.status)
        best.append((seconds, nbytes))
    seconds, nbytes = sorted(best)[len(best) // 2]   # the median run
    record = client.rate_record(a.measure or "wado_series", n, nbytes, seconds, [], [])
    by_curl = sorted(curl_seconds(a, path, headers) for _ in range(a.runs))
    curl_s, curl_bytes = by_curl[len(by_curl) // 2]
    record.update({"curl_seconds": round(curl_s, 4),
                   "curl_mb_s": round(curl_bytes / 1e6 / max(curl_s, 1e-6), 2)})
    client.write(a, record)


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


def findscu(a, name, repeat, verbose=False):
    """Seconds findscu took for `repeat` C-FINDs on one association, and its output."""
    command = ["findscu", "-S", "-aec", a.called, "--repeat", str(repeat),
               "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=" + name,
               "-k", "StudyInstanceUID", "-k", "StudyDate", "127.0.0.1", str(a.dicom_port)]
    # Quiet but for errors: by default findscu prints every answer, line by line, and that
    # printing would cost it more than the server's work (findscu's own time counts in full).
    command[1:1] = ["-v"] if verbose else ["-ll", "error"]
    # Nagle's algorithm off on findscu's side too (DCMTK reads TCP_NODELAY), as on both servers'.
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True,
                          env=dict(os.environ, TCP_NODELAY="1"))
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    # findscu exits 0 even when the peer refuses the query or aborts: its "E:" lines tell.
    if done.returncode != 0 or "E:" in output:
        raise RuntimeError("findscu failed: " + output[-300:])
    return seconds, output


def cmd_cfind(a, server):
    """The cost of one C-FIND on an open association: (time of N queries - time of 1) / (N - 1),
    so that findscu's start (~50 ms, loading its dictionary) and the association do not count;
    the first association after the server's start is recorded apart (first_ms)."""
    names = patient_names(index_rows(a.index))
    name = names[len(names) // 2]
    first, output = findscu(a, name, 1, verbose=True)
    matches = output.count("(Pending)")
    if matches == 0:
        raise RuntimeError("C-FIND found no study of %s: %s" % (name, output[-300:]))
    many, _ = findscu(a, name, a.n)
    one, _ = findscu(a, name, 1)
    per_query = max(many - one, 1e-6) / (a.n - 1)
    client.write(a, {"measure": "cfind_study", "kind": "rate", "n": a.n, "bytes": 0,
                     "items": matches, "seconds": round(many, 3),
                     "per_s": round(1 / per_query, 2), "mean_ms": round(per_query * 1000, 3),
                     "one_ms": round(one * 1000, 1), "first_ms": round(first * 1000, 1),
                     "errors": 0})


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
    p.add_argument("--measure", help="the record's measure name (wado: default wado_series)")
    a = p.parse_args()
    server = client.Server(a)
    {"qido": cmd_qido, "wado": cmd_wado, "stow": cmd_stow, "cfind": cmd_cfind}[a.command](a, server)


if __name__ == "__main__":
    main()
