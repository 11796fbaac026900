/**
 * Storage drivers: every registered driver runs the same behaviour suite (the snapshotter's lifecycle,
 * copy-on-write on real mounts, the differ, the init layer); then what only one of them promises
 * (overlay2's constant-time writable layer and its mount options, vfs's faithful copies).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync,
  rmSync, statfsSync, symlinkSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { applyLayer, diffChanges, diffSize, diffTar } from '../src/archive/index.js';
import { graphDriverData, rootfsPath } from '../src/engine/graphdriver.js';
import { initKey, makeInitLayer, writePlaceholders } from '../src/engine/initlayer.js';
import { native } from '../src/native/index.js';
import {
  DRIVER_NAMES, isMounted, mountAll, openSnapshotter, probeDriver, supportsReflink, unmount, type Snapshotter,
} from '../src/snapshots/index.js';
import { buildTar, type RawEntry } from './lib/tarbuild.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const newId = (): string => randomBytes(32).toString('hex');
/** statfs's f_type of ext2, ext3 and ext4, the filesystems with an inode flag for the top of a directory tree. */
const EXT_MAGIC = 0xef53;

/** Every entry under `root` described by what a user could observe: type, mode, owner, data, links, xattrs. */
function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, e] of walkTree(root)) out.set(p, `${e.meta} ${e.mtimeNs}`);
  return out;
}

interface Entry { meta: string; mtimeNs: bigint }

function walkTree(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const abs = join(root, p);
      const st = lstatSync(abs, { bigint: true });
      const xattrs = native.llistxattr(abs).sort().map((x) => `${x}=${native.lgetxattr(abs, x)?.toString('hex')}`);
      const body = st.isFile() ? createHash('sha256').update(readFileSync(abs)).digest('hex')
        : st.isSymbolicLink() ? readlinkSync(abs) : '';
      out.set(p, { meta: [st.mode.toString(8), st.uid, st.gid, st.rdev, st.size, st.nlink, body, ...xattrs].join(' '), mtimeNs: st.mtimeNs });
      if (st.isDirectory()) visit(p);
    }
  };
  visit('');
  return out;
}

/**
 * `copy` holds the same entries as `original`, with mtimes within a microsecond: Node's utimes takes a
 * double, which cannot carry every nanosecond of today's times.
 */
function assertSameTree(copy: string, original: string): void {
  const a = walkTree(copy);
  const b = walkTree(original);
  assert.deepEqual(new Map([...a].map(([p, e]) => [p, e.meta])), new Map([...b].map(([p, e]) => [p, e.meta])));
  for (const [p, e] of a) {
    const drift = e.mtimeNs - b.get(p)!.mtimeNs;
    assert.ok(drift < 1000n && drift > -1000n, `${p}: mtime off by ${drift} ns`);
  }
}

/** Names in a tar stream, in order. */
async function tarNames(tar: Readable): Promise<string[]> {
  const names: string[] = [];
  const ex = extract();
  ex.on('entry', (h, body, next) => {
    names.push(h.name);
    body.resume();
    body.on('end', next);
  });
  tar.pipe(ex);
  await new Promise<void>((resolve, reject) => ex.on('finish', resolve).on('error', reject));
  return names;
}

/** Mount a snapshot where the engine does (overlay2's merged/, vfs's directory onto itself); its path. */
function open(snap: Snapshotter, key: string): string {
  const target = rootfsPath(snap, key);
  if (!isMounted(target)) mountAll(snap.mounts(key), target);
  return target;
}

/** Unmount (as the engine does before removing) and remove. */
async function removeSnapshot(snap: Snapshotter, key: string): Promise<void> {
  const target = rootfsPath(snap, key);
  if (existsSync(target) && isMounted(target)) unmount(target);
  await snap.remove(key);
}

/** Apply `entries` as a new committed layer on `parent`. */
async function addLayer(snap: Snapshotter, root: string, key: string, parent: string | null, entries: RawEntry[]): Promise<void> {
  await snap.prepare(key, parent);
  const target = snap.target(key);
  await applyLayer(Readable.from([buildTar(entries)]), target.dir, { whiteouts: target.whiteouts, tarSplitPath: join(root, `split-${key}`) });
  await snap.commit(key);
}

/**
 * The init layer made as it was before it was written without a mount (the reference the direct writer must
 * match): Docker's algorithm through a mount of the prepared layer.
 */
