#!/usr/bin/env bash
# Set everything up (idempotent) and run every test. Exits non-zero if set-up or any test fails.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$REPO/scripts/setup.sh"
cd "$REPO"

# Run the compiled form of each test source that exists, so a stale dist/ file from a removed or
# renamed test never runs. Concurrency 1: tests mount filesystems and some measure disk usage.
mapfile -t TESTS < <(find test -name '*.test.ts' | sort | sed -e 's|^|dist/|' -e 's|\.ts$|.js|')
if ((${#TESTS[@]} == 0)); then
  echo "test: no test files under test/" >&2
  exit 1
fi
exec node --test --test-concurrency=1 "${TESTS[@]}"
