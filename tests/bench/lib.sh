# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it
# Sourced by run.sh, image_ops.sh and cstore.sh: paths, logging, our Release build, the private
# network namespace, the corpus, and the two servers (ours and Orthanc) started side by side.
# Sets here (this folder) and repo; every other path comes from the calling script's options.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# require_tools CMD...: exits (2) naming the first command that is missing.
require_tools() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null ||
      { echo "missing $c (tests/bench/run.sh installs the tools, Orthanc without starting it)" >&2
        exit 2; }
  done
}

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

# private_netns ARGS...: runs the calling script again with ARGS in a new network namespace that
# holds only "lo" (Orthanc 1.10 and DCMTK 3.6.7 listen on 0.0.0.0 and cannot be told otherwise),
# and once inside brings lo up. The marker is not an SBX_ variable: our node would read one as
# configuration and refuse an unknown key.
private_netns() {
  if [ -z "${BENCH_NETNS:-}" ]; then
    exec unshare --net env BENCH_NETNS=1 bash "$0" "$@"
  fi
  ip link set lo up
}

# fresh_run DIR: sets work to DIR (made, absolute) and run to a new, empty DIR/run (the one
# before becomes run.prev); everything printed from then on is also copied to run/driver.out.
fresh_run() {
  mkdir -p "$1"
  work=$(cd "$1" && pwd)
  run=$work/run
  if [ -d "$run" ]; then rm -rf "$run.prev"; mv "$run" "$run.prev"; fi
  mkdir -p "$run"
  exec > >(tee "$run/driver.out") 2>&1
}

# corpus DIR FILES SIZE SEED [FLAG...]: sets corpus to DIR, made with corpus.py (and FLAGs, e.g.
# --anonymous) unless it is complete (files.txt is written last, so a folder without it is remade).
corpus() {
  corpus=$1
  [ -f "$corpus/files.txt" ] && [ "$(grep -c . "$corpus/files.txt")" = "$2" ] && return 0
  rm -rf "$corpus"
  log "corpus: $2 files of $3x$3, seed $4 ${*:5} -> $corpus"
  python3 "$here/corpus.py" "$corpus" --files "$2" --size "$3" --seed "$4" "${@:5}" >/dev/null
}

# bench_option ARGS...: the options every script that starts our node takes, for the case
# statement's last arm: --work DIR, --sbx-bin PATH, --no-build, --help (the script's header
# comment from its third line) and anything unknown (exit 2). Sets shifted to the words it used.
bench_option() {
  case "$1" in
    --work) work=$2; shifted=2 ;;
    --sbx-bin) sbx_bin=$2; build=0; shifted=2 ;;
    --no-build) build=0; shifted=1 ;;
    -h | --help) awk 'NR > 2 { if (!/^#/) exit; print }' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
}

# ------------------------------------------------------------------ the servers
# Both answer HTTP basic auth admin:admin on 127.0.0.1: ours on port 5000 (its SCP, when
# sbx_scp_port is set, on that port with AE title SLICEBOX, made through POST /api/scps after
# every start), Orthanc on 8042 (DICOM 4242, AE title ORTHANC). Every start is on a fresh, empty
# data folder under $run; orthanc_env holds extra environment for Orthanc (e.g. TCP_NODELAY=1).
# sbx_args: extra arguments for our node (e.g. --config FILE).
# A script that needs a second server of a kind names it sbx_<x> or orthanc_<x> and sets its
# URL[name] (and PID[name]=0) first; a second Orthanc's DICOM port is 4242 plus its HTTP port's
# distance from 8042, and orthanc_peers (JSON members) goes into every Orthanc's configuration.
# orthanc_plugins: the plugin paths (quoted JSON strings, comma-separated) every Orthanc loads.
declare -A PID URL DATA
URL[sbx]=http://127.0.0.1:5000 URL[orthanc]=http://127.0.0.1:8042
PID[sbx]=0 PID[orthanc]=0
AUTH=admin:admin
sbx_scp_port="" sbx_aet=SLICEBOX orthanc_env="" sbx_args="" orthanc_peers="" orthanc_plugins=""
http_port() { echo "${URL[$1]##*:}"; }
dicom_port() {
  case $1 in sbx*) echo "$sbx_scp_port" ;; orthanc*) echo $((4242 + $(http_port "$1") - 8042)) ;; esac
}
dicom_aet() { case $1 in sbx*) echo "$sbx_aet" ;; orthanc*) echo ORTHANC ;; esac; }

