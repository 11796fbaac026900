#!/usr/bin/env bash
# Bundle the CLI for bin/strata: one file per entry point, with Bun's bytecode beside it (.jsc), so a
# command neither reads nor compiles its modules' sources. The layout under dist/ mirrors src/
# (dist/cli/strata.js, dist/archive/tarworker.js): src/native and src/archive find the package root and
# the worker by paths relative to their own module, which then hold in the bundle as in the sources.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf dist
exec node_modules/bun/bin/bun.exe build src/cli/strata.ts src/archive/tarworker.ts \
  --root src --outdir dist --target bun --bytecode --sourcemap=linked
