/**
 * Layer integrity, through the CLI on both drivers: a saved layer always hashes to its diffID and is the
 * imported tar byte for byte, or `save` fails naming the layer and writes nothing. Covers tars that
 * write a path twice (the later entry wins on disk; save still gives back every entry), files changed
 * behind strata's back (content, a symlink or FIFO in place of a file or a directory), names that are not
 * UTF-8, and the memory an import of many tiny files takes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { snapshotDirs } from './lib/disk.js';
import { STRATA_BIN, DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { buildTar, type RawEntry } from './lib/tarbuild.js';

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A file of `dir`'s archive, read with GNU tar. */
const member = (archive: string, name: string): Buffer => execFileSync('tar', ['-xOf', archive, name], { maxBuffer: 1 << 30 });

/** The bytes of the first layer of the only image in a docker-archive file. */
function savedLayer(archive: string): Buffer {
  const manifest = JSON.parse(member(archive, 'manifest.json').toString()) as { Layers: string[] }[];
  return member(archive, manifest[0]!.Layers[0]!);
}

/** Entries that write one path more than once; `sees` is what a container must see (the later entry wins). */
const DUPLICATES: { what: string; entries: RawEntry[]; sees: Record<string, string | null> }[] = [
  { what: 'the same file twice, shorter first', entries: [{ name: 'f', body: 'ab' }, { name: 'f', body: 'XYZdefgh' }], sees: { f: 'XYZdefgh' } },
  { what: 'the same file twice, longer first', entries: [{ name: 'f', body: 'abcdefgh' }, { name: 'f', body: 'ab' }], sees: { f: 'ab' } },
  { what: 'a file three times', entries: [{ name: 'f', body: 'one' }, { name: 'f', body: 'second' }, { name: 'f', body: '3' }], sees: { f: '3' } },
  {
    what: 'a file, then a directory of the same name',
    entries: [{ name: 'd', body: 'a file first' }, { name: 'd/', type: '5' }, { name: 'd/g', body: 'inside' }],
    sees: { 'd/g': 'inside' },
  },
  {
    what: 'a directory with children, then a file of the same name',
    entries: [
      { name: 'd/', type: '5' }, { name: 'd/f', body: 'child' }, { name: 'd/e/', type: '5' }, { name: 'd/e/g', body: 'grandchild' },
      { name: 'd', body: 'now a file' },
    ],
    sees: { d: 'now a file' },
  },
  {
    what: 'a hard link to a path that is later replaced',
    entries: [{ name: 'a', body: 'first' }, { name: 'b', type: '1', linkname: 'a' }, { name: 'a', body: 'second, and longer' }],
    sees: { a: 'second, and longer', b: 'first' },
  },
  {
    what: 'whiteouts of earlier entries of the same tar',
    entries: [
      { name: 'x', body: 'goes' }, { name: 'd/', type: '5' }, { name: 'd/f', body: 'goes too' }, { name: '.wh.x' }, { name: '.wh.d' },
      { name: 'x', body: 'back again' },
    ],
    sees: { x: 'back again', 'd/f': null },
  },
];

