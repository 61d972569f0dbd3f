#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""C-STORE ingest with several dcmtk storescu processes at once, one folder each.

Records one bench.py-style throughput line (phase ingest_cstore_c<N> by default): images/s and
MB/s from the start of the first storescu to the end of the last, server CPU from /proc. The
helpers come from the shared bench.py (its folder is given with --bench).
"""
import argparse
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True, help="folder of the shared bench.py")
    ap.add_argument("--flavor", choices=["orthanc", "slicebox"], required=True)
    ap.add_argument("--name", default="")
    ap.add_argument("--pid", type=int, default=0, help="server PID (CPU, memory)")
    ap.add_argument("--run", type=int, default=0)
    ap.add_argument("--out", default="", help="append the JSON line here")
    ap.add_argument("--phase", default="")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--aec", required=True)
    ap.add_argument("--aet", default="BENCHSCU")
    ap.add_argument("--scu-env", default="TCP_NODELAY=1")
    ap.add_argument("dirs", nargs="+", help="one folder of *.dcm files per storescu")
    a = ap.parse_args()
    sys.path.insert(0, a.bench)
    import bench  # noqa: E402  (the shared helpers: now, proc_cpu, cpu_split, proc_mem, record)

    paths = [os.path.join(d, f) for d in a.dirs for f in os.listdir(d) if f.endswith(".dcm")]
    nbytes = sum(os.path.getsize(p) for p in paths)
    env = dict(os.environ)
    for kv in a.scu_env.split():
        k, _, v = kv.partition("=")
        env[k] = v
    cpu0, s0 = bench.proc_cpu(a.pid), bench.proc_cpu2(a.pid)
    t0 = bench.now()
    procs = [subprocess.Popen(["storescu", "-aet", a.aet, "-aec", a.aec, "+sd", "+r", "+sp",
                               "*.dcm", a.host, str(a.port), d],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
             for d in a.dirs]
    outputs = [p.communicate()[0] for p in procs]
    dt = bench.now() - t0
    cpu1, s1 = bench.proc_cpu(a.pid), bench.proc_cpu2(a.pid)
    failed = [i for i, p in enumerate(procs) if p.returncode != 0]
    rec = {"phase": a.phase or "ingest_cstore_c%d" % len(a.dirs), "kind": "throughput",
           "n": len(paths), "bytes": nbytes, "seconds": round(dt, 3),
           "img_s": round(len(paths) / dt, 2), "MB_s": round(nbytes / dt / 1e6, 2),
           "errors": len(failed), "scu_processes": len(a.dirs), "scu_env": a.scu_env}
    if failed:
        rec["storescu_tail"] = outputs[failed[0]].decode(errors="replace")[-500:]
    if cpu0 is not None and cpu1 is not None:
        rec["server_cpu_s"] = round(cpu1 - cpu0, 2)
        rec["server_cpu_ms_per_img"] = round((cpu1 - cpu0) * 1e3 / len(paths), 3)
    bench.cpu_split(rec, s0, s1, len(paths))
    rec.update({"server_" + k: v for k, v in bench.proc_mem(a.pid).items()})
    bench.record(a, rec)


if __name__ == "__main__":
    main()
