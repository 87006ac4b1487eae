#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ENTACT_FUZZ=ON) in build-fuzz/ and
# runs each for SECONDS (default 20) over its seed corpus in
# fuzz/corpus/<target>/, one after the other, as CI does. New inputs go to
# build-fuzz/fuzz-work/<target>/ (the committed corpus is only read);
# a crash, leak or timeout stops the script with the input written to
# build-fuzz/fuzz-artifacts/<target>/: add it to fuzz/corpus/<target>/ as
# crash-<what> once fixed.
#
#   fuzz/run.sh [SECONDS]        all targets
#   FUZZ_TARGETS="caf_message" fuzz/run.sh 600   some of them
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"
build="$root/build-fuzz"
targets="${FUZZ_TARGETS:-basp_check caf_message cli_args prepared_codec protocol_types record_codec}"

cmake -S "$root" -B "$build" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DENTACT_FUZZ=ON \
  -DENTACT_WERROR=ON \
  -DENTACT_SANITIZE= \
  -DENTACT_BUILD_TESTS=OFF \
  -DENTACT_BUILD_EXAMPLES=OFF \
  -DENTACT_BUILD_BENCH=OFF
cmake --build "$build" --parallel "$(nproc)" --target fuzz_all

for t in $targets; do
  work="$build/fuzz-work/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  echo "==== fuzz_$t: ${seconds}s"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: an input
  # that makes a process grow past 2 GiB is a failure too. Leaks are
  # checked (ASan's LeakSanitizer, on by default).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$t"
done
echo "==== fuzzing: no crash, leak or timeout"
