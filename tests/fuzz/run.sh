#!/usr/bin/env bash
# Build the libFuzzer drivers with clang and run each one briefly, from an
# empty corpus plus the seeds in tests/fuzz/seeds/<driver>/ when present.
# FUZZ_SECONDS sets the time per driver (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-20}
build=build-fuzz

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSTRATUS_FUZZ=ON \
  -DSTRATUS_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"

passed=0
failed=0
for driver in "$build"/fuzz_*; do
  [ -x "$driver" ] || continue
  name=$(basename "$driver")
  corpus=$(mktemp -d)
  seeds=tests/fuzz/seeds/$name
  [ -d "$seeds" ] || seeds=
  echo "fuzzing $name for ${seconds}s"
  mkdir -p "$build/artifacts"
  if "$driver" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -artifact_prefix="$build/artifacts/$name-" \
    -rss_limit_mb=2048 -print_final_stats=0 "$corpus" $seeds \
    >"$corpus.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    tail -n 60 "$corpus.log"
  fi
  rm -rf "$corpus" "$corpus.log"
done
echo "fuzz drivers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
