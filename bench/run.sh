#!/usr/bin/env bash
# Benchmark Stratus's DynamoDB against dynalite, DynamoDB Local and moto.
#
# Installs what the benchmark needs (wrk from Debian, the npm peers into
# bench/peers/), builds a Release stratus and bench/sqlite_limits.c in
# build-bench/, then runs bench/bench.py, which prints a Markdown
# table and writes JSON to bench/results/. Takes 15 to 25 minutes on 2
# cores, longer while other processes keep the machine busy.
#
# Usage: bench/run.sh [bench.py options], for example --duration 5 or
# --only stratus,dynalite. Set STRATUS_BIN to benchmark an existing binary
# instead of building one, or STRATUS_BENCH_SOURCE=worktree to build the
# working tree instead of the last commit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench="$root/bench"
build="$root/build-bench"

log() { echo "run.sh: $*"; }

# wrk and the SQLite headers come from Debian.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v cc >/dev/null || missing+=(build-essential)
command -v cmake >/dev/null || missing+=(cmake)
dpkg-query -W -f='${Status}' libsqlite3-dev 2>/dev/null | grep -q 'ok installed' ||
  missing+=(libsqlite3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for tool in python3 node npm; do
  command -v "$tool" >/dev/null || { log "missing $tool: install it and run again" >&2; exit 1; }
done
command -v java >/dev/null ||
  log "java not found: DynamoDB Local will be skipped (install openjdk-17-jre-headless)"

# The peers, pinned so that runs compare like with like. DynamoDB Local
# comes inside amplify-dynamodb-simulator (emulator/DynamoDBLocal.jar), so
# nothing is downloaded at run time beyond the npm registry.
mkdir -p "$bench/peers"
cat >"$bench/peers/package.json" <<'EOF'
{
  "name": "stratus-bench-peers",
  "private": true,
  "dependencies": {
    "dynalite": "4.0.0",
    "amplify-dynamodb-simulator": "2.9.30"
  }
}
EOF
if [ ! -f "$bench/peers/node_modules/dynalite/package.json" ] ||
  [ ! -f "$bench/peers/node_modules/amplify-dynamodb-simulator/package.json" ]; then
  log "installing dynalite and amplify-dynamodb-simulator into bench/peers"
  (cd "$bench/peers" && npm install --no-audit --no-fund --loglevel=error)
fi
if [ ! -f "$bench/peers/node_modules/amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar" ]; then
  log "amplify-dynamodb-simulator has no emulator/DynamoDBLocal.jar: DynamoDB Local" \
    "would need a download outside the npm registry, so it will be skipped"
fi

# moto_server runs from the machine's Python; bench.py skips it when that
# Python has no moto.
if ! python3 -c 'import moto.server' 2>/dev/null; then
  log "python3 has no moto: moto_server will be skipped (pip install 'moto[server]')"
fi

# By default build the last commit (git archive HEAD), so that the results
# name a commit and others' uncommitted or untracked work in the tree cannot
# break or change the benchmarked binary. STRATUS_BENCH_SOURCE=worktree
# builds the working tree as it is instead.
if [ -n "${STRATUS_BIN:-}" ]; then
  stratus=$STRATUS_BIN
else
  source_dir="$build/source"
  rm -rf "$source_dir"
  mkdir -p "$source_dir"
  if [ "${STRATUS_BENCH_SOURCE:-head}" = worktree ]; then
    log "building a Release stratus from the working tree in build-bench/"
    source_dir=$root
  else
    commit=$(git rev-parse --short HEAD)
    log "building a Release stratus from commit $commit in build-bench/"
    git archive "$commit" CMakeLists.txt src emulator tests/emulator/lambda/runtime_c | tar -x -C "$source_dir"
    export STRATUS_BENCH_COMMIT=$commit
  fi
  release="$build/release-${STRATUS_BENCH_SOURCE:-head}"
  cmake -S "$source_dir" -B "$release" -DCMAKE_BUILD_TYPE=Release \
    -DSTRATUS_TESTS=OFF >/dev/null
  cmake --build "$release" -j"$(nproc)"
  stratus=$release/stratus
fi
[ -x "$stratus" ] || { log "no stratus binary at $stratus" >&2; exit 1; }

mkdir -p "$build"
cc -O2 -Wall -Wextra -o "$build/sqlite_limits" "$bench/sqlite_limits.c" -lsqlite3

exec python3 "$bench/bench.py" --stratus "$stratus" \
  --sqlite-limits "$build/sqlite_limits" "$@"
