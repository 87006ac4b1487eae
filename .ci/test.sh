#!/usr/bin/env bash
# Builds entact and runs every test, as CI does:
#   1. Release build in build/ with -Werror, then ctest (2 tests at a time);
#   2. the libFuzzer targets (fuzz/, clang) in build-fuzz/, each run for
#      20 s over its seed corpus by fuzz/run.sh: a crash, leak or timeout
#      fails CI;
#   3. address+undefined sanitizer build in build-asan/, then ctest again
#      (without package_consumer: an installed sanitized package is no use;
#      no benchmarks or examples either: they are not tests, and the Release
#      build already compiles them).
# ENTACT_SKIP_FUZZ=1 skips step 2, ENTACT_SKIP_ASAN=1 step 3, for a quick
# local run.
# Exits non-zero on the first failure. Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="$(nproc)"
start=$SECONDS

section() {
  printf '\n==== %s (%ds elapsed) ====\n' "$*" "$((SECONDS - start))"
}

section "setup"
bash "$root/.ci/setup.sh"

section "Release: configure and build (build/)"
cmake -S "$root" -B "$root/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DENTACT_WERROR=ON \
  -DENTACT_SANITIZE=
cmake --build "$root/build" --parallel "$jobs"

section "Release: tests"
ctest --test-dir "$root/build" --output-on-failure --no-tests=error -j2

if [[ "${ENTACT_SKIP_FUZZ:-0}" == 1 ]]; then
  section "fuzzing: skipped (ENTACT_SKIP_FUZZ=1)"
else
  section "fuzzing: build and run each target (build-fuzz/)"
  bash "$root/fuzz/run.sh" 20
fi

if [[ "${ENTACT_SKIP_ASAN:-0}" == 1 ]]; then
  section "sanitizers: skipped (ENTACT_SKIP_ASAN=1)"
else
  section "sanitizers: configure and build (build-asan/)"
  # -O1 -g1 (line tables only): half the compile time of -O2 -g (39 -> 19 s
  # of CPU for one test file), and sanitizer reports still name file and
  # line.
  cmake -S "$root" -B "$root/build-asan" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DENTACT_SANITIZE=address,undefined \
    -DENTACT_WERROR=ON \
    -DENTACT_BUILD_BENCH=OFF \
    -DENTACT_BUILD_EXAMPLES=OFF
  cmake --build "$root/build-asan" --parallel "$jobs"

  section "sanitizers: tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp" \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure --no-tests=error \
      -j2 -E package_consumer
fi

section "all passed"
