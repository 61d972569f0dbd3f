#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets with clang-14 in build-fuzz/ and runs each for SECONDS (default 60):
#   tests/fuzz/run.sh [SECONDS]
# Corpora grow in build-fuzz/tests/fuzz/corpus/<target>, crashes land in .../corpus/crashes.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${SBX_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSBX_FUZZ=ON -DSBX_BUILD_TESTS=OFF -DSBX_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" -j"${SBX_FUZZ_JOBS:-2}" --target sbx_fuzz_targets
# Undefined behaviour is a crash, as in deploy/test.sh, except inside headers we do not own
# (deploy/ubsan.supp says which and why).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/deploy/ubsan.supp}
cd "$build" && ctest -L fuzz --output-on-failure --timeout $((seconds * 2 + 120)) -V |
  grep -E '^[0-9]+: fuzz_[a-z_]+: |Test +#|tests passed|FAILED|Failed'