# orthanc_json FOLDER [NAME]: the configuration of Orthanc NAME (default orthanc). Storage
# uncompressed and synced to disk (each file fsync'ed, as ours), no plugins, no explorer, HTTP
# keep-alive with TCP_NODELAY, 50 HTTP and 4 DICOM threads, 16 KiB PDUs (its default), any
# calling AE may store.
orthanc_json() {
  local name=${2:-orthanc}
  cat <<EOF
{
  "Name": "BENCH", "StorageDirectory": "$1", "IndexDirectory": "$1",
  "StorageCompression": false, "SyncStorageArea": true, "StorageAccessOnFind": "Always",
  "MaximumStorageSize": 0, "MaximumPatientCount": 0, "OverwriteInstances": false,
  "Plugins": [${orthanc_plugins}], "OrthancExplorerEnabled": false, "WebDavEnabled": false,
  "HttpServerEnabled": true, "HttpPort": $(http_port "$name"), "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true, "RegisteredUsers": { "admin": "admin" },
  "HttpCompressionEnabled": false, "KeepAlive": true, "TcpNoDelay": true,
  "HttpThreadsCount": 50, "ConcurrentJobs": 2, "SaveJobs": false, "MetricsEnabled": true,
  "DicomServerEnabled": true, "DicomAet": "ORTHANC", "DicomPort": $(dicom_port "$name"),
  "DicomCheckCalledAet": false, "DicomAlwaysAllowStore": true,
  "MaximumPduLength": 16384, "DicomThreadsCount": 4${orthanc_peers:+,
  $orthanc_peers}
}
EOF
}

# wait_ready NAME: polls the server's HTTP port (deadline 30 s) while its process lives.
wait_ready() {
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    curl -sf -o /dev/null -u "$AUTH" "${URL[$1]}/${2:-}" && return 0
    kill -0 "${PID[$1]}" 2>/dev/null || { log "$1 exited while starting (see $run/$1.log)"; return 1; }
    sleep 0.1
  done
  log "$1 not answering after 30 s"
  return 1
}

stop_server() {
  local p=${PID[$1]} deadline=$((SECONDS + 30))
  if [ "$p" != 0 ] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    ! kill -0 "$p" 2>/dev/null || kill -KILL "$p"
    wait "$p" 2>/dev/null || true
  fi
  PID[$1]=0
}

# start_server NAME: stops it if running, then starts it on an empty data folder.
start_server() {
  local name=$1
  stop_server "$name"
  DATA[$name]=$run/$name-data
  rm -rf "${DATA[$name]}"
  mkdir -p "${DATA[$name]}"
  case $name in
    orthanc*)
      orthanc_json "${DATA[$name]}" "$name" > "$run/$name.json"
      # shellcheck disable=SC2086  # orthanc_env is a list of NAME=VALUE words
      env $orthanc_env Orthanc "$run/$name.json" >> "$run/$name.log" 2>&1 &
      PID[$name]=$!
      wait_ready "$name" system ;;
    sbx*)
      # shellcheck disable=SC2086  # sbx_args is a list of words
      "$sbx_bin" --data-dir "${DATA[$name]}" --port "$(http_port "$name")" $sbx_args \
        >> "$run/$name.log" 2>&1 &
      PID[$name]=$!
      wait_ready "$name" api/system/health || return 1
      if [ -n "$sbx_scp_port" ]; then
        curl -sf -o /dev/null -u "$AUTH" -H 'Content-Type: application/json' \
          -d "{\"id\":-1,\"name\":\"bench\",\"aeTitle\":\"$sbx_aet\",\"port\":$sbx_scp_port}" \
          "${URL[$name]}/api/scps" || { log "POST /api/scps failed"; return 1; }
      fi ;;
  esac
}

stop_servers() {
  local name
  for name in "${!PID[@]}"; do stop_server "$name"; done
}

# servers_stop_on_exit: however the script ends, both servers are stopped by their PID.
servers_stop_on_exit() {
  trap stop_servers EXIT
  trap 'exit 130' INT TERM HUP
}

# M NAME COMMAND ARGS...: client.py COMMAND against server NAME, recording to $run/results.jsonl;
# a failure is logged and the benchmark goes on.
M() {
  local name=$1 command=$2
  shift 2
  python3 "$here/client.py" "$command" --server "$name" --url "${URL[$name]}" --auth "$AUTH" \
    --pid "${PID[$name]}" --out "$run/results.jsonl" "$@" || log "client.py $command failed for $name"
}

# describe_binary: one line naming our binary, when it was built, and its source tree's HEAD
# (and whether that HEAD is newer than the binary).
describe_binary() {
  local src head state=""
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$(dirname "$sbx_bin")/CMakeCache.txt" \
        2>/dev/null || true)
  head=$(git -C "${src:-/nonexistent}" log -1 --format='%h %ct' 2>/dev/null || echo '? 0')
  [ "${head#* }" -le "$(stat -c %Y "$sbx_bin")" ] || state=" (HEAD is newer than the binary)"
  [ -z "$src" ] || [ -z "$(git -C "$src" status --porcelain -uno 2>/dev/null)" ] ||
    state="$state, with uncommitted changes"
  echo "Node: \`$sbx_bin\`, built $(date -u -r "$sbx_bin" +%Y-%m-%dT%H:%MZ) from ${src:-?}" \
    "at ${head% *}$state. Orthanc: $(Orthanc --version 2>&1 | head -1). Machine: $(nproc)" \
    "cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
}
