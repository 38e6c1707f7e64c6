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

# shellcheck source=tests/crash/server.sh
. "$(dirname "$0")/server.sh"

executions=20
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
kill_server
echo "killed the server with $(wc -l <"$acks") executions acknowledged"

start_server "$work/data" "$log" || exit 1
if ! node "$here/sfn.mjs" verify "http://127.0.0.1:$port" "$acks"; then
  echo "server log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
stop_server
echo "step functions crash test passed"
