#!/usr/bin/env bash
# Set everything up (idempotent) and run the demo on the default store.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$REPO/scripts/setup.sh"

DEMO=$REPO/dist/src/demo/main.js
if [[ ! -f $DEMO ]]; then
  echo "demo: $DEMO was not built (is src/demo/main.ts there?)" >&2
  exit 1
fi
exec node "$DEMO" "$@"
