#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One box transfer between two running servers, timed (python3 standard library only).

  boxes.py MODE --a URL --a-pid PID --b URL --b-pid PID --files LIST --measure NAME --out RESULTS

MODE is how the images go from A to B:
  push     ours: B creates the connection (public), A connects to it (a PUSH box) and sends;
           A's engine posts every image to B
  poll     ours: A creates the connection (public), B connects to it and A sends to its POLL
           box; B's engine polls A, fetches every image and acknowledges it
  peer     Orthanc: A knows B as its peer "b" (OrthancPeers) and POST /peers/b/store sends
           every instance, as one job

The files are uploaded to A first (8 threads, not timed). The clock runs from the send request
to the moment the transfer is complete: for ours, A's outgoing transaction is FINISHED with
every image acknowledged, which B does only once each image is stored and committed; for
Orthanc, the job is done. Then B must hold exactly as many images as were sent, each once (B's
SOP instance UIDs are counted when --check-uids is given).

One JSON record is appended to RESULTS: images/s, MB/s (the files' sizes), the seconds, and the
CPU time per image of A, of B and of both.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402 - the measuring client beside this file


def server(kind, url, pid):
    a = argparse.Namespace(server=kind, label=None, url=url, auth="admin:admin", pid=pid,
                           timeout=600)
    return client.Server(a)


def upload_all(s, blobs):
    seconds, _, ids, errors = client.parallel(8, len(blobs), lambda i: s.upload(blobs[i]))
    if errors or None in ids:
        raise SystemExit("upload to A failed: %s" % errors[:3])
    print("uploaded %d files to A in %.1f s" % (len(ids), seconds), flush=True)
    return ids


def wait(what, deadline, check, every=0.05):
    """Polls check() until it returns a true value (returned), or exits at the deadline."""
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(every)


def connect_ours(mode, a, b):
    """The box on A that sends to B (its id)."""
    public, hidden = (b, a) if mode == "push" else (a, b)
    profile = {"options": []}
    made = json.loads(public.post_json("/api/boxes/createconnection",
                                       {"name": "hidden", "defaultProfile": profile}))
    connected = json.loads(hidden.post_json("/api/boxes/connect", {
        "name": "public", "baseUrl": made["baseUrl"], "defaultProfile": profile}))
    return connected["id"] if mode == "push" else made["id"]


def transfer_ours(mode, a, b, ids, deadline):
    box = connect_ours(mode, a, b)
    body = {"profile": {"options": []},
            "imageTagValuesSet": [{"imageId": i, "tagValues": []} for i in ids]}
    start = time.perf_counter()
    a.post_json("/api/boxes/%d/send" % box, body)

    def finished():
        for t in a.json("/api/boxes/outgoing?startindex=0&count=10"):
            if t["status"] == "FAILED":
                raise SystemExit("the outgoing transaction FAILED: %s" % t)
            if t["status"] == "FINISHED" and t["sentImageCount"] == len(ids):
                return t
        return None

    t = wait("A's outgoing transaction to finish", deadline, finished)
    seconds = time.perf_counter() - start
    skipped = t.get("skippedImageCount", 0)
    return seconds, skipped


def transfer_orthanc(a, b, ids, deadline):
    start = time.perf_counter()
    job = json.loads(a.post_json("/peers/b/store", {"Resources": ids, "Asynchronous": True}))

    def done():
        state = a.json("/jobs/%s" % job["ID"])["State"]
        if state == "Failure":
            raise SystemExit("Orthanc's store job failed: %s" % a.json("/jobs/%s" % job["ID"]))
        return state == "Success"

    wait("Orthanc's peer job", deadline, done)
    return time.perf_counter() - start, 0


def uids_on_b(b):
    uids = []
    for i in b.image_ids():
        meta = b.json("/api/metadata/images/%s" % i)
        uids.append(meta["sopInstanceUID"]["value"])
    return uids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["push", "poll", "peer"])
    ap.add_argument("--a", required=True)
    ap.add_argument("--a-pid", type=int, default=0)
    ap.add_argument("--b", required=True)
    ap.add_argument("--b-pid", type=int, default=0)
    ap.add_argument("--files", required=True, help="a list of files, one path a line")
    ap.add_argument("--measure", required=True)
    ap.add_argument("--label", default=None, help="the server column of the record")
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, default=3600, help="seconds (default 3600)")
    ap.add_argument("--check-uids", action="store_true")
    a = ap.parse_args()

    kind = "orthanc" if a.mode == "peer" else "sbx"
    src, dst = server(kind, a.a, a.a_pid), server(kind, a.b, a.b_pid)
    paths = client.lines(a.files)
    blobs = []
    for p in paths:
        with open(p, "rb") as fh:
            blobs.append(fh.read())
    ids = upload_all(src, blobs)
    if kind == "sbx":
        ids = [int(i) for i in ids]

    meter_a, meter_b = client.CpuMeter(a.a_pid), client.CpuMeter(a.b_pid)
    meter_a.start()
    meter_b.start()
    deadline = time.monotonic() + a.deadline
    if kind == "orthanc":
        seconds, skipped = transfer_orthanc(src, dst, ids, deadline)
    else:
        seconds, skipped = transfer_ours(a.mode, src, dst, ids, deadline)
    cpu_a, cpu_b = meter_a.stop(len(ids)), meter_b.stop(len(ids))

    on_b = len(dst.image_ids())
    record = client.rate_record(a.measure, len(ids), sum(map(len, blobs)), seconds, [], [],
                                mode=a.mode, images_on_b=on_b, skipped=skipped)
    for side, cpu in (("a", cpu_a), ("b", cpu_b)):
        for k in ("cpu_ms", "cpu_user_ms", "cpu_sys_ms"):
            if k in cpu:
                record["%s_%s" % (side, k)] = cpu[k]
    if "cpu_ms" in cpu_a and "cpu_ms" in cpu_b:
        record["cpu_ms"] = round(cpu_a["cpu_ms"] + cpu_b["cpu_ms"], 3)
    if a.check_uids and kind == "sbx":
        uids = uids_on_b(dst)
        record["distinct_uids_on_b"] = len(set(uids))
    args = argparse.Namespace(label=a.label, server=kind, run=a.run, out=a.out)
    client.write(args, record)
    if on_b != len(ids):
        raise SystemExit("B holds %d images, %d were sent" % (on_b, len(ids)))


if __name__ == "__main__":
    main()
