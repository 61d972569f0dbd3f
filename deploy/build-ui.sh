#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the web interface into ui/dist (docs/ui.md#building) when npm is installed: `npm ci`
# (only when ui/node_modules is missing or older than ui/package-lock.json), then `npm run build`.
# Without npm it says so and succeeds: the node starts without its interface and `/` says how to
# build it.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if ! command -v npm >/dev/null; then
  echo "build-ui: npm is not installed; the node will run without its web interface" >&2
  exit 0
fi
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
  touch node_modules
fi
npm run build
