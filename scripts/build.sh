#!/usr/bin/env bash
# Build the CLI's executable, dist/cli/strata (bin/strata is a link to it): see scripts/build.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf dist
exec node_modules/bun/bin/bun.exe scripts/build.ts