async function initThroughMount(snap: Snapshotter, key: string, parent: string | null): Promise<void> {
  const root = rootfsPath(snap, key);
  mountAll(await snap.prepare(key, parent), root);
  try {
    writePlaceholders(root);
  } finally {
    unmount(root);
  }
  await snap.commit(key);
}

/**
 * A tree's entries without their times, and without the two xattrs OverlayFS keeps for itself in an upper dir
 * it copied into (a copied-up directory's origin, its parent's impure mark: file handles and hints, read only
 * where that dir is the upper of a mount, never where it is a lower, as an init layer is).
 */
const entriesOf = (root: string): Map<string, string> => new Map([...walkTree(root)]
  .map(([p, e]) => [p, e.meta.replace(/ trusted\.overlay\.(origin|impure)=[0-9a-f]*/g, '')]));

/** The differ on an active snapshot and its parent, from their mounts. */
const changesOf = (snap: Snapshotter, key: string, parent: string | null) => diffChanges(snap.mounts(key), parent ? snap.mounts(parent) : []);

for (const driver of DRIVER_NAMES) {
  describe(`${driver} snapshotter`, () => {
    let root: string;
    let snap: Snapshotter;
    const layers: string[] = [];
    const chain: RawEntry[][] = [
      [
        { name: 'etc/', type: '5' }, { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' },
        { name: 'bin/', type: '5' }, { name: 'bin/tool', body: 'tool v1', mode: 0o755 },
        { name: 'data/', type: '5' }, { name: 'data/a', body: 'a from layer 1' }, { name: 'data/keep', body: 'kept' },
        { name: 'cfg/', type: '5' }, { name: 'cfg/x', body: 'x' }, { name: 'cfg/y', body: 'y' },
        { name: 'gone', body: 'deleted by layer 2' },
      ],
      [{ name: 'bin/', type: '5' }, { name: 'bin/tool', body: 'tool v2', mode: 0o755 }, { name: '.wh.gone' }],
      [
        { name: 'data/', type: '5' }, { name: 'data/a', body: 'a from layer 3' },
        { name: 'cfg/', type: '5' }, { name: 'cfg/.wh..wh..opq' }, { name: 'cfg/z', body: 'z' },
      ],
    ];

    before(async () => {
      root = mkdtempSync(join(tmpdir(), `strata-snap-${driver}-`));
      snap = await openSnapshotter(driver, root);
      for (const entries of chain) {
        const id = newId();
        await addLayer(snap, root, id, layers.at(-1) ?? null, entries);
        assert.equal(snap.target(id).whiteouts, driver === 'overlay2' ? 'overlay' : 'apply');
        layers.push(id);
      }
    });
    after(async () => {
      for (const { key } of await snap.walk()) await removeSnapshot(snap, key);
      rmSync(root, { recursive: true, force: true });
    });

    test('a writable layer reads through to the topmost layer that has each file', async () => {
      const c = newId();
      await snap.prepare(c, layers[2]!);
      const fs = open(snap, c);
      assert.equal(readFileSync(join(fs, 'bin/tool'), 'utf8'), 'tool v2');
      assert.equal(readFileSync(join(fs, 'data/a'), 'utf8'), 'a from layer 3');
      assert.equal(readFileSync(join(fs, 'data/keep'), 'utf8'), 'kept');
      assert.equal(readFileSync(join(fs, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
      assert.equal(existsSync(join(fs, 'gone')), false);
      assert.deepEqual(readdirSync(join(fs, 'cfg')), ['z']);
      assert.deepEqual(await changesOf(snap, c, layers[2]!), []);
      await removeSnapshot(snap, c);
    });

    test('a write copies up only that file, a delete leaves a whiteout, and nothing below or beside changes', async () => {
      const lowersBefore = layers.map((id) => describeTree(snap.target(id).dir));
      const c = newId();
      const sibling = newId();
      await snap.prepare(c, layers[2]!);
      await snap.prepare(sibling, layers[2]!);
      const fs = open(snap, c);
      const other = open(snap, sibling);
      const siblingBefore = describeTree(other);

      writeFileSync(join(fs, 'data/a'), 'changed');
      unlinkSync(join(fs, 'etc/passwd'));
      writeFileSync(join(fs, 'new'), 'n');

      if (driver === 'overlay2') {
        const upper = describeTree(snap.target(c).dir);
        assert.deepEqual([...upper.keys()], ['data', 'data/a', 'etc', 'etc/passwd', 'new']);
        const wh = lstatSync(join(snap.target(c).dir, 'etc/passwd'));
        assert.ok(wh.isCharacterDevice());
        assert.equal(wh.rdev, 0);
      }
      assert.deepEqual(await changesOf(snap, c, layers[2]!), [
        { kind: 'C', path: '/data' }, { kind: 'C', path: '/data/a' }, { kind: 'C', path: '/etc' },
        { kind: 'D', path: '/etc/passwd' }, { kind: 'A', path: '/new' },
      ]);
      assert.deepEqual(await tarNames(diffTar(snap.mounts(c), snap.mounts(layers[2]!))), ['data/', 'data/a', 'etc/', 'etc/.wh.passwd', 'new']);

      assert.deepEqual(layers.map((id) => describeTree(snap.target(id).dir)), lowersBefore);
      assert.deepEqual(describeTree(other), siblingBefore);
      assert.equal(readFileSync(join(other, 'data/a'), 'utf8'), 'a from layer 3');
      assert.ok(existsSync(join(other, 'etc/passwd')));
      await removeSnapshot(snap, c);
      await removeSnapshot(snap, sibling);
    });

    test('usage and diffSize count apparent file sizes, each hard-linked inode once', async () => {
      const c = newId();
      await snap.prepare(c, layers[2]!);
      const fs = open(snap, c);
      writeFileSync(join(fs, 'data/a'), '12345');
      writeFileSync(join(fs, 'h1'), 'abc');
      linkSync(join(fs, 'h1'), join(fs, 'h2'));
      unlinkSync(join(fs, 'data/keep'));
      assert.equal(await diffSize(snap.mounts(c), snap.mounts(layers[2]!)), 5 + 3);
      if (driver === 'overlay2') assert.equal(await snap.usage(c), 5 + 3);
      else {
        // The whole tree: the image's files as the container sees them, plus its own.
        const files = ['bin/tool', 'etc/passwd', 'data/a', 'cfg/z', 'h1'].map((f) => lstatSync(join(fs, f)).size);
        assert.equal(await snap.usage(c), files.reduce((a, b) => a + b, 0));
      }
      await removeSnapshot(snap, c);
    });

    test('the snapshots\' home is marked as the top of separate trees (chattr +T) where the filesystem has the flag, so new snapshots spread over the disk', () => {
      const home = join(root, 'snapshots', driver);
      const ext = statfsSync(home).type === EXT_MAGIC;
      const attrs = execFileSync('lsattr', ['-d', home], { encoding: 'utf8' }).split(' ')[0]!;
      assert.equal(attrs.includes('T'), ext, `lsattr -d ${home}: ${attrs}`);
      // A snapshot made in it is not marked itself (it is one tree, its directories kept together).
      const own = execFileSync('lsattr', ['-d', join(home, layers[0]!)], { encoding: 'utf8' }).split(' ')[0]!;
      assert.equal(own.includes('T'), false);
    });

    test('a writable layer with no parent (an image with no layers) works', async () => {
      const c = newId();
      await snap.prepare(c, null);
      const fs = open(snap, c);
      assert.deepEqual(readdirSync(fs), []);
      writeFileSync(join(fs, 'hello'), 'hi');
      assert.deepEqual(await changesOf(snap, c, null), [{ kind: 'A', path: '/hello' }]);
      assert.equal(readFileSync(join(snap.target(c).dir, 'hello'), 'utf8'), 'hi');
      await removeSnapshot(snap, c);
    });

    test('remove() after unmounting leaves nothing behind, and is idempotent', async () => {
      const before = readdirSync(join(root, 'snapshots', driver)).sort();
      const linksBefore = driver === 'overlay2' ? readdirSync(join(root, 'snapshots', driver, 'l')).sort() : [];
      const c = newId();
      await snap.prepare(c, layers[2]!);
      const fs = open(snap, c);
      writeFileSync(join(fs, 'x'), 'x');
      await removeSnapshot(snap, c);
      assert.equal(isMounted(fs), false);
      assert.deepEqual(readdirSync(join(root, 'snapshots', driver)).sort(), before);
      if (driver === 'overlay2') assert.deepEqual(readdirSync(join(root, 'snapshots', driver, 'l')).sort(), linksBefore);
      await snap.remove(c);
      assert.deepEqual((await snap.walk()).map((i) => i.key).sort(), [...layers].sort());
    });

    test('kinds: layers are committed, a prepared snapshot active, a view read-only; only an active one commits', async () => {
      const c = newId();
      const v = newId();
      await snap.prepare(c, layers[2]!);
      await snap.view(v, layers[2]!);
      const kinds = new Map((await snap.walk()).map((i) => [i.key, i.kind]));
      assert.deepEqual([...layers, c, v].map((k) => kinds.get(k)), ['committed', 'committed', 'committed', 'active', 'view']);
      await assert.rejects(snap.commit(layers[0]!), /not active/);
      await assert.rejects(snap.commit(v), /not active/);
      // A view shows its parent's tree and refuses writes; a committed layer mounts read-only too.
      const viewDir = mkdtempSync(join(tmpdir(), 'strata-view-'));
      mountAll(snap.mounts(v), viewDir);
      try {
        assert.equal(readFileSync(join(viewDir, 'data/a'), 'utf8'), 'a from layer 3');
        assert.equal(existsSync(join(viewDir, 'gone')), false);
        assert.throws(() => writeFileSync(join(viewDir, 'x'), 'x'), { code: 'EROFS' });
      } finally {
        unmount(viewDir);
      }
      mountAll(snap.mounts(layers[1]!), viewDir);
      try {
        assert.equal(readFileSync(join(viewDir, 'bin/tool'), 'utf8'), 'tool v2');
        assert.throws(() => writeFileSync(join(viewDir, 'x'), 'x'), { code: 'EROFS' });
      } finally {
        unmount(viewDir);
        rmSync(viewDir, { recursive: true });
      }
      await removeSnapshot(snap, c);
      await removeSnapshot(snap, v);
    });

    test('a new hard link to a lower file is one added path, as Docker\'s diff shows it', async () => {
      const c = newId();
      await snap.prepare(c, layers[2]!);
      const fs = open(snap, c);
      linkSync(join(fs, 'bin/tool'), join(fs, 'p2'));
      assert.deepEqual(await changesOf(snap, c, layers[2]!), [{ kind: 'A', path: '/p2' }]);
      assert.equal(await diffSize(snap.mounts(c), snap.mounts(layers[2]!)), 'tool v2'.length);
      await removeSnapshot(snap, c);
    });

    test('the init layer holds Docker\'s placeholders; a container on it starts with no changes', async () => {
      const c = newId();
      const init = initKey(c);
      // The image's /etc (in layer 1; vfs's layer 3 is a whole tree) gets an unusual mode the init layer must keep.
      const imageEtc = join(snap.target(driver === 'vfs' ? layers[2]! : layers[0]!).dir, 'etc');
      chmodSync(imageEtc, 0o750);
      await makeInitLayer(snap, init, [...layers].reverse());
      chmodSync(imageEtc, 0o755);
      await snap.prepare(c, init);
      assert.equal(new Map((await snap.walk()).map((i) => [i.key, i.kind])).get(init), 'committed');
      const fs = open(snap, c);
      const seen = (p: string): string => {
        const st = lstatSync(join(fs, p));
        const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? `l>${readlinkSync(join(fs, p))}` : 'f';
        return `${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : ''}`;
      };
      assert.deepEqual(Object.fromEntries(['.dockerenv', 'dev/console', 'dev/pts', 'dev/shm', 'etc/hostname', 'etc/hosts', 'etc/mtab', 'etc/resolv.conf', 'proc', 'sys']
        .map((p) => [p, seen(p)])), {
        '.dockerenv': 'f 755 0:0 0', 'dev/console': 'f 755 0:0 0', 'dev/pts': 'd 755 0:0 ', 'dev/shm': 'd 755 0:0 ',
        'etc/hostname': 'f 755 0:0 0', 'etc/hosts': 'f 755 0:0 0', 'etc/mtab': 'l>/proc/mounts 777 0:0 ', 'etc/resolv.conf': 'f 755 0:0 0',
        proc: 'd 755 0:0 ', sys: 'd 755 0:0 ',
      });
      // The image's files stay, and so do the mode and owner of its directories the init layer writes into.
      assert.equal(readFileSync(join(fs, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
      assert.equal(lstatSync(join(fs, 'etc')).mode & 0o7777, 0o750);
      assert.deepEqual(await changesOf(snap, c, init), []);
      assert.equal(await diffSize(snap.mounts(c), snap.mounts(init)), 0);
      writeFileSync(join(fs, 'etc/hosts'), '127.0.0.1 localhost\n');
      assert.deepEqual(await changesOf(snap, c, init), [{ kind: 'C', path: '/etc' }, { kind: 'C', path: '/etc/hosts' }]);
      await removeSnapshot(snap, c);
      await removeSnapshot(snap, init);
    });

    /** Images whose placeholders' paths hold what Docker's algorithm must replace or keep, base layer first. */
    const odd: Record<string, { layers: RawEntry[][]; xattr?: string; seen: Record<string, string> }> = {
      'an /etc of 0700 owned by 1000:1000, /etc/hosts a symlink, /proc a file, no /dev': {
        layers: [[
          { name: 'etc/', type: '5', mode: 0o700, uid: 1000, gid: 1000 }, { name: 'etc/passwd', body: 'root\n' },
          { name: 'etc/hosts', type: '2', linkname: '/etc/elsewhere' }, { name: 'etc/mtab', body: 'a file' },
          { name: 'proc', body: 'a file' }, { name: 'sys/', type: '5', mode: 0o555, uid: 7, gid: 7 },
        ]],
        seen: {
          etc: 'd 700 1000:1000', 'etc/passwd': 'f 644 0:0', 'etc/hosts': 'f 755 0:0', 'etc/mtab': 'l>/proc/mounts 777 0:0',
          proc: 'd 755 0:0', sys: 'd 555 7:7', dev: 'd 755 0:0', 'dev/console': 'f 755 0:0', 'dev/pts': 'd 755 0:0',
        },
      },
      '/etc whited out by an upper layer': {
        layers: [[{ name: 'etc/', type: '5', mode: 0o700, uid: 1000, gid: 1000 }, { name: 'etc/passwd', body: 'root\n' }], [{ name: '.wh.etc' }]],
        seen: { etc: 'd 755 0:0', 'etc/passwd': 'absent', 'etc/hosts': 'f 755 0:0' },
      },
      '/dev opaque in an upper layer, over one with /dev/pts': {
        layers: [
          [{ name: 'dev/', type: '5' }, { name: 'dev/pts/', type: '5', mode: 0o700 }, { name: 'dev/old', body: 'x' }],
          [{ name: 'dev/', type: '5', mode: 0o711, uid: 5, gid: 5 }, { name: 'dev/.wh..wh..opq' }, { name: 'dev/null', body: '' }],
        ],
        seen: { dev: 'd 711 5:5', 'dev/old': 'absent', 'dev/null': 'f 644 0:0', 'dev/pts': 'd 755 0:0', 'dev/console': 'f 755 0:0' },
      },
      '/etc a symlink into the image': {
        layers: [[{ name: 'usr/', type: '5' }, { name: 'usr/etc/', type: '5', mode: 0o700 }, { name: 'usr/etc/hosts', body: 'image' }],
          [{ name: 'etc', type: '2', linkname: 'usr/etc' }]],
        seen: { etc: 'd 755 0:0', 'etc/hosts': 'f 755 0:0', 'usr/etc': 'd 700 0:0', 'usr/etc/hosts': 'f 644 0:0' },
      },
      '/etc with an extended attribute': {
        layers: [[{ name: 'etc/', type: '5', mode: 0o750 }, { name: 'etc/passwd', body: 'root\n' }]],
        xattr: 'etc',
        seen: { etc: 'd 750 0:0', 'etc/hostname': 'f 755 0:0' },
      },
      'no layers at all': { layers: [], seen: { etc: 'd 755 0:0', 'etc/hosts': 'f 755 0:0', proc: 'd 755 0:0' } },
    };
    for (const [name, image] of Object.entries(odd)) {
      test(`the init layer on an image with ${name} is what Docker's algorithm writes through a mount`, async () => {
        const parents: string[] = [];
        for (const entries of image.layers) {
          const id = newId();
          await addLayer(snap, root, id, parents[0] ?? null, entries);
          parents.unshift(id);
        }
        if (image.xattr) native.lsetxattr(join(snap.target(parents[0]!).dir, image.xattr), 'user.note', Buffer.from('kept'));
        const [direct, mounted] = [newId(), newId()];
        await makeInitLayer(snap, initKey(direct), parents);
        await initThroughMount(snap, initKey(mounted), parents[0] ?? null);
        if (driver === 'overlay2') assert.deepEqual(entriesOf(snap.target(initKey(direct)).dir), entriesOf(snap.target(initKey(mounted)).dir));
        await snap.prepare(direct, initKey(direct));
        await snap.prepare(mounted, initKey(mounted));
        const fs = open(snap, direct);
        assert.deepEqual(entriesOf(fs), entriesOf(open(snap, mounted)));
        const seen = (p: string): string => {
          const st = lstatSync(join(fs, p), { throwIfNoEntry: false });
          if (!st) return 'absent';
          const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? `l>${readlinkSync(join(fs, p))}` : 'f';
          return `${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
        };
        assert.deepEqual(Object.fromEntries(Object.keys(image.seen).map((p) => [p, seen(p)])), image.seen);
        if (image.xattr) assert.equal(native.lgetxattr(join(fs, image.xattr), 'user.note')?.toString(), 'kept');
        assert.deepEqual(await changesOf(snap, direct, initKey(direct)), []);
        assert.equal(await diffSize(snap.mounts(direct), snap.mounts(initKey(direct))), 0);
        for (const key of [direct, mounted, initKey(direct), initKey(mounted), ...parents]) await removeSnapshot(snap, key);
      });
    }
  });
}

describe('overlay2 specifics', () => {
  let root: string;
  let snap: Snapshotter;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-ovl-'));
    snap = await openSnapshotter('overlay2', root);
  });
  after(async () => {
    for (const { key } of await snap.walk()) await removeSnapshot(snap, key);
    rmSync(root, { recursive: true, force: true });
  });

  test('layout: diff, link, l/<short> symlink, lower chain newest first, mount options through the short links', async () => {
    const ids = [newId(), newId(), newId()];
    for (const [i, id] of ids.entries()) await addLayer(snap, root, id, ids[i - 1] ?? null, []);
    const home = join(root, 'snapshots', 'overlay2');
    const links = ids.map((id) => readFileSync(join(home, id, 'link'), 'utf8'));
    for (const [i, link] of links.entries()) {
      assert.match(link, /^[A-Z2-7]{26}$/);
      assert.equal(readlinkSync(join(home, 'l', link)), `../${ids[i]}/diff`);
    }
    assert.equal(existsSync(join(home, ids[0]!, 'lower')), false);
    assert.equal(readFileSync(join(home, ids[2]!, 'lower'), 'utf8'), `l/${links[1]}:l/${links[0]}`);

    const c = newId();
    const mounts = await snap.prepare(c, ids[2]!);
    assert.deepEqual(mounts, [{
      type: 'overlay', source: 'overlay',
      options: [`lowerdir=${[2, 1, 0].map((i) => `${home}/l/${links[i]}`).join(':')}`, `upperdir=${home}/${c}/diff`, `workdir=${home}/${c}/work`],
    }]);
    assert.deepEqual(snap.mounts(c), mounts);
    // Committed layers mount read-only: the chain as lower dirs alone, or a base layer bound as it is.
    assert.deepEqual(snap.mounts(ids[1]!), [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${home}/l/${links[1]}:${home}/l/${links[0]}`] }]);
    assert.deepEqual(snap.mounts(ids[0]!), [{ type: 'bind', source: `${home}/l/${links[0]}`, options: ['rbind', 'ro'] }]);

    const diff = (id: string): string => join(home, id, 'diff');
    const data = (key: string, parents: string[]) => graphDriverData(snap, key, parents);
    assert.deepEqual(data(c, [ids[2]!, ids[1]!, ids[0]!]), {
      LowerDir: [ids[2]!, ids[1]!, ids[0]!].map(diff).join(':'),
      MergedDir: join(home, c, 'merged'), UpperDir: diff(c), WorkDir: join(home, c, 'work'),
    });
    assert.deepEqual(Object.keys(data(c, [ids[2]!]) ?? {}), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
    assert.deepEqual(data(ids[0]!, []), {
      MergedDir: join(home, ids[0]!, 'merged'), UpperDir: diff(ids[0]!), WorkDir: join(home, ids[0]!, 'work'),
    });
    assert.equal(data(ids[1]!, [ids[0]!])?.LowerDir, diff(ids[0]!));
  });

  test('prepare on a big parent copies nothing of it', async () => {
    const parent = newId();
    await snap.prepare(parent, null);
    const { dir } = snap.target(parent);
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, `d${d}`, `f${f}`), randomBytes(256));
    }
    await snap.commit(parent);
    const c = newId();
    await snap.prepare(c, parent);
    const home = join(root, 'snapshots', 'overlay2');
    assert.deepEqual(readdirSync(join(home, c)).sort(), ['diff', 'link', 'lower', 'merged', 'work']);
    for (const sub of ['diff', 'work', 'merged']) assert.deepEqual(readdirSync(join(home, c, sub)), [], sub);
    const fs = open(snap, c);
    assert.equal(readdirSync(fs).length, 20);
    assert.equal(readdirSync(snap.target(c).dir).length, 0, 'reading copies nothing up');
    assert.equal(await snap.usage(c), 0);
  });

  test('commit leaves the diff and its links, whether the snapshot was mounted (its work dir holds OverlayFS\'s) or never', async () => {
    const home = join(root, 'snapshots', 'overlay2');
    const [never, mounted] = [newId(), newId()];
    await snap.prepare(never, null);
    writeFileSync(join(snap.target(never).dir, 'f'), 'written without a mount');
    await snap.commit(never);
    assert.deepEqual(readdirSync(join(home, never)).sort(), ['diff', 'link']);
    await snap.prepare(mounted, never);
    writeFileSync(join(open(snap, mounted), 'g'), 'written through the mount');
    unmount(rootfsPath(snap, mounted));
    assert.notDeepEqual(readdirSync(join(home, mounted, 'work')), [], 'the kernel left its own dirs in work/');
    await snap.commit(mounted);
    assert.deepEqual(readdirSync(join(home, mounted)).sort(), ['diff', 'link', 'lower']);
    assert.deepEqual(readdirSync(snap.target(mounted).dir), ['g']);
    for (const key of [mounted, never]) await removeSnapshot(snap, key);
  });

  test('a long parent chain (100 layers) still mounts in one page of options, without changing directory', async () => {
    let parent: string | null = null;
    for (let i = 0; i < 100; i++) {
      const id = newId();
      await snap.prepare(id, parent);
      writeFileSync(join(snap.target(id).dir, `f${i}`), String(i));
      await snap.commit(id);
      parent = id;
    }
    const c = newId();
    await snap.prepare(c, parent);
    assert.ok(snap.mounts(c)[0]!.options.join(',').length > 4096, 'the options as data do not fit one page');
    const cwd = process.cwd();
    const chdir = process.chdir;
    process.chdir = () => assert.fail('mounting changed the working directory');
    let fs: string;
    try {
      fs = open(snap, c);
    } finally {
      process.chdir = chdir;
    }
    assert.equal(process.cwd(), cwd);
    assert.equal(readdirSync(fs).length, 100);
    assert.equal(readFileSync(join(fs, 'f0'), 'utf8'), '0');
    assert.equal(readFileSync(join(fs, 'f99'), 'utf8'), '99');
  });
});

describe('vfs copies', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-vfs-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a child layer is an exact copy: hard links, setuid, owners, mtimes, xattrs, devices, FIFOs, symlinks', async () => {
    const snap = await openSnapshotter('vfs', root);
    const parent = newId();
    await snap.prepare(parent, null);
    const { dir } = snap.target(parent);
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/su'), randomBytes(70_000));
    chownSync(join(dir, 'bin/su'), 0, 0);
    chmodSync(join(dir, 'bin/su'), 0o4755);
    writeFileSync(join(dir, 'bin/ping'), 'ping');
    native.lsetxattr(join(dir, 'bin/ping'), 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
    native.lsetxattr(join(dir, 'bin/ping'), 'user.note', Buffer.from('kept'));
    linkSync(join(dir, 'bin/su'), join(dir, 'bin/su-link'));
    symlinkSync('su', join(dir, 'bin/sh'));
    mkdirSync(join(dir, 'dev'));
    native.mknod(join(dir, 'dev/null'), S_IFCHR | 0o666, 1, 3);
    native.mknod(join(dir, 'dev/sda'), S_IFBLK | 0o660, 8, 0);
    native.mknod(join(dir, 'dev/fifo'), S_IFIFO | 0o600, 0, 0);
    mkdirSync(join(dir, 'home/user'), { recursive: true });
    writeFileSync(join(dir, 'home/user/file'), 'mine');
    chownSync(join(dir, 'home/user/file'), 1000, 1001);
    chownSync(join(dir, 'home/user'), 1000, 1001);
    chmodSync(join(dir, 'home/user'), 0o2750);
    utimesSync(join(dir, 'home/user/file'), 1_000_000_000.25, 1_000_000_000.5);
    utimesSync(join(dir, 'home/user'), 1_100_000_000, 1_200_000_000);

    await snap.commit(parent);
    const child = newId();
    await snap.prepare(child, parent);
    const copy = snap.target(child).dir;
    assertSameTree(copy, dir);
    const ns = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs;
    assert.equal(ns(join(copy, 'bin/su')), ns(join(dir, 'bin/su')), 'times are copied to the nanosecond');
    assert.equal(ns(join(copy, 'bin')), ns(join(dir, 'bin')));
    assert.equal(lstatSync(join(copy, 'bin/su')).ino, lstatSync(join(copy, 'bin/su-link')).ino);
    assert.notEqual(lstatSync(join(copy, 'bin/su')).ino, lstatSync(join(dir, 'bin/su')).ino);
    assert.deepEqual(await changesOf(snap, child, parent), []);

    writeFileSync(join(copy, 'bin/su'), 'changed');
    assert.equal(readFileSync(join(copy, 'bin/su-link'), 'utf8'), 'changed', 'the hard link group is kept in the copy');
    assert.equal(readFileSync(join(dir, 'bin/su')).length, 70_000, 'the parent is untouched');
    await snap.remove(child);
    await snap.remove(parent);
    assert.deepEqual(readdirSync(join(root, 'snapshots', 'vfs')), []);
  });
});

const MKFS_XFS = ['/usr/sbin/mkfs.xfs', '/sbin/mkfs.xfs'].find((p) => existsSync(p));

describe('vfs on a filesystem with reflinks (XFS on a loop device)', { skip: MKFS_XFS ? false : 'mkfs.xfs (xfsprogs) is not installed' }, () => {
  let base: string;
  let mnt: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'strata-xfs-'));
    mnt = join(base, 'mnt');
    mkdirSync(mnt);
    // 300 MB is the smallest XFS mkfs accepts; the file is sparse, so it costs only what is written.
    execFileSync('truncate', ['-s', '300M', join(base, 'img')]);
    execFileSync(MKFS_XFS!, ['-q', '-m', 'reflink=1', join(base, 'img')]);
    execFileSync('mount', ['-o', 'loop', join(base, 'img'), mnt]);
  });
  after(() => {
    if (isMounted(mnt)) execFileSync('umount', [mnt]);
    rmSync(base, { recursive: true, force: true });
  });

  test('a layer copy shares its parent\'s data blocks', async () => {
    assert.equal(supportsReflink(mnt), true);
    const snap = await openSnapshotter('vfs', mnt);
    const parent = newId();
    await snap.prepare(parent, null);
    const { dir } = snap.target(parent);
    const data = randomBytes(32 << 20);
    writeFileSync(join(dir, 'big'), data);
    execFileSync('sync');
    const free = (): number => {
      const st = statfsSync(mnt);
      return st.bfree * st.bsize;
    };
    const before = free();
    await snap.commit(parent);
    const child = newId();
    await snap.prepare(child, parent);
    execFileSync('sync');
    assert.ok(before - free() < 1 << 20, `the copy used ${before - free()} bytes of data blocks`);
    assert.deepEqual(readFileSync(join(snap.target(child).dir, 'big')), data);
    await snap.remove(child);
    await snap.remove(parent);
  });
});