for (const driver of DRIVERS) {
  describe(`layer integrity on ${driver}`, () => {
    let s: TestStore;
    let work: string;
    /** A host file and directory that hostile layers point at: their bytes must never reach an archive. */
    let hostFile: string;
    let hostDir: string;
    const marker = `HOST-SECRET-${randomBytes(8).toString('hex')}`;

    before(() => {
      s = testStore(driver);
      work = mkdtempSync(join(tmpdir(), `strata-integrity-${driver}-`));
      hostFile = join(work, 'host-secret');
      writeFileSync(hostFile, marker);
      hostDir = join(work, 'host-dir');
      mkdirSync(hostDir);
      writeFileSync(join(hostDir, 'passwd'), marker);
    });
    after(() => {
      s.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    const diffIdOf = (image: string): string => s.ok(['inspect', '-f', '{{index .RootFS.Layers 0}}', image]).trim();

    /** The directory of the layer that `import` made for `image` (its only layer). */
    function layerDirOf(image: string): string {
      const before = new Set(snapshotDirs(s.root, driver));
      s.ok(['import', '-', image], buildTar([{ name: 'etc/', type: '5' }, { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' }, { name: `tag-${image}`, body: image }]));
      const id = snapshotDirs(s.root, driver).find((d) => !before.has(d))!;
      return driver === 'overlay2' ? join(s.root, 'snapshots', driver, id, 'diff') : join(s.root, 'snapshots', driver, id);
    }

    /** `save -o` of a layer changed on disk: it fails naming the layer and the file, and leaves no file. */
    function saveFails(image: string, why: RegExp, format = 'docker'): void {
      const file = `${image.replaceAll('/', '-')}.${format}.tar`;
      const out = join(work, file);
      const r = spawnSync(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'save', '--format', format, '-o', out, image], { timeout: 30_000 });
      assert.equal(r.error, undefined, 'save ends by itself (no hang)');
      assert.equal(r.status, 1, r.stderr.toString());
      const diffId = diffIdOf(image);
      assert.match(r.stderr.toString(), new RegExp(`^Error: .*layer ${diffId}: file etc/passwd changed on disk since the layer was written: ${why.source}`, 'm'));
      assert.ok(!existsSync(out), 'no archive is left behind');
      assert.deepEqual(readdirSync(work).filter((f) => f.includes(file)), [], 'nor a temporary file');
      const stdout = spawnSync(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'save', '--format', format, image], { timeout: 30_000, maxBuffer: 1 << 30 });
      assert.equal(stdout.status, 1, 'saving to stdout fails too');
      assert.ok(!stdout.stdout.includes(marker), 'no host bytes on stdout');
    }

    /** A docker-archive of one image named `name` whose two layers are both `layer`. */
    function archiveListingTwice(layer: Buffer, name: string): string {
      const dir = mkdtempSync(join(work, 'twice-'));
      const diffId = sha256(layer);
      const config = { architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [diffId, diffId] } };
      writeFileSync(join(dir, 'layer.tar'), layer);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [`${name}:latest`], Layers: ['layer.tar', 'layer.tar'] }]));
      const archive = `${dir}.tar`;
      execFileSync('tar', ['-cf', archive, '-C', dir, 'manifest.json', 'config.json', 'layer.tar']);
      return archive;
    }

    for (const { what, entries, sees } of DUPLICATES) {
      test(`${what}: the later entry wins, and save gives back the tar byte for byte`, () => {
        const tar = buildTar(entries);
        const image = `dup/${DUPLICATES.findIndex((d) => d.what === what)}`;
        s.ok(['import', '-', image], tar);
        assert.equal(diffIdOf(image), sha256(tar));
        const archive = join(work, 'dup.tar');
        s.ok(['save', '-o', archive, image]);
        assert.equal(sha256(savedLayer(archive)), sha256(tar), 'the saved layer is the imported tar');
        const c = s.ok(['create', image, 'sh']).trim();
        const rootfs = s.ok(['mount', c]).trim();
        try {
          for (const [path, content] of Object.entries(sees)) {
            if (content === null) assert.ok(!existsSync(join(rootfs, path)), `${path} is gone`);
            else assert.equal(readFileSync(join(rootfs, path), 'utf8'), content, path);
          }
        } finally {
          s.ok(['unmount', c]);
          s.ok(['rm', c]);
        }
      });
    }

    test('the stashes of replaced entries belong to their layers: system check is content, rmi removes them', () => {
      const stashes = (): string[] => readdirSync(join(s.root, 'layers')).filter((f) => f.endsWith('.stash'));
      s.ok(['import', '-', 'stash:1'], buildTar([{ name: 'f', body: 'first' }, { name: 'f', body: 'second' }]));
      assert.ok(stashes().length > 0, 'the replaced entry is stashed beside the record');
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
      const before = stashes();
      s.ok(['rmi', 'stash:1']);
      assert.equal(stashes().length, before.length - 1, "the layer's stash went with it");
    });

    test('a tar that replaces a file by a symlink or a FIFO to the host: save gives back the tar, never the host file', () => {
      const tars = [
        buildTar([{ name: 'secret', body: '9 bytes!!' }, { name: 'secret', type: '2', linkname: hostFile }]),
        buildTar([{ name: 'd/', type: '5' }, { name: 'd/passwd', body: '9 bytes!!' }, { name: 'd', type: '2', linkname: hostDir }]),
        buildTar([{ name: 'secret', body: '9 bytes!!' }, { name: 'secret', type: '6' }]),
      ];
      for (const [i, tar] of tars.entries()) {
        // A load of an image that lists the layer twice reads the second use back from the store.
        const r = spawnSync(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'load', '-i', archiveListingTwice(tar, `hostile/${i}`)], { timeout: 30_000 });
        assert.equal(r.error, undefined, 'load ends by itself (no hang)');
        assert.equal(r.status, 0, r.stderr.toString());
        for (const format of ['docker', 'oci']) {
          const out = join(work, `hostile.${format}.tar`);
          const saved = spawnSync(STRATA_BIN, ['--root', s.root, '--storage-driver', driver, 'save', '--format', format, '-o', out, `hostile/${i}`], { timeout: 30_000 });
          assert.equal(saved.error, undefined, 'save ends by itself (no hang)');
          assert.equal(saved.status, 0, saved.stderr.toString());
          const archive = readFileSync(out);
          assert.ok(!archive.includes(marker), `no host bytes in the ${format} archive`);
          assert.ok(archive.includes(tar), `the ${format} archive holds the imported tar as it was`);
        }
      }
    });

    test('a file changed on disk with its size kept: save fails naming the layer, the file and the crc64', () => {
      const dir = layerDirOf('changed/content');
      writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/XX\n');
      saveFails('changed/content', /its content differs \(crc64\)/);
      saveFails('changed/content', /its content differs \(crc64\)/, 'oci');
    });

    test('a file made longer or shorter on disk: save fails naming the file and both sizes', () => {
      const dir = layerDirOf('changed/size');
      writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nmore\n');
      saveFails('changed/size', /its size is 31 bytes, the layer's 26/);
    });

    test('a file replaced on disk by a symlink to a host file: save fails and reads nothing of the host', () => {
      const dir = layerDirOf('changed/symlink');
      rmSync(join(dir, 'etc/passwd'));
      symlinkSync(hostFile, join(dir, 'etc/passwd'));
      saveFails('changed/symlink', /it is no longer a regular file/);
      saveFails('changed/symlink', /it is no longer a regular file/, 'oci');
    });

    test('a directory replaced on disk by a symlink to a host directory: save fails and reads nothing of the host', () => {
      const dir = layerDirOf('changed/dirlink');
      rmSync(join(dir, 'etc'), { recursive: true });
      symlinkSync(hostDir, join(dir, 'etc'));
      saveFails('changed/dirlink', /a parent directory was replaced/);
    });

    test('a file replaced on disk by a FIFO: save fails at once instead of waiting on it', () => {
      const dir = layerDirOf('changed/fifo');
      rmSync(join(dir, 'etc/passwd'));
      execFileSync('mkfifo', [join(dir, 'etc/passwd')]);
      saveFails('changed/fifo', /it is no longer a regular file/);
    });

    test('names that are not UTF-8 stay two files, and save gives them back byte for byte', () => {
      const ff = Buffer.from([0x61, 0xff]);
      const fe = Buffer.from([0x61, 0xfe]);
      const tar = buildTar([{ name: ff, body: 'ff' }, { name: fe, body: 'fe' }, { name: Buffer.from([0x64, 0xe9, 0x2f]), type: '5' }, { name: Buffer.from([0x64, 0xe9, 0x2f, 0x78]), body: 'x' }]);
      const before = new Set(snapshotDirs(s.root, driver));
      s.ok(['import', '-', 'latin1:1'], tar);
      const id = snapshotDirs(s.root, driver).find((d) => !before.has(d))!;
      const dir = driver === 'overlay2' ? join(s.root, 'snapshots', driver, id, 'diff') : join(s.root, 'snapshots', driver, id);
      const names = readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex')).sort();
      assert.deepEqual(names, ['61fe', '61ff', '64e9']);
      assert.equal(readFileSync(Buffer.concat([Buffer.from(dir + '/'), ff])).toString(), 'ff');
      assert.equal(readFileSync(Buffer.concat([Buffer.from(dir + '/'), fe])).toString(), 'fe');
      const archive = join(work, 'latin1.tar');
      s.ok(['save', '-o', archive, 'latin1:1']);
      assert.equal(sha256(savedLayer(archive)), sha256(tar));
    });
  });
}

