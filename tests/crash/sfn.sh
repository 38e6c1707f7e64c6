#!/usr/bin/env bash
# Crash-safety test of Step Functions executions: every execution whose
# StartExecution Stratus acknowledged must finish after a SIGKILL of the
# server and a restart, with one continuous history (no state run twice, no
# event id skipped) and the output of an uninterrupted run.
#
# It starts `stratus serve --data-dir DIR --no-stack` (real clock), starts
# executions of a machine that waits 2 s and then maps over three 1-second
# Waits (sfn.mjs), kills the server with SIGKILL one second later, restarts
# it on the same data directory and checks every acknowledged execution.
#
# usage: tests/crash/sfn.sh BUILD_DIR
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

executions=20
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
if ! node "$here/sfn.mjs" start "http://127.0.0.1:$port" "$executions" "$acks"; then
  echo "starting the executions failed; server log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
sleep 1
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
echo "killed the server with $(wc -l <"$acks") executions acknowledged"

start_server "$work/data" "$log" || exit 1
if ! node "$here/sfn.mjs" verify "http://127.0.0.1:$port" "$acks"; then
  echo "server log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
stop_server
echo "step functions crash test passed"
