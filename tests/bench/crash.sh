#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crash tests (tests/crash/crash_test.cpp) with many rounds: the node is SIGKILLed at a random
# moment of each scenario in every round, on SQLite and on PostgreSQL, and checked after every
# restart. Prints, per scenario and backend, the rounds, the images at stake (acknowledged, or
# stored before a deletion), lost and duplicated. Not part of the test suite's time budget (the
# suite runs 2 rounds).
#
# Usage: tests/bench/crash.sh [--rounds N] [--seed S]   (default 20 rounds, a random seed)
# Needs what deploy/test.sh needs (it is run through it: private network namespace, throwaway
# PostgreSQL); as root or with user namespaces.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seed) export SBX_TEST_CRASH_SEED=$2; shift 2 ;;
    -h | --help) sed -n '3,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
report=$(mktemp /tmp/sbx-crash.XXXXXX)
trap 'rm -f "$report"' EXIT
status=0
SBX_TEST_CRASH_ROUNDS=$rounds SBX_TEST_CRASH_REPORT=$report SBX_TEST_TARGETS="slicebox sbx_crash_tests" \
  deploy/test.sh -L crash --timeout $((300 + rounds * 60)) || status=$?
echo
echo "| scenario | backend | rounds | images at stake | lost | duplicated |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '{ k = $1 "|" $2; n[k]++; at[k] += $3; lost[k] += $4; dup[k] += $5 }
  END { for (k in n) { split(k, p, "|"); printf "| %s | %s | %d | %d | %d | %d |\n", p[1], p[2], n[k], at[k], lost[k], dup[k] } }' \
  "$report" | sort
exit "$status"
