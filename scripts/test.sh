#!/usr/bin/env bash
# Set everything up (idempotent) and run every test. Exits non-zero if set-up or any test fails.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$REPO/scripts/setup.sh"
cd "$REPO"

# Every test file under test/, run by Bun's test runner (the node:test API), one file after another:
# tests mount filesystems and some measure disk usage. Bun's default of 5 s per test and per hook is
# for unit tests; these import real images and wait on real disks.
mapfile -t TESTS < <(find test -name '*.test.ts' | sort | sed -e 's|^|./|')
if ((${#TESTS[@]} == 0)); then
  echo "test: no test files under test/" >&2
  exit 1
fi
exec node_modules/bun/bin/bun.exe test --timeout=600000 "${TESTS[@]}"
