#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs clang-tidy (Debian 12's clang-tidy 14) with the repository's .clang-tidy over the node's
# own sources (not the tests: see --all), one process per core; any finding fails.
# The compile commands come from a CMake configuration of their own in build-tidy (nothing is
# built there). Usage: deploy/check-tidy.sh [--all] [FILE...]
#   --all    the tests' sources too (roughly twice the time)
#   FILE...  only these files
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run_clang_tidy=$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)
clang_tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [[ -z $run_clang_tidy || -z $clang_tidy ]]; then
  echo "check-tidy: clang-tidy (14) is not installed (deploy/install-deps.sh --test)" >&2
  exit 2
fi
folders='actors|app|dicom|http|persistence|proto'
if [[ "${1:-}" == "--all" ]]; then
  folders="$folders|tests"
  shift
fi

build_dir=${SBX_TIDY_BUILD_DIR:-build-tidy}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  >/dev/null

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' | grep -E "^($folders)/")
fi
# run-clang-tidy takes regular expressions: match each file's absolute path exactly.
patterns=()
for f in "${files[@]}"; do patterns+=("^$(realpath "$f" | sed 's/[.[\*^$+?(){}|]/\\&/g')\$"); done

start=$SECONDS
set +e
"$run_clang_tidy" -quiet -p "$build_dir" -clang-tidy-binary "$clang_tidy" -j "${SBX_TIDY_JOBS:-$(nproc)}" \
  -header-filter="^$root/($folders)/" "${patterns[@]}" |
  grep -v -e '^[0-9]* warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' \
    -e '^Use -header-filter=' -e '^clang-tidy-14 ' -e '^clang-tidy ' -e '^/usr/bin/clang-tidy' -e '^$'
status=${PIPESTATUS[0]}
set -e
echo "check-tidy: ${#files[@]} files in $((SECONDS - start)) s, $([[ $status == 0 ]] && echo clean || echo findings above)"
exit "$status"
