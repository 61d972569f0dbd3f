#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Leader fail-over time of a three-node cluster on one PostgreSQL database
# (docs/operations.md#running-a-cluster): the leader is SIGKILLed N times, each at a random moment
# of the followers' check cycles (and restarted as a follower after it), and the time from the
# kill until another node reports itself leader
# (X-Slicebox-Role of GET /api/system/health, polled) is measured. Prints every time and the
# median. Runs the test "a killed leader is replaced ..." of tests/cluster through deploy/test.sh
# (private network namespace, throwaway PostgreSQL).
#
# Usage: tests/bench/failover.sh [--kills N] [--check-ms MS]   (default 10 kills, 2000 ms: the
# default cluster.leader_check_ms)
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=10
check_ms=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --check-ms) check_ms=$2; shift 2 ;;
    -h | --help) sed -n '3,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
report=$(mktemp /tmp/sbx-failover.XXXXXX)
chmod 666 "$report"
trap 'rm -f "$report"' EXIT
status=0
SBX_TEST_FAILOVER_KILLS=$kills SBX_TEST_FAILOVER_CHECK_MS=$check_ms SBX_TEST_FAILOVER_REPORT=$report \
  SBX_TEST_TARGETS="slicebox sbx_cluster_tests" \
  deploy/test.sh -R "killed leader is replaced" --timeout $((300 + kills * check_ms / 100)) ||
  status=$?
echo
echo "fail-over times (ms), cluster.leader_check_ms = $check_ms:"
sort -n "$report" | tr '\n' ' '
echo
sort -n "$report" | awk '{ t[NR] = $1 } END {
  if (NR == 0) { print "no measurement"; exit }
  m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
  printf "median %d ms, min %d ms, max %d ms over %d kills\n", m, t[1], t[NR], NR }'
exit "$status"
