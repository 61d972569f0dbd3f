#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the build and the tests need (Debian 12), builds everything and runs the whole
# suite with ctest, against SQLite and a throwaway PostgreSQL 15 cluster on 127.0.0.1 that is
# started here and removed afterwards, whatever the outcome. Arguments go to ctest, e.g.
# `deploy/test.sh -R scu` runs only the tests whose names match.
#
# First the formatting is checked (deploy/check-format.sh); the build treats warnings as errors.
# `deploy/test.sh --sanitize [ctest arguments]` builds and runs the suite with AddressSanitizer and
# UndefinedBehaviorSanitizer instead (build folder build-sanitize; any finding fails the test).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--sanitize" ]]; then
  export SBX_TEST_SANITIZE=1
  shift
fi
if [[ -n "${SBX_TEST_SANITIZE:-}" ]]; then
  build_dir=${SBX_TEST_BUILD_DIR:-build-sanitize}
  sanitize=ON
else
  build_dir=${SBX_TEST_BUILD_DIR:-build-test}
  sanitize=OFF
fi
if [[ -z "${SBX_TEST_IN_NETNS:-}" ]]; then
  deploy/install-deps.sh --test
  deploy/check-format.sh
  deploy/build-ui.sh
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSBX_WERROR=ON \
    -DSBX_SANITIZE="$sanitize"
  # SBX_TEST_TARGETS="a b" builds only these targets (their tests then run with `-L <folder>`).
  # shellcheck disable=SC2086
  cmake --build "$build_dir" ${SBX_TEST_TARGETS:+--target $SBX_TEST_TARGETS}
  # The libFuzzer targets (tests/fuzz) run 10 s each after a whole-suite run (no ctest arguments),
  # built with clang in build-fuzz; SBX_TEST_FUZZ=0 leaves them out.
  if [[ $# -eq 0 && $sanitize == OFF && -z "${SBX_TEST_TARGETS:-}" && "${SBX_TEST_FUZZ:-1}" != 0 ]]; then
    CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSBX_FUZZ=ON -DSBX_BUILD_TESTS=OFF -DSBX_FUZZ_SECONDS=10
    cmake --build build-fuzz --target sbx_fuzz_targets
    export SBX_TEST_FUZZ_DIR=$PWD/build-fuzz
  fi
  # The tests run in a private network namespace that has only a loopback interface: DCMTK
  # (3.6.7) listens on every interface and Orthanc has no bind address, so the DICOM peers the
  # tests start stay unreachable from outside. Root makes the namespace directly; others map
  # themselves to root in a user namespace.
  unshare_flags=(--net)
  [[ $(id -u) -eq 0 ]] || unshare_flags+=(--map-root-user)
  SBX_TEST_IN_NETNS=1 SBX_TEST_REAL_UID=$(id -u) exec unshare "${unshare_flags[@]}" -- "$BASH" "$0" "$@"
fi
ip link set lo up

# A throwaway PostgreSQL cluster: loopback only, its own port and socket folder.
pg_bin=/usr/lib/postgresql/15/bin
pg_root=$(mktemp -d /tmp/sbx-test-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [[ $SBX_TEST_REAL_UID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_root"
}
trap stop_pg EXIT
[[ $SBX_TEST_REAL_UID -eq 0 ]] && chown postgres:postgres "$pg_root"
chmod 700 "$pg_root"
run_pg "$pg_bin/initdb" -D "$pg_root/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/server.log" -w -t 30 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_root -c fsync=off -c max_connections=200" \
  start >/dev/null
run_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres slicebox
export SBX_TEST_POSTGRES="host=127.0.0.1 port=$pg_port dbname=slicebox user=postgres"

# A sanitizer finding ends the process with a report on stderr, so the test fails.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1}
# Leaks inside libraries we do not own, each with its reason (deploy/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/deploy/lsan.supp}
# Undefined behaviour inside headers we do not own, each with its reason (deploy/ubsan.supp).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/deploy/ubsan.supp}

cd "$build_dir"
status=0
ctest --output-on-failure -j"$(nproc)" --timeout 300 "$@" || status=$?
if [[ -n "${SBX_TEST_FUZZ_DIR:-}" ]]; then
  (cd "$SBX_TEST_FUZZ_DIR" && ctest -L fuzz --output-on-failure -j"$(nproc)" --timeout 300) || status=$?
fi
exit "$status"
