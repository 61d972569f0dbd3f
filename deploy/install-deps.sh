#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package the node needs to build, run and be tested. Idempotent.
# Usage: deploy/install-deps.sh [--test]   (--test adds the peers and tools the test suite drives)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config ccache
  libcaf-dev libboost-dev libgdcm-dev libgdcm-tools libdcmtk-dev
  libpqxx-dev libsqlite3-dev rapidjson-dev catch2 libpng-dev
  libsodium-dev libtomlplusplus-dev libspdlog-dev libssl-dev libarchive-dev
  libcurl4-openssl-dev libdeflate-dev
)
test_pkgs=(postgresql-15 dcmtk orthanc orthanc-dicomweb curl wrk python3 python3-pydicom iproute2
           util-linux clang-format clang-tidy clang-14 libclang-rt-14-dev chromium)

want=("${build_pkgs[@]}")
# The web interface is built with npm (docs/ui.md); a Node.js that is already there (any from 18
# on) is used as it is, otherwise Debian's.
if ! command -v npm >/dev/null; then want+=(nodejs npm); fi
if [[ "${1:-}" == "--test" ]]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  # Packages like orthanc and postgresql start daemons listening on all interfaces: forbid service
  # starts during the installation (the tests start their own, on loopback) unless a policy exists.
  policy_made=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    policy_made=1
  fi
  trap '[[ $policy_made == 0 ]] || $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The S3-compatible server the S3 store's tests run against (s3rver, tests/s3peer): npm packages,
# installed when missing or older than the lock file (the tests run without network).
if [[ "${1:-}" == "--test" ]]; then
  peer="$(dirname "$0")/../tests/s3peer"
  if [[ ! -d "$peer/node_modules" || "$peer/package-lock.json" -nt "$peer/node_modules" ]]; then
    (cd "$peer" && npm ci --no-audit --no-fund && touch node_modules)
  fi
fi
