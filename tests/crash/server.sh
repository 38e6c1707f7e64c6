# server.sh: shared parts of the crash tests sfn.sh and s3.sh, sourced by
# them. Checks the BUILD_DIR argument, makes a scratch directory, and
# starts and stops `stratus serve` on a data directory.
#
# Sets: here, stratus, work, and after start_server, server_pid and port.

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

# Kill the server with SIGKILL, as a crash would.
kill_server() {
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null
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

# Start `stratus serve` on DATA_DIR, logging to LOG, on the first free port
# of 20 tried from a random base. Sets server_pid and port.
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
