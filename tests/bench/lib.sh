# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it
# Sourced by run.sh and image_ops.sh: where things are, log, and our node's binary (Release).
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
