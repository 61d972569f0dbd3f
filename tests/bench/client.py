#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The benchmarks' measuring client (python3 standard library only).

  client.py COMMAND --server sbx|orthanc --url URL [--auth U:P] [--pid PID] --out RESULTS ...

Every command appends JSON records, one a line, to --out (see README.md, "Results"); the
server's CPU time and memory come from /proc/PID when --pid is given. One keep-alive
connection per client thread; request bodies are read into memory before the clock starts.

Commands:
  ingest      upload files (--files LIST) with --clients threads: images/s, MB/s, CPU per image
  cstore      send folders with dcmtk storescu, one process per folder, all at once
  latency     sequential requests of each --ops operation: every sample, p50, p90
  throughput  --n requests of one --op with --clients threads
  memory      VmRSS, VmHWM and threads, with the server's own image count
  export      all images as one ZIP, from a cold or warm page cache
  disk        read bandwidth of the disk: dd, and a cold read of a server's stored files
  ids         print the server's image ids

Operations, the same name on both servers:
  op               ours (Slicebox API v2)                     Orthanc 1.10 REST API
  patients         GET /api/metadata/patients (all)           GET /patients?expand
  patient_studies  GET /api/metadata/studies?patientid=P      GET /patients/P/studies
  series           GET /api/metadata/flatseries (all)         GET /series?expand
  find_patient     POST /api/metadata/patients/query,         POST /tools/find, Level Patient,
                     patientName like SON                       PatientName *SON*, Expand
  image_meta       GET /api/metadata/images/I                 GET /instances/I
  download         GET /api/images/I                          GET /instances/I/file
  png              GET /api/images/I/png                      GET /instances/I/preview
  anonymize        POST /api/images/I/anonymized              POST /instances/I/anonymize {}
                     (basic profile; answers the file)          (answers the file, stores nothing)
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

NAME_PART = "SON"   # the patient-name substring the find_patient query looks for
ALL = 1000000       # a page size that holds every row
BLOCK = 1 << 20


# ------------------------------------------------------------------ the server process

def cpu_seconds(pid):
    """(user, system) CPU seconds of a process and all its threads, or None."""
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as fh:
            after_name = fh.read().rpartition(")")[2].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return int(after_name[11]) / ticks, int(after_name[12]) / ticks


def memory_kb(pid):
    """VmRSS, VmHWM (kB) and Threads of a process, from /proc/PID/status."""
    found = {}
    if not pid:
        return found
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    found[key.lower()] = int(value.split()[0])
    except OSError:
        pass
    return found


class CpuMeter:
    """Server CPU between start() and stop(), per item: cpu_ms, cpu_user_ms, cpu_sys_ms."""

    def __init__(self, pid):
        self.pid = pid
        self.before = self.client_before = None

    def start(self):
        self.before, self.client_before = cpu_seconds(self.pid), os.times()

    def stop(self, items):
        after, client = cpu_seconds(self.pid), os.times()
        out = {"client_cpu_s": round(client.user + client.system
                                     - self.client_before.user - self.client_before.system, 2)}
        if self.before and after and items:
            user, system = after[0] - self.before[0], after[1] - self.before[1]
            out.update({"cpu_ms": round((user + system) * 1e3 / items, 3),
                        "cpu_user_ms": round(user * 1e3 / items, 3),
                        "cpu_sys_ms": round(system * 1e3 / items, 3)})
        return out


