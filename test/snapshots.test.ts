/**
 * Storage drivers: both run the same copy-on-write behaviour tests on real layers and real mounts; then
 * what only one of them promises (overlay2's constant-time writable layer, vfs's faithful copies).
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
import { applyLayer } from '../src/archive/index.js';
import { native } from '../src/native/index.js';
import {
  isMounted, mountSnapshot, openSnapshotter, probeDriver, supportsReflink, unmount, type DriverName, type Snapshotter,
} from '../src/snapshots/index.js';
import { buildTar, type RawEntry } from './lib/tarbuild.js';

const DRIVERS: DriverName[] = ['overlay2', 'vfs'];
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const newId = (): string => randomBytes(32).toString('hex');

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

/** Where a writable layer's files are seen: mounted for overlay2, the directory itself for vfs. */
function open(snap: Snapshotter, id: string): string {
  const target = snap.rootfsPath(id);
  const spec = snap.mountSpec(id, target);
  if (spec && !isMounted(target)) mountSnapshot(spec, target);
  return target;
}

for (const driver of DRIVERS) {
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
      snap = openSnapshotter(driver, root);
      for (const [i, entries] of chain.entries()) {
        const id = newId();
        const target = await snap.createLayer(id, layers.at(-1) ?? null);
        assert.equal(target.whiteouts, driver === 'overlay2' ? 'overlay' : 'apply');
        await applyLayer(Readable.from([buildTar(entries)]), target.dir, { whiteouts: target.whiteouts, tarSplitPath: join(root, `split-${i}`) });
        layers.push(id);
      }
    });
    after(async () => {
      for (const id of await snap.list()) await snap.remove(id);
      rmSync(root, { recursive: true, force: true });
    });

    test('a writable layer reads through to the topmost layer that has each file', async () => {
      const c = newId();
      await snap.createWritable(c, layers[2]!);
      const fs = open(snap, c);
      assert.equal(readFileSync(join(fs, 'bin/tool'), 'utf8'), 'tool v2');
      assert.equal(readFileSync(join(fs, 'data/a'), 'utf8'), 'a from layer 3');
      assert.equal(readFileSync(join(fs, 'data/keep'), 'utf8'), 'kept');
      assert.equal(readFileSync(join(fs, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
      assert.equal(existsSync(join(fs, 'gone')), false);
      assert.deepEqual(readdirSync(join(fs, 'cfg')), ['z']);
      assert.deepEqual(await snap.changes(c, layers[2]!), []);
      await snap.remove(c);
    });

    test('a write copies up only that file, a delete leaves a whiteout, and nothing below or beside changes', async () => {
      const lowersBefore = layers.map((id) => describeTree(snap.layerDir(id)));
      const c = newId();
      const sibling = newId();
      await snap.createWritable(c, layers[2]!);
      await snap.createWritable(sibling, layers[2]!);
      const fs = open(snap, c);
      const other = open(snap, sibling);
      const siblingBefore = describeTree(other);

      writeFileSync(join(fs, 'data/a'), 'changed');
      unlinkSync(join(fs, 'etc/passwd'));
      writeFileSync(join(fs, 'new'), 'n');

      if (driver === 'overlay2') {
        const upper = describeTree(snap.layerDir(c));
        assert.deepEqual([...upper.keys()], ['data', 'data/a', 'etc', 'etc/passwd', 'new']);
        const wh = lstatSync(join(snap.layerDir(c), 'etc/passwd'));
        assert.ok(wh.isCharacterDevice());
        assert.equal(wh.rdev, 0);
      }
      assert.deepEqual(await snap.changes(c, layers[2]!), [
        { kind: 'C', path: '/data' }, { kind: 'C', path: '/data/a' }, { kind: 'C', path: '/etc' },
        { kind: 'D', path: '/etc/passwd' }, { kind: 'A', path: '/new' },
      ]);
      assert.deepEqual(await tarNames(snap.diffTar(c, layers[2]!)), ['data/', 'data/a', 'etc/', 'etc/.wh.passwd', 'new']);

      assert.deepEqual(layers.map((id) => describeTree(snap.layerDir(id))), lowersBefore);
      assert.deepEqual(describeTree(other), siblingBefore);
      assert.equal(readFileSync(join(other, 'data/a'), 'utf8'), 'a from layer 3');
      assert.ok(existsSync(join(other, 'etc/passwd')));
      await snap.remove(c);
      await snap.remove(sibling);
    });

    test('usage and diffSize count apparent file sizes, each hard-linked inode once', async () => {
      const c = newId();
      await snap.createWritable(c, layers[2]!);
      const fs = open(snap, c);
      writeFileSync(join(fs, 'data/a'), '12345');
      writeFileSync(join(fs, 'h1'), 'abc');
      linkSync(join(fs, 'h1'), join(fs, 'h2'));
      unlinkSync(join(fs, 'data/keep'));
      assert.equal(await snap.diffSize(c, layers[2]!), 5 + 3);
      if (driver === 'overlay2') assert.equal(await snap.usage(c), 5 + 3);
      else {
        // The whole tree: the image's files as the container sees them, plus its own.
        const files = ['bin/tool', 'etc/passwd', 'data/a', 'cfg/z', 'h1'].map((f) => lstatSync(join(fs, f)).size);
        assert.equal(await snap.usage(c), files.reduce((a, b) => a + b, 0));
      }
      await snap.remove(c);
    });

    test('a writable layer with no parent (an image with no layers) works', async () => {
      const c = newId();
      await snap.createWritable(c, null);
      const fs = open(snap, c);
      assert.deepEqual(readdirSync(fs), []);
      writeFileSync(join(fs, 'hello'), 'hi');
      assert.deepEqual(await snap.changes(c, null), [{ kind: 'A', path: '/hello' }]);
      assert.equal(readFileSync(join(snap.layerDir(c), 'hello'), 'utf8'), 'hi');
      await snap.remove(c);
    });

    test('remove() unmounts and leaves nothing behind, and is idempotent', async () => {
      const before = readdirSync(join(root, 'snapshots', driver)).sort();
      const linksBefore = driver === 'overlay2' ? readdirSync(join(root, 'snapshots', driver, 'l')).sort() : [];
      const c = newId();
      await snap.createWritable(c, layers[2]!);
      const fs = open(snap, c);
      writeFileSync(join(fs, 'x'), 'x');
      await snap.remove(c);
      assert.equal(isMounted(fs), false);
      assert.deepEqual(readdirSync(join(root, 'snapshots', driver)).sort(), before);
      if (driver === 'overlay2') assert.deepEqual(readdirSync(join(root, 'snapshots', driver, 'l')).sort(), linksBefore);
      await snap.remove(c);
      assert.deepEqual((await snap.list()).sort(), [...layers].sort());
    });
  });
}

