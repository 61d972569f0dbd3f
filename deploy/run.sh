#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the node needs (Debian 12), builds it (Release) and runs it on its embedded
# defaults: SQLite and images under ./data, port 5000, superuser admin/admin; the web interface
# (ui/, built by deploy/build-ui.sh) at http://localhost:5000/.
# Extra arguments go to the node, e.g. deploy/run.sh --port 8080 --config my.toml
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build-ui.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSBX_BUILD_TESTS=OFF
cmake --build build-release --target slicebox
exec build-release/slicebox "$@"
