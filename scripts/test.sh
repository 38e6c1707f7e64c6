#!/usr/bin/env bash
# Run every test of Stratus. The steps are the format check, the Criterion
# suites (plain and under AddressSanitizer/UBSan), the YAML scenarios
# (stratus test) and the real-client tests (AWS CLI v2 and the AWS SDK for
# JavaScript v3). Then come the CollectIQ pipeline tests, CollectIQ's
# deployment guide run with the AWS CLI (tests/runbook), the crash-safety
# tests and short fuzzer runs. Prints one "N passed, N failed" line at the end and
# exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0
failed=0
failures=()

step() {
  local name=$1
  shift
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

ctest_in() {
  (cd "$1" && ctest --output-on-failure -j"$(nproc)" --timeout 300)
}

build_sanitized() {
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATUS_SANITIZE=ON \
    >/dev/null && cmake --build build-asan -j"$(nproc)"
}

format_check() {
  local files
  files=$(git ls-files '*.c' '*.h')
  [ -n "$files" ] || return 0
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
}

step "format" format_check
step "unit tests" ctest_in build
step "sanitizer build" build_sanitized
sanitized_ctest() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest_in build-asan
}
step "unit tests under ASan/UBSan" sanitized_ctest
scenarios() {
  build/stratus test scenarios/ --junit build/scenarios-junit.xml
}
step "scenarios" scenarios
for suite in tests/clients/run.sh tests/pipeline/run.sh tests/runbook/run.sh \
  tests/crash/run.sh tests/crash/sfn.sh tests/crash/s3.sh tests/fuzz/run.sh; do
  if [ -x "$suite" ]; then
    step "${suite%.sh}" "$suite" "$root/build"
  fi
done

echo
if [ $failed -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "steps: $passed passed, $failed failed"
[ $failed -eq 0 ]
