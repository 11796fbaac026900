/**
 * Bad input and faults: each gets a clear error and a non-zero exit and leaves the store as it was;
 * concurrent writers all succeed; a commit killed with SIGKILL is repaired by the next command.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { snapshotDirs, storeFiles } from './lib/disk.js';
import { busyboxRootfs, tarOf } from './lib/rootfs.js';
import { busyboxFixture, type BusyboxFixture } from './lib/fixture.js';
import { DRIVERS, exited, testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';

for (const driver of DRIVERS) {
  describe(`faults on ${driver}`, () => {
    let fixture: BusyboxFixture;
    let s: TestStore;
    let tar: Buffer;
    before(() => {
      ({ s, tar } = fixture = busyboxFixture(driver));
      s.ok(['import', '-', 'base'], tar);
    });
    after(() => fixture.cleanup());

    /** Run a command that must fail with exactly `Error: <message>` (status 1), and check the store is exactly as before. */
    const failsCleanly = (args: string[], message: string, input?: Buffer): void => {
      const before = storeFiles(s.root);
      const imagesBefore = s.ok(['images', '-a', '-q', '--no-trunc']);
      const r = s.run(args, input);
      assert.equal(r.stderr, `Error: ${message}\n`, `strata ${args.join(' ')}`);
      assert.equal(r.status, 1);
      assert.deepEqual(storeFiles(s.root), before, 'the store files are as before');
      assert.equal(s.ok(['images', '-a', '-q', '--no-trunc']), imagesBefore);
    };

    test('truncated and corrupt tars', () => {
      // Hand-made, so the cuts fall in known places (GNU tar's entry order follows the directory's).
      const fixed = buildTar([{ name: 'small', body: 'x' }, { name: 'big', body: 'y'.repeat(20_000) }]);
      failsCleanly(['import', '-', 'bad:truncated'], 'unexpected end of tar stream (truncated archive?) in "big"', fixed.subarray(0, 5000));
      const corrupt = Buffer.from(tar);
      corrupt.write('garbage!', 148);
      failsCleanly(['import', '-', 'bad:checksum'], 'invalid tar header checksum at byte 0 (corrupt or not a tar archive)', corrupt);
      const gz = gzipSync(fixed);
      // Garbage over the end of the gzip trailer: its checksum of the data no longer matches.
      failsCleanly(['import', '-', 'bad:gzip'], 'invalid gzip stream: incorrect data check', Buffer.concat([gz.subarray(0, gz.length - 5), Buffer.alloc(100, 7)]));
    });

    test('entries escaping the root', () => {
      const sentinel = join(s.root, '..', `sentinel-${driver}`);
      mkdirSync(sentinel, { recursive: true });
      try {
        failsCleanly(['import', '-', 'evil:dotdot'], 'invalid tar entry: "../../evil" is outside of the layer root', buildTar([{ name: '../../evil', body: 'x' }]));
        failsCleanly(['import', '-', 'evil:symlink'], '"link/evil": parent "link" is a symlink; refusing to write through it (it could lead outside the layer root)', buildTar([
          { name: 'link', type: '2', linkname: sentinel },
          { name: 'link/evil', body: 'x' },
        ]));
        failsCleanly(['import', '-', 'evil:hardlink'], 'invalid hard link "passwd": target "../../../../etc/passwd" is outside of the layer root', buildTar([{ name: 'passwd', type: '1', linkname: '../../../../etc/passwd' }]));
      } finally {
        assert.deepEqual(storeFiles(sentinel), [sentinel], 'nothing was written outside the store');
        rmSync(sentinel, { recursive: true, force: true });
      }
    });

    test('unknown image or container, names in use, bad references', () => {
      // Without --pull never, an absent image is pulled first, as Docker does (test/registry.test.ts).
      failsCleanly(['create', '--pull', 'never', 'acme/nope:1.0'], 'No such image: acme/nope:1.0');
      failsCleanly(['diff', 'nope'], 'No such container: nope');
      failsCleanly(['rmi', 'nope'], 'No such image: nope');
      failsCleanly(['tag', 'base', 'Bad:Name'], 'Error parsing reference: "Bad:Name" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase');
      // Docker 20.10's daemon reads a first component as a registry host only with a dot, a port or as
      // localhost: this is docker.io/UPPER/case, refused for its capitals.
      failsCleanly(['create', 'UPPER/case'], 'invalid reference format: repository name (UPPER/case) must be lowercase');
      const taken = s.ok(['create', '--name', 'taken', 'base', 'sh']).trim();
      failsCleanly(['create', '--name', 'taken', 'base', 'sh'],
        `Conflict. The container name "/taken" is already in use by container "${taken}". You have to remove (or rename) that container to be able to reuse that name.`);
      s.ok(['rm', 'taken']);
      failsCleanly(['import', '/nonexistent.tar'], 'open /nonexistent.tar: no such file or directory');
    });

    test('a full disk fails an import cleanly and the store goes on working', () => {
      const mnt = mkdtempSync(join(tmpdir(), 'strata-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
      const small = testStore(driver, join(mnt, 'store'));
      try {
        small.ok(['import', '-', 'base'], tar);
        const big = buildTar([{ name: 'big', body: 'x'.repeat(8 << 20) }]);
        const before = storeFiles(small.root);
        const r = small.run(['import', '-', 'big'], big);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^Error: .*no space left on device/m);
        assert.deepEqual(storeFiles(small.root), before, 'the half-written layer is gone');
        small.ok(['create', '--name', 'after', 'base', 'sh']);
        assert.equal(small.ok(['system', 'check']).trim(), 'No problems found');
      } finally {
        small.cleanup();
        execFileSync('umount', ['-l', mnt]);
        rmSync(mnt, { recursive: true, force: true });
      }
    });

    test('a store refuses a different storage driver', () => {
      const other = driver === 'overlay2' ? 'vfs' : 'overlay2';
      const r = s.run(['--storage-driver', other, 'images']);
      assert.equal(r.status, 125);
      assert.equal(r.stderr, `Error: the store at ${s.root} uses storage driver "${driver}"; it cannot be opened with "${other}" (use another --root)\n`);
    });

    test('several strata processes importing, creating and committing at once all succeed', async () => {
      const dir = busyboxRootfs();
      writeFileSync(join(dir, 'etc/variant'), 'two\n');
      const tar2 = tarOf(dir);
      rmSync(dir, { recursive: true, force: true });
      const runs: Promise<{ code: number | null; stderr: string }>[] = [];
      for (let i = 0; i < 3; i++) {
        const p = s.spawn(['import', '-', `para:${i}`]);
        p.stdin?.end(i % 2 ? tar : tar2);
        runs.push(exited(p));
      }
      for (let i = 0; i < 4; i++) runs.push(exited(s.spawn(['create', '--name', `par${i}`, 'base', 'sh'])));
      for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
      const commits = [0, 1, 2, 3].map((i) => exited(s.spawn(['commit', `par${i}`, `parc:${i}`])));
      for (const r of await Promise.all(commits)) assert.equal(r.code, 0, r.stderr);
      assert.equal(s.ok(['images', '--filter', 'reference=parc', '-q']).trim().split('\n').length >= 1, true);
      assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
      for (let i = 0; i < 4; i++) s.ok(['rm', `par${i}`]);
    });

    test('a commit killed with SIGKILL is repaired by the next command', async () => {
      s.ok(['create', '--name', 'big', 'base', 'sh']);
      const merged = s.ok(['mount', 'big']).trim();
      mkdirSync(join(merged, 'data'));
      for (let i = 0; i < 3000; i++) writeFileSync(join(merged, 'data', `f${i}`), Buffer.alloc(16384, i % 251));
      const before = snapshotDirs(s.root, driver);
      const p = s.spawn(['commit', 'big', 'killed:1']);
      // Kill once the new layer's directory exists, i.e. in the middle of the commit.
      for (let tries = 0; tries < 2000 && snapshotDirs(s.root, driver).length === before.length; tries++) await new Promise((r) => setTimeout(r, 5));
      p.kill('SIGKILL');
      await exited(p);
      s.ok(['ps', '-a']);
      assert.deepEqual(snapshotDirs(s.root, driver), before, 'the half-made layer is swept');
      assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
      assert.equal(s.run(['inspect', 'killed:1']).status, 1);
      s.ok(['rm', '-f', 'big']);
    });
  });
}
