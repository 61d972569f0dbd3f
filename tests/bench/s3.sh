#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Our node with its images in S3 (s3rver from tests/s3peer, on loopback) beside the same node
# with its images on the local file system (docs/operations.md#images-in-s3), in one run: REST
# ingest of the 512x512 corpus with 1 and 8 clients, then downloads of every image with 4
# clients, first from a cold cache (the node restarted: every file comes from S3) and again
# (from the cache). Not part of the test suite.
#
# Usage: tests/bench/s3.sh [options]
#   --files N          files of the corpus (default 1000, 0.53 MB each)
#   --runs N           repetitions (default 1)
#   --work DIR         corpus and results (default /tmp/sbx-s3)
#   --sbx-bin PATH     our binary (default: build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, the logs, driver.out.
# Needs root (unshare --net), node and tests/s3peer's packages (deploy/install-deps.sh --test).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=1000 runs=1 work=/tmp/sbx-s3 sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools node python3 curl ip unshare
s3rver=$repo/tests/s3peer/node_modules/s3rver/bin/s3rver.js
[ -f "$s3rver" ] || (cd "$repo/tests/s3peer" && npm ci --no-audit --no-fund >/dev/null)

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
servers_stop_on_exit
corpus "$work/corpus-$files" "$files" 512 1

# s3rver as the tests start it (support/s3_server.cpp); stopped with the servers.
mkdir -p "$run/s3"
node --openssl-legacy-provider "$s3rver" -d "$run/s3" -a 127.0.0.1 -p 4569 --silent \
  --service-endpoint localhost --configure-bucket images > "$run/s3rver.log" 2>&1 &
s3_pid=$!
trap 'kill "$s3_pid" 2>/dev/null || true; stop_servers' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:4569/ && break; sleep 0.1; done

# store SERVER-LABEL PREFIX: sets the environment of our node for the S3 store under PREFIX, or
# clears it for the file system ("-").
store() {
  if [ "$1" = "-" ]; then
    unset SBX_STORAGE_BACKEND SBX_STORAGE_S3_ENDPOINT SBX_STORAGE_S3_BUCKET SBX_STORAGE_S3_PREFIX \
      SBX_STORAGE_S3_REGION SBX_STORAGE_S3_ACCESS_KEY_ID SBX_STORAGE_S3_SECRET_ACCESS_KEY \
      SBX_STORAGE_S3_PATH_STYLE
  else
    export SBX_STORAGE_BACKEND=s3 SBX_STORAGE_S3_ENDPOINT=http://127.0.0.1:4569 \
      SBX_STORAGE_S3_BUCKET=images SBX_STORAGE_S3_PREFIX=$1 SBX_STORAGE_S3_REGION=us-east-1 \
      SBX_STORAGE_S3_ACCESS_KEY_ID=S3RVER SBX_STORAGE_S3_SECRET_ACCESS_KEY=S3RVER \
      SBX_STORAGE_S3_PATH_STYLE=true
  fi
}

# restart_keeping_data: our node stopped and started again on the same data folder (its cache of
# S3 objects is emptied at start).
restart_keeping_data() {
  stop_server sbx
  "$sbx_bin" --data-dir "${DATA[sbx]}" --port "$(http_port sbx)" >> "$run/sbx.log" 2>&1 &
  PID[sbx]=$!
  wait_ready sbx api/system/health
}

log "our node: $sbx_bin; $files files, runs $runs; s3rver on 127.0.0.1:4569"
for r in $(seq 1 "$runs"); do
  for variant in fs s3; do
    for clients in 1 8; do
      store "$([ $variant = s3 ] && echo "run$r-c$clients" || echo -)"
      log "run $r $variant: REST ingest, $clients clients"
      start_server sbx || continue
      M sbx ingest --run "$r" --files "$corpus/files.txt" --clients "$clients" \
        --label "sbx_$variant" --ids-out "$run/ids.txt"
    done
    log "run $r $variant: downloads, 4 clients, after a restart, then again"
    restart_keeping_data
    M sbx throughput --run "$r" --op download --clients 4 -n "$files" --ids "$run/ids.txt" \
      --label "sbx_$variant" --suffix _cold
    M sbx throughput --run "$r" --op download --clients 4 -n "$files" --ids "$run/ids.txt" \
      --label "sbx_$variant" --suffix _warm
    stop_server sbx
    store -
  done
done

{
  echo "# Images in S3 (s3rver) against the file system: $(date -u +%Y-%m-%dT%H:%MZ), $files" \
    "files, runs $runs"
  echo
  describe_binary
  echo
  python3 "$here/report.py" table "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
