#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The soak's client (python3 standard library only): --clients threads run a mix of operations
against one of our nodes for --seconds, and the node's resident memory is sampled every
--sample seconds.

  soak.py --url URL --pid PID --files LIST [--clients 16] [--seconds 600] [--out RESULTS]

Each thread owns its own slice of LIST (every --clients-th file), so no two threads ever hold
the same image and every 404 is an error. It repeats, choosing by weight: upload one of its
files it does not hold now (keeping the id), delete one of its own images (always, once it
holds 40), list patients, list flat series, render an image as
PNG, read an image's attributes, anonymize one (`POST /api/images/{id}/anonymized`, nothing
stored), anonymize one of its own uploads in place (`PUT /api/images/{id}/anonymize`, whose new
id it keeps), and export 5 of its images as a ZIP (`POST /api/images/export`, then `GET`). An
error is any exception or unexpected status. Prints, then appends to --out, one JSON record per
operation (count, errors, p50/p99 in ms) and one for memory (samples, least-squares slope in MB
per minute over the whole run and over its second half).
"""
import argparse
import json
import random
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from client import Server, memory_kb, quantile  # noqa: E402

WEIGHTS = {"upload": 30, "patients": 10, "flatseries": 10, "png": 15, "attributes": 10,
           "anonymized": 10, "anonymize_in_place": 5, "export": 5, "delete": 5}
KEEP = 40  # uploads a thread holds before it deletes instead of uploading


class Soak:
    def __init__(self, a, blobs):
        self.a, self.blobs = a, blobs
        self.lock = threading.Lock()
        self.samples = {op: [] for op in WEIGHTS}
        self.errors = {op: [] for op in WEIGHTS}
        self.stop = threading.Event()

    def server(self):
        ns = argparse.Namespace(server="sbx", label="sbx", url=self.a.url, auth=self.a.auth,
                                pid=self.a.pid, timeout=60)
        return Server(ns)

    def run_client(self, index, seed):
        rnd = random.Random(seed)
        s = self.server()
        files = list(range(index, len(self.blobs), self.a.clients))
        mine = []  # [image id, corpus file or None once anonymized in place]
        ops, weights = list(WEIGHTS), list(WEIGHTS.values())
        while not self.stop.is_set():
            op = rnd.choices(ops, weights)[0]
            if op == "upload" and len(mine) >= KEEP:
                op = "delete"
            if op in ("delete", "png", "attributes", "anonymized", "anonymize_in_place",
                      "export") and not mine:
                op = "upload"
            start = time.perf_counter()
            try:
                self.one(s, op, rnd, mine, files)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with self.lock:
                    self.errors[op].append(str(e)[:200])
                s.drop()
                continue
            took = (time.perf_counter() - start) * 1e3
            with self.lock:
                self.samples[op].append(took)

    def one(self, s, op, rnd, mine, files):
        if op == "upload":
            held = {f for _, f in mine}
            f = rnd.choice([f for f in files if f not in held])
            mine.append([s.upload(self.blobs[f]), f])
        elif op == "delete":
            s.call("DELETE", "/api/images/%s" % mine.pop(rnd.randrange(len(mine)))[0])
        elif op == "patients":
            s.call("GET", "/api/metadata/patients?startindex=0&count=100")
        elif op == "flatseries":
            s.call("GET", "/api/metadata/flatseries?startindex=0&count=100")
        elif op == "png":
            s.call("GET", "/api/images/%s/png" % rnd.choice(mine)[0])
        elif op == "attributes":
            s.call("GET", "/api/images/%s/attributes" % rnd.choice(mine)[0])
        elif op == "anonymized":
            s.post_json("/api/images/%s/anonymized" % rnd.choice(mine)[0],
                        {"profile": {"options": ["BASIC_PROFILE"]}, "tagValues": []})
        elif op == "anonymize_in_place":
            i = rnd.randrange(len(mine))
            body = json.dumps({"profile": {"options": ["BASIC_PROFILE"]}, "tagValues": []})
            _, data = s.call("PUT", "/api/images/%s/anonymize" % mine[i][0], body,
                             "application/json")
            mine[i] = [json.loads(data)["id"], None]
        elif op == "export":
            ids = [m[0] for m in rnd.sample(mine, min(5, len(mine)))]
            export = json.loads(s.post_json("/api/images/export", ids))
            _, data = s.call("GET", "/api/images/export?id=%s" % export["id"])
            if not data.startswith(b"PK"):
                raise RuntimeError("the export is not a ZIP")

    def sample_memory(self, out):
        start = time.monotonic()
        while True:
            rss = memory_kb(self.a.pid).get("vmrss")
            if rss is not None:
                out.append((time.monotonic() - start, rss / 1024.0))
            if self.stop.wait(self.a.sample):
                return


def slope_mb_per_min(points):
    """Least-squares slope of (seconds, MB) in MB per minute; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return round(sum((p[0] - mx) * (p[1] - my) for p in points) / var * 60, 3) if var else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--auth", default="admin:admin")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--files", required=True)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--sample", type=float, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="")
    a = p.parse_args()
    blobs = []
    with open(a.files) as fh:
        for path in (x.strip() for x in fh if x.strip()):
            with open(path, "rb") as f:
                blobs.append(f.read())
    soak = Soak(a, blobs)
    memory = []
    if len(blobs) < a.clients * (KEEP + 1):
        sys.exit("soak: --files needs at least %d files for %d clients" % (a.clients * (KEEP + 1),
                                                                           a.clients))
    threads = [threading.Thread(target=soak.run_client, args=(i, a.seed * 1000 + i))
               for i in range(a.clients)]
    sampler = threading.Thread(target=soak.sample_memory, args=(memory,))
    sampler.start()
    for t in threads:
        t.start()
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline and all(t.is_alive() for t in threads):
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    soak.stop.set()
    for t in threads + [sampler]:
        t.join()
    records = []
    for op in WEIGHTS:
        lat = soak.samples[op]
        r = {"measure": "soak_" + op, "n": len(lat), "errors": len(soak.errors[op])}
        if lat:
            r.update({"p50_ms": round(quantile(lat, 0.5), 2), "p99_ms": round(quantile(lat, 0.99), 2)})
        if soak.errors[op]:
            r["first_errors"] = soak.errors[op][:3]
        records.append(r)
    half = [m for m in memory if m[0] >= a.seconds / 2]
    records.append({"measure": "soak_memory", "samples": len(memory),
                    "rss_first_mb": round(memory[0][1], 1) if memory else None,
                    "rss_last_mb": round(memory[-1][1], 1) if memory else None,
                    "rss_max_mb": round(max(m[1] for m in memory), 1) if memory else None,
                    "slope_mb_per_min": slope_mb_per_min(memory),
                    "slope_second_half_mb_per_min": slope_mb_per_min(half),
                    "rss_mb": [round(m[1], 1) for m in memory]})
    for r in records:
        r.update({"server": "sbx", "kind": "soak", "clients": a.clients, "seconds": a.seconds})
        print(json.dumps(r, sort_keys=True), flush=True)
        if a.out:
            with open(a.out, "a") as fh:
                fh.write(json.dumps(r, sort_keys=True) + "\n")
    return 1 if any(soak.errors[op] for op in WEIGHTS) else 0


if __name__ == "__main__":
    sys.exit(main())
