#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The soak: 16 clients run a mix of uploads, listings, PNG renders, attribute reads,
# anonymizations (answered and in place), exports and deletions against one of our nodes for 10
# minutes (soak.py says the mix); the node's resident memory is sampled every 10 s. Prints the
# errors (the goal is 0), p50/p99 per operation and the memory's slope (the goal is flat). Each
# client works on its own 60 files of the corpus and deletes its own images once it holds 40, so
# no client ever sees another's deletion and the store stays small. Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/soak.sh [options]
#   --minutes N        how long (default 10)
#   --clients N        client threads (default 16)
#   --work DIR         corpus and results (default /tmp/sbx-soak)
#   --sbx-bin PATH     our binary (default build-bench/slicebox, built in Release)
#   --no-build         use build-bench/slicebox as it is
# Output: DIR/report.md; DIR/run/results.jsonl, the node's log, driver.out. Exit status 1 when
# any request failed.
# Needs root (unshare --net).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

minutes=10 clients=16 work=/tmp/sbx-soak sbx_bin="" build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools python3 curl ip unshare

private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" "$build"
fresh_run "$work"
servers_stop_on_exit
corpus "$work/corpus-$((clients * 60))" $((clients * 60)) 256 7

start_server sbx
log "soak: $clients clients for $minutes min against $sbx_bin (pid ${PID[sbx]})"
status=0
python3 "$here/soak.py" --url "${URL[sbx]}" --auth "$AUTH" --pid "${PID[sbx]}" \
  --files "$corpus/files.txt" --clients "$clients" --seconds $((minutes * 60)) \
  --out "$run/results.jsonl" > "$run/soak.out" || status=$?
stop_servers

{
  echo "# Soak: $clients clients, $minutes min, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  describe_binary
  echo
  python3 "$here/report.py" soak "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
exit "$status"
