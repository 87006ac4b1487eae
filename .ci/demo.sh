#!/usr/bin/env bash
# Builds the lost_update example (Release, in build/) and runs it: concurrent
# users editing the same entity, and how entact refuses the lost update.
# Arguments are passed to the example (`--help` lists them; CAF's syntax:
# --users=32 --mode=optimistic). Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "$root/.ci/setup.sh"

cmake -S "$root" -B "$root/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DENTACT_BUILD_EXAMPLES=ON >/dev/null
if ! cmake --build "$root/build" --parallel "$(nproc)" --target lost_update; then
  echo "demo: building the lost_update example failed (see above)" >&2
  exit 1
fi

exec "$root/build/examples/lost_update" "$@"
