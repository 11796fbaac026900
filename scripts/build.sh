#!/usr/bin/env bash
# Build the CLI's executable, dist/cli/strata (bin/strata is a link to it): the pinned Bun with strata's
# bundled code and its bytecode inside, so a command neither reads nor compiles its modules' sources.
# A single executable starts faster than Bun running a bytecode bundle (bench/RESULTS.md). The commit
# worker (src/archive/tarworker.ts) is a second entry point, embedded beside the CLI's.
# Split into chunks (ESM, as splitting needs): a command loads the bytecode of the modules it imports
# (its verb's, the engine's) and not the rest (build, registry, the API service, the tar code), which
# costs every command about 3 ms of CPU when it is all in one chunk (bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf dist
exec node_modules/bun/bin/bun.exe build --compile --bytecode --splitting --format esm --target bun --root src \
  src/cli/strata.ts src/archive/tarworker.ts --outfile dist/cli/strata
