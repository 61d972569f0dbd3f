#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The machine's limits, to read the benchmark figures against: the disk's sequential write
# bandwidth (dd of 1 GiB, flushed), the cost of one synchronous 4 KiB write (what an fsync costs),
# and loopback TCP bandwidth (iperf3, when installed). Run by run.sh (inside its network
# namespace); by hand: tests/bench/limits.sh [SCRATCH_DIR]   (default /tmp/sbx-limits)
# Prints "name value unit" lines, one a measurement, then the raw tool output as comments.
set -euo pipefail
dir=${1:-/tmp/sbx-limits}
mkdir -p "$dir"
raw=$(mktemp)
trap 'rm -f "$raw" "$dir/dd.$$"' EXIT

echo "# $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
  "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); disk of $dir"
seconds() { LC_ALL=C dd "$@" 2>&1 | tee -a "$raw" | sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p'; }
for _ in 1 2 3; do
  s=$(seconds if=/dev/zero of="$dir/dd.$$" bs=1M count=1024 conv=fdatasync)
  rm -f "$dir/dd.$$"
  awk -v s="$s" 'BEGIN { printf "disk_write_1GiB %.1f MB/s\n", 1073741824 / s / 1e6 }'
done
for _ in 1 2 3; do
  s=$(seconds if=/dev/zero of="$dir/dd.$$" bs=4k count=1000 oflag=dsync)
  rm -f "$dir/dd.$$"
  awk -v s="$s" 'BEGIN { printf "disk_sync_write_4KiB %.3f ms\n", s }'   # 1000 writes: s = ms each
done
if command -v iperf3 >/dev/null; then
  loopback() {
    ip link set lo up
    iperf3 -s -B 127.0.0.1 -p 5299 >/dev/null 2>&1 &
    local server=$! deadline=$((SECONDS + 10))
    until iperf3 -c 127.0.0.1 -p 5299 -t 1 >/dev/null 2>&1 || ((SECONDS > deadline)); do sleep 0.2; done
    for streams in 1 8; do
      iperf3 -c 127.0.0.1 -p 5299 -t 4 -P "$streams" -f m | tee -a "$raw" |
        awk -v n="$streams" '/receiver/ && (n == 1 || /SUM/) { printf "loopback_tcp_%d_streams %s Mbit/s\n", n, $(NF-2) }'
    done
    kill "$server"
    wait "$server" 2>/dev/null || true
  }
  if [ -n "${BENCH_NETNS:-}" ]; then loopback
  else export -f loopback; unshare --net bash -c loopback; fi
else
  echo "# no iperf3: loopback not measured"
fi
sed 's/^/# /' "$raw"
