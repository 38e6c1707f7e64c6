#!/usr/bin/env bash
# Crash-safety test of S3 writes: every object whose PutObject Stratus
# acknowledged with HTTP 200 must survive a SIGKILL of the server with the
# same bytes.
#
# It starts `stratus serve --data-dir DIR --no-stack` (a file database with
# the default synchronous=NORMAL), runs a load of PutObject requests from
# eight concurrent writers (s3.mjs), kills the server with SIGKILL once 200
# uploads were acknowledged, restarts it on the same data directory and
# reads every acknowledged object back.
#
# usage: tests/crash/s3.sh BUILD_DIR
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "$1" 2>/dev/null && pwd) || {
  echo "build directory not found: $1" >&2
  exit 2
}
stratus="$build_dir/stratus"
if [ ! -x "$stratus" ]; then
  echo "stratus binary not found: $stratus (build it first)" >&2
  exit 2
fi

kill_after=200
total=2000
work=$(mktemp -d)
server_pid=""
port=""

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
  fi
  [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

healthy() {
  curl -fsS --max-time 1 "http://127.0.0.1:$1/_stratus/health" >/dev/null 2>&1
}

start_server() {
  local data_dir=$1 log=$2 base candidate
  base=$((20000 + RANDOM % 20000))
  port=""
  for attempt in $(seq 0 19); do
    candidate=$((base + attempt * 7))
    healthy "$candidate" && continue
    "$stratus" serve --data-dir "$data_dir" --no-stack --port "$candidate" \
      --api-port off --log-level warn >>"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
      if healthy "$candidate"; then
        port=$candidate
        return 0
      fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_server
  done
  echo "could not start stratus serve on $data_dir; server log:" >&2
  cat "$log" >&2
  return 1
}

mkdir -p "$work/data"
log="$work/server.log"
acks="$work/acknowledged.txt"
: >"$acks"

start_server "$work/data" "$log" || exit 1
node "$here/s3.mjs" load "http://127.0.0.1:$port" "$acks" 8 "$total" &
load_pid=$!
for _ in $(seq 1 600); do
  [ "$(wc -l <"$acks")" -ge "$kill_after" ] && break
  kill -0 "$load_pid" 2>/dev/null || break
  sleep 0.05
done
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
wait "$load_pid" 2>/dev/null
echo "killed the server with $(wc -l <"$acks") uploads acknowledged"

start_server "$work/data" "$log" || exit 1
if ! node "$here/s3.mjs" verify "http://127.0.0.1:$port" "$acks"; then
  echo "server log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
stop_server
echo "s3 crash test passed"
