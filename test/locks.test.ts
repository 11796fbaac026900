/**
 * Operation locks and what they make safe: work in progress is never swept while its process lives (in
 * any PID namespace), the work of a killed process is finished by the next command (an import, an `rm`,
 * an `rmi` killed at any point; `images` and `ps`, which take no lock of their own, sweep as any command
 * does), `system check --repair` racing imports removes nothing of theirs, commands that only read take no
 * lock and answer while a write is under way, and a layer that lost files is healed by importing its tar again.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../src/engine/index.js';
import { snapshotDirs } from './lib/disk.js';
import { DRIVERS, exited, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { buildTar, type RawEntry } from './lib/tarbuild.js';

/** A layer of `dirs` × `files` small files whose content depends on `salt`: a distinct diffID per salt. */
function manyFilesTar(salt: string, dirs = 4, files = 300): Buffer {
  const entries: RawEntry[] = [];
  for (let d = 0; d < dirs; d++) {
    entries.push({ name: `d${d}/`, type: '5' });
    for (let f = 0; f < files; f++) entries.push({ name: `d${d}/f${f}`, body: `${salt} ${d} ${f}\n` });
  }
  return buildTar(entries);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (const start = Date.now(); !cond(); await sleep(2)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * Entries below a directory, counted by find (0 once it is gone). It runs while strata removes the tree, so
 * find may meet a directory that has just gone and exit 1: what it listed still counts.
 */
const entriesUnder = (dir: string): number =>
  existsSync(dir) ? spawnSync('find', [dir]).stdout.toString().split('\n').filter(Boolean).length : 0;

for (const driver of DRIVERS) {
  describe(`operation locks on ${driver}`, () => {
    let s: TestStore;
    let work: string;
    before(() => {
      s = testStore(driver);
      work = mkdtempSync(join(tmpdir(), 'strata-locks-'));
    });
    after(() => {
      s.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    const tarFile = (salt: string, dirs?: number, files?: number): string => {
      const file = join(work, `${salt}.tar`);
      writeFileSync(file, manyFilesTar(salt, dirs, files));
      return file;
    };
    const records = (): string[] => readdirSync(join(s.root, 'layers')).sort();
    const locks = (): string[] => readdirSync(join(s.root, 'locks'));
    const clean = (): void => assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
    const finds = (problem: RegExp): void => {
      const r = s.run(['system', 'check']);
      assert.equal(r.status, 1);
      assert.match(r.stdout, problem);
    };

    test('an import in another PID namespace is not swept while it runs', async () => {
      const file = tarFile('pidns', 6, 500);
      const before = snapshotDirs(s.root, driver);
      // Inside its namespace (with its own /proc) the importer is pid 1; outside, pid 1 is init: a pid and
      // its start time say nothing across namespaces.
      const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', STRATA_BIN, '--root', s.root, '--storage-driver', driver, 'import', file, 'pidns:1'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = exited(p);
      await until(() => snapshotDirs(s.root, driver).length > before.length, 'the import to start');
      s.ok(['images']);
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(s.run(['save', 'pidns:1']).status, 0);
      clean();
      s.ok(['rmi', 'pidns:1']);
    });

    test('an import killed midway is swept by the next command, its lock file too', async () => {
      const file = tarFile('killed-import', 8, 500);
      const dirs = snapshotDirs(s.root, driver);
      const recs = records();
      const p = s.spawn(['import', file, 'killed:1']);
      const done = exited(p);
      await until(() => snapshotDirs(s.root, driver).length > dirs.length, 'the import to start');
      p.kill('SIGKILL');
      assert.equal((await done).signal, 'SIGKILL');
      assert.equal(locks().length, 1, 'the killed process leaves its lock file');
      s.ok(['images']);
      assert.deepEqual(snapshotDirs(s.root, driver), dirs);
      assert.deepEqual(records(), recs);
      assert.deepEqual(locks(), [], 'the dead lock file is removed');
      assert.equal(s.run(['inspect', 'killed:1']).status, 1);
      clean();
    });

    /**
     * Kill the removal `args` at the moment `when` resolves; then the next command must leave the snapshot
     * dirs and tar-split records of the store without the object, or, when the kill came before the
     * transaction (`stillThere`), with it whole. Returns whether it was still there.
     */
    async function killRemoval(args: string[], when: (p: ReturnType<TestStore['spawn']>) => Promise<void>, stillThere: () => boolean,
      expect: { withObject: string[]; without: string[]; recordsWith: string[]; recordsWithout: string[] }): Promise<boolean> {
      const p = s.spawn(args);
      const done = exited(p);
      await when(p);
      p.kill('SIGKILL');
      await done;
      s.ok(['ps', '-a']);
      const kept = stillThere();
      assert.deepEqual(snapshotDirs(s.root, driver), kept ? expect.withObject : expect.without);
      assert.deepEqual(records(), kept ? expect.recordsWith : expect.recordsWithout);
      assert.deepEqual(locks(), []);
      clean();
      return kept;
    }

    test('rmi killed at any point: the next command finishes the removal', async () => {
      let removedMidway = 0;
      for (let i = 0; i < 3; i++) {
        const withoutDirs = snapshotDirs(s.root, driver);
        const recordsWithout = records();
        s.ok(['import', tarFile(`rmi${i}`), `rmikill:${i}`]);
        const withDirs = snapshotDirs(s.root, driver);
        const layer = withDirs.find((d) => !withoutDirs.includes(d))!;
        const layerFiles = entriesUnder(join(s.root, 'snapshots', driver, layer));
        // The first kill lands while the files are being removed (after the transaction); the others at random.
        const when = i === 0
          ? () => until(() => entriesUnder(join(s.root, 'snapshots', driver, layer)) < layerFiles, 'the removal to start')
          : () => sleep(Math.random() * 1000);
        const kept = await killRemoval(['rmi', `rmikill:${i}`], when, () => s.run(['inspect', `rmikill:${i}`]).status === 0,
          { withObject: withDirs, without: withoutDirs, recordsWith: records(), recordsWithout });
        if (kept) s.ok(['rmi', `rmikill:${i}`]);
        else if (i === 0) removedMidway++;
      }
      assert.equal(removedMidway, 1, 'a kill during the file removal was tested');
    });

    test('rm killed at any point: the next command finishes the removal', async () => {
      s.ok(['import', tarFile('rmbase', 1, 10), 'rmbase:1']);
      let removedMidway = 0;
      for (let i = 0; i < 3; i++) {
        const withoutDirs = snapshotDirs(s.root, driver);
        const recs = records();
        s.ok(['create', '--name', `rmkill${i}`, 'rmbase:1', 'sh']);
        const withDirs = snapshotDirs(s.root, driver);
        const own = withDirs.find((d) => !withoutDirs.includes(d))!;
        const merged = s.ok(['mount', `rmkill${i}`]).trim();
        for (let d = 0; d < 4; d++) {
          mkdirSync(join(merged, `c${d}`));
          for (let f = 0; f < 300; f++) writeFileSync(join(merged, `c${d}`, `f${f}`), `${i} ${d} ${f}`);
        }
        s.ok(['unmount', `rmkill${i}`]);
        const ownFiles = entriesUnder(join(s.root, 'snapshots', driver, own));
        const when = i === 0
          ? () => until(() => entriesUnder(join(s.root, 'snapshots', driver, own)) < ownFiles, 'the removal to start')
          : () => sleep(Math.random() * 1000);
        const kept = await killRemoval(['rm', `rmkill${i}`], when, () => s.run(['inspect', `rmkill${i}`]).status === 0,
          { withObject: withDirs, without: withoutDirs, recordsWith: recs, recordsWithout: recs });
        if (kept) s.ok(['rm', `rmkill${i}`]);
        else if (i === 0) removedMidway++;
      }
      assert.equal(removedMidway, 1, 'a kill during the file removal was tested');
      s.ok(['rmi', 'rmbase:1']);
    });

    test('system check --repair racing imports removes nothing they make', async () => {
      const workers = 3;
      const rounds = 4;
      const files = Array.from({ length: workers }, (_, w) => Array.from({ length: rounds }, (_, k) => tarFile(`race-${w}-${k}`, 2, 200)));
      let importing = true;
      const repairs = (async () => {
        let n = 0;
        for (; importing; n++) {
          const r = await exited(s.spawn(['system', 'check', '--repair']));
          assert.equal(r.code, 0, r.stderr);
        }
        return n;
      })();
      try {
        await Promise.all(files.map(async (mine, w) => {
          for (const [k, file] of mine.entries()) {
            const r = await exited(s.spawn(['import', file, `race${w}:${k}`]));
            assert.equal(r.code, 0, r.stderr);
          }
        }));
      } finally {
        importing = false;
      }
      assert.ok(await repairs >= 2, 'repair ran while the imports did');
      for (let w = 0; w < workers; w++) {
        for (let k = 0; k < rounds; k++) {
          const r = s.run(['save', `race${w}:${k}`]);
          assert.equal(r.status, 0, `save race${w}:${k}: ${r.stderr}`);
          s.ok(['rmi', `race${w}:${k}`]);
        }
      }
      clean();
    });

    test('commands that only read take no lock and answer, unchanged, while an import is under way', async () => {
      s.ok(['import', tarFile('reader-base', 1, 10), 'readers:base']);
      s.ok(['create', '--name', 'readers-c', 'readers:base', 'sh']);
      // Every reading verb, in each of its spellings; formats without relative times, so that the
      // answers given during the import can equal those given before it.
      const reads = [
        ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}'], ['image', 'ls', '-q'], ['image', 'list', '-q'],
        ['ps', '-a', '--format', '{{.ID}} {{.Image}} {{.Status}} {{.Names}}'], ['container', 'ls', '-aq'], ['container', 'list', '-aq'], ['container', 'ps', '-aq'],
        ['inspect', 'readers:base', 'readers-c'], ['image', 'inspect', 'readers:base'], ['container', 'inspect', 'readers-c'],
        ['history', '--format', '{{.ID}} {{.CreatedBy}} {{.Size}}', 'readers:base'], ['image', 'history', '-q', 'readers:base'],
      ];
      const before = reads.map((args) => s.ok(args));

      // An import from a pipe, fed half its tar and then held: it has its lock file, and a snapshot pending.
      const dirs = snapshotDirs(s.root, driver);
      const tar = manyFilesTar('reader-import', 4, 300);
      const p = spawn(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'import', '-', 'readers:new'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const done = exited(p);
      p.stdin.write(tar.subarray(0, tar.length >> 1));
      await until(() => snapshotDirs(s.root, driver).length > dirs.length, 'the import to start');
      const importing = locks();
      assert.equal(importing.length, 1);

      const made: string[] = [];
      const watcher = watch(join(s.root, 'locks'), (_, name) => made.push(String(name)));
      try {
        for (const [i, args] of reads.entries()) assert.equal(s.ok(args), before[i], `strata ${args.join(' ')} during the import`);
        await sleep(200);
        assert.deepEqual(made, [], 'no reading command made a lock file');
        // The watch sees what a command that writes does: its lock file, made and removed.
        s.ok(['tag', 'readers:base', 'readers:tagged']);
        await until(() => made.length > 0, 'the lock file of tag', 5_000);
      } finally {
        watcher.close();
      }
      assert.deepEqual(locks(), importing, 'the import still holds its lock');

      p.stdin.end(tar.subarray(tar.length >> 1));
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^readers:new$/m);
      assert.deepEqual(locks(), []);
      clean();
      s.ok(['rm', 'readers-c']);
      s.ok(['rmi', 'readers:new', 'readers:tagged', 'readers:base']);
    });

    test('a store opened to take its lock on first work takes it at its first pending snapshot, and keeps it', async () => {
      const engine = await Engine.open({ root: s.root, driver, lock: 'on-work' });
      try {
        assert.deepEqual(locks(), [], 'no lock at open');
        const id = await engine.images.import(Readable.from(manyFilesTar('on-work', 1, 10)), { reference: 'onwork:1' });
        assert.equal(locks().length, 1, 'the import took a lock, held until the store closes');
        // Its work is done and committed: another process's sweep finds nothing of it to finish.
        clean();
        assert.equal(s.ok(['images', '-q', '--no-trunc', 'onwork:1']), `${id}\n`);
      } finally {
        engine.close();
      }
      assert.deepEqual(locks(), []);
      s.ok(['rmi', 'onwork:1']);
      clean();
    });

    test('importing a tar again heals its layer when the tar-split record or the directory is lost', () => {
      const file = tarFile('heal', 2, 200);
      const dirs = snapshotDirs(s.root, driver);
      s.ok(['import', file, 'heal:1']);
      const layer = snapshotDirs(s.root, driver).find((d) => !dirs.includes(d))!;
      const saved = join(work, 'heal-saved.tar');
      s.ok(['save', '-o', saved, 'heal:1']);

      unlinkSync(join(s.root, 'layers', `${layer}.tar-split`));
      finds(/tar-split record is missing/);
      assert.notEqual(s.run(['save', 'heal:1']).status, 0);
      s.ok(['import', file, 'heal:2']);
      assert.equal(s.run(['save', 'heal:1']).status, 0);
      clean();

      rmSync(join(s.root, 'snapshots', driver, layer), { recursive: true, force: true });
      finds(/snapshot .* is missing/);
      s.ok(['load', '-i', saved]);
      assert.equal(s.run(['save', 'heal:1']).status, 0);
      clean();
      s.ok(['rmi', 'heal:1', 'heal:2']);
      clean();
    });
  });
}
