#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# REST benchmark of our node beside Orthanc 1.10 (the Debian package) in the same run: ingest
# with 1 and 8 clients, listings and queries, downloads, PNG, anonymization, memory, small files.
# Not part of the test suite (never registered in CTest). C-STORE: cstore.sh; PNG, anonymization
# and export in depth: image_ops.sh.
#
# Usage: tests/bench/run.sh [options]
#   --full             3 runs, and 3 ingests of the small-file corpus: medians worth quoting
#   --runs N           repetitions of every measurement (default 1)
#   --small-runs N     ingests of the small-file corpus (default 1)
#   --big-files N      files of the 512x512 corpus (default 2000, 0.53 MB each)
#   --small-files N    files of the 64x64 corpus (default 20000, 9.6 KB each)
#   --n-lat N          sequential requests per latency figure (default 20)
#   --phases LIST      any of rest1,rest8,read,small,samples (default rest1,rest8,read,small;
#                      samples is added when the sample list exists)
#   --samples FILE     real DICOM files, one path a line (default DIR/samples/list.txt)
#   --get-samples      make that list first (sample files of Debian packages, and tests/fixtures)
#   --work DIR         corpora, results and report (default /tmp/sbx-bench)
#   --sbx-bin PATH     our binary (default: build-bench/slicebox, built in Release)
#   --sbx-args "..."   more arguments for our node, e.g. "--config bench.toml"
#   --no-install       do not apt-get install missing tools
#   --no-build         use build-bench/slicebox as it is
#   --no-limits        skip the machine's limits (limits.sh: disk, loopback)
# Output: DIR/report.md; DIR/limits.txt; DIR/run/results.jsonl, sbx.log, orthanc.log, driver.out.
# Needs root: apt-get, and both servers run in a private network namespace (unshare --net).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=1 small_runs=1 big_files=2000 small_files=20000 n_lat=20 phases=rest1,rest8,read,small
samples="" get_samples=0 work=/tmp/sbx-bench sbx_bin="" install=1 build=1 limits=1
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --full) runs=3 small_runs=3; shift ;;
    --runs) runs=$2; shift 2 ;;
    --small-runs) small_runs=$2; shift 2 ;;
    --big-files) big_files=$2; shift 2 ;;
    --small-files) small_files=$2; shift 2 ;;
    --n-lat) n_lat=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --get-samples) get_samples=1; shift ;;
    --sbx-args) sbx_args=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --no-limits) limits=0; shift ;;
    *) bench_option "$@"; shift "$shifted" ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (apt-get, unshare --net)" >&2; exit 2; }
