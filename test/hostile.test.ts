/**
 * The hostile-input and fault corpus: every way in which an attacker's tar, a full disk or a SIGKILL at a
 * random moment has broken (or could break) a store. Each case must end with a clear error (or a whole
 * result), nothing written outside the store, nothing left half-made inside it, and `system check` clean.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { snapshotDirs, storeFiles } from './lib/disk.js';
import { busyboxRootfs, tarOf } from './lib/rootfs.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { dockerArchive } from './lib/archive.js';
import { buildTar, paxRecord, type RawEntry } from './lib/tarbuild.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A rootfs tar big enough that import, save, load and commit each take a while: a window to kill them in. */
function bigRootfsTar(files: number, size: number): Buffer {
  const dir = busyboxRootfs();
  try {
    mkdirSync(join(dir, 'data'));
    for (let i = 0; i < files; i++) writeFileSync(join(dir, 'data', `f${i}`), Buffer.alloc(size, i % 251));
    return tarOf(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `args` and SIGKILL it `delayMs` after it started; resolves with its exit code (null when killed). */
async function killedAfter(s: TestStore, args: string[], delayMs: number, input?: Buffer): Promise<number | null> {
  const p = s.spawn(args, input);
  const done = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  await sleep(delayMs);
  p.kill('SIGKILL');
  return done;
}

/** After a crash, the next command sweeps, and the store holds only what its database names. */
function consistentAfterCrash(s: TestStore, what: string): void {
  s.ok(['ps', '-a']);
  assert.equal(s.ok(['system', 'check']).trim(), 'No problems found', `system check after ${what}`);
  assert.deepEqual(readdirSync(join(s.root, 'tmp')), [], `tmp/ is empty after ${what}`);
}

for (const driver of DRIVERS) {
  describe(`hostile tars on ${driver}`, () => {
    let s: TestStore;
    let sentinel: string;
    before(() => {
      s = testStore(driver);
      s.ok(['images']); // the store exists before the first refusal, so "as before" compares a real store
      sentinel = mkdtempSync(join(tmpdir(), 'strata-sentinel-'));
    });
    after(() => {
      s.cleanup();
      rmSync(sentinel, { recursive: true, force: true });
    });

    /** Import must fail with `message`, leave the store's files as they were and write nothing outside it. */
    const refused = (entries: RawEntry[], message: RegExp): void => {
      const before = storeFiles(s.root);
      const r = s.run(['import', '-', 'evil:1'], buildTar(entries));
      assert.equal(r.status, 1, `import should fail: ${JSON.stringify(entries.map((e) => e.name))}`);
      assert.match(r.stderr, message);
      assert.deepEqual(storeFiles(s.root), before, 'nothing is left in the store');
      assert.deepEqual(readdirSync(sentinel), [], 'nothing is written outside the store');
      assert.equal(s.run(['inspect', 'evil:1']).status, 1);
    };

    test('.. in every spelling that climbs out of the root', () => {
      const escape = /^Error: invalid tar entry: ".*" is outside of the layer root$/m;
      for (const name of ['../evil', '/../evil', './../evil', 'a/../../evil', 'a/./b/../../../evil', '..', '../', 'a/b/c/../../../../evil']) {
        refused([{ name, body: 'x' }], escape);
      }
      refused([{ name: 'dir', type: '5' }, { name: 'dir/../../evil', body: 'x' }], escape);
    });

    test('.. carried by a pax path or a GNU long name', () => {
      const escape = /^Error: invalid tar entry: ".*" is outside of the layer root$/m;
      refused([{ name: 'PaxHeaders/x', type: 'x', body: paxRecord('path', '../../evil') }, { name: 'innocent', body: 'x' }], escape);
      refused([{ name: '././@LongLink', type: 'L', body: `${'a/'.repeat(60)}${'../'.repeat(61)}evil\0` }, { name: 'innocent', body: 'x' }], escape);
    });

    test('hard links that leave the root, by name or by pax linkpath', () => {
      const outside = /^Error: invalid hard link ".*": target ".*" is outside of the layer root$/m;
      refused([{ name: 'passwd', type: '1', linkname: '../../../../etc/passwd' }], outside);
      refused([{ name: 'passwd', type: '1', linkname: '/../etc/passwd' }], outside);
      refused([{ name: 'PaxHeaders/x', type: 'x', body: paxRecord('linkpath', '../../etc/shadow') }, { name: 'shadow', type: '1' }], outside);
    });

    test('symlinks planted by the tar are never written or linked through', () => {
      const through = /^Error: ".*": parent ".*" is a symlink; refusing to write through it/m;
      refused([{ name: 'l', type: '2', linkname: sentinel }, { name: 'l/evil', body: 'x' }], through);
      refused([{ name: 'l', type: '2', linkname: '../../../..' + sentinel }, { name: 'l/evil', body: 'x' }], through);
      refused([{ name: 'a', type: '5' }, { name: 'a/b', type: '2', linkname: '../..' }, { name: 'a/b/evil', body: 'x' }], through);
      // A directory replaced by a symlink after its children were written: later entries below it are refused.
      refused([{ name: 'd', type: '5' }, { name: 'd/ok', body: 'x' }, { name: 'd', type: '2', linkname: sentinel }, { name: 'd/evil', body: 'x' }], through);
      // A hard link whose target goes through a planted symlink.
      refused([{ name: 'l', type: '2', linkname: '/etc' }, { name: 'passwd', type: '1', linkname: 'l/passwd' }], through);
    });

    test('whiteouts that name a parent', () => {
      refused([{ name: 'a', type: '5' }, { name: 'a/.wh..', body: '' }], /^Error: invalid whiteout "a\/\.wh\.\.": it names no entry of its directory$/m);
      refused([{ name: '.wh..', body: '' }], /^Error: invalid whiteout "\.wh\.\.": it names no entry of its directory$/m);
    });
  });

  describe(`a full disk on ${driver} (a small ext4 on a loop device)`, () => {
    let mnt: string;
    let s: TestStore;
    let base: Buffer;
    const filler = (): string => join(mnt, 'filler');
    /** Take all but `leave` bytes of the filesystem's free space. */
    const fillLeaving = (leave: number): void => {
      rmSync(filler(), { force: true });
      execFileSync('sync');
      const free = Number(execFileSync('df', ['--output=avail', '-B1', mnt]).toString().split('\n')[1]);
      if (free > leave) execFileSync('fallocate', ['-l', String(free - leave), filler()]);
    };
    before(() => {
      mnt = mkdtempSync(join(tmpdir(), 'strata-loopfs-'));
      const image = `${mnt}.img`;
      execFileSync('truncate', ['-s', '96M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', image]);
      execFileSync('mount', ['-o', 'loop', image, mnt]);
      s = testStore(driver, join(mnt, 'store'));
      const dir = busyboxRootfs();
      base = tarOf(dir);
      rmSync(dir, { recursive: true, force: true });
      s.ok(['import', '-', 'base'], base);
    });
    after(() => {
      s.cleanup();
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
      rmSync(`${mnt}.img`, { force: true });
    });

    /** With the disk nearly full, `args` fails with ENOSPC and leaves the store as it was; with room, it works. */
    const failsThenWorks = (args: string[], input?: Buffer): void => {
      fillLeaving(2 << 20);
      const before = storeFiles(s.root);
      const images = s.ok(['images', '-a', '-q', '--no-trunc']);
      const r = s.run(args, input);
      assert.equal(r.status, 1, `strata ${args.join(' ')} should fail on a full disk`);
      assert.match(r.stderr, /^Error: .*no space left on device/m);
      assert.doesNotMatch(r.stderr, /    at /, 'no stack trace');
      assert.deepEqual(storeFiles(s.root), before, 'the half-written files are gone');
      assert.equal(s.ok(['images', '-a', '-q', '--no-trunc']), images);
      rmSync(filler());
      assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
      s.ok(args, input);
    };

    test('import', () => failsThenWorks(['import', '-', 'big:import'], bigRootfsTar(8, 1 << 20)));

    test('load', () => {
      const archive = join(tmpdir(), `strata-load-${process.pid}.tar`);
      const other = testStore(driver);
      try {
        other.ok(['import', '-', 'big:load'], bigRootfsTar(8, 1 << 20));
        other.ok(['save', '-o', archive, 'big:load']);
        failsThenWorks(['load', '-i', archive]);
      } finally {
        other.cleanup();
        rmSync(archive, { force: true });
      }
    });

    test('commit', () => {
      s.ok(['create', '--name', 'full', 'base', 'sh']);
      const merged = s.ok(['mount', 'full']).trim();
      writeFileSync(join(merged, 'big'), Buffer.alloc(8 << 20, 7));
      s.ok(['unmount', 'full']);
      failsThenWorks(['commit', 'full', 'big:commit']);
      assert.equal(s.ok(['diff', 'full']), 'A /big\n', 'the container is untouched');
    });
  });

  describe(`SIGKILL at random moments on ${driver}`, () => {
    let s: TestStore;
    let big: Buffer;
    let archive: string;
    let out: string;
    before(() => {
      s = testStore(driver);
      big = bigRootfsTar(300, 64 << 10);
      s.ok(['import', '-', 'big:1'], big);
      out = mkdtempSync(join(tmpdir(), 'strata-out-'));
      archive = join(out, 'big.tar');
      s.ok(['save', '-o', archive, 'big:1']);
    });
    after(() => {
      s.cleanup();
      rmSync(out, { recursive: true, force: true });
    });

    /** Delays spread over a command's run, from before it opens the store to near its end. */
    const delays = [0, 20, 60, 120, 200, 300, 450, 650];

    test('import: killed anywhere, the store is as before or holds the whole image', async () => {
      for (const delay of delays) {
        const before = snapshotDirs(s.root, driver);
        await killedAfter(s, ['import', '-', 'killed:import'], delay, big);
        consistentAfterCrash(s, `import killed after ${delay} ms`);
        if (s.run(['inspect', 'killed:import']).status === 0) {
          const layers = (ref: string): string => s.ok(['inspect', '-f', '{{json .RootFS.Layers}}', ref]);
          assert.equal(layers('killed:import'), layers('big:1'), 'an import that finished is whole');
          s.ok(['rmi', 'killed:import']);
        }
        assert.deepEqual(snapshotDirs(s.root, driver), before, `after import killed at ${delay} ms`);
      }
    });

    test('load: killed anywhere, the store is as before or holds the whole image', async () => {
      const other = testStore(driver);
      try {
        for (const delay of delays) {
          await killedAfter(other, ['load', '-i', archive], delay);
          consistentAfterCrash(other, `load killed after ${delay} ms`);
          if (other.run(['inspect', 'big:1']).status === 0) {
            other.ok(['save', '-o', join(out, 'again.tar'), 'big:1']);
            assert.equal(sha256(readFileSync(join(out, 'again.tar'))), sha256(readFileSync(archive)), 'a loaded image saves the same bytes');
            rmSync(join(out, 'again.tar'));
            other.ok(['rmi', 'big:1']);
          }
          assert.deepEqual(snapshotDirs(other.root, driver), [], `after load killed at ${delay} ms`);
        }
      } finally {
        other.cleanup();
      }
    });

    test('load: killed while it spools a layer whose place is not known yet, its spool is swept', async () => {
      const layer = buildTar([{ name: 'big', body: Buffer.alloc(4 << 20, 1) }]);
      const archive = dockerArchive([{ config: { architecture: 'amd64', os: 'linux' }, layers: [layer], repoTags: ['spooled:1'] }], { manifestLast: true });
      const p = spawn(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'load'], { stdio: ['pipe', 'ignore', 'ignore'] });
      const done = new Promise((resolve) => p.on('close', resolve));
      p.stdin?.on('error', () => {});
      // Everything but the manifest: the layer is spooled under tmp/ and the load waits for the rest.
      p.stdin?.write(archive.subarray(0, archive.indexOf('manifest.json') - 1));
      const tmp = join(s.root, 'tmp');
      for (let tries = 0; tries < 400 && readdirSync(tmp).length === 0; tries++) await sleep(25);
      assert.notDeepEqual(readdirSync(tmp), [], 'the load spooled its layer');
      p.kill('SIGKILL');
      await done;
      consistentAfterCrash(s, 'load killed while spooling');
      assert.equal(s.run(['inspect', 'spooled:1']).status, 1);
    });

    test('save -o: killed anywhere, the output is whole or absent, and no temporary file stays', async () => {
      const whole = sha256(readFileSync(archive));
      const dir = mkdtempSync(join(tmpdir(), 'strata-save-'));
      try {
        for (const delay of delays) {
          const target = join(dir, 'out.tar');
          await killedAfter(s, ['save', '-o', target, 'big:1'], delay);
          const left = readdirSync(dir);
          assert.ok(left.length === 0 || (left.length === 1 && left[0] === 'out.tar'), `only out.tar may exist, found ${left.join(', ')}`);
          if (existsSync(target)) assert.equal(sha256(readFileSync(target)), whole, 'a saved archive is whole');
          rmSync(target, { force: true });
          consistentAfterCrash(s, `save killed after ${delay} ms`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('commit: killed anywhere, the store is as before or holds the whole image', async () => {
      s.ok(['create', '--name', 'victim', 'big:1', 'sh']);
      const merged = s.ok(['mount', 'victim']).trim();
      mkdirSync(join(merged, 'new'));
      for (let i = 0; i < 1500; i++) writeFileSync(join(merged, 'new', `f${i}`), Buffer.alloc(16 << 10, i % 13));
      s.ok(['unmount', 'victim']);
      const diff = s.ok(['diff', 'victim']);
      for (const delay of delays) {
        const before = snapshotDirs(s.root, driver);
        await killedAfter(s, ['commit', 'victim', 'killed:commit'], delay);
        consistentAfterCrash(s, `commit killed after ${delay} ms`);
        assert.equal(s.ok(['diff', 'victim']), diff, 'the container is untouched');
        if (s.run(['inspect', 'killed:commit']).status === 0) s.ok(['rmi', 'killed:commit']);
        assert.deepEqual(snapshotDirs(s.root, driver), before, `after commit killed at ${delay} ms`);
      }
      s.ok(['rm', 'victim']);
    });
  });
}