def quantile(values, q):
    """Linear interpolation between the closest ranks."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    low = int(pos)
    high = min(low + 1, len(s) - 1)
    return s[low] + (s[high] - s[low]) * (pos - low)


# ------------------------------------------------------------------ HTTP

class Server:
    """One server under test: its routes, credentials and one connection per thread."""

    def __init__(self, a):
        self.kind = a.server
        self.label = a.label or a.server
        url = urllib.parse.urlsplit(a.url)
        self.host, self.port, self.base = url.hostname, url.port or 80, url.path.rstrip("/")
        self.headers = {}
        if a.auth:
            self.headers["Authorization"] = "Basic " + base64.b64encode(a.auth.encode()).decode()
        self.pid = a.pid
        self.timeout = a.timeout
        self.local = threading.local()

    def connection(self):
        c = getattr(self.local, "connection", None)
        if c is None:
            c = self.local.connection = http.client.HTTPConnection(self.host, self.port,
                                                                   timeout=self.timeout)
        return c

    def drop(self):
        c = getattr(self.local, "connection", None)
        if c is not None:
            c.close()
        self.local.connection = None

    def open(self, method, path, body=None, ctype=None, extra_headers=None):
        """Sends a request on this thread's connection (made again once if the server closed
        it); returns the response, still to be read."""
        headers = dict(self.headers)
        if ctype:
            headers["Content-Type"] = ctype
        headers.update(extra_headers or {})
        for last in (False, True):
            try:
                c = self.connection()
                c.request(method, self.base + path, body=body, headers=headers)
                return c.getresponse()
            except (http.client.RemoteDisconnected, http.client.CannotSendRequest,
                    ConnectionResetError, BrokenPipeError):
                self.drop()
                if last:
                    raise

    def call(self, method, path, body=None, ctype=None, ok=(200, 201, 204)):
        """(status, body); raises on a status not in ok (None: any)."""
        r = self.open(method, path, body, ctype)
        data = r.read()
        if (r.getheader("Connection") or "").lower() == "close":
            self.drop()
        if ok is not None and r.status not in ok:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, r.status, data[:160]))
        return r.status, data

    def json(self, path):
        return json.loads(self.call("GET", path)[1])

    def post_json(self, path, value):
        return self.call("POST", path, json.dumps(value), "application/json")[1]

    # -- what differs between the two APIs

    def upload(self, data):
        if self.kind == "orthanc":
            return json.loads(self.call("POST", "/instances", data, "application/dicom")[1])["ID"]
        return json.loads(self.call("POST", "/api/images", data,
                                    "application/octet-stream")[1])["id"]

    def patients(self):
        if self.kind == "orthanc":
            return self.json("/patients")
        return [p["id"] for p in self.json("/api/metadata/patients?startindex=0&count=%d" % ALL)]

    def image_ids(self):
        if self.kind == "orthanc":
            return self.json("/instances")
        return [image["id"] for p in self.patients()
                for image in self.json("/api/metadata/patients/%s/images" % p)]

    def request(self, op, image, patient):
        """One request of an operation (module docstring); returns the response body."""
        o = self.kind == "orthanc"
        if op == "patients":
            return self.call("GET", "/patients?expand" if o else
                             "/api/metadata/patients?startindex=0&count=%d" % ALL)[1]
        if op == "patient_studies":
            return self.call("GET", "/patients/%s/studies" % patient if o else
                             "/api/metadata/studies?startindex=0&count=%d&patientid=%s"
                             % (ALL, patient))[1]
        if op == "series":
            return self.call("GET", "/series?expand" if o else
                             "/api/metadata/flatseries?startindex=0&count=%d" % ALL)[1]
        if op == "find_patient":
            if o:
                return self.post_json("/tools/find", {"Level": "Patient", "Expand": True,
                                                      "Query": {"PatientName": "*%s*" % NAME_PART}})
            return self.post_json("/api/metadata/patients/query", {
                "startIndex": 0, "count": ALL, "queryProperties": [
                    {"propertyName": "patientName", "operator": "like",
                     "propertyValue": NAME_PART}]})
        if op == "image_meta":
            return self.call("GET", ("/instances/%s" if o else "/api/metadata/images/%s") % image)[1]
        if op == "download":
            return self.call("GET", ("/instances/%s/file" if o else "/api/images/%s") % image)[1]
        if op == "png":
            return self.call("GET", ("/instances/%s/preview" if o else "/api/images/%s/png")
                             % image)[1]
        if op == "anonymize":
            if o:
                return self.post_json("/instances/%s/anonymize" % image, {})
            return self.post_json("/api/images/%s/anonymized" % image,
                                  {"profile": {"options": ["BASIC_PROFILE"]}, "tagValues": []})
        raise ValueError("unknown operation " + op)


IMAGE_OPS = {"image_meta", "download", "png", "anonymize"}


# ------------------------------------------------------------------ results

def write(a, record):
    record.update({"server": a.label or a.server, "run": a.run,
                   "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    if a.out:
        with open(a.out, "a") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
    shown = {k: v for k, v in record.items() if k != "samples_ms"}
    print(json.dumps(shown, sort_keys=True), flush=True)


def lines(path):
    with open(path) as fh:
        return [x.strip() for x in fh if x.strip()]


def image_list(server, a):
    """The ids to work on: --ids (a file) or the server's own list; shuffled with --shuffle."""
    ids = lines(a.ids) if a.ids and os.path.exists(a.ids) else server.image_ids()
    if a.shuffle is not None:
        random.Random(a.shuffle).shuffle(ids)
    return ids


