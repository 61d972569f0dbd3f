#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that every C++ file of the repository is formatted as the repository's .clang-format
# says (Debian 12's clang-format 14; other versions format some constructs differently).
# Prints each difference and exits non-zero if any file needs formatting.
# Usage: deploy/check-format.sh [--fix]   (--fix rewrites the files in place instead)
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $clang_format ]]; then
  echo "check-format: clang-format (14) is not installed (deploy/install-deps.sh --test)" >&2
  exit 2
fi

# Tracked and new (not ignored) files in a git checkout; every file outside build folders otherwise.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.h' '*.cc' '*.cxx' |
                       while read -r f; do [[ -f $f ]] && echo "$f"; done)
else
  mapfile -t files < <(find . -path './build*' -prune -o -type f \
                       \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) -print)
fi

if [[ "${1:-}" == "--fix" ]]; then
  printf '%s\0' "${files[@]}" | xargs -0 "$clang_format" -i
  exit 0
fi
if ! printf '%s\0' "${files[@]}" | xargs -0 "$clang_format" --dry-run --Werror; then
  echo "check-format: files above are not formatted; run deploy/check-format.sh --fix" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
