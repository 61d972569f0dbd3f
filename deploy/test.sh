#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the build and the tests need (Debian 12), builds everything and runs the whole
# suite with ctest, against SQLite and a throwaway PostgreSQL 15 cluster on 127.0.0.1 that is
# started here and removed afterwards, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --test

build_dir=${SBX_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug
cmake --build "$build_dir"

# A throwaway PostgreSQL cluster: loopback only, its own port and socket folder.
pg_bin=/usr/lib/postgresql/15/bin
pg_root=$(mktemp -d /tmp/sbx-test-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_root"
}
trap stop_pg EXIT
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$pg_root"
chmod 700 "$pg_root"
run_pg "$pg_bin/initdb" -D "$pg_root/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/server.log" -w -t 30 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_root -c fsync=off -c max_connections=200" \
  start >/dev/null
run_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres slicebox
export SBX_TEST_POSTGRES="host=127.0.0.1 port=$pg_port dbname=slicebox user=postgres"

cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" --timeout 300
