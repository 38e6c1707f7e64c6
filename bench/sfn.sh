#!/usr/bin/env bash
# Benchmark Step Functions on Stratus against aws-local-stepfunctions.
#
# Installs aws-local-stepfunctions from npm into bench/peers/sfn/ (not
# tracked by git), builds a Release stratus from the last commit in
# build-bench/ (git archive HEAD, as bench/run.sh does), then runs
# bench/sfn.py, which prints Markdown tables and writes JSON to
# bench/results/sfn-<time>.json. Takes about 2 minutes with the default
# 10 seconds per machine.
#
# Usage: bench/sfn.sh [sfn.py options], for example --seconds 5.
# Set STRATUS_BIN to benchmark an existing binary, or
# STRATUS_BENCH_SOURCE=worktree to build the working tree instead of the
# last commit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench="$root/bench"
build="$root/build-bench"

log() { echo "sfn.sh: $*"; }

for tool in python3 node npm wrk cmake; do
  command -v "$tool" >/dev/null || { log "missing $tool: install it and run again" >&2; exit 1; }
done

# The peer, pinned so that runs compare like with like.
peer="$bench/peers/sfn"
mkdir -p "$peer"
cat >"$peer/package.json" <<'JSON'
{
  "name": "stratus-bench-sfn-peer",
  "private": true,
  "dependencies": {
    "aws-local-stepfunctions": "3.0.0"
  }
}
JSON
if [ ! -f "$peer/node_modules/aws-local-stepfunctions/package.json" ]; then
  log "installing aws-local-stepfunctions into bench/peers/sfn"
  (cd "$peer" && npm install --no-audit --no-fund --loglevel=error)
fi

if [ -n "${STRATUS_BIN:-}" ]; then
  stratus=$STRATUS_BIN
else
  source_dir="$build/source-sfn"
  rm -rf "$source_dir"
  mkdir -p "$source_dir"
  if [ "${STRATUS_BENCH_SOURCE:-head}" = worktree ]; then
    log "building a Release stratus from the working tree in build-bench/"
    source_dir=$root
  else
    commit=$(git rev-parse --short HEAD)
    log "building a Release stratus from commit $commit in build-bench/"
    # CMakeLists.txt also builds the C Lambda runtime from tests/.
    git archive "$commit" CMakeLists.txt src emulator tests/emulator/lambda/runtime_c |
      tar -x -C "$source_dir"
    export STRATUS_BENCH_COMMIT=$commit
  fi
  release="$build/release-sfn-${STRATUS_BENCH_SOURCE:-head}"
  cmake -S "$source_dir" -B "$release" -DCMAKE_BUILD_TYPE=Release \
    -DSTRATUS_TESTS=OFF >/dev/null
  cmake --build "$release" -j"$(nproc)" --target stratus
  stratus=$release/stratus
fi
[ -x "$stratus" ] || { log "no stratus binary at $stratus" >&2; exit 1; }

exec python3 "$bench/sfn.py" --stratus "$stratus" --peer-dir "$peer" "$@"
