/**
 * Build the CLI's executable, dist/cli/strata (bin/strata is a link to it): the pinned Bun with strata's
 * bundled code and its bytecode inside, so a command neither reads nor compiles its modules' sources.
 * A single executable starts faster than Bun running a bytecode bundle (bench/RESULTS.md). The worker
 * threads' modules (the commit's tar writer, src/archive/tarworker.ts, the pull's unpacker,
 * src/registry/unpackworker.ts, and the push's compressor, src/registry/gzipworker.ts) are entry points
 * of their own, embedded beside the CLI's.
 *
 * Split into chunks (ESM, as splitting needs): a command loads the bytecode of the modules it imports
 * (its verb's, the engine's) and not the rest (build, registry, the API service, the tar code), which
 * costs every command about 3 ms of CPU when it is all in one chunk (bench/RESULTS.md).
 *
 * Run by scripts/build.sh.
 */
import type { BunPlugin } from 'bun';

/**
 * commander requires node:child_process when it loads, for the one thing strata never does with it
 * (running a subcommand as an executable of its own), and loading that module costs every command
 * 1–2 ms of CPU. In the bundle, commander gets it on first use instead; the build fails if commander's
 * source no longer has the line, rather than silently loading it again.
 */
const lazyChildProcess: BunPlugin = {
  name: 'commander: node:child_process on first use',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async ({ path }) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = await Bun.file(path).text();
      if (!source.includes(eager)) throw new Error(`${path}: no "${eager}" to make lazy (commander changed: see scripts/build.ts)`);
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

// Bun.build throws when the build fails (its messages, then a non-zero exit status for build.sh).
await Bun.build({
  entrypoints: ['src/cli/strata.ts', 'src/archive/tarworker.ts', 'src/registry/unpackworker.ts', 'src/registry/gzipworker.ts'],
  root: 'src',
  target: 'bun',
  format: 'esm',
  splitting: true,
  bytecode: true,
  // A Bun executable reads .env and bunfig.toml from the working directory by default: a .env there would
  // set strata's environment (STRATA_ROOT, its storage driver) and a bunfig.toml's preload run code in it,
  // as root, wherever it is run. strata reads neither, as under Node (and skips the directory walk).
  compile: { outfile: 'dist/cli/strata', autoloadDotenv: false, autoloadBunfig: false },
  plugins: [lazyChildProcess],
});
