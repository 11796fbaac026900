/** The strata command: what bin/strata runs (bundled into dist/cli/strata.js by scripts/build.sh). */
import { main } from './main.js';

// Bun runs this as `bun strata.js ARGS…`: argv is [bun, strata.js, ARGS…]. main() reports its own errors.
void main(process.argv.slice(2));
