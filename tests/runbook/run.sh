#!/usr/bin/env bash
# Run CollectIQ's deployment guide as a test: start `stratus serve` with
# pipeline/stack.yaml in a new data directory on two free loopback ports
# (AWS APIs and HTTP API), run runbook.test.mjs with `node --test`, stop
# the server by its pid and exit with the test result. Prints how long
# the test took.
#
# usage: tests/runbook/run.sh BUILD_DIR
# Needs BUILD_DIR/stratus, `npm ci` in pipeline/handlers (scripts/setup.sh
# runs it), /usr/bin/aws (AWS CLI v2) and the guide at
# ../shared/reference/collectiq-auto-trigger-deployment-guide.md beside
# the repository, or at the path in RUNBOOK_GUIDE (else the test skips).
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=$(cd "$1" 2>/dev/null && pwd) || {
  echo "build directory not found: $1" >&2
  exit 2
}
stratus="$build_dir/stratus"
if [ ! -x "$stratus" ]; then
  echo "stratus binary not found: $stratus (build it first)" >&2
  exit 2
fi
if [ ! -d "$root/pipeline/handlers/node_modules/@aws-sdk/client-dynamodb" ]; then
  echo "missing npm packages in pipeline/handlers: run scripts/setup.sh or npm ci there" >&2
  exit 2
fi
if [ ! -x /usr/bin/aws ]; then
  echo "AWS CLI v2 not found at /usr/bin/aws (Debian package awscli)" >&2
  exit 2
fi

work=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
    wait "$server_pid" 2>/dev/null
  fi
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
in_use() {
  curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null
}

# Port 0 is not reported back, so try port pairs from a random base and
# keep the first pair where a fresh server passes the health check. The
# server runs from the repository root, where the stack's code paths are.
port=""
base=$((20000 + RANDOM % 20000))
started=$(date +%s.%N)
for attempt in $(seq 0 19); do
  candidate=$((base + attempt * 7))
  api_candidate=$((candidate + 1))
  if in_use "$candidate" || in_use "$api_candidate"; then
    continue # another process already serves one of these ports
  fi
  data_dir="$work/data-$candidate"
  (cd "$root" && exec "$stratus" serve --data-dir "$data_dir" \
    --stack pipeline/stack.yaml --port "$candidate" \
    --api-port "$api_candidate" --log-level warn) >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    if healthy "$candidate"; then
      port=$candidate
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] && break
  stop_server
done
if [ -z "$port" ]; then
  echo "could not start stratus serve on any of 20 port pairs from $base; last server log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "stratus serve (pid $server_pid) on 127.0.0.1:$port, HTTP API on 127.0.0.1:$((port + 1))"

# Only loopback is reachable: no instance metadata lookups, no real
# credentials, no configuration from the home directory.
export STRATUS_ENDPOINT="http://127.0.0.1:$port"
export STRATUS_API_ENDPOINT="http://127.0.0.1:$((port + 1))"
export STRATUS_BIN="$stratus"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

cd "$here"
node --test --test-reporter spec --test-timeout 600000 ./runbook.test.mjs
status=$?
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
printf 'runbook test took %.1f s (server start included)\n' "$elapsed"

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "stratus serve exited during the test; its log:" >&2
  cat "$work/server.log" >&2
  status=1
elif [ $status -ne 0 ] && [ -s "$work/server.log" ]; then
  echo "--- stratus serve log (warnings and errors) ---"
  tail -n 50 "$work/server.log"
fi
stop_server
exit $status
