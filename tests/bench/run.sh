#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side REST benchmark of our node against Orthanc 1.10 (Debian package), with the shared
# driver ../shared/bench/peer_orthanc.sh. Not part of the test suite (never registered in CTest).
#
# Usage: tests/bench/run.sh [options]
#   --full             3 runs of every measurement and 3 ingests of the 20 000-file corpus
#   --runs N           repetitions of every measurement (default 1)
#   --small-runs N     ingests of the 20 000-file corpus (default 1; 3 with --full)
#   --work DIR         scratch, corpora and results (default /tmp/sbx-bench)
#   --phases LIST      driver phases (default rest1,rest8,read,small; +samples when the list exists;
#                      cstore: C-STORE with one storescu into our SCP, see also cstore.sh)
#   --samples FILE     real DICOM files, one path a line (default DIR/samples/list.txt)
#   --get-samples      make that list first with ../shared/bench/get_samples.sh
#   --sbx-bin PATH     our binary (default: build it in Release in build-bench/)
#   --sbx-args "..."   extra arguments for our node, e.g. "--config my.toml"
#   --no-install       do not apt-get install missing tools
#   --no-build         use build-bench/slicebox as it is
#   --no-limits        skip ../shared/bench/machine_limits.sh (disk, loopback, memcpy)
# Output: DIR/report.md (targets and ratios, then the driver's full table), DIR/limits.txt,
# DIR/run/results.jsonl, DIR/run/sbx.log (our node's stderr), DIR/run/orthanc.log.
# Needs root (the driver runs both servers in a private network namespace with unshare -n).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # here, repo, shared, bench, log, our_binary

runs=1 small_runs=1 work=/tmp/sbx-bench phases=rest1,rest8,read,small samples=""
get_samples=0 sbx_bin="" sbx_args="" install=1 build=1 limits=1
while [ $# -gt 0 ]; do
  case "$1" in
    --full) runs=3 small_runs=3; shift;;
    --runs) runs=$2; shift 2;;
    --small-runs) small_runs=$2; shift 2;;
    --work) work=$2; shift 2;;
    --phases) phases=$2; shift 2;;
    --samples) samples=$2; shift 2;;
    --get-samples) get_samples=1; shift;;
    --sbx-bin) sbx_bin=$2; build=0; shift 2;;
    --sbx-args) sbx_args=$2; shift 2;;
    --no-install) install=0; shift;;
    --no-build) build=0; shift;;
    --no-limits) limits=0; shift;;
    -h|--help) sed -n '3,23p' "$0"; exit 0;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare -n, apt-get)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
samples=${samples:-$work/samples/list.txt}

# --------------------------------------------------------------- tools (Debian packages)
if [ "$install" = 1 ]; then
  declare -A pkg_of=([Orthanc]=orthanc [storescu]=dcmtk [iperf3]=iperf3 [python3]=python3
                     [curl]=curl [ip]=iproute2 [unshare]=util-linux)
  missing=()
  for c in "${!pkg_of[@]}"; do command -v "$c" >/dev/null || missing+=("${pkg_of[$c]}"); done
  if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
    log "installing build dependencies (deploy/install-deps.sh)"
    "$repo/deploy/install-deps.sh"
  fi
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    # The orthanc package would start a daemon listening on 0.0.0.0: forbid service starts
    # during the installation unless a policy already exists.
    policy_made=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
      policy_made=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >/dev/null || { [ "$policy_made" = 0 ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
    [ "$policy_made" = 0 ] || rm -f /usr/sbin/policy-rc.d
  fi
fi
for c in Orthanc python3 curl ip unshare; do
  command -v "$c" >/dev/null || { echo "missing $c (drop --no-install)" >&2; exit 2; }
done

# --------------------------------------------------------------- our node, Release build
our_binary "$sbx_bin" "$build"

# --------------------------------------------------------------- machine limits (~1 min)
if [ "$limits" = 1 ]; then
  log "machine limits -> $work/limits.txt"
  "$bench/machine_limits.sh" "$work/limits-scratch" > "$work/limits.txt" 2>&1 ||
    log "machine_limits.sh failed (see $work/limits.txt)"
  rm -rf "$work/limits-scratch"
fi

# --------------------------------------------------------------- the benchmark
if [ "$get_samples" = 1 ] && [ ! -f "$samples" ]; then
  "$bench/get_samples.sh" "$(dirname "$samples")" >/dev/null || log "get_samples.sh failed"
fi
if [ -f "$samples" ] && [[ ",$phases," != *",samples,"* ]]; then phases=$phases,samples; fi

# A corpus directory without its files.txt is a half-made one: let the driver make it again.
for c in "$work/corpus-big" "$work/corpus-small"; do
  [ ! -d "$c" ] || [ -f "$c/files.txt" ] || rm -rf "$c"
done
run=$work/run
if [ -d "$run" ]; then rm -rf "$run.prev"; mv "$run" "$run.prev"; fi
mkdir -p "$run"
start="$(printf '%q' "$sbx_bin") --data-dir \"\$SBX_DATA\" --port \"\$SBX_PORT\"${sbx_args:+ $sbx_args}"
log "benchmark: runs $runs, small runs $small_runs, phases $phases, work $work"
log "our node: $start"
t0=$SECONDS
# The cstore phase sends to an SCP that the driver creates through POST /api/scps at each start.
dicom=()
[[ ",$phases," != *",cstore,"* ]] || dicom=(--sbx-dicom 11112 --sbx-create-scp)
"$bench/peer_orthanc.sh" --targets orthanc,sbx --sbx-start "$start" "${dicom[@]}" \
  --phases "$phases" --runs "$runs" --small-runs "$small_runs" --samples "$samples" \
  --work "$run" --big "$work/corpus-big" --small "$work/corpus-small" > "$run/driver.out" 2>&1 ||
  log "peer_orthanc.sh exited with $? (see $run/driver.out)"
log "benchmark took $((SECONDS - t0)) s"

# --------------------------------------------------------------- report
{
  echo "# slicebox vs Orthanc: $(date -u +%Y-%m-%dT%H:%MZ), runs $runs, small runs $small_runs"
  echo
  echo "Node: \`$start\`; $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "$( [ -n "$(git -C "$repo" status --porcelain 2>/dev/null)" ] && echo '(dirty tree)')."
  echo "Orthanc: $(Orthanc --version 2>&1 | head -1). Machine: $(nproc) cores."
  echo
  python3 "$here/summary.py" "$run/results.jsonl" "$work/limits.txt"
  echo
  python3 "$bench/bench.py" report "$run/results.jsonl"
  if [ -s "$run/sbx.log" ] && grep -qiE 'error|fatal|abort|terminate' "$run/sbx.log"; then
    echo
    echo "## Our node's stderr: error lines (first 20 of $run/sbx.log)"
    echo
    echo '```'
    grep -iE 'error|fatal|abort|terminate' "$run/sbx.log" | head -20
    echo '```'
  fi
  if grep -q 'failed\|died\|not ready' "$run/driver.out"; then
    echo
    echo "## Driver complaints ($run/driver.out)"
    echo
    echo '```'
    grep 'failed\|died\|not ready' "$run/driver.out" | head -20
    echo '```'
  fi
} > "$work/report.md"
cat "$work/report.md"
