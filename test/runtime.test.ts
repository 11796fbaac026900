/**
 * Where the runtime (Bun) behaves unlike Node.js in a way a user would see, and how the CLI loads only
 * what a command needs: output through pipes that fill up or close early, signals, and the table that
 * picks a command's module before commander parses the command line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, modulesFor, VERBS, type ModuleName } from '../src/cli/main.js';
import { busyboxFixture, type BusyboxFixture } from './lib/fixture.js';
import { STRATA_BIN, type TestStore } from './lib/strata.js';

/** Names and aliases of a command's direct subcommands. */
const verbsOf = (cmd: Command): Map<string, Command> =>
  new Map(cmd.commands.flatMap((c) => [c.name(), ...c.aliases()].map((n): [string, Command] => [n, c])));

describe('the CLI loads the command module of the verb it runs', () => {
  test('every verb and alias maps to the module that registers it, and nothing else is mapped', async () => {
    const all = await buildProgram();
    const groups = { top: all, image: all.commands.find((c) => c.name() === 'image')!, container: all.commands.find((c) => c.name() === 'container')! };
    for (const [group, cmd] of Object.entries(groups) as [keyof typeof VERBS, Command][]) {
      const registered = verbsOf(cmd);
      if (group === 'top') { registered.delete('image'); registered.delete('container'); }
      assert.deepEqual([...registered.keys()].sort(), Object.keys(VERBS[group]).sort(), `${group} verbs`);
      for (const verb of registered.keys()) {
        const alone = await buildProgram([VERBS[group][verb]!]);
        const parent = group === 'top' ? alone : alone.commands.find((c) => c.name() === group)!;
        assert.ok(verbsOf(parent).has(verb), `${group} ${verb} is registered by module ${VERBS[group][verb]}`);
      }
    }
  });

  test('of its module, only the verb\'s command is registered, the same as among all the others', async () => {
    const all = await buildProgram();
    const shape = (c: Command) => JSON.stringify({
      name: c.name(), aliases: c.aliases(), usage: c.usage(), description: c.description(), help: c.helpInformation(),
      options: c.options.map((o) => [o.flags, o.defaultValue, o.negate, o.variadic]),
      args: c.registeredArguments.map((a) => [a.name(), a.required, a.variadic]),
    });
    const groupOf = (p: Command, group: keyof typeof VERBS) => (group === 'top' ? p : p.commands.find((c) => c.name() === group)!);
    for (const group of Object.keys(VERBS) as (keyof typeof VERBS)[]) {
      for (const [verb, module] of Object.entries(VERBS[group])) {
        const narrowed = await buildProgram([module], { group, verb, module });
        const wanted = groupOf(all, group).commands.find((c) => c.name() === verb || c.aliases().includes(verb))!;
        const registered = [...verbsOf(narrowed).keys()].filter((n) => n !== 'image' && n !== 'container');
        // A group the verb is not in is not registered at all.
        const inGroups = ['image', 'container'].flatMap((g) => {
          const parent = narrowed.commands.find((c) => c.name() === g);
          return parent ? [...verbsOf(parent).keys()].map((n) => `${g} ${n}`) : [];
        });
        assert.deepEqual(narrowed.commands.filter((c) => c.name() === 'image' || c.name() === 'container').map((c) => c.name()), group === 'top' ? [] : [group]);
        const expected = [wanted.name(), ...wanted.aliases()].map((n) => (group === 'top' ? n : `${group} ${n}`)).sort();
        assert.deepEqual([...registered, ...inGroups].sort(), expected, `${group} ${verb}`);
        assert.equal(shape(verbsOf(groupOf(narrowed, group)).get(verb)!), shape(wanted), `${group} ${verb}`);
      }
    }
  });

  test('the verb is found past the global options; anything unclear loads every module', () => {
    const every: ModuleName[] = ['images', 'containers', 'run', 'port', 'inspect', 'transfer', 'system', 'volumes', 'build', 'registry'];
    assert.deepEqual(modulesFor(['build', '-t', 'x', '.']), ['build']);
    assert.deepEqual(modulesFor(['image', 'build', '.']), ['build']);
    assert.deepEqual(modulesFor(['container', 'exec', '-i', 'c', 'sh']), ['run']);
    assert.deepEqual(modulesFor(['--root', '/r', '--storage-driver=vfs', 'create', 'x']), ['containers']);
    assert.deepEqual(modulesFor(['container', 'ls', '-a']), ['containers']);
    assert.deepEqual(modulesFor(['image', 'save', 'x']), ['transfer']);
    assert.deepEqual(modulesFor(['pull', '-q', 'x']), ['registry']);
    assert.deepEqual(modulesFor(['image', 'push', 'x']), ['registry']);
    assert.deepEqual(modulesFor(['container', 'port', 'c', '80']), ['port']);
    assert.equal(modulesFor(['--root=/r', '-v', 'images']), 'version');
    for (const argv of [[], ['constructor'], ['--root'], ['-h'], ['help', 'ps'], ['image'], ['image', 'bogus'], ['--bogus', 'ps']]) {
      assert.deepEqual(modulesFor(argv), every, JSON.stringify(argv));
    }
  });
});

