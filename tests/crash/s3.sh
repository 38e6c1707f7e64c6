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

# shellcheck source=tests/crash/server.sh
. "$(dirname "$0")/server.sh"

kill_after=200
total=2000
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
kill_server
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
