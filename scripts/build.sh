#!/usr/bin/env bash
# Build the CLI's executable, dist/cli/strata (what bin/strata runs): the pinned Bun with strata's
# bundled code and its bytecode inside, so a command neither reads nor compiles its modules' sources.
# A single executable starts faster than Bun running a bytecode bundle (bench/RESULTS.md). The worker
# threads' modules (the commit's tar writer, src/archive/tarworker.ts, the pull's unpacker,
# src/registry/unpackworker.ts, and the push's compressor, src/registry/gzipworker.ts) are entry points
# of their own, embedded beside the CLI's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf dist
exec node_modules/bun/bin/bun.exe build --compile --bytecode --target bun --root src \
  src/cli/strata.ts src/archive/tarworker.ts src/registry/unpackworker.ts src/registry/gzipworker.ts --outfile dist/cli/strata
