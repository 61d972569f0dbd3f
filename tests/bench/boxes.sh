#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Box transfers between two of our nodes beside Orthanc 1.10 sending to a second Orthanc as its
# peer, in the same run, over loopback: the 512x512 corpus (0.53 MB a file) pushed A -> B and
# polled by B from A, each with anonymization on the way (the corpus as made) and without (a
# second corpus marked PatientIdentityRemoved YES, which a node sends unchanged), at the default
# zlib level 1 and, anonymized, at level 0 (`box.compression_level`, for fast links); Orthanc's
# `POST /peers/b/store` of the same files; and, as the yardstick of the loopback, one upload
# stream (`client.py ingest --clients 1`) into each server. Every transfer starts on two fresh,
# empty servers. Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/boxes.sh [options]
#   --files N          files sent (default 2000)
#   --runs N           repetitions of every measurement (default 1)
#   --work DIR         corpora and results (default /tmp/sbx-boxes)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, the servers' logs, driver.out.
# Needs root (unshare --net) and the tools run.sh installs.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=2000 runs=1 work=/tmp/sbx-boxes sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools Orthanc python3 curl ip unshare

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
# The second server of each kind: B.
URL[sbx_b]=http://127.0.0.1:5001 URL[orthanc_b]=http://127.0.0.1:8043
PID[sbx_b]=0 PID[orthanc_b]=0
orthanc_peers="\"OrthancPeers\": { \"b\": { \"Url\": \"${URL[orthanc_b]}/\",
    \"Username\": \"admin\", \"Password\": \"admin\" } }"
servers_stop_on_exit

corpus "$work/corpus-$files" "$files" 512 1
named=$corpus
corpus "$work/corpus-$files-anonymous" "$files" 512 3 --anonymous
anonymous=$corpus

# start_ours LEVEL: both of our nodes. Each one's engines wake every 100 ms when idle (the
# default 15 s is the original's polling interval, which would only measure the wait); the box
# URL a node hands out is its own; payloads are compressed at zlib LEVEL.
start_ours() {
  local name
  for name in sbx sbx_b; do
    SBX_BOX_INTERVAL_MS=100 SBX_BOX_PUBLIC_URL=${URL[$name]} SBX_BOX_COMPRESSION_LEVEL=$1 \
      start_server "$name" || return 1
  done
}

# box MODE MEASURE FILES [LEVEL]: one transfer between fresh servers (ours at zlib LEVEL,
# default 1, the node's default).
box() {
  local mode=$1 measure=$2 list=$3 level=${4:-1} a=sbx b=sbx_b
  [ "$mode" != peer ] || { a=orthanc b=orthanc_b; }
  log "run $r: $measure"
  if [ "$mode" = peer ]; then
    start_server orthanc && start_server orthanc_b || return 0
  else
    start_ours "$level" || return 0
  fi
  python3 "$here/boxes.py" "$mode" --a "${URL[$a]}" --a-pid "${PID[$a]}" --b "${URL[$b]}" \
    --b-pid "${PID[$b]}" --files "$list" --measure "$measure" --run "$r" \
    --label "$([ "$mode" = peer ] && echo orthanc || echo sbx)" --out "$run/results.jsonl" ||
    log "boxes.py $mode failed (see $run/$a.log, $run/$b.log)"
  stop_servers
}

log "our node: $sbx_bin; $files files, runs $runs"
for r in $(seq 1 "$runs"); do
  box push box_push_anon "$named/files.txt"
  box push box_push_plain "$anonymous/files.txt"
  box poll box_poll_anon "$named/files.txt"
  box poll box_poll_plain "$anonymous/files.txt"
  box push box_push_anon_z0 "$named/files.txt" 0
  box poll box_poll_anon_z0 "$named/files.txt" 0
  box peer box_peer "$named/files.txt"
  for s in sbx orthanc; do
    log "run $r: one upload stream into $s"
    start_server "$s" || continue
    M "$s" ingest --run "$r" --clients 1 --measure ingest_one_stream --files "$named/files.txt"
    stop_server "$s"
  done
done
stop_servers

{
  echo "# Box transfers, slicebox beside Orthanc's peers: $(date -u +%Y-%m-%dT%H:%MZ)," \
    "$files files, runs $runs"
  echo
  describe_binary
  echo
  python3 "$here/report.py" boxes "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
