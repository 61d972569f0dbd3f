#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# C-STORE ingest into our node's SCP beside Orthanc 1.10's, in the same run: the 512x512 corpus
# sent by one dcmtk storescu, then by several at once (the files dealt out among them), each
# measurement on a fresh server. Orthanc is measured as the Debian package starts it and again
# with TCP_NODELAY=1 in its environment (its DCMTK keeps Nagle's algorithm on otherwise); ours
# sets TCP_NODELAY itself. Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/cstore.sh [options]
#   --files N          files sent (default 2000, 0.53 MB each)
#   --runs N           repetitions of every measurement (default 1)
#   --parallel N       storescu processes at once in the second measurement (default 4)
#   --work DIR         corpus and results (default /tmp/sbx-cstore)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, sbx.log, orthanc.log, driver.out.
# Needs root (unshare --net) and the tools run.sh installs.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=2000 runs=1 parallel=4 work=/tmp/sbx-cstore sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools Orthanc storescu python3 curl ip unshare

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
servers_stop_on_exit

corpus "$work/corpus-$files" "$files" 512 1
# The parallel senders get a folder each, of hard links to the corpus, dealt out in turn.
split=$work/split-$files-$parallel
if [ ! -f "$split/complete" ]; then
  rm -rf "$split"
  k=0
  while read -r f; do
    mkdir -p "$split/$((k % parallel))"
    ln "$f" "$split/$((k % parallel))/$(printf %06d "$k").dcm"
    k=$((k + 1))
  done < "$corpus/files.txt"
  touch "$split/complete"
fi
folders=()
for ((k = 0; k < parallel; k++)); do folders+=("$split/$k"); done

sbx_scp_port=11112   # our node gets an SCP at every start
# measure SERVER SUFFIX: one storescu, then $parallel at once, each on a fresh server.
measure() {
  local s=$1 suffix=$2
  log "run $r $s$suffix: C-STORE, 1 storescu"
  start_server "$s" || return 0
  M "$s" cstore --run "$r" --dicom-port "$(dicom_port "$s")" --called "$(dicom_aet "$s")" \
    --measure "ingest_cstore$suffix" "$corpus"
  M "$s" memory --run "$r" --suffix "_cstore$suffix"
  log "run $r $s$suffix: C-STORE, $parallel storescu at once"
  start_server "$s" || return 0
  M "$s" cstore --run "$r" --dicom-port "$(dicom_port "$s")" --called "$(dicom_aet "$s")" \
    --measure "ingest_cstore_c$parallel$suffix" "${folders[@]}"
  M "$s" memory --run "$r" --suffix "_cstore_c$parallel$suffix"
}

log "our node: $sbx_bin; $files files, runs $runs, $parallel senders at once"
for r in $(seq 1 "$runs"); do
  measure sbx ""
  measure orthanc ""
  orthanc_env=TCP_NODELAY=1 measure orthanc _tcpnodelay
done
stop_servers

{
  echo "# C-STORE ingest, slicebox beside Orthanc: $(date -u +%Y-%m-%dT%H:%MZ), $files files," \
    "runs $runs"
  echo
  describe_binary
  echo
  python3 "$here/report.py" cstore "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
