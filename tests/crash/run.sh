#!/usr/bin/env bash
# Crash-safety test of DynamoDB writes: every item whose PutItem,
# BatchWriteItem or TransactWriteItems Stratus acknowledged with HTTP 200
# must survive a SIGKILL of the server, and no transaction may survive in
# part.
#
# Each round starts `stratus serve --data-dir DIR --no-stack` (a file
# database with the default synchronous=NORMAL), creates a table, runs a
# load of these writes from several concurrent writers (writer.mjs), kills
# the server with SIGKILL once a given number of item writes were
# acknowledged, restarts it on the same data directory and checks that
# every acknowledged item is stored with its value and in the table's
# index. The three rounds kill at different moments of the load.
#
# usage: tests/crash/run.sh BUILD_DIR
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

writers=8
total_writes=12000
# Acknowledged item writes after which each round kills the server.
kill_points=(300 2500 6000)

work=$(mktemp -d)
server_pid=""
port=""
load_pid=""

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
  if [ -n "$load_pid" ] && kill -0 "$load_pid" 2>/dev/null; then
    kill -TERM "$load_pid"
    wait "$load_pid" 2>/dev/null
  fi
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

healthy() {
  curl -fsS --max-time 1 "http://127.0.0.1:$1/_stratus/health" >/dev/null 2>&1
}

# Start the server on DATA_DIR and a free port (port 0 is not reported, so
# try ports from a random base). Sets server_pid and port; returns 1 when
# no port worked.
start_server() {
  local data_dir=$1 log=$2 base candidate
  base=$((20000 + RANDOM % 20000))
  port=""
  for attempt in $(seq 0 19); do
    candidate=$((base + attempt * 7))
    healthy "$candidate" && continue
    "$stratus" serve --data-dir "$data_dir" --no-stack --port "$candidate" \
      --log-level warn >>"$log" 2>&1 &
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

# One round: load, SIGKILL after KILL_AT acknowledged writes, restart,
# verify. Returns 0 when no acknowledged write was lost.
run_round() {
  local round=$1 kill_at=$2
  local dir="$work/round$round" table="crash-round-$round"
  local log="$dir/server.log" acks="$dir/acknowledged.txt"
  mkdir -p "$dir/data"
  : >"$acks"
  echo "--- round $round: SIGKILL after $kill_at acknowledged item writes"

  start_server "$dir/data" "$log" || return 1
  node "$here/writer.mjs" create "http://127.0.0.1:$port" "$table" || return 1

  node "$here/writer.mjs" load "http://127.0.0.1:$port" "$table" "$acks" \
    "$writers" "$total_writes" &
  load_pid=$!

  # Poll the acknowledgement count for at most 120 s.
  local acked=0 mid_load=0
  for _ in $(seq 1 6000); do
    acked=$(wc -l <"$acks")
    if [ "$acked" -ge "$kill_at" ]; then
      kill -0 "$load_pid" 2>/dev/null && mid_load=1
      break
    fi
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null
  server_pid=""
  echo "killed the server after $acked acknowledged writes"
  wait "$load_pid"
  load_pid=""

  if [ $mid_load -ne 1 ]; then
    echo "round $round failed: the load ended before $kill_at writes were acknowledged" >&2
    tail -n 20 "$log" >&2
    return 1
  fi

  start_server "$dir/data" "$log" || return 1
  if ! node "$here/writer.mjs" verify "http://127.0.0.1:$port" "$table" "$acks"; then
    echo "round $round failed; server log:" >&2
    tail -n 40 "$log" >&2
    stop_server
    return 1
  fi
  stop_server
  return 0
}

passed=0
failed=0
failures=()
round=0
for kill_at in "${kill_points[@]}"; do
  round=$((round + 1))
  if run_round "$round" "$kill_at"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("round $round (kill after $kill_at writes)")
    stop_server
  fi
done

echo
if [ $failed -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "crash rounds: $passed passed, $failed failed"
[ $failed -eq 0 ]
