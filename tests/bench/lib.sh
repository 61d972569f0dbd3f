# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it
# Sourced by run.sh, image_ops.sh and cstore.sh: where things are, log, and our node's binary
# (Release).
# Sets here (this folder), repo, shared (../shared beside the repository) and bench (its bench/).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=$(cd "$repo/../shared" 2>/dev/null && pwd) ||
  { echo "no shared/ beside the repository ($repo/../shared)" >&2; exit 2; }
bench=$shared/bench

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# require_tools CMD...: exits (2) naming the first command that is missing.
require_tools() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null ||
      { echo "missing $c (tests/bench/run.sh installs the tools, Orthanc without starting it)" >&2
        exit 2; }
  done
}

# our_binary PATH BUILD: sets sbx_bin to PATH made absolute; an empty PATH stands for
# $repo/build-bench/slicebox, configured in Release (through ccache when there is one) and built
# first when BUILD is 1.
our_binary() {
  sbx_bin=$1
  if [ -z "$sbx_bin" ]; then
    sbx_bin=$repo/build-bench/slicebox
    if [ "$2" = 1 ]; then
      local launcher=()
      ! command -v ccache >/dev/null || launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
      log "building slicebox (Release, $repo/build-bench)"
      cmake -S "$repo" -B "$repo/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DSBX_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
      cmake --build "$repo/build-bench" --target slicebox
    fi
  fi
  [ -x "$sbx_bin" ] || { echo "no binary $sbx_bin" >&2; exit 2; }
  sbx_bin=$(readlink -f "$sbx_bin")
}

# driver_functions: defines the shared driver's orthanc_config, wait_http, stop_server and
# start_server, read from peer_orthanc.sh (heredocs included) and used as they are, so that
# Orthanc runs with the same settings as the driver's baseline. They read WORK, ORTHANC_PDU,
# ORTHANC_ENV, SBX_START, SBX_URL, SBX_AUTH, SBX_DICOM, SBX_CREATE_SCP, SBX_AET and the arrays
# PID and URL.
driver_functions() {
  local f
  eval "$(awk -v want="orthanc_config wait_http stop_server start_server" '
    BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
    !on && /^[a-z_]+\(\) \{/ { if (substr($0, 1, index($0, "(") - 1) in keep) on = 1 }
    !on { next }
    { print }
    doc != "" { if ($0 == doc) doc = ""; next }
    match($0, /<<[A-Z_]+$/) { doc = substr($0, RSTART + 2); next }
    $0 == "}" { on = 0 }' "$bench/peer_orthanc.sh")"
  for f in orthanc_config wait_http stop_server start_server; do
    declare -F "$f" >/dev/null ||
      { echo "$bench/peer_orthanc.sh has no function $f any more: update lib.sh" >&2; exit 2; }
  done
}

# private_netns ARGS...: runs the calling script again with ARGS in a fresh network namespace
# that holds only "lo" (Orthanc 1.10 and DCMTK 3.6.7 bind 0.0.0.0 and have no bind-address
# option), and once inside brings lo up. (BENCH_IN_NETNS is the shared driver's own marker; an
# SBX_ variable would be read by our node as configuration.)
private_netns() {
  if [ -z "${BENCH_IN_NETNS:-}" ]; then
    exec unshare --net env BENCH_IN_NETNS=1 bash "$0" "$@"
  fi
  ip link set lo up
}

# fresh_run DIR: sets work to DIR (made, absolute) and run to a fresh DIR/run (the one before is
# kept as run.prev), and copies everything printed from then on to run/driver.out.
fresh_run() {
  mkdir -p "$1"
  work=$(cd "$1" && pwd)
  run=$work/run
  if [ -d "$run" ]; then rm -rf "$run.prev"; mv "$run" "$run.prev"; fi
  mkdir -p "$run"
  exec > >(tee "$run/driver.out") 2>&1
}

# both_servers: Orthanc and our node ($sbx_bin, port 5000, admin/admin) as the shared driver's
# functions run them (driver_functions), data under $run, stopped by PID however the script ends.
# Our node gets an SCP when SBX_DICOM (its port) and SBX_CREATE_SCP=1 are set before. Defines
# B TARGET SUBCOMMAND ARGS...: the shared bench.py against one of them, recording to $RESULTS.
both_servers() {
  driver_functions
  WORK=$run ORTHANC_PDU=16384 ORTHANC_ENV="" SBX_DICOM=${SBX_DICOM:-}
  SBX_CREATE_SCP=${SBX_CREATE_SCP:-0} SBX_AET=${SBX_AET:-SLICEBOX}
  SBX_URL=http://127.0.0.1:5000 SBX_AUTH=admin:admin
  SBX_START="$(printf '%q' "$sbx_bin") --data-dir \"\$SBX_DATA\" --port \"\$SBX_PORT\""
  declare -gA PID URL AUTH FLAVOR DATA
  URL[orthanc]=http://127.0.0.1:8042 AUTH[orthanc]=admin:admin FLAVOR[orthanc]=orthanc
  URL[sbx]=$SBX_URL AUTH[sbx]=$SBX_AUTH FLAVOR[sbx]=slicebox
  DATA[orthanc]=$run/orthanc-db DATA[sbx]=$run/sbx-data
  PID[orthanc]=0 PID[sbx]=0
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
  RESULTS=$run/results.jsonl
}
cleanup() { for t in sbx orthanc; do stop_server "$t" || true; done; }
B() {
  local t=$1 c=$2
  shift 2
  python3 "$bench/bench.py" "$c" --flavor "${FLAVOR[$t]}" --url "${URL[$t]}" \
    --auth "${AUTH[$t]}" --name "$t" --pid "${PID[$t]}" --out "$RESULTS" "$@" ||
    log "bench.py $c failed for $t"
}
