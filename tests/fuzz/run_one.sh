#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer target for SECONDS on a working corpus seeded from the SEED folders:
#   run_one.sh TARGET CORPUS SECONDS SEED...
# Exit status non-zero on a crash, a leak-free sanitizer report or an uncaught exception; the
# reproducer is left in CORPUS/../crashes. The last line says how many inputs ran.
set -euo pipefail
target=$1 corpus=$2 seconds=$3
shift 3
mkdir -p "$corpus" "$corpus/../crashes"
for seed in "$@"; do
  [[ -d $seed ]] || continue
  find "$seed" -maxdepth 1 -type f -size -2M -exec cp -n {} "$corpus/" \;
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
  -artifact_prefix="$corpus/../crashes/$(basename "$target")-" "$corpus" >"$log" 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  tail -n 60 "$log"
  exit "$status"
fi
runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n1 || true)
echo "$(basename "$target"): ${runs:-no summary} in ${seconds} s"
