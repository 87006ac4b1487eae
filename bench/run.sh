#!/usr/bin/env bash
# Builds the benchmark (Release, in build/, only its target and entactd,
# which W7 starts) and runs the full set of workloads in one invocation:
# entact and its baselines on the same machine, the same librocksdb and
# the same filesystem (RocksDB directories under build/bench-data, removed
# afterwards).
#
#   bash bench/run.sh                 # full run (a few minutes)
#   bash bench/run.sh --smoke         # seconds; what CI runs (ctest -L bench)
#   bash bench/run.sh --only=W1,W6    # any entact_bench option passes through
#                                     # (CAF syntax: --name=value; --help)
#
# Prints the table and writes bench/results/latest.json (and latest.txt,
# the printed output). Exits non-zero only if a correctness check fails;
# targets are reported, never enforced.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target entact_bench entactd --parallel "$(nproc)"

results="$root/bench/results"
mkdir -p "$results"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$root" status --porcelain -- actors storage protocol 2>/dev/null)" ]]; then
  commit="$commit+uncommitted"
fi

echo "load average before the run: $(cat /proc/loadavg)"
"$build/bench/entact_bench" \
  --dir="$build/bench-data" \
  --commit="$commit" \
  --json="$results/latest.json" \
  "$@" | tee "$results/latest.txt"
