#!/usr/bin/env bash
# Run the pipeline tests: the handlers' unit tests (tests/pipeline/unit,
# no server), the task handlers against a real server
# (tests/pipeline/*.test.mjs), then the end-to-end tests
# (tests/pipeline/e2e). The last two start their own `stratus serve` on
# free loopback ports and stop it when done.
#
# usage: tests/pipeline/run.sh BUILD_DIR
# Needs BUILD_DIR/stratus and `npm ci` in pipeline/handlers (scripts/setup.sh
# runs it).
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
if [ ! -x "$build_dir/stratus" ]; then
  echo "stratus binary not found: $build_dir/stratus (build it first)" >&2
  exit 2
fi
if [ ! -d "$root/pipeline/handlers/node_modules/@aws-sdk/client-dynamodb" ]; then
  echo "missing npm packages in pipeline/handlers: run scripts/setup.sh or npm ci there" >&2
  exit 2
fi

# Only loopback is reachable: no instance metadata lookups, no real
# credentials, no configuration from the home directory.
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL
export STRATUS_BUILD_DIR="$build_dir"
export STRATUS_BIN="$build_dir/stratus"
unset STRATUS_ENDPOINT
export LOG_LEVEL=ERROR

cd "$root"
status=0
echo "--- unit tests (tests/pipeline/unit) ---"
node --test --test-reporter spec tests/pipeline/unit/ || status=1
shopt -s nullglob
handler_tests=(tests/pipeline/*.test.mjs)
if [ ${#handler_tests[@]} -gt 0 ]; then
  echo "--- handlers on a server (tests/pipeline/*.test.mjs) ---"
  node --test --test-reporter spec "${handler_tests[@]}" || status=1
fi
echo "--- end-to-end tests (tests/pipeline/e2e) ---"
node --test --test-reporter spec --test-timeout 600000 tests/pipeline/e2e/ || status=1
exit $status
