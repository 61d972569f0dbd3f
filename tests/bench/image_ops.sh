#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image operations of our node beside Orthanc 1.10 in the same run: PNG rendering, anonymization,
# export of all images as one ZIP (warm and cold page cache), and the disk's read bandwidth.
# Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/image_ops.sh [options]
#   --work DIR         scratch, corpus and results (default /tmp/sbx-imageops)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release unless --no-build)
#   --images N         images ingested into both servers (default 500, 512x512 CT, 0.5 MB each)
#   --n-lat N          sequential requests per latency figure (default 50)
#   --n-thr N          requests per throughput figure (default: all N images, each once)
#   --export-runs N    cold + warm exports per server (default 2)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md (table ours | Orthanc | ratio, then the JSON lines), DIR/run/results.jsonl,
# DIR/run/sbx.log, DIR/run/orthanc.log, DIR/run/driver.out.
# Needs root: both servers run in a private network namespace (unshare -n) with only loopback,
# and the cold-cache figures drop the page cache (/proc/sys/vm/drop_caches).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # here, repo, shared, bench, log, our_binary

work=/tmp/sbx-imageops sbx_bin="" images=500 n_lat=50 n_thr=0 export_runs=2 build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2;;
    --sbx-bin) sbx_bin=$2; build=0; shift 2;;
    --images) images=$2; shift 2;;
    --n-lat) n_lat=$2; shift 2;;
    --n-thr) n_thr=$2; shift 2;;
    --export-runs) export_runs=$2; shift 2;;
    --no-build) build=0; shift;;
    -h|--help) sed -n '3,18p' "$0"; exit 0;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare -n, drop_caches)" >&2; exit 2; }
require_tools Orthanc python3 curl ip unshare dd
((images >= n_lat + 3)) || { echo "--images must be at least --n-lat + 3" >&2; exit 2; }
((n_thr > 0 && n_thr <= images)) || n_thr=$images

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"

# --------------------------------------------------------------- corpus and disk scratch
# 5 patients x 2 studies x 2 series x 25 images per 500 (the shared generator, as the big
# corpus of peer_orthanc.sh but another seed's size); a directory without files.txt is half made.
corpus=$work/corpus-$images
[ ! -d "$corpus" ] || [ -f "$corpus/files.txt" ] || rm -rf "$corpus"
if [ ! -d "$corpus" ]; then
  log "corpus: $images files of 512x512 -> $corpus"
  python3 "$bench/make_corpus.py" "$corpus" -P $(((images + 99) / 100)) -S 2 -R 2 -I 25 \
    --seed 1 -q
fi
head -n "$images" "$corpus/files.txt" > "$run/files.txt"
scratch=$work/disk-read-1GiB.bin   # for dd's read bandwidth; random, so no layer can elide it
if [ "$(stat -c %s "$scratch" 2>/dev/null || echo 0)" != 1073741824 ]; then
  log "writing $scratch (1 GiB, random) for the disk read figures"
  dd if=/dev/urandom of="$scratch" bs=1M count=1024 conv=fdatasync status=none
fi

# --------------------------------------------------------------- servers
both_servers   # lib.sh: PID, URL, FLAVOR, DATA, RESULTS, B, start_server, stop_server, cleanup
X() {   # target subcommand args...: image_ops.py (export) with the target's flags
  local t=$1 c=$2; shift 2
  python3 "$here/image_ops.py" "$c" --flavor "${FLAVOR[$t]}" --url "${URL[$t]}" \
    --auth "${AUTH[$t]}" --name "$t" --pid "${PID[$t]}" --out "$RESULTS" "$@" ||
    log "image_ops.py $c failed for $t"
}

log "our node: $SBX_START"
log "Orthanc: $(Orthanc --version 2>&1 | head -1); $images images, latency n $n_lat," \
    "throughput n $n_thr, export runs $export_runs, work $work"
targets=(sbx orthanc)
for t in "${targets[@]}"; do
  start_server "$t" || { log "$t did not start (see $run/$t.log)"; exit 1; }
done

# --------------------------------------------------------------- ingest (8 clients)
for t in "${targets[@]}"; do
  log "$t: ingest of $images files"
  B "$t" ingest --run 1 --files "$run/files.txt" --clients 8 --ids-out "$run/ids-$t.txt"
  got=$(grep -c . "$run/ids-$t.txt" || true)
  [ "$got" = "$images" ] || { log "$t stored $got of $images images: stopping"; exit 1; }
done

# --------------------------------------------------------------- PNG, anonymization
# Interleaved: each measurement on ours, then on Orthanc, on the same images in the same
# order (both id lists follow the corpus order; one shuffle seed per measurement), each
# request of a measurement on a different image.
seed=0
each() {   # bench.py subcommand and arguments, for both targets
  seed=$((seed + 1))
  for t in "${targets[@]}"; do
    B "$t" "$@" --run 1 --ids "$run/ids-$t.txt" --shuffle-seed "$seed"
  done
}
log "PNG: latency ($n_lat sequential), throughput (8 clients, $n_thr)"
each latency --ops png -n "$n_lat"
each throughput --op png --clients 8 -n "$n_thr"
log "anonymization: latency ($n_lat sequential), throughput (1 and 8 clients, $n_thr)"
each latency --ops anonymize -n "$n_lat"
each throughput --op anonymize --clients 1 -n "$n_thr"
each throughput --op anonymize --clients 8 -n "$n_thr"

# --------------------------------------------------------------- export, cold and warm
for r in $(seq 1 "$export_runs"); do
  order=("${targets[@]}")
  [ $((r % 2)) = 1 ] || order=(orthanc sbx)
  for cache in cold warm; do
    for t in "${order[@]}"; do
      log "export run $r, $cache page cache: $t"
      X "$t" export --run "$r" --ids "$run/ids-$t.txt" --files "$run/files.txt" \
        --cache "$cache" --data-dir "${DATA[$t]}"
    done
  done
done

# --------------------------------------------------------------- disk read bandwidth
log "disk read bandwidth: dd of 1 GiB (O_DIRECT, and cold buffered), cold reads of stored files"
python3 "$here/image_ops.py" disk --out "$RESULTS" --scratch "$scratch" --runs 3 \
  --stored "sbx=${DATA[sbx]}" --stored "orthanc=${DATA[orthanc]}" || log "disk figures failed"
for t in "${targets[@]}"; do B "$t" mem --run 1 --suffix @after-image-ops; done
cleanup

# --------------------------------------------------------------- report
{
  echo "# Image operations, slicebox vs Orthanc: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  # The build directory names its source; that tree's HEAD now may be newer than the binary.
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$(dirname "$sbx_bin")/CMakeCache.txt" \
        2>/dev/null || true)
  head=$(git -C "${src:-/nonexistent}" log -1 --format='%h %ct' 2>/dev/null || echo '? 0')
  state=""
  [ "${head#* }" -le "$(stat -c %Y "$sbx_bin")" ] ||
    state=" (HEAD is newer than the binary: rebuild it)"
  [ -z "$src" ] || [ -z "$(git -C "$src" status --porcelain -uno 2>/dev/null)" ] ||
    state="$state, with uncommitted changes"
  echo "Node: \`$sbx_bin\`, built $(date -u -r "$sbx_bin" +%Y-%m-%dT%H:%MZ) from ${src:-?}," \
    "whose HEAD is ${head% *}$state."
  echo "Orthanc: $(Orthanc --version 2>&1 | head -1). Machine: $(nproc) cores, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  python3 "$here/image_ops.py" report "$RESULTS"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
