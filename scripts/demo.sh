#!/usr/bin/env bash
# Set everything up (idempotent) and run the demo on the default store.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$REPO/scripts/setup.sh"

exec "$REPO/node_modules/bun/bin/bun.exe" "$REPO/src/demo/main.ts" "$@"
