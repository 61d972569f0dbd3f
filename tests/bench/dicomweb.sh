#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DICOMweb and C-FIND beside Orthanc 1.10 with its DICOMweb plugin (Debian orthanc-dicomweb), in
# the same run, on an archive of many small images: QIDO-RS studies search by patient name
# (p50), WADO-RS retrieval of one 200-image series (MB/s; of 64x64 images from the archive, then
# of 512x512 ones once they are stored), C-FIND at study level (the cost of one
# query on an open association), and STOW-RS of the 512x512 corpus (images/s, several clients,
# several images a request). Not part of the test suite (docs/dicomweb.md).
#
# Usage: tests/bench/dicomweb.sh [options]
#   --images N         images of the archive, 64x64, 200 a series (default 20000)
#   --stow-files N     0.53 MB files sent by STOW-RS, 200 a series (default 2000; >= 200)
#   --runs N           repetitions of the QIDO, WADO and C-FIND figures (default 1; STOW once)
#   --n-lat N          requests per QIDO figure (default 50)
#   --n-find N         C-FINDs on the one association of the C-FIND figure (default 500)
#   --work DIR         corpora, results and report (default /tmp/sbx-dicomweb)
#   --sbx-bin PATH     our binary (default: build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, the servers' logs, driver.out.
# Needs root (unshare --net), orthanc-dicomweb and the tools run.sh installs.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

images=20000 stow_files=2000 runs=1 n_lat=50 n_find=500 work=/tmp/sbx-dicomweb sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --stow-files) stow_files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --n-lat) n_lat=$2; shift 2 ;;
    --n-find) n_find=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools Orthanc findscu python3 curl ip unshare
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[ -f "$plugin" ] || { echo "no $plugin: apt-get install orthanc-dicomweb" >&2; exit 2; }

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
servers_stop_on_exit

corpus "$work/archive-$images" "$images" 64 3 --images-per-series 200
archive=$corpus
# 200 images a series here too: after the STOW, one of its series (~105 MB) is retrieved.
corpus "$work/stow-$stow_files-s200" "$stow_files" 512 4 --images-per-series 200
stow=$corpus

sbx_scp_port=11112   # our node gets an SCP (Query/Retrieve on) at every start
orthanc_plugins="\"$plugin\""
orthanc_env=TCP_NODELAY=1   # Nagle off on its SCP too, as on ours
# Orthanc answers C-FIND only from AEs in its DicomModalities unless told otherwise; refused, it
# aborts the association, which findscu does not count as a failure.
orthanc_peers='"DicomWeb": { "Enable": true, "Root": "/dicom-web/" }, "DicomAlwaysAllowFind": true'

# D SERVER COMMAND ARGS...: dicomweb.py COMMAND against SERVER, recording to results.jsonl.
D() {
  local name=$1 command=$2
  shift 2
  python3 "$here/dicomweb.py" "$command" --server "$name" --url "${URL[$name]}" --auth "$AUTH" \
    --pid "${PID[$name]}" --out "$run/results.jsonl" "$@" ||
    log "dicomweb.py $command failed for $name"
}

log "our node: $sbx_bin; archive of $images images, STOW of $stow_files files, runs $runs"
for s in sbx orthanc; do
  log "$s: loading the archive ($images images, REST, 8 clients)"
  start_server "$s" || continue
  M "$s" ingest --files "$archive/files.txt" --clients 8 --measure archive_load
  for r in $(seq 1 "$runs"); do
    log "run $r $s: QIDO-RS, WADO-RS, C-FIND"
    D "$s" qido --run "$r" --index "$archive/index.tsv" -n "$n_lat"
    D "$s" wado --run "$r" --index "$archive/index.tsv" --runs 3
    D "$s" cfind --run "$r" --index "$archive/index.tsv" -n "$n_find" \
      --dicom-port "$(dicom_port "$s")" --called "$(dicom_aet "$s")"
  done
  # Once: a second STOW-RS of the same files would measure re-sends.
  log "$s: STOW-RS of $stow_files files"
  D "$s" stow --files "$stow/files.txt" --clients 4 --per-request 10
  log "$s: WADO-RS of a series of 512x512 images"
  D "$s" wado --index "$stow/index.tsv" --runs 3 --measure wado_series_512
  stop_server "$s"
done
stop_servers

{
  echo "# DICOMweb and C-FIND, slicebox beside Orthanc + DICOMweb plugin:" \
    "$(date -u +%Y-%m-%dT%H:%MZ), archive $images images, STOW $stow_files files, runs $runs"
  echo
  describe_binary
  echo
  python3 "$here/report.py" dicomweb "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