describe('probing', () => {
  test('probeDriver picks overlay2 on this host and leaves nothing behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-probe-'));
    try {
      assert.equal(await probeDriver(root), 'overlay2');
      assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('probeDriver falls back to vfs where OverlayFS refuses the store (overlay on overlay)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'strata-probe-ovl-'));
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(base, d));
    const merged = join(base, 'merged');
    mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${join(base, 'lower')}`, `upperdir=${join(base, 'upper')}`, `workdir=${join(base, 'work')}`] }], merged);
    try {
      assert.equal(await probeDriver(merged), 'vfs');
    } finally {
      unmount(merged);
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('supportsReflink answers for the filesystem and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-reflink-'));
    try {
      const fsType = fsTypeOf(dir);
      assert.equal(supportsReflink(dir), ['xfs', 'btrfs', 'bcachefs'].includes(fsType));
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The filesystem type of the mount that holds `dir`, from mountinfo's longest matching mount point. */
function fsTypeOf(dir: string): string {
  let best = { point: '', type: '' };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const point = fields[4];
    if (!point || sep < 0) continue;
    if ((dir === point || dir.startsWith(point === '/' ? '/' : `${point}/`)) && point.length >= best.point.length) {
      best = { point, type: fields[sep + 1]! };
    }
  }
  return best.type;
}
