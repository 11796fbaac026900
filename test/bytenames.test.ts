/**
 * File names that are not UTF-8 (issue 7): a container holding `a\xff` and `a\xfe` keeps them as two
 * files through diff, ps -s, export and commit, prints them as their bytes, and breaks no other container.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeName } from '../src/archive/names.js';
import { BLOCK } from '../src/archive/tarformat.js';
import { snapshotDirs } from './lib/disk.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { INIT_PATHS, withoutInitNames } from './lib/initlayer.js';
import { tarEntries, tarNames } from './lib/tarread.js';

const bytes = (...parts: (string | number[] | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p as string))));
const A_FF = bytes('a', [0xff]);
const A_FE = bytes('a', [0xfe]);
const DIR_E9 = bytes('d', [0xe9]);
/** U+E000, valid UTF-8 (EE 80 80): before a\xfe in byte order, after it in JS's UTF-16 order. */
const A_E000 = bytes('a\ue000');
/** What the container holds, in byte order, as a tar of it names it. */
const ALL_NAMES = [A_E000, A_FE, A_FF, DIR_E9, bytes(DIR_E9, '/f'), Buffer.from('l')];

/** A file's path below `root` for node:fs, its last parts given as bytes. */
const under = (root: string, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), p])]);

for (const driver of DRIVERS) {
  describe(`file names that are not UTF-8 on ${driver}`, () => {
    let s: TestStore;
    before(() => {
      s = testStore(driver);
      s.ok(['import', '-', 'empty'], Buffer.alloc(2 * BLOCK));
      s.ok(['create', '--name', 'bytes', 'empty', 'sh']);
      s.ok(['create', '--name', 'plain', 'empty', 'sh']);
      const rootfs = s.ok(['mount', 'bytes']).trim();
      writeFileSync(under(rootfs, A_FF), 'ff');
      writeFileSync(under(rootfs, A_FE), 'fe');
      writeFileSync(under(rootfs, A_E000), '');
      mkdirSync(under(rootfs, DIR_E9));
      writeFileSync(under(rootfs, DIR_E9, Buffer.from('f')), 'z');
      symlinkSync(bytes('/t', [0xff]), under(rootfs, Buffer.from('l')));
      s.ok(['unmount', 'bytes']);
      const plain = s.ok(['mount', 'plain']).trim();
      writeFileSync(join(plain, 'p'), 'plain');
      s.ok(['unmount', 'plain']);
    });
    after(() => s.cleanup());

    test('diff prints each path as its bytes, a\\xfe and a\\xff apart, in byte order', () => {
      assert.deepEqual(s.okBytes(['diff', 'bytes']), bytes(
        'A /', A_E000, '\nA /', A_FE, '\nA /', A_FF, '\nA /', DIR_E9, '\nA /', DIR_E9, '/f\nA /l\n',
      ));
    });

    test('ps -s counts every file once', () => {
      // "ff" + "fe" + "z" + the symlink's 3-byte target.
      assert.equal(s.ok(['ps', '-a', '-s', '--filter', 'name=bytes', '--format', '{{.Size}}']), '8B (virtual 8B)\n');
    });

    test('export holds both names byte for byte, in byte order', () => {
      const names = tarNames(s.okBytes(['export', 'bytes']));
      assert.deepEqual(names.filter((n) => !withoutInitNames([n]).length).sort(), INIT_PATHS, 'the init layer\'s entries, as Docker\'s export has them');
      assert.deepEqual(withoutInitNames(names).map(encodeName), ALL_NAMES);
    });

    // The commit's tar is written here; applying it (apply.ts) and saving it back (the tar-split record) must
    // keep names as bytes too: the tarsplit branch's part. Checked passing with apply.ts writing through fsPath.
    test('commit makes a layer whose tar holds both names byte for byte', () => {
      s.ok(['commit', 'bytes', 'bytes-img']);
      const saved = tarEntries(s.okBytes(['save', 'bytes-img']));
      const [manifest] = JSON.parse(saved.find((e) => e.name === 'manifest.json')!.body.toString()) as { Layers: string[] }[];
      const layer = saved.find((e) => e.name === manifest!.Layers.at(-1))!.body;
      assert.deepEqual(tarNames(layer).map(encodeName), ALL_NAMES);
      s.ok(['create', '--name', 'from-bytes', 'bytes-img', 'sh']);
      assert.deepEqual(s.okBytes(['diff', 'from-bytes']), Buffer.alloc(0));
      const names = withoutInitNames(tarNames(s.okBytes(['export', 'from-bytes']))).map(encodeName);
      assert.deepEqual(names, ALL_NAMES);
    });

    test('other containers are unaffected', () => {
      assert.equal(s.ok(['diff', 'plain']), 'A /p\n');
      assert.equal(s.ok(['ps', '-a', '-s', '--filter', 'name=plain', '--format', '{{.Size}}']), '5B (virtual 5B)\n');
      assert.deepEqual(withoutInitNames(tarNames(s.okBytes(['export', 'plain']))), ['p']);
      s.ok(['commit', 'plain', 'plain-img']);
      s.ok(['create', '--name', 'from-plain', 'plain-img', 'sh']);
      assert.deepEqual(withoutInitNames(tarNames(s.okBytes(['export', 'from-plain']))), ['p']);
    });

    test('rm removes the container, names and all', () => {
      const before = snapshotDirs(s.root, driver).length;
      s.ok(['rm', 'bytes']);
      assert.equal(snapshotDirs(s.root, driver).length, before - 2, 'its writable and init layers');
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
    });
  });
}
