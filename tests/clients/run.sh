#!/usr/bin/env bash
# Run the real-client tests: start `stratus serve` in memory on a free
# loopback port, run every *.test.mjs file here with `node --test` (AWS SDK
# for JavaScript v3 and Debian's AWS CLI v2), stop the server and exit with
# the test result.
#
# usage: tests/clients/run.sh BUILD_DIR
# Needs `npm install` in tests/clients first (scripts/setup.sh runs it).
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
if [ ! -d "$here/node_modules/@aws-sdk/client-dynamodb" ]; then
  echo "missing npm packages in $here: run scripts/setup.sh or npm install there" >&2
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

# Port 0 is not reported back, so try ports from a random base and keep the
# first one where a fresh server passes the health check.
port=""
base=$((20000 + RANDOM % 20000))
for attempt in $(seq 0 19); do
  candidate=$((base + attempt * 7))
  if healthy "$candidate"; then
    continue # another process already serves this port
  fi
  # No HTTP API port: this server has no stack, and the default port 4567
  # may belong to another server on the machine.
  "$stratus" serve --in-memory --no-stack --port "$candidate" --api-port off \
    --log-level warn >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
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
  echo "could not start stratus serve on any of 20 ports from $base; last server log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "stratus serve (pid $server_pid) listening on 127.0.0.1:$port"

# Only loopback is reachable: no instance metadata lookups, no real
# credentials, no configuration from the home directory.
export STRATUS_ENDPOINT="http://127.0.0.1:$port"
# Tests that need a stack of their own start another server with this.
export STRATUS_BIN="$stratus"
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDSTRATUSTEST
export AWS_SECRET_ACCESS_KEY=stratus-test-secret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/no-aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB

cd "$here"
node --test --test-reporter spec ./*.test.mjs
status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "stratus serve exited during the tests; its log:" >&2
  cat "$work/server.log" >&2
  status=1
elif [ $status -ne 0 ] && [ -s "$work/server.log" ]; then
  echo "--- stratus serve log (warnings and errors) ---"
  tail -n 50 "$work/server.log"
fi
stop_server
exit $status