for (const driver of ['overlay2'] as const) {
  describe(`strata's output through pipes on ${driver}`, () => {
    let fixture: BusyboxFixture;
    let s: TestStore;
    /** Enough names that `inspect` prints far more than a pipe holds (64 KiB). */
    const names = Array.from({ length: 150 }, (_, i) => `pipes:${i}`);
    let expected: string;
    before(() => {
      ({ s } = fixture = busyboxFixture(driver));
      s.ok(['import', '-', 'pipes:0'], fixture.tar);
      for (const n of names.slice(1)) s.ok(['tag', 'pipes:0', n]);
      expected = s.ok(['inspect', ...names]);
      assert.ok(expected.length > 1 << 18, `inspect printed ${expected.length} bytes`);
    });
    after(() => fixture.cleanup());

    test('a slow reader of a non-blocking pipe gets all of a long output', async () => {
      // The write end made non-blocking, as a parent that shares its own stdout may leave it: writes
      // then fail with EAGAIN whenever the pipe is full, and strata must wait and write the rest.
      const nonBlocking = 'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])';
      const p = spawn('python3', ['-c', nonBlocking, STRATA_BIN, '--root', s.root, '--storage-driver', driver, 'inspect', ...names]);
      p.stdout.pause();
      await new Promise((r) => setTimeout(r, 500));
      const chunks: Buffer[] = [];
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => chunks.push(d));
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      p.stdout.resume();
      const code = await new Promise((r) => p.on('close', r));
      assert.equal(stderr, '');
      assert.equal(code, 0);
      assert.equal(Buffer.concat(chunks).toString(), expected);
    });

    test('when the reader goes away, a command stops silently with status 141, as docker killed by SIGPIPE', () => {
      for (const cmd of [`inspect ${names.join(' ')}`, 'save pipes:0']) {
        const r = spawnSync('bash', ['-c', `"$0" --root "$1" --storage-driver ${driver} ${cmd} | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}" >&2`, STRATA_BIN, s.root]);
        assert.equal(r.stderr.toString(), '141\n', cmd);
      }
    });

    test('several imports at once each read a pipe fed in pieces to its end', async () => {
      // The pattern under which Bun's process.stdin was seen never to end in a script (content.test.ts).
      const importer = (tag: string): Promise<{ code: number | null; stderr: string }> => new Promise((resolve) => {
        const p = spawn(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'import', '-', tag]);
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d));
        p.on('close', (code) => resolve({ code, stderr }));
        void (async () => {
          for (let i = 0; i < fixture.tar.length; i += 1 << 18) {
            if (!p.stdin.write(fixture.tar.subarray(i, i + (1 << 18)))) await new Promise((r) => p.stdin.once('drain', r));
            await new Promise((r) => setImmediate(r));
          }
          p.stdin.end();
        })();
      });
      for (let round = 0; round < 3; round++) {
        const tags = [1, 2, 3].map((i) => `pieces:${round}-${i}`);
        assert.deepEqual(await Promise.all(tags.map(importer)), tags.map(() => ({ code: 0, stderr: '' })));
        for (const t of tags) assert.equal(s.ok(['inspect', '-f', '{{.RootFS.Layers}}', t]), s.ok(['inspect', '-f', '{{.RootFS.Layers}}', 'pipes:0']));
      }
    });

    test('SIGTERM ends a command waiting on its input, and the store stays whole', async () => {
      // Half a layer on a pipe that stays open: the import is under way, waiting for the rest.
      const waiting = spawn(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'import', '-', 'never:1']);
      waiting.stdin.write(fixture.tar.subarray(0, 4096));
      await new Promise((r) => setTimeout(r, 300));
      waiting.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => waiting.on('close', (c, sig) => r([c, sig])));
      assert.deepEqual([code, signal], [null, 'SIGTERM']);
      assert.equal(s.run(['inspect', 'never:1']).status, 1);
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
    });
  });
}