describe('overlay2 specifics', () => {
  let root: string;
  let snap: Snapshotter;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-ovl-'));
    snap = openSnapshotter('overlay2', root);
  });
  after(async () => {
    for (const id of await snap.list()) await snap.remove(id);
    rmSync(root, { recursive: true, force: true });
  });

  test('layout: diff, link, l/<short> symlink, lower chain newest first, relative mount options', async () => {
    const ids = [newId(), newId(), newId()];
    for (const [i, id] of ids.entries()) await snap.createLayer(id, ids[i - 1] ?? null);
    const home = join(root, 'snapshots', 'overlay2');
    const links = ids.map((id) => readFileSync(join(home, id, 'link'), 'utf8'));
    for (const [i, link] of links.entries()) {
      assert.match(link, /^[A-Z2-7]{26}$/);
      assert.equal(readlinkSync(join(home, 'l', link)), `../${ids[i]}/diff`);
    }
    assert.equal(existsSync(join(home, ids[0]!, 'lower')), false);
    assert.equal(readFileSync(join(home, ids[2]!, 'lower'), 'utf8'), `l/${links[1]}:l/${links[0]}`);

    const c = newId();
    await snap.createWritable(c, ids[2]!);
    const spec = snap.mountSpec(c, snap.rootfsPath(c))!;
    assert.deepEqual(spec, {
      type: 'overlay', source: 'overlay', cwd: home,
      options: [`lowerdir=l/${links[2]}:l/${links[1]}:l/${links[0]}`, `upperdir=${c}/diff`, `workdir=${c}/work`],
    });

    const diff = (id: string): string => join(home, id, 'diff');
    assert.deepEqual(snap.graphDriverData(c), {
      LowerDir: [ids[2]!, ids[1]!, ids[0]!].map(diff).join(':'),
      MergedDir: join(home, c, 'merged'), UpperDir: diff(c), WorkDir: join(home, c, 'work'),
    });
    assert.deepEqual(Object.keys(snap.graphDriverData(c) ?? {}), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
    assert.deepEqual(snap.graphDriverData(ids[0]!), {
      MergedDir: join(home, ids[0]!, 'merged'), UpperDir: diff(ids[0]!), WorkDir: join(home, ids[0]!, 'work'),
    });
    assert.equal(snap.graphDriverData(ids[1]!)?.LowerDir, diff(ids[0]!));
  });

  test('createWritable on a big parent copies nothing of it', async () => {
    const parent = newId();
    const { dir } = await snap.createLayer(parent, null);
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, `d${d}`, `f${f}`), randomBytes(256));
    }
    const c = newId();
    await snap.createWritable(c, parent);
    const home = join(root, 'snapshots', 'overlay2');
    assert.deepEqual(readdirSync(join(home, c)).sort(), ['diff', 'link', 'lower', 'merged', 'work']);
    for (const sub of ['diff', 'work', 'merged']) assert.deepEqual(readdirSync(join(home, c, sub)), [], sub);
    const fs = open(snap, c);
    assert.equal(readdirSync(fs).length, 20);
    assert.equal(readdirSync(join(snap.layerDir(c))).length, 0, 'reading copies nothing up');
    assert.equal(await snap.usage(c), 0);
  });

  test('a long parent chain (100 layers) still mounts in one page of options', async () => {
    let parent: string | null = null;
    for (let i = 0; i < 100; i++) {
      const id = newId();
      const { dir } = await snap.createLayer(id, parent);
      writeFileSync(join(dir, `f${i}`), String(i));
      parent = id;
    }
    const c = newId();
    await snap.createWritable(c, parent);
    const cwd = process.cwd();
    const fs = open(snap, c);
    assert.equal(process.cwd(), cwd, 'the mount restores the working directory');
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
    const snap = openSnapshotter('vfs', root);
    const parent = newId();
    const { dir } = await snap.createLayer(parent, null);
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

    const child = newId();
    await snap.createWritable(child, parent);
    const copy = snap.rootfsPath(child);
    assertSameTree(copy, dir);
    const ns = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs;
    assert.equal(ns(join(copy, 'bin/su')), ns(join(dir, 'bin/su')), 'times are copied to the nanosecond');
    assert.equal(ns(join(copy, 'bin')), ns(join(dir, 'bin')));
    assert.equal(lstatSync(join(copy, 'bin/su')).ino, lstatSync(join(copy, 'bin/su-link')).ino);
    assert.notEqual(lstatSync(join(copy, 'bin/su')).ino, lstatSync(join(dir, 'bin/su')).ino);
    assert.deepEqual(await snap.changes(child, parent), []);

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
    const snap = openSnapshotter('vfs', mnt);
    const parent = newId();
    const { dir } = await snap.createLayer(parent, null);
    const data = randomBytes(32 << 20);
    writeFileSync(join(dir, 'big'), data);
    execFileSync('sync');
    const free = (): number => {
      const st = statfsSync(mnt);
      return st.bfree * st.bsize;
    };
    const before = free();
    const child = newId();
    await snap.createWritable(child, parent);
    execFileSync('sync');
    assert.ok(before - free() < 1 << 20, `the copy used ${before - free()} bytes of data blocks`);
    assert.deepEqual(readFileSync(join(snap.rootfsPath(child), 'big')), data);
    await snap.remove(child);
    await snap.remove(parent);
  });
});

describe('probing', () => {
  test('probeDriver picks overlay2 on this host and leaves nothing behind', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-probe-'));
    try {
      assert.equal(probeDriver(root), 'overlay2');
      assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('probeDriver falls back to vfs where OverlayFS refuses the store (overlay on overlay)', () => {
    const base = mkdtempSync(join(tmpdir(), 'strata-probe-ovl-'));
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(base, d));
    const merged = join(base, 'merged');
    mountSnapshot({ type: 'overlay', source: 'overlay', options: [`lowerdir=${join(base, 'lower')}`, `upperdir=${join(base, 'upper')}`, `workdir=${join(base, 'work')}`] }, merged);
    try {
      assert.equal(probeDriver(merged), 'vfs');
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
