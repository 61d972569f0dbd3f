#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# C-STORE ingest of our node's SCP beside Orthanc 1.10 in the same run: 2000 files of 0.5 MB
# (the shared driver's big corpus) sent with one dcmtk storescu, and with four at once (500
# files each). Orthanc is measured as the Debian package starts it and with TCP_NODELAY=1 in its
# environment (its DCMTK keeps Nagle's algorithm on otherwise); ours sets TCP_NODELAY itself.
# Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/cstore.sh [options]
#   --work DIR         scratch, corpus and results (default /tmp/sbx-cstore)
#   --runs N           repetitions of every measurement (default 1)
#   --parallel N       storescu processes of the parallel measurement (default 4)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release unless --no-build)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md (ours / Orthanc per measurement, then bench.py's table),
# DIR/run/results.jsonl, DIR/run/sbx.log, DIR/run/orthanc.log, DIR/run/driver.out.
# Needs root: both servers run in a private network namespace (unshare -n) with only loopback.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # here, repo, shared, bench, log, our_binary

work=/tmp/sbx-cstore runs=1 parallel=4 sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2;;
    --runs) runs=$2; shift 2;;
    --parallel) parallel=$2; shift 2;;
    --sbx-bin) sbx_bin=$2; build=0; shift 2;;
    --no-build) build=0; shift;;
    -h|--help) sed -n '3,17p' "$0"; exit 0;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare -n)" >&2; exit 2; }
require_tools Orthanc storescu python3 curl ip unshare

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"

# --------------------------------------------------------------- corpus: 2000 x 0.5 MB
# The shared driver's big corpus (same generator and seed); a folder without files.txt is half
# made. The parallel senders get one folder each, of hard links.
corpus=$work/corpus-big
[ ! -d "$corpus" ] || [ -f "$corpus/files.txt" ] || rm -rf "$corpus"
if [ ! -d "$corpus" ]; then
  log "corpus: 2000 files of 512x512 -> $corpus"
  python3 "$bench/make_corpus.py" "$corpus" -P 20 -S 2 -R 2 -I 25 --seed 1 -q
fi
split=$work/split-$parallel
if [ ! -f "$split/done" ]; then
  rm -rf "$split"
  i=0
  while read -r f; do
    mkdir -p "$split/$((i % parallel))"
    ln "$f" "$split/$((i % parallel))/$(printf %05d "$i").dcm"
    i=$((i + 1))
  done < "$corpus/files.txt"
  touch "$split/done"
fi
parts=()
for ((p = 0; p < parallel; p++)); do parts+=("$split/$p"); done

# --------------------------------------------------------------- servers
SBX_DICOM=11112 SBX_CREATE_SCP=1   # our node gets an SCP at every start
both_servers   # lib.sh: PID, URL, FLAVOR, RESULTS, B, start_server, stop_server, cleanup
dicom_port() { case $1 in orthanc) echo 4242;; sbx) echo "$SBX_DICOM";; esac; }
dicom_aec() { case $1 in orthanc) echo ORTHANC;; sbx) echo "$SBX_AET";; esac; }

measure() {   # target suffix: one storescu, then $parallel at once, each on a fresh server
  local t=$1 suffix=$2
  log "run $r $t$suffix: C-STORE ingest, 1 storescu"
  start_server "$t"
  B "$t" cstore --run "$r" --files "$corpus/files.txt" --dir "$corpus" \
    --port "$(dicom_port "$t")" --aec "$(dicom_aec "$t")" --phase "ingest_cstore$suffix"
  B "$t" count --run "$r" --phase "count_cstore$suffix"
  log "run $r $t$suffix: C-STORE ingest, $parallel storescu at once"
  start_server "$t"
  python3 "$here/cstore_parallel.py" --bench "$bench" --flavor "${FLAVOR[$t]}" --name "$t" \
    --pid "${PID[$t]}" --run "$r" --out "$RESULTS" --port "$(dicom_port "$t")" \
    --aec "$(dicom_aec "$t")" --phase "ingest_cstore_c$parallel$suffix" "${parts[@]}" ||
    log "cstore_parallel.py failed for $t"
  B "$t" count --run "$r" --phase "count_cstore_c$parallel$suffix"
}

log "our node: $SBX_START"
log "Orthanc: $(Orthanc --version 2>&1 | head -1); runs $runs, $parallel parallel senders"
for r in $(seq 1 "$runs"); do
  measure sbx ""
  measure orthanc ""
  ORTHANC_ENV=TCP_NODELAY=1 measure orthanc _srv_tcpnodelay
done
cleanup

# --------------------------------------------------------------- report
{
  echo "# C-STORE ingest, slicebox vs Orthanc: $(date -u +%Y-%m-%dT%H:%MZ), runs $runs"
  echo
  echo "Node: \`$sbx_bin\` ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'))."
  echo "Orthanc: $(Orthanc --version 2>&1 | head -1). Machine: $(nproc) cores, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  python3 "$here/summary.py" --cstore "$RESULTS"
  echo
  python3 "$bench/bench.py" report "$RESULTS"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
