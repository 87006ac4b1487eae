#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ENTACT_FUZZ=ON) in build-fuzz/ and
# runs each for SECONDS (default 20) over its seed corpus in
# fuzz/corpus/<target>/, one per core at a time, as CI does. New inputs go to
# build-fuzz/fuzz-work/<target>/ (the committed corpus is only read);
# a crash, leak or timeout fails the script with the input written to
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

# One target per core at a time (each libFuzzer process is one thread):
# on 2 cores the 6 targets take 3 x SECONDS, not 6 x. Each writes to its own
# log, printed whole when it ends so the outputs do not interleave.
logs="$build/fuzz-logs"
mkdir -p "$logs"
run_target() {
  local t="$1"
  local work="$build/fuzz-work/$t"
  local artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: an input
  # that makes a process grow past 2 GiB is a failure too. Leaks are
  # checked (ASan's LeakSanitizer, on by default).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$t" \
      > "$logs/$t.log" 2>&1
}

declare -A pid_of
failed=""
finish() { # waits for target $1, prints its log, records a failure
  local t="$1" rc=0
  wait "${pid_of[$t]}" || rc=$?
  echo "==== fuzz_$t: ${seconds}s (exit $rc)"
  cat "$logs/$t.log"
  [[ $rc == 0 ]] || failed="$failed $t"
}
running=()
for t in $targets; do
  if (( ${#running[@]} >= $(nproc) )); then
    finish "${running[0]}"
    running=("${running[@]:1}")
  fi
  run_target "$t" &
  pid_of[$t]=$!
  running+=("$t")
done
for t in "${running[@]}"; do
  finish "$t"
done
if [[ -n "$failed" ]]; then
  echo "==== fuzzing FAILED:$failed (inputs in $build/fuzz-artifacts/)"
  exit 1
fi
echo "==== fuzzing: no crash, leak or timeout"