describe('import memory', () => {
  let s: TestStore;
  let work: string;
  before(() => {
    s = testStore('overlay2');
    work = mkdtempSync(join(tmpdir(), 'strata-import-memory-'));
  });
  after(() => {
    s.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('importing 200,000 one-byte files keeps the peak RSS under 300 MB (the tar-split record streams to disk)', () => {
    const entries: RawEntry[] = [];
    for (let d = 0; d < 200; d++) {
      entries.push({ name: `d${d}/`, type: '5' });
      for (let f = 0; f < 1000; f++) entries.push({ name: `d${d}/f${f}`, body: 'x' });
    }
    const tar = join(work, 'many.tar');
    writeFileSync(tar, buildTar(entries));
    const r = spawnSync('/usr/bin/time', ['-f', '%M', STRATA_BIN, '--root', s.root, '--storage-driver', 'overlay2', 'import', tar, 'many:1']);
    assert.equal(r.status, 0, r.stderr.toString());
    const peakKiB = Number(r.stderr.toString().trim().split('\n').pop());
    assert.ok(peakKiB > 0 && peakKiB < 300 * 1024, `peak RSS ${Math.round(peakKiB / 1024)} MB`);
    const saved = join(work, 'many-saved.tar');
    s.ok(['save', '-o', saved, 'many:1']);
    assert.equal(sha256(savedLayer(saved)), sha256(readFileSync(tar)));
  });
});
