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
