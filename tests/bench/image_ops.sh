#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image operations of our node beside Orthanc 1.10 in the same run: PNG rendering, anonymization,
# the export of every image as one ZIP (cold and warm page cache), and the disk's read bandwidth
# to judge the export by. Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/image_ops.sh [options]
#   --images N         images stored in both servers (default 500; 512x512 CT, 0.53 MB each)
#   --n-lat N          sequential requests per latency figure (default 50)
#   --n-thr N          requests per throughput figure (default: every image once)
#   --export-runs N    cold + warm exports per server (default 2)
#   --disk-mib N       size of the scratch file for dd's read figures (default 1024)
#   --work DIR         corpus, scratch and results (default /tmp/sbx-imageops)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, sbx.log, orthanc.log, driver.out.
# Needs root (unshare --net; the cold figures drop the page cache) and the tools run.sh installs.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

images=500 n_lat=50 n_thr=0 export_runs=2 disk_mib=1024 work=/tmp/sbx-imageops sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --n-lat) n_lat=$2; shift 2 ;;
    --n-thr) n_thr=$2; shift 2 ;;
    --export-runs) export_runs=$2; shift 2 ;;
    --disk-mib) disk_mib=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net, drop_caches)" >&2; exit 2; }
require_tools Orthanc python3 curl ip unshare dd
((images >= n_lat + 3)) || { echo "--images must be at least --n-lat + 3" >&2; exit 2; }
((n_thr > 0 && n_thr <= images)) || n_thr=$images

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
servers_stop_on_exit

corpus "$work/corpus-$images" "$images" 512 1
cp "$corpus/files.txt" "$run/files.txt"
scratch=$work/disk-read.bin   # random, so that nothing on the way can shortcut the reads
if [ "$(stat -c %s "$scratch" 2>/dev/null || echo 0)" != $((disk_mib << 20)) ]; then
  log "writing $scratch ($disk_mib MiB, random) for the disk's read figures"
  dd if=/dev/urandom of="$scratch" bs=1M count="$disk_mib" conv=fdatasync status=none
fi

log "our node: $sbx_bin; $images images, latency n $n_lat, throughput n $n_thr," \
  "export runs $export_runs"
servers=(sbx orthanc)
for s in "${servers[@]}"; do
  start_server "$s" || exit 1
  log "$s: ingest of $images files, 8 clients"
  M "$s" ingest --files "$run/files.txt" --clients 8 --ids-out "$run/ids-$s.txt"
  got=$(grep -c . "$run/ids-$s.txt" || true)
  [ "$got" = "$images" ] || { log "$s stored $got of $images images: stopping"; exit 1; }
done

# Each measurement on ours, then on Orthanc, on the same images in the same order (both id
# lists follow the corpus; one shuffle seed per measurement), every request on another image.
seed=0
both() {
  seed=$((seed + 1))
  for s in "${servers[@]}"; do M "$s" "$@" --ids "$run/ids-$s.txt" --shuffle "$seed"; done
}
log "PNG: $n_lat sequential, then $n_thr with 8 clients"
both latency --ops png -n "$n_lat"
both throughput --op png --clients 8 -n "$n_thr"
log "anonymization: $n_lat sequential, then $n_thr with 1 and with 8 clients"
both latency --ops anonymize -n "$n_lat"
both throughput --op anonymize --clients 1 -n "$n_thr"
both throughput --op anonymize --clients 8 -n "$n_thr"

for r in $(seq 1 "$export_runs"); do
  order=(sbx orthanc)
  [ $((r % 2)) = 1 ] || order=(orthanc sbx)   # neither always goes first
  for cache in cold warm; do
    for s in "${order[@]}"; do
      log "export run $r, $cache page cache: $s"
      M "$s" export --run "$r" --ids "$run/ids-$s.txt" --files "$run/files.txt" \
        --cache "$cache" --data-dir "${DATA[$s]}"
    done
  done
done

log "disk read bandwidth: dd of $disk_mib MiB (O_DIRECT and buffered), cold reads of stored files"
python3 "$here/client.py" disk --out "$run/results.jsonl" --scratch "$scratch" --runs 3 \
  --stored "sbx=${DATA[sbx]}" --stored "orthanc=${DATA[orthanc]}" >/dev/null ||
  log "the disk figures failed"
for s in "${servers[@]}"; do M "$s" memory --suffix @end; done
stop_servers

{
  echo "# Image operations, slicebox beside Orthanc: $(date -u +%Y-%m-%dT%H:%MZ), $images images"
  echo
  describe_binary
  echo
  python3 "$here/report.py" imageops "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
