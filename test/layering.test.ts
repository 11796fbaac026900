/**
 * Front ends sit on the engine and never touch the parts below it (shared/DESIGN.md, "Front ends"): every
 * module of the CLI imports only the engine's API (engine/index.ts, and its errors), its own modules,
 * Node's and commander. A front end that reached past the engine (to the addon, the ID helpers or an
 * engine module's internals) would have to be changed with them; this test names the import that does.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './lib/strata.js';

const SRC = join(REPO_ROOT, 'src');
/**
 * The engine's API: its index, and the leaf modules a command needs before (or without) opening a store,
 * which the CLI imports on their own so that `--version` and `--help` (and the CLI's formatting: duration.ts)
 * do not load the engine.
 */
const ENGINE_API = ['engine/index.ts', 'engine/errors.ts', 'engine/version.ts', 'engine/drivers.ts', 'engine/duration.ts'];

/** The API service is a front end beside the CLI; `system service` (cli/commands/service.ts) alone starts it. */
const CLI_TO_API = ['cli/commands/service.ts imports api/listen.ts', 'cli/commands/service.ts imports api/server.ts'];

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

test('the CLI imports nothing below the engine: only its API modules', () => {
  const reaching: string[] = [];
  for (const file of sources(join(SRC, 'cli'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
      if (!spec!.startsWith('.')) continue; // node:*, commander
      const target = relative(SRC, resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
      if (target.startsWith('cli/') || ENGINE_API.includes(target)) continue;
      const found = `${relative(SRC, file)} imports ${target}`;
      if (!CLI_TO_API.includes(found)) reaching.push(found);
    }
  }
  assert.deepEqual(reaching, []);
});

test('the API service imports nothing below the engine: only its API modules', () => {
  const reaching: string[] = [];
  for (const file of sources(join(SRC, 'api'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
      if (!spec!.startsWith('.')) continue; // node:*
      const target = relative(SRC, resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
      if (target.startsWith('api/') || ENGINE_API.includes(target)) continue;
      reaching.push(`${relative(SRC, file)} imports ${target}`);
    }
  }
  assert.deepEqual(reaching, []);
});

/**
 * The modules a command loads at start: everything reached from `from` by static imports and re-exports
 * (not `import type`, nor an `import()` or `require()` inside a function, which load on first use).
 */
function loadedAtStart(from: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string): void => {
    if (seen.has(module)) return;
    seen.add(module);
    if (!module.endsWith('.ts')) return; // node:*, bun:*, packages
    const text = readFileSync(join(SRC, module), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const [, kind, spec] of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      if (kind) continue;
      visit(spec!.startsWith('.') ? relative(SRC, resolve(dirname(join(SRC, module)), spec!.replace(/\.js$/, '.ts'))) : spec!);
    }
  };
  for (const f of from) visit(f);
  return seen;
}

test("the short commands' start loads no stream, crypto, tar or container-supervision code (bench/RESULTS.md: milliseconds each)", () => {
  // images, ps, inspect and create: their command modules, the engine they open and its storage driver (loaded
  // when the store opens).
  const loaded = loadedAtStart([
    'cli/main.ts', 'cli/commands/images.ts', 'cli/commands/containers.ts', 'cli/commands/inspect.ts', 'engine/index.ts',
    'snapshots/overlay2.ts', 'snapshots/vfs.ts',
  ]);
  const heavy = [
    'node:crypto', 'node:stream', 'node:stream/promises', 'node:zlib', 'node:os', 'node:child_process', 'tar-stream',
    'archive/index.ts', 'archive/apply.ts', 'runtime/index.ts', 'runtime/runc.ts', 'runtime/supervisor.ts',
    // Each about 0.2 ms to load on Bun, for what only some verbs use (a commit's rm, a non-UTF-8 name).
    'node:fs/promises', 'node:buffer',
  ];
  assert.deepEqual(heavy.filter((m) => loaded.has(m)), []);
  assert.ok(loaded.has('engine/store.ts') && loaded.has('node:fs'), 'the walk follows the imports');
});

test('a build loads none of them either until a step needs it (a fully cached build never does: bench/build.sh)', () => {
  const loaded = loadedAtStart(['cli/main.ts', 'cli/commands/build.ts', 'build/index.ts', 'engine/index.ts']);
  const heavy = [
    'node:crypto', 'node:stream', 'node:stream/promises', 'node:zlib', 'node:os', 'node:child_process', 'tar-stream',
    'archive/index.ts', 'archive/apply.ts', 'runtime/index.ts', 'runtime/runc.ts', 'runtime/supervisor.ts',
  ];
  assert.deepEqual(heavy.filter((m) => loaded.has(m)), []);
  assert.ok(loaded.has('build/copy.ts') && loaded.has('dockerfile-ast'), 'the walk follows the imports');
});