def middle_patient(server):
    patients = server.patients()
    return patients[len(patients) // 2] if patients else None


def parallel(clients, count, work):
    """Runs work(i) for i in 0..count-1 on `clients` threads; returns (seconds, per-item
    latencies in ms, results, errors)."""
    results, took, errors = [None] * count, [None] * count, []
    next_item = iter(range(count))
    lock = threading.Lock()

    def loop():
        while True:
            with lock:
                i = next(next_item, None)
            if i is None:
                return
            t = time.perf_counter()
            try:
                results[i] = work(i)
            except Exception as e:  # noqa: BLE001 - counted and reported in the record
                with lock:
                    errors.append(str(e)[:240])
            took[i] = (time.perf_counter() - t) * 1e3

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, [x for x in took if x is not None], results, errors


def rate_record(measure, count, nbytes, seconds, latencies, errors, **extra):
    record = {"measure": measure, "kind": "rate", "n": count, "bytes": nbytes,
              "seconds": round(seconds, 3), "per_s": round(count / seconds, 2),
              "mb_s": round(nbytes / seconds / 1e6, 2), "errors": len(errors)}
    if latencies:
        record.update({"lat_p50_ms": round(quantile(latencies, 0.5), 2),
                       "lat_p90_ms": round(quantile(latencies, 0.9), 2)})
    if errors:
        record["first_errors"] = errors[:3]
    record.update(extra)
    return record


# ------------------------------------------------------------------ commands

def cmd_ingest(a):
    server = Server(a)
    paths = lines(a.files)[:a.limit or None]
    blobs = []
    for p in paths:
        with open(p, "rb") as fh:
            blobs.append(fh.read())
    meter = CpuMeter(server.pid)
    meter.start()
    seconds, took, ids, errors = parallel(a.clients, len(blobs), lambda i: server.upload(blobs[i]))
    record = rate_record(a.measure or "ingest_rest_c%d" % a.clients, len(blobs),
                         sum(map(len, blobs)), seconds, took, errors, clients=a.clients)
    record.update(meter.stop(len(blobs)))
    record.update({"server_" + k: v for k, v in memory_kb(server.pid).items()})
    if a.ids_out:
        with open(a.ids_out, "w") as fh:
            fh.write("".join("%s\n" % i for i in ids if i is not None))
    write(a, record)


def cmd_cstore(a):
    """storescu, one process per folder, all started at once; images/s from the first start to
    the last exit. storescu gets TCP_NODELAY=1: DCMTK leaves Nagle's algorithm on without it,
    and the sender must never be the one that waits."""
    server = Server(a)
    files = [os.path.join(root, f) for d in a.folders for root, _, names in os.walk(d)
             for f in names if f.endswith(".dcm")]
    env = dict(os.environ, TCP_NODELAY="1")
    command = ["storescu", "-aet", a.calling, "-aec", a.called, "+sd", "+r", "+sp", "*.dcm",
               "127.0.0.1", str(a.dicom_port)]
    meter = CpuMeter(server.pid)
    meter.start()
    start = time.perf_counter()
    senders = [subprocess.Popen(command + [d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env) for d in a.folders]
    outputs = [s.communicate()[0] for s in senders]
    seconds = time.perf_counter() - start
    failed = [i for i, s in enumerate(senders) if s.returncode]
    errors = ["storescu %d exited %d: %s" % (i, senders[i].returncode,
                                             outputs[i].decode(errors="replace")[-300:])
              for i in failed]
    record = rate_record(a.measure or "ingest_cstore", len(files),
                         sum(os.path.getsize(f) for f in files), seconds, [], errors,
                         senders=len(a.folders))
    # storescu is a child: its CPU is the client's, not ours.
    record.update(meter.stop(len(files)))
    children = os.times()
    record["client_cpu_s"] = round(children.children_user + children.children_system, 2)
    record.update({"server_" + k: v for k, v in memory_kb(server.pid).items()})
    write(a, record)


def cmd_latency(a):
    server = Server(a)
    for op in a.ops.split(","):
        measure = op + a.suffix
        try:
            ids = image_list(server, a) if op in IMAGE_OPS else [None]
            patient = middle_patient(server)
            meter = CpuMeter(server.pid)
            for k in range(a.warmup):
                server.request(op, ids[k % len(ids)], patient)
            samples, sizes, items = [], [], None
            meter.start()
            for k in range(a.n):
                image = ids[(a.warmup + k) % len(ids)]
                t = time.perf_counter()
                body = server.request(op, image, patient)
                samples.append((time.perf_counter() - t) * 1e3)
                sizes.append(len(body))
                if items is None and body[:1] in (b"[", b"{"):
                    parsed = json.loads(body)
                    items = len(parsed) if isinstance(parsed, list) else 1
            record = {"measure": measure, "kind": "latency", "n": a.n,
                      "samples_ms": [round(x, 3) for x in samples],
                      "p50_ms": round(quantile(samples, 0.5), 3),
                      "p90_ms": round(quantile(samples, 0.9), 3),
                      "min_ms": round(min(samples), 3), "max_ms": round(max(samples), 3),
                      "bytes": int(statistics.median(sizes)), "items": items}
            cpu = meter.stop(a.n)
            if "cpu_ms" in cpu:
                record["cpu_ms"] = cpu["cpu_ms"]
        except Exception as e:  # noqa: BLE001 - the failure is a result too
            record = {"measure": measure, "kind": "error", "error": str(e)[:300]}
        write(a, record)


def cmd_throughput(a):
    server = Server(a)
    ids = image_list(server, a)
    patient = middle_patient(server)
    sizes = [0] * a.n
    meter = CpuMeter(server.pid)

    def one(i):
        sizes[i] = len(server.request(a.op, ids[i % len(ids)], patient))

    meter.start()
    seconds, took, _, errors = parallel(a.clients, a.n, one)
    record = rate_record("%s_c%d%s" % (a.op, a.clients, a.suffix), a.n, sum(sizes), seconds,
                         took, errors, clients=a.clients)
    record.update(meter.stop(a.n))
    write(a, record)


def count_images(server):
    if server.kind == "orthanc":
        s = server.json("/statistics")
        return {"patients": s["CountPatients"], "images": s["CountInstances"]}
    return {"patients": len(server.patients()), "images": len(server.image_ids())}


def cmd_memory(a):
    server = Server(a)
    record = {"measure": "memory" + a.suffix, "kind": "memory"}
    record.update(memory_kb(server.pid))
    try:
        record.update(count_images(server))
    except Exception as e:  # noqa: BLE001
        record["count_error"] = str(e)[:200]
    write(a, record)


def cmd_ids(a):
    for i in Server(a).image_ids():
        print(i)


def drop_page_cache():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as fh:
        fh.write("3\n")


def read_through(paths):
    """Reads files to the end in 1 MiB blocks; returns the byte count."""
    total, block = 0, bytearray(BLOCK)
    for p in paths:
        with open(p, "rb", buffering=0) as fh:
            while True:
                got = fh.readinto(block)
                if not got:
                    break
                total += got
    return total


def files_under(folder):
    return sorted(os.path.join(root, f) for root, _, names in os.walk(folder) for f in names)


def zip_entry_count(tail):
    """Entries named by a ZIP's end of central directory record (its zip64 twin if needed)."""
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack_from("<H", tail, at + 10)[0]
    if count == 0xFFFF:
        at64 = tail.rfind(b"PK\x06\x06", 0, at)
        if at64 >= 0 and len(tail) >= at64 + 56:
            count = struct.unpack_from("<Q", tail, at64 + 32)[0]
    return count


def cmd_export(a):
    """One ZIP of all images. Ours: POST /api/images/export [ids] -> {"id": n}, then
    GET /api/images/export?id=n. Orthanc: POST /tools/create-archive with the instance ids,
    Synchronous (1.10 streams the ZIP in its answer). The ZIP is counted, not kept."""
    server = Server(a)
    ids = lines(a.ids)
    dicom_bytes = sum(os.path.getsize(p) for p in lines(a.files))
    record = {"measure": "export_" + a.cache, "kind": "export", "n": len(ids),
              "dicom_bytes": dicom_bytes}
    if a.cache == "cold":
        drop_page_cache()
    else:
        record["warmed_bytes"] = read_through(files_under(a.data_dir))
    meter = CpuMeter(server.pid)
    meter.start()
    start = time.perf_counter()
    if server.kind == "orthanc":
        r = server.open("POST", "/tools/create-archive",
                        json.dumps({"Resources": ids, "Synchronous": True}), "application/json")
    else:
        status, body = server.call("POST", "/api/images/export", json.dumps([int(i) for i in ids]),
                                   "application/json", ok=None)
        if status != 200 and status != 201:
            record.update({"kind": "error", "error": "POST /api/images/export: HTTP %d %s"
                           % (status, body[:160])})
            write(a, record)
            return
        r = server.open("GET", "/api/images/export?id=%s" % json.loads(body)["id"])
    total, tail, first_byte = 0, b"", None
    block = bytearray(BLOCK)
    while True:
        got = r.readinto(block)
        if not got:
            break
        if first_byte is None:
            first_byte = time.perf_counter()
        total += got
        tail = (tail + bytes(block[:got]))[-70000:]
    seconds = time.perf_counter() - start
    if (r.getheader("Connection") or "").lower() == "close":
        server.drop()
    entries = zip_entry_count(tail) if r.status == 200 else None
    record.update({"status": r.status, "zip_bytes": total, "entries": entries,
                   "seconds": round(seconds, 3), "mb_s": round(dicom_bytes / seconds / 1e6, 1),
                   "first_byte_s": round(first_byte - start, 3) if first_byte else None})
    cpu = meter.stop(1)
    if "cpu_ms" in cpu:
        record["cpu_s"] = round(cpu["cpu_ms"] / 1e3, 2)
    if r.status != 200 or entries != len(ids):
        record.update({"kind": "error", "error": "HTTP %d, %s entries of %d"
                       % (r.status, entries, len(ids))})
    write(a, record)


DD_SUMMARY = re.compile(r"(\d+) bytes .* copied, ([\d.]+) s")


def cmd_disk(a):
    """The disk's read bandwidth, each run from a dropped page cache: dd of --scratch with
    O_DIRECT and buffered, then each --stored NAME=FOLDER's DICOM files read one after the
    other (those with DICM at byte 128)."""
    def note(measure, label, run, nbytes, seconds, **more):
        record = {"measure": measure, "kind": "disk", "bytes": nbytes,
                  "seconds": round(seconds, 3), "mb_s": round(nbytes / seconds / 1e6, 1)}
        record.update(more)
        write(argparse.Namespace(label=label, server="-", run=run, out=a.out), record)

    for run in range(1, a.runs + 1):
        for measure, extra in (("disk_dd_direct_read", ["iflag=direct"]), ("disk_dd_read", [])):
            drop_page_cache()
            p = subprocess.run(["dd", "if=" + a.scratch, "of=/dev/null", "bs=1M"] + extra,
                               capture_output=True, text=True, check=True,
                               env=dict(os.environ, LC_ALL="C"))
            m = DD_SUMMARY.search(p.stderr)
            note(measure, "disk", run, int(m.group(1)), float(m.group(2)))
    for spec in a.stored:
        label, _, folder = spec.partition("=")
        dicom = []
        for p in files_under(folder):
            with open(p, "rb") as fh:
                if fh.read(132)[128:] == b"DICM":
                    dicom.append(p)
        for run in range(1, a.runs + 1):
            drop_page_cache()
            start = time.perf_counter()
            nbytes = read_through(dicom)
            note("disk_stored_cold_read", label, run, nbytes, time.perf_counter() - start,
                 files=len(dicom))


# ------------------------------------------------------------------ command line

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = ap.add_subparsers(dest="command", required=True)

    def add(name, fn, server=True):
        p = commands.add_parser(name)
        p.set_defaults(fn=fn)
        p.add_argument("--out", default="", help="append the records to this file")
        p.add_argument("--run", type=int, default=1)
        p.add_argument("--label", default="", help="server name in the records")
        if server:
            p.add_argument("--server", choices=["sbx", "orthanc"], required=True)
            p.add_argument("--url", required=True)
            p.add_argument("--auth", default="admin:admin")
            p.add_argument("--pid", type=int, default=0)
            p.add_argument("--timeout", type=float, default=600)
            p.add_argument("--measure", default="", help="record name instead of the default")
            p.add_argument("--suffix", default="", help="appended to the record name")
            p.add_argument("--ids", default="", help="file of image ids (else the server's list)")
            p.add_argument("--shuffle", type=int, default=None, help="shuffle the ids, this seed")
        return p

    p = add("ingest", cmd_ingest)
    p.add_argument("--files", required=True)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--ids-out", default="")
    p = add("cstore", cmd_cstore)
    p.add_argument("--dicom-port", type=int, required=True)
    p.add_argument("--called", required=True, help="the SCP's AE title")
    p.add_argument("--calling", default="BENCHSCU")
    p.add_argument("folders", nargs="+")
    p = add("latency", cmd_latency)
    p.add_argument("--ops", required=True)
    p.add_argument("-n", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p = add("throughput", cmd_throughput)
    p.add_argument("--op", required=True)
    p.add_argument("-n", type=int, required=True)
    p.add_argument("--clients", type=int, default=1)
    add("memory", cmd_memory)
    add("ids", cmd_ids)
    p = add("export", cmd_export)
    p.add_argument("--files", required=True, help="the uploaded files (for the DICOM bytes)")
    p.add_argument("--cache", choices=["cold", "warm"], required=True)
    p.add_argument("--data-dir", required=True, help="the server's data (read first if warm)")
    p = add("disk", cmd_disk, server=False)
    p.add_argument("--scratch", required=True, help="a large file on the data disk")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stored", action="append", default=[], help="NAME=FOLDER")
    a = ap.parse_args()
    if getattr(a, "ids", None) is None:
        a.ids = ""
    a.fn(a)


if __name__ == "__main__":
    main()
