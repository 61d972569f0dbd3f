#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What full durability costs ingest (docs/operations.md#durability): REST ingest of the 512x512
# corpus with 1 and 8 clients into our node as it is (SQLite `synchronous=FULL`: an acknowledged
# image survives a power cut), into the same source built with `synchronous=NORMAL` (the node
# before that change: it survives a killed process only), and into Orthanc 1.10 (each file
# fsync'ed), interleaved run by run. The "before" binary is built from a copy of HEAD whose one
# PRAGMA line is changed, in build-bench-normal/src/build-bench (laid out as build-bench is, so
# ccache finds every other file compiled already). Not part of the test suite.
#
# Usage: tests/bench/durability.sh [options]
#   --files N          files of the corpus (default 2000, 0.53 MB each)
#   --runs N           repetitions (default 3; the report gives medians)
#   --work DIR         corpus and results (default /tmp/sbx-durability)
#   --no-build         use the two binaries built before as they are
# Output: DIR/report.md; DIR/run/results.jsonl, the servers' logs, driver.out.
# Needs root (unshare --net) and the tools run.sh installs.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=2000 runs=3 work=/tmp/sbx-durability build=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '3,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --net)" >&2; exit 2; }
require_tools Orthanc python3 curl ip unshare git

normal_bin=$repo/build-bench-normal/src/build-bench/slicebox
if [ -z "${BENCH_NETNS:-}" ] && [ "$build" = 1 ]; then
  our_binary "" 1
  source_copy=$repo/build-bench-normal/src
  log "building the synchronous=NORMAL variant of HEAD in $source_copy/build-bench"
  rm -rf "$source_copy"
  mkdir -p "$source_copy"
  git -C "$repo" archive HEAD | tar -x -C "$source_copy"
  grep -q 'PRAGMA synchronous=FULL' "$source_copy/persistence/sqlite_database.cpp" ||
    { echo "persistence/sqlite_database.cpp no longer sets synchronous=FULL" >&2; exit 2; }
  sed -i 's/PRAGMA synchronous=FULL/PRAGMA synchronous=NORMAL/' \
    "$source_copy/persistence/sqlite_database.cpp"
  launcher=()
  ! command -v ccache >/dev/null || launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$source_copy" -B "$source_copy/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSBX_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
  cmake --build "$source_copy/build-bench" --target slicebox
fi
private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "" 0
full_bin=$sbx_bin
[ -x "$normal_bin" ] || { echo "no binary $normal_bin (run without --no-build)" >&2; exit 2; }
fresh_run "$work"
servers_stop_on_exit
corpus "$work/corpus-$files" "$files" 512 1

log "our node: $full_bin (FULL) and $normal_bin (NORMAL); $files files, runs $runs"
for r in $(seq 1 "$runs"); do
  for variant in sbx sbx_normal orthanc; do
    name=$variant
    case $variant in
      sbx) sbx_bin=$full_bin ;;
      sbx_normal) sbx_bin=$normal_bin name=sbx ;;
    esac
    for clients in 1 8; do
      log "run $r $variant: REST ingest, $clients clients"
      start_server "$name" || continue
      M "$name" ingest --run "$r" --files "$corpus/files.txt" --clients "$clients" \
        --label "$variant"
      stop_server "$name"
    done
  done
done
stop_servers

{
  echo "# Ingest before and after full durability: $(date -u +%Y-%m-%dT%H:%MZ), $files files," \
    "runs $runs"
  echo
  sbx_bin=$full_bin describe_binary
  echo
  python3 "$here/report.py" durability "$run/results.jsonl"
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
