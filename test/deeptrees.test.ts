/**
 * Deep trees (issue 7): a layer `x/`×1990 + `f` (a name under PATH_MAX, which Docker accepts) goes
 * through every verb, and whatever a container or a crash leaves, however deep, is removed: no walk or
 * removal may recurse on the call stack, and removal may not need a path shorter than PATH_MAX.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BLOCK, encodeHeader, padding, TYPE, type TarHeader } from '../src/archive/tarformat.js';
import { snapshotDirs } from './lib/disk.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { withoutInitNames } from './lib/initlayer.js';
import { tarNames } from './lib/tarread.js';

const DEPTH = 1990;
const DEEP_DIR = Array(DEPTH).fill('x').join('/');

const header = (name: string, type: string, size = 0): TarHeader => ({
  name, mode: type === TYPE.dir ? 0o755 : 0o644, uid: 0, gid: 0, size, mtime: 1_700_000_000, type,
  linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(),
});

/** `x/`, `x/x/`, … `x/`×1990, then `x/`×1990 + `f` holding "hi\n". */
function deepTar(): Buffer {
  const parts: Buffer[] = [];
  for (let d = 1; d <= DEPTH; d++) parts.push(encodeHeader(header(`${Array(d).fill('x').join('/')}/`, TYPE.dir)));
  parts.push(encodeHeader(header(`${DEEP_DIR}/f`, TYPE.file, 3)), Buffer.from('hi\n'), Buffer.alloc(padding(3)), Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/**
 * Make `levels` directories named `d`, one in the other, below `dir`, and a file `f` at the bottom. The
 * child process goes down by relative chdir, so the tree may be deeper than any path the kernel accepts.
 */
function digDown(dir: string, levels: number): void {
  // Python's chdir is the bare syscall; Bun's asks for the new working directory, which fails past PATH_MAX.
  const script = `import os\nfor _ in range(${levels}):\n    os.mkdir('d')\n    os.chdir('d')\nopen('f', 'w').write('bottom')\n`;
  const r = spawnSync('python3', ['-c', script], { cwd: dir });
  assert.equal(r.status, 0, r.stderr.toString());
}

/** `rm -rf`: the test's own clean-up must not depend on the remover under test. */
const rmRf = (path: string): void => void spawnSync('rm', ['-rf', path]);

for (const driver of DRIVERS) {
  describe(`deep trees on ${driver}`, () => {
    let s: TestStore;
    before(() => {
      // A short store root, as Docker's /var/lib/docker: with it the deepest name fits PATH_MAX on disk too.
      s = testStore(driver, mkdtempSync('/tmp/sd-'));
    });
    after(() => {
      try {
        s.cleanup();
      } catch {
        rmRf(s.root);
      }
    });

    const leftovers = (): string[] => [
      ...snapshotDirs(s.root, driver),
      ...(existsSync(join(s.root, 'layers')) ? readdirSync(join(s.root, 'layers')) : []),
    ];

    test('import, create, diff, ps -s, commit, export, rm and rmi of a tree 1,990 directories deep', () => {
      s.ok(['import', '-', 'deep'], deepTar());
      s.ok(['create', '--name', 'deep-c', 'deep', 'sh']);
      const rootfs = s.ok(['mount', 'deep-c']).trim();
      writeFileSync(join(rootfs, DEEP_DIR, 'g'), 'new');
      s.ok(['unmount', 'deep-c']);

      const diff = s.ok(['diff', 'deep-c']).split('\n').filter(Boolean);
      assert.equal(diff.length, DEPTH + 1);
      assert.equal(diff[0], 'C /x');
      assert.equal(diff.at(-2), `C /${DEEP_DIR}`);
      assert.equal(diff.at(-1), `A /${DEEP_DIR}/g`);
      assert.match(s.ok(['ps', '-a', '-s', '--filter', 'name=deep-c', '--format', '{{.Size}}']), /^3B \(virtual 6B\)$/m);

      const exported = tarNames(s.okBytes(['export', 'deep-c']));
      assert.deepEqual(exported.slice(-2), [`${DEEP_DIR}/f`, `${DEEP_DIR}/g`]);
      assert.equal(withoutInitNames(exported).length, DEPTH + 2, 'the tree, and the init layer\'s entries besides');

      s.ok(['commit', 'deep-c', 'deep2']);
      s.ok(['create', '--name', 'deep-c2', 'deep2', 'sh']);
      const fromCommit = tarNames(s.okBytes(['export', 'deep-c2']));
      assert.deepEqual(fromCommit, exported);

      // A layer that deletes the whole tree: on vfs, applying its whiteout removes 1,990 levels.
      const root2 = s.ok(['mount', 'deep-c2']).trim();
      rmRf(join(root2, 'x'));
      s.ok(['unmount', 'deep-c2']);
      assert.equal(s.ok(['diff', 'deep-c2']), 'D /x\n');
      s.ok(['commit', 'deep-c2', 'gone']);
      s.ok(['create', '--name', 'gone-c', 'gone', 'sh']);
      assert.deepEqual(withoutInitNames(tarNames(s.okBytes(['export', 'gone-c']))), []);

      s.ok(['rm', 'deep-c', 'deep-c2', 'gone-c']);
      s.ok(['rmi', 'gone', 'deep2', 'deep']);
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
      assert.deepEqual(leftovers(), []);
    });

    test('a container made deeper than PATH_MAX is removed by rm, and an orphan as deep by system check --repair', () => {
      s.ok(['import', '-', 'empty'], Buffer.alloc(2 * BLOCK));
      s.ok(['create', '--name', 'dig', 'empty', 'sh']);
      const rootfs = s.ok(['mount', 'dig']).trim();
      digDown(rootfs, 2100); // "d/" × 2100: 4,200 bytes below the root
      s.ok(['unmount', 'dig']);
      s.ok(['rm', 'dig']);

      const orphan = 'ab'.repeat(32);
      const orphanDir = join(s.root, 'snapshots', driver, orphan);
      mkdirSync(orphanDir);
      digDown(orphanDir, 2100);
      const check = s.run(['system', 'check']);
      assert.equal(check.status, 1);
      assert.match(check.stdout + check.stderr, new RegExp(`snapshot ${orphan} is not referenced`));
      s.ok(['system', 'check', '--repair']);
      assert.equal(existsSync(orphanDir), false);

      s.ok(['rmi', 'empty']);
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
      assert.deepEqual(leftovers(), []);
    });
  });
}