((big_files >= n_lat + 3 && small_files >= 1)) ||
  { echo "--big-files must be at least --n-lat + 3" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
samples=${samples:-$work/samples/list.txt}
has() { [[ ",$phases," == *",$1,"* ]]; }

# ------------------------------------------------------------------ outside the namespace
# (these need the network: packages, sample files)
if [ -z "${BENCH_NETNS:-}" ]; then
  if [ "$install" = 1 ]; then
    declare -A package=([Orthanc]=orthanc [storescu]=dcmtk [iperf3]=iperf3 [python3]=python3
                        [curl]=curl [ip]=iproute2 [unshare]=util-linux)
    missing=()
    for c in "${!package[@]}"; do command -v "$c" >/dev/null || missing+=("${package[$c]}"); done
    if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
      "$repo/deploy/install-deps.sh"
    fi
    if ((${#missing[@]})); then
      log "installing ${missing[*]}"
      # The orthanc package would start a daemon listening on 0.0.0.0: no service starts.
      made_policy=0
      if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
      fi
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || status=$?
      [ "$made_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
      [ -z "${status:-}" ] || exit "$status"
    fi
  fi
  if [ "$get_samples" = 1 ]; then "$here/samples.sh" "$(dirname "$samples")"; fi
  our_binary "$sbx_bin" "$build"
  args+=(--sbx-bin "$sbx_bin")   # built: the run inside the namespace takes it as it is
fi
require_tools Orthanc python3 curl ip unshare
private_netns "${args[@]}"   # everything below runs with only loopback
our_binary "$sbx_bin" 0
if [ -f "$samples" ] && ! has samples; then phases=$phases,samples; fi
fresh_run "$work"
servers_stop_on_exit

if [ "$limits" = 1 ]; then
  log "machine limits -> $work/limits.txt"
  "$here/limits.sh" "$work/limits-scratch" > "$work/limits.txt" 2>&1 ||
    log "limits.sh failed (see $work/limits.txt)"
  rm -rf "$work/limits-scratch"
fi

corpus "$work/corpus-$big_files" "$big_files" 512 1
big=$corpus
if has small; then
  corpus "$work/corpus-small-$small_files" "$small_files" 64 2
  small=$corpus
  head -n 2000 "$small/files.txt" > "$run/small-first.txt"   # for the 1-client ingest
fi

log "runs $runs, small runs $small_runs, phases $phases; corpora: $big_files files$(has small && echo " + $small_files small ones")"
log "our node: $sbx_bin $sbx_args"
lists=patients,patient_studies,series,find_patient,image_meta
t0=$SECONDS
# Runs interleave the servers: this VM's disk and CPU drift over minutes, so the two are
# compared within a run, and the median over runs is the figure.
for r in $(seq 1 "$runs"); do
  for s in sbx orthanc; do
    if has rest1; then
      log "run $r $s: REST ingest, 1 client"
      start_server "$s"
      M "$s" ingest --run "$r" --files "$big/files.txt" --clients 1
    fi
    if has rest8 || has read; then
      log "run $r $s: REST ingest, 8 clients"
      start_server "$s"
      M "$s" ingest --run "$r" --files "$big/files.txt" --clients 8 --ids-out "$run/ids-$s.txt" \
        --measure "$(has rest8 && echo ingest_rest_c8 || echo ingest_for_reads)"
    fi
    if has read; then
      log "run $r $s: listings, image reads and memory with $big_files images"
      ids=(--ids "$run/ids-$s.txt" --shuffle "$r")
      M "$s" memory --run "$r" --suffix @big
      M "$s" latency --run "$r" --ops "$lists" -n "$n_lat" --suffix @big
      M "$s" latency --run "$r" --ops download,png,anonymize -n "$n_lat" "${ids[@]}"
      M "$s" throughput --run "$r" --op download --clients 1 -n $((big_files / 5)) "${ids[@]}"
      M "$s" throughput --run "$r" --op download --clients 8 -n $((big_files * 2 / 5)) "${ids[@]}"
      M "$s" throughput --run "$r" --op png --clients 8 -n $((big_files / 20 + 1)) "${ids[@]}"
      M "$s" memory --run "$r" --suffix @big-after-reads
    fi
  done
done

if has small; then
  for s in sbx orthanc; do
    for r in $(seq 1 "$small_runs"); do
      log "small run $r $s: REST ingest of $(grep -c . "$run/small-first.txt") 64x64 files, 1 client"
      start_server "$s"
      M "$s" ingest --run "$r" --files "$run/small-first.txt" --clients 1 \
        --measure ingest_small_rest_c1
      log "small run $r $s: REST ingest of $small_files 64x64 files, 8 clients"
      start_server "$s"
      M "$s" ingest --run "$r" --files "$small/files.txt" --clients 8 --measure ingest_small_rest_c8
    done
    M "$s" memory --suffix @small
    for r in $(seq 1 "$runs"); do
      log "run $r $s: listings with $small_files images"
      M "$s" latency --run "$r" --ops "$lists" -n "$n_lat" --suffix @small
    done
    M "$s" memory --suffix @small-after-reads
  done
fi

if has samples; then
  for s in sbx orthanc; do
    log "$s: real sample files of $samples"
    start_server "$s"
    while read -r f; do
      [ -f "$f" ] || continue
      name=$(basename "$f" .dcm)
      echo "$f" > "$run/one.txt"
      M "$s" ingest --files "$run/one.txt" --ids-out "$run/one-id.txt" --measure "upload_$name"
      [ -s "$run/one-id.txt" ] || continue
      M "$s" latency --ops png,download,anonymize -n 10 --ids "$run/one-id.txt" --suffix "_$name"
    done < "$samples"
  done
fi
stop_servers
log "benchmark took $((SECONDS - t0)) s"

{
  echo "# slicebox beside Orthanc, REST: $(date -u +%Y-%m-%dT%H:%MZ), runs $runs, phases" \
    "$phases, $big_files files$(has small && echo " + $small_files small ones")"
  echo
  describe_binary
  echo
  python3 "$here/report.py" rest "$run/results.jsonl" "$work/limits.txt"
  if grep -qiE 'error|fatal|abort|terminate' "$run/sbx.log" 2>/dev/null; then
    echo
    echo "## Our node's error lines (first 20 of $run/sbx.log)"
    echo
    echo '```'
    grep -iE 'error|fatal|abort|terminate' "$run/sbx.log" | head -20
    echo '```'
  fi
  if grep -q 'failed\|exited\|not answering' "$run/driver.out"; then
    echo
    echo "## Driver complaints ($run/driver.out)"
    echo
    echo '```'
    grep 'failed\|exited\|not answering' "$run/driver.out" | head -20
    echo '```'
  fi
} > "$work/report.md"
log "report: $work/report.md"
cat "$work/report.md"
