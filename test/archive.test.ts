/**
 * Layer tarballs: round-trip fidelity (own writer and GNU tar), exact byte reproduction through the
 * tar-split record, whiteouts in both modes, hostile tars, compression sniffing, and change lists on a
 * real overlay mount and between full trees.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, createReadStream, existsSync, lchownSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import {
  applyLayer, changesTar, decompressed, directoryTar, layerTar, overlayChanges, overlayUpperTar, tarOnThread, treeChanges,
  type ApplyResult, type Change, type WhiteoutMode,
} from '../src/archive/index.js';
import { MNT_DETACH, native } from '../src/native/index.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

const temps: string[] = [];
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) native.umount2(m, MNT_DETACH);
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tmp(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `strata-archive-${label}-`));
  temps.push(d);
  return d;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function bytes(r: Readable): Promise<Buffer> {
  return Buffer.concat(await r.toArray());
}

/** Apply `tar` to a new directory; returns it with the result and the tar-split path. */
async function apply(tar: Buffer | string, whiteouts: WhiteoutMode, dir?: string): Promise<{ dir: string; split: string; result: ApplyResult }> {
  const base = tmp('apply');
  const target = dir ?? join(base, 'root');
  mkdirSync(target, { recursive: true });
  const split = join(base, 'tar-split');
  const input = typeof tar === 'string' ? createReadStream(tar) : Readable.from([tar]);
  const result = await applyLayer(input, target, { whiteouts, tarSplitPath: split });
  return { dir: target, split, result };
}

/** A v2 security.capability value granting cap_net_bind_service (permitted, effective). */
const CAP_NET_BIND = (() => {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  b.writeUInt32LE(1 << 10, 4);
  return b;
})();

// ---- trees, entry by entry

interface Entry {
  type: string;
  perm: string;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha?: string;
  target?: string;
  rdev?: number;
  xattrs?: Record<string, string>;
  /** The other names of the same inode (hard links). */
  links?: string[];
}

/** Every entry below `root` (the root itself excluded), with what a layer must preserve. */
function tree(root: string, opts: { xattrs?: boolean } = {}): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const inodes = new Map<number, string[]>();
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(root, r);
      const st = lstatSync(abs);
      const e: Entry = {
        type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo'
          : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other',
        perm: (st.mode & 0o7777).toString(8),
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (st.isFile()) {
        e.size = st.size;
        e.sha = sha256(readFileSync(abs));
        if (st.nlink > 1) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), r]);
      }
      if (st.isSymbolicLink()) e.target = readlinkSync(abs);
      if (st.isCharacterDevice() || st.isBlockDevice()) e.rdev = st.rdev;
      if (opts.xattrs !== false) {
        const xs: Record<string, string> = {};
        for (const k of native.llistxattr(abs).sort()) if (!k.startsWith('trusted.overlay.')) xs[k] = native.lgetxattr(abs, k)!.toString('hex');
        if (Object.keys(xs).length) e.xattrs = xs;
      }
      out[r] = e;
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  for (const names of inodes.values()) for (const n of names) out[n]!.links = names.filter((m) => m !== n);
  return out;
}

const T0 = 1_600_000_000;

/**
 * A tree with every kind of entry a layer carries: setuid/setgid/sticky modes, owners (one beyond
 * ustar's 7 octal digits), hard link groups, symlinks, devices, a FIFO, xattrs including file
 * capabilities, a path and a link target longer than 100 bytes, non-ASCII names, a multi-MiB file.
 */
function fixture(root: string): void {
  const long = 'a-directory-name-that-is-quite-long/another-directory-name-that-is-also-long/and-a-third-one-to-be-sure';
  const dirs: [string, number, number, number][] = [
    ['bin', 0o755, 0, 0], ['etc', 0o755, 0, 0], ['data', 0o750, 1000, 1000], ['dev', 0o755, 0, 0], ['tmp', 0o1777, 0, 0],
    ['private', 0o700, 1000, 1000], ['shared', 0o2775, 0, 50], [long, 0o755, 0, 0], ['café', 0o755, 0, 0], ['empty', 0o555, 0, 0],
  ];
  for (const [d, mode, uid, gid] of dirs) {
    mkdirSync(join(root, d), { recursive: true });
    chownSync(join(root, d), uid, gid);
    chmodSync(join(root, d), mode);
  }
  const file = (rel: string, content: Buffer | string, mode: number, uid = 0, gid = 0): void => {
    writeFileSync(join(root, rel), content);
    chownSync(join(root, rel), uid, gid);
    chmodSync(join(root, rel), mode); // after chown, which clears setuid
  };
  file('bin/tool', randomBytes(3 * 1024 * 1024 + 123), 0o4755);
  native.lsetxattr(join(root, 'bin/tool'), 'security.capability', CAP_NET_BIND); // after chown, which clears it
  file('bin/sgid', randomBytes(511), 0o2711, 1000, 50);
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n', 0o644);
  native.lsetxattr(join(root, 'etc/passwd'), 'user.comment', Buffer.from('hello'));
  native.lsetxattr(join(root, 'etc/passwd'), 'trusted.note', Buffer.from([0, 1, 2, 255]));
  native.lsetxattr(join(root, 'data'), 'user.dir', Buffer.from('d'));
  file('etc/empty', '', 0o600);
  file('data/a', randomBytes(1024), 0o640, 1000, 1000);
  linkSync(join(root, 'data/a'), join(root, 'data/b'));
  linkSync(join(root, 'data/a'), join(root, 'etc/c-link'));
  file('etc/hosts', '127.0.0.1 localhost\n', 0o644);
  linkSync(join(root, 'etc/hosts'), join(root, 'etc/hosts.bak'));
  file('private/big-ids', 'x', 0o600, 3_000_000, 3_000_001);
  file(`${long}/file-with-a-name-long-enough-to-need-an-extended-header.txt`, 'long', 0o644);
  file('café/naïve.txt', 'ünïcödé', 0o644);
  symlinkSync('tool', join(root, 'bin/sh'));
  lchownSync(join(root, 'bin/sh'), 1000, 1000);
  symlinkSync('/' + long + '/file-with-a-name-long-enough-to-need-an-extended-header.txt', join(root, 'etc/long-link'));
  symlinkSync('../nowhere', join(root, 'etc/dangling'));
  native.lsetxattr(join(root, 'etc/dangling'), 'trusted.on-a-symlink', Buffer.from('s'));
  native.mknod(join(root, 'dev/null'), S_IFCHR | 0o666, 1, 3);
  native.mknod(join(root, 'dev/loop0'), S_IFBLK | 0o660, 7, 0);
  chownSync(join(root, 'dev/loop0'), 0, 6);
  native.mknod(join(root, 'dev/fifo'), S_IFIFO | 0o620, 0, 0);
  setTimes(root);
}

/** Distinct whole-second mtimes for every entry, directories last (their children's creation moved them). */
function setTimes(root: string): void {
  let t = T0;
  const dirs: string[] = [];
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) {
        dirs.push(r);
        visit(r);
      } else lutimesSync(join(root, r), ++t, ++t);
    }
  };
  visit('');
  for (const d of dirs.reverse()) utimesSync(join(root, d), ++t, ++t);
}

/** Headers of a tar, in order, read with tar-stream (an independent reader). */
async function headers(tar: Buffer): Promise<Header[]> {
  const out: Header[] = [];
  const ex = extract();
  ex.end(tar);
  for await (const entry of ex) {
    out.push(entry.header);
    entry.resume();
  }
  return out;
}

const pax = (h: Header): Record<string, string> => (h.pax ?? {}) as Record<string, string>;

// ---- hand-made tars (names and types no tool would write)

interface Raw {
  name: string;
  type?: string;
  body?: Buffer | string;
  linkname?: string;
  mode?: number;
  mtime?: number;
}

function rawHeader(e: Raw, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write((e.mode ?? (e.type === '5' ? 0o755 : 0o644)).toString(8).padStart(7, '0') + '\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write((e.mtime ?? T0).toString(8).padStart(11, '0') + '\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

function rawTar(entries: Raw[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    parts.push(rawHeader(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// ---- round trips

describe('round trip', () => {
  const src = join(tmp('fixture'), 'root');
  mkdirSync(src);
  fixture(src);
  const expected = tree(src);
  /** Docker's layer size (overlay2 measures the layer's tree): regular files, each hard-linked inode once, and symlinks' target lengths. */
  const contentSize = (() => {
    const groups = new Set<string>();
    let n = 0;
    for (const [name, e] of Object.entries(expected)) {
      if (e.type === 'symlink') n += Buffer.byteLength(e.target!);
      if (e.type !== 'file') continue;
      const group = [name, ...(e.links ?? [])].sort().join('\0');
      if (!groups.has(group)) n += e.size!;
      groups.add(group);
    }
    return n;
  })();

  test('own writer → applyLayer keeps every entry, mode, owner, time, link, device and xattr', async () => {
    const tar = await bytes(directoryTar(src));
    const { dir, split, result } = await apply(tar, 'overlay');
    assert.deepEqual(tree(dir), expected);
    assert.equal(result.diffID, `sha256:${sha256(tar)}`);
    assert.equal(result.tarSize, tar.length);
    assert.equal(result.size, contentSize);
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(tar), 'layerTar gives back the same bytes');
    assert.ok(lstatSync(split).size < tar.length / 50, 'the tar-split record is a small fraction of the tar');
  });

  test('directoryTar names entries like Docker, parents first, deterministically', async () => {
    const tar = await bytes(directoryTar(src));
    assert.equal(sha256(await bytes(directoryTar(src))), sha256(tar), 'same tree, same bytes');
    const hs = await headers(tar);
    const names = hs.map((h) => h.name);
    assert.equal(names.length, Object.keys(expected).length);
    for (const [i, h] of hs.entries()) {
      assert.ok(!h.name.startsWith('/') && !h.name.startsWith('./'), h.name);
      assert.equal(h.name.endsWith('/'), h.type === 'directory', h.name);
      const parent = h.name.replace(/\/$/, '').split('/').slice(0, -1).join('/');
      if (parent) assert.ok(names.indexOf(parent + '/') < i, `${parent}/ comes before ${h.name}`);
    }
    assert.deepEqual(names.slice(0, 4), ['a-directory-name-that-is-quite-long/', 'a-directory-name-that-is-quite-long/another-directory-name-that-is-also-long/',
      'a-directory-name-that-is-quite-long/another-directory-name-that-is-also-long/and-a-third-one-to-be-sure/',
      'a-directory-name-that-is-quite-long/another-directory-name-that-is-also-long/and-a-third-one-to-be-sure/file-with-a-name-long-enough-to-need-an-extended-header.txt']);
    const byName = new Map(hs.map((h) => [h.name, h]));
    assert.equal(byName.get('bin/tool')!.mode & 0o7777, 0o4755);
    assert.equal(byName.get('bin/sh')!.linkname, 'tool');
    assert.equal(byName.get('data/b')!.type, 'link');
    assert.equal(byName.get('data/b')!.linkname, 'data/a');
    assert.equal(byName.get('dev/loop0')!.type, 'block-device');
    assert.equal(pax(byName.get('private/big-ids')!).uid, '3000000', 'an id beyond ustar goes in a pax record');
    assert.equal(pax(byName.get('etc/passwd')!)['SCHILY.xattr.user.comment'], 'hello');
    assert.ok(hs.every((h) => h.mtime.getTime() % 1000 === 0), 'whole-second mtimes');
  });

  test('GNU tar (posix format with xattrs) → applyLayer keeps everything; layerTar gives back its bytes', async () => {
    const file = join(tmp('gnutar'), 'posix.tar');
    execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', src, '-cf', file, '.']);
    const { dir, split, result } = await apply(file, 'overlay');
    assert.deepEqual(tree(dir), expected);
    const original = readFileSync(file);
    assert.equal(result.diffID, `sha256:${sha256(original)}`);
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(original));
  });

  test('GNU tar (gnu format: long-name records, base-256 ids, record padding) → same tree and bytes', async () => {
    const file = join(tmp('gnutar'), 'gnu.tar');
    execFileSync('tar', ['--format=gnu', '--numeric-owner', '-C', src, '-cf', file, '.']);
    const original = readFileSync(file);
    assert.equal(original.length % 10240, 0, 'GNU tar pads to whole records, past the end-of-archive blocks');
    const { dir, split, result } = await apply(file, 'overlay');
    assert.deepEqual(tree(dir, { xattrs: false }), tree(src, { xattrs: false }));
    assert.equal(result.diffID, `sha256:${sha256(original)}`);
    assert.equal(result.tarSize, original.length);
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(original));
  });

  test('a stream cut into odd-sized chunks (headers split across them) applies the same', async () => {
    const tar = await bytes(directoryTar(src));
    const chunks: Buffer[] = [];
    for (let off = 0, i = 0; off < tar.length; i++) {
      const n = [1, 7, 511, 512, 513, 4096, 100_000][i % 7]!;
      chunks.push(tar.subarray(off, off + n));
      off += n;
    }
    const base = tmp('chunks');
    const dir = join(base, 'root');
    mkdirSync(dir);
    const result = await applyLayer(Readable.from(chunks), dir, { whiteouts: 'overlay', tarSplitPath: join(base, 'split') });
    assert.equal(result.diffID, `sha256:${sha256(tar)}`);
    assert.deepEqual(tree(dir), expected);
    assert.equal(sha256(await bytes(layerTar(dir, join(base, 'split'), result.diffID))), sha256(tar));
  });

  test('a layer whose files were changed afterwards is reported damaged, not silently reassembled', async () => {
    const { dir, split, result } = await apply(await bytes(directoryTar(src)), 'overlay');
    writeFileSync(join(dir, 'bin/tool'), 'short');
    await assert.rejects(bytes(layerTar(dir, split, result.diffID)),
      new RegExp(`^Error: layer ${result.diffID}: file bin/tool changed on disk since the layer was written: its size is 5 bytes`));
  });
});

// ---- whiteouts

describe('whiteouts', () => {
  const changeset = rawTar([
    { name: 'a/', type: '5' },
    { name: 'a/.wh.b' },
    { name: 'c/', type: '5' },
    { name: 'c/keep', body: 'new' },
    { name: 'c/sub2/', type: '5' },
    { name: 'c/sub2/new', body: 'n' },
    { name: 'c/.wh..wh..opq' },
    { name: 'c/after', body: 'after the marker' },
    { name: '.wh.top' },
  ]);

  test("'overlay' mode: .wh.x becomes a 0/0 character device, .wh..wh..opq the opaque xattr", async () => {
    const { dir, split, result } = await apply(changeset, 'overlay');
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'c', 'top']);
    for (const wh of ['a/b', 'top']) {
      const st = lstatSync(join(dir, wh));
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${wh} is a whiteout device`);
    }
    assert.deepEqual(readdirSync(join(dir, 'c')).sort(), ['after', 'keep', 'sub2']);
    assert.equal(native.lgetxattr(join(dir, 'c'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(native.lgetxattr(join(dir, 'a'), 'trusted.overlay.opaque'), null);
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(changeset), 'whiteout entries are kept in the tar-split');
  });

  test("'apply' mode: .wh.x removes x, .wh..wh..opq removes everything older below its directory", async () => {
    const dir = join(tmp('full'), 'root');
    for (const d of ['a/b/deep', 'c/sub/x', 'c/sub2']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'a/b/deep/file'), 'old');
    writeFileSync(join(dir, 'a/other'), 'stays');
    writeFileSync(join(dir, 'c/old'), 'old');
    writeFileSync(join(dir, 'c/sub/x/old2'), 'old');
    writeFileSync(join(dir, 'c/keep'), 'old');
    writeFileSync(join(dir, 'c/sub2/older'), 'old');
    writeFileSync(join(dir, 'top'), 'old');
    const { split, result } = await apply(changeset, 'apply', dir);
    assert.deepEqual(Object.keys(tree(dir)), ['a', 'a/other', 'c', 'c/after', 'c/keep', 'c/sub2', 'c/sub2/new']);
    assert.equal(readFileSync(join(dir, 'c/keep'), 'utf8'), 'new');
    assert.equal(readFileSync(join(dir, 'a/other'), 'utf8'), 'stays');
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(changeset));
  });

  test("'apply' mode: a directory this tar wrote into, then whited out, is stashed without the parent's files; its bytes come back", async () => {
    const dir = join(tmp('stash'), 'root');
    mkdirSync(join(dir, 'd/older'), { recursive: true });
    writeFileSync(join(dir, 'd/older/file'), 'the parent layer\'s');
    writeFileSync(join(dir, 'd/kept-by-parent'), 'the parent layer\'s');
    const tar = rawTar([{ name: 'd/new', body: 'this tar wrote it' }, { name: '.wh.d' }, { name: 'd/', type: '5' }, { name: 'd/new', body: 'again' }]);
    const { split, result } = await apply(tar, 'apply', dir);
    assert.deepEqual(Object.keys(tree(dir)), ['d', 'd/new']);
    assert.equal(readFileSync(join(dir, 'd/new'), 'utf8'), 'again');
    assert.deepEqual(Object.keys(tree(`${split}.stash`)), ['0', '0/new'], 'only what this tar wrote is kept in the stash');
    assert.equal(sha256(await bytes(layerTar(dir, split, result.diffID))), sha256(tar));
  });

  test('a whiteout naming its own directory (.wh..) is refused in both modes', async () => {
    for (const mode of ['overlay', 'apply'] as const) {
      for (const name of ['.wh..', 'x/.wh..', 'x/.wh.']) {
        const base = tmp('wh-dotdot');
        const root = join(base, 'root');
        mkdirSync(join(root, 'x'), { recursive: true });
        writeFileSync(join(base, 'sentinel'), 's');
        await assert.rejects(applyLayer(Readable.from([rawTar([{ name }])]), root, { whiteouts: mode, tarSplitPath: join(base, 'split') }),
          (e: Error) => e.message.includes(JSON.stringify(name)) && /whiteout/.test(e.message));
        assert.deepEqual(readdirSync(base).sort(), ['root', 'sentinel']);
        assert.ok(existsSync(join(root, 'x')));
      }
    }
  });
});

// ---- hostile tars

describe('hostile tars', () => {
  /** Apply `tar` into base/root; it must fail with `message` and leave base/sentinel and base itself as they were. */
  async function refused(tar: Buffer, message: RegExp, whiteouts: WhiteoutMode = 'overlay'): Promise<void> {
    const base = tmp('hostile');
    const root = join(base, 'root');
    const sentinel = join(base, 'sentinel');
    mkdirSync(root);
    mkdirSync(sentinel);
    writeFileSync(join(sentinel, 'secret'), 'secret');
    utimesSync(sentinel, T0, T0);
    const look = (): string => execFileSync('find', [base, '-path', root, '-prune', '-o', '-printf', '%p %y %m %s %T@\\n']).toString();
    const before = look();
    // The record is written as the tar is read, so it lives apart from what must not change.
    const split = join(tmp('hostile-split'), 'root.split');
    await assert.rejects(applyLayer(Readable.from([tar]), root, { whiteouts, tarSplitPath: split }), message);
    assert.equal(look(), before, 'nothing changed outside the target');
    assert.ok(!existsSync(split) && !existsSync(`${split}.stash`), 'a refused tar leaves no tar-split record');
    assert.equal(readFileSync(join(sentinel, 'secret'), 'utf8'), 'secret');
  }

  test('.. leading outside the root, relative or absolute', async () => {
    await refused(rawTar([{ name: '../x', body: 'evil' }]), /"\.\.\/x" is outside of the layer root/);
    await refused(rawTar([{ name: '/../../x', body: 'evil' }]), /"\/\.\.\/\.\.\/x" is outside of the layer root/);
    await refused(rawTar([{ name: 'a/', type: '5' }, { name: 'a/../../sentinel/secret', body: 'evil' }]), /"a\/\.\.\/\.\.\/sentinel\/secret" is outside/);
  });

  test('absolute names and inner .. that stay inside are read as relative, as Docker does', async () => {
    const { dir } = await apply(rawTar([{ name: '/etc/x', body: 'abs' }, { name: 'a/b/../c', body: 'inner' }]), 'overlay');
    assert.equal(readFileSync(join(dir, 'etc/x'), 'utf8'), 'abs');
    assert.equal(readFileSync(join(dir, 'a/c'), 'utf8'), 'inner');
  });

  test('writing through a symlink planted by the same tar', async () => {
    await refused(rawTar([{ name: 'a', type: '2', linkname: '/tmp' }, { name: 'a/evil', body: 'evil' }]), /"a\/evil": parent "a" is a symlink/);
    await refused(rawTar([{ name: 'a', type: '2', linkname: '../sentinel' }, { name: 'a/evil', body: 'evil' }]), /"a\/evil": parent "a" is a symlink/);
    await refused(rawTar([{ name: 'a', type: '2', linkname: '../sentinel' }, { name: 'a/sub/', type: '5' }]), /"a\/sub\/": parent "a" is a symlink/);
    await refused(rawTar([{ name: 'd/', type: '5' }, { name: 'd', type: '2', linkname: '../sentinel' }, { name: 'd/evil', body: 'evil' }]),
      /"d\/evil": parent "d" is a symlink/);
    await refused(rawTar([{ name: 'a', type: '2', linkname: '../sentinel' }, { name: 'a/.wh.secret' }]), /parent "a" is a symlink/, 'apply');
  });

  test('hard links whose target escapes or goes through a symlink', async () => {
    await refused(rawTar([{ name: 'passwd', type: '1', linkname: '../../etc/passwd' }]), /"passwd": target "\.\.\/\.\.\/etc\/passwd" is outside/);
    await refused(rawTar([{ name: 'a', type: '2', linkname: '../sentinel' }, { name: 'l', type: '1', linkname: 'a/secret' }]), /"l": parent "a" is a symlink/);
    await refused(rawTar([{ name: 'l', type: '1', linkname: 'missing/file' }]), /"l": target "missing\/file" is not in this layer/);
  });

  test("OverlayFS's own xattrs are never taken from a tar", async () => {
    const record = (k: string, v: string): string => {
      const body = ` ${k}=${v}\n`;
      let n = body.length + 2;
      if (String(n).length + body.length !== n) n++;
      return `${n}${body}`;
    };
    const paxBody = record('SCHILY.xattr.trusted.overlay.opaque', 'y') + record('SCHILY.xattr.user.ok', 'kept');
    const { dir } = await apply(rawTar([{ name: 'PaxHeaders/d', type: 'x', body: paxBody }, { name: 'd/', type: '5' }]), 'overlay');
    assert.equal(native.lgetxattr(join(dir, 'd'), 'trusted.overlay.opaque'), null);
    assert.equal(native.lgetxattr(join(dir, 'd'), 'user.ok')?.toString(), 'kept');
  });

  test('a directory later replaced by a symlink does not get its time set through the link', async () => {
    const base = tmp('replaced');
    const sentinel = join(base, 'sentinel');
    mkdirSync(sentinel);
    utimesSync(sentinel, T0, T0);
    const tar = rawTar([{ name: 'd/', type: '5', mtime: T0 + 999 }, { name: 'd', type: '2', linkname: sentinel }]);
    const { dir } = await apply(tar, 'overlay', join(base, 'root'));
    assert.equal(readlinkSync(join(dir, 'd')), sentinel);
    assert.equal(lstatSync(sentinel).mtimeMs, T0 * 1000);
  });

  test('truncated tar, bad checksum, unknown and sparse entry types', async () => {
    const src = join(tmp('trunc'), 'root');
    mkdirSync(src);
    writeFileSync(join(src, 'big'), randomBytes(100_000));
    const tar = await bytes(directoryTar(src));
    await refused(tar.subarray(0, 50_000), /unexpected end of tar stream \(truncated archive\?\) in "big"/);
    await refused(tar.subarray(0, 300), /unexpected end of tar stream/);
    const corrupt = Buffer.from(tar);
    corrupt[0] ^= 1;
    await refused(corrupt, /invalid tar header checksum at byte 0/);
    await refused(rawTar([{ name: 'ok', body: 'x' }, { name: 'vol', type: 'V' }]), /tar entry "vol": unsupported entry type "V"/);

    const dir = tmp('sparse');
    execFileSync('truncate', ['-s', '10M', join(dir, 'holes')]);
    writeFileSync(join(dir, 'holes'), 'data', { flag: 'r+' });
    for (const format of ['gnu', 'posix']) {
      const file = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--sparse', '-C', dir, '-cf', file, 'holes']);
      // In both formats the entry is named by the file's own name (posix's GNUSparseFile.0/ header name is resolved).
      await refused(readFileSync(file), /^Error: tar entry "holes": GNU sparse files are not supported$/);
    }
  });
});

// ---- compression

describe('decompressed', () => {
  const tar = rawTar([{ name: 'f', body: randomBytes(200_000).toString('hex') }]);

  test('plain tar passes through; gzip is gunzipped', async () => {
    assert.equal(sha256(await bytes(await decompressed(Readable.from([tar])))), sha256(tar));
    const gz = gzipSync(tar);
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 3), gz.subarray(3)]; // magic split across chunks
    assert.equal(sha256(await bytes(await decompressed(Readable.from(chunks)))), sha256(tar));
  });

  test('corrupt gzip fails the apply with a gzip error', async () => {
    const gz = gzipSync(tar);
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 8] ^= 0xff;
    for (const bad of [badCrc, gz.subarray(0, gz.length / 2)]) {
      const base = tmp('gz');
      const input = await decompressed(Readable.from([bad]));
      await assert.rejects(applyLayer(input, base, { whiteouts: 'overlay', tarSplitPath: join(base, '.split') }), /invalid gzip stream/);
    }
  });

  /** A gzip member whose header has every optional field (FEXTRA, FNAME, FCOMMENT, FHCRC), which the small chunks below cut. */
  const withHeaderFields = (data: Buffer): Buffer => {
    const fixed = Buffer.from([0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3]);
    const header = Buffer.concat([fixed, Buffer.from([6, 0]), Buffer.from('AB\x02\x00xy', 'latin1'), Buffer.from('layer.tar\0'), Buffer.from('a comment\0')]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(crc32(header) & 0xffff);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(data));
    trailer.writeUInt32LE(data.length, 4);
    return Buffer.concat([header, hcrc, deflateRawSync(data), trailer]);
  };

  test('gzip members one after another are one stream (a parallel compressor writes them), zero padding after one is ignored', async () => {
    const big = Buffer.concat([randomBytes(1 << 16), Buffer.alloc(5 << 19, 7)]); // more than one output buffer
    const members = Buffer.concat([withHeaderFields(tar.subarray(0, 1000)), gzipSync(Buffer.alloc(0)), gzipSync(tar.subarray(1000)), gzipSync(big)]);
    const padded = Buffer.concat([members, Buffer.alloc(1024)]);
    for (const size of [3, 4093, 1 << 20, padded.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < padded.length; i += size) chunks.push(padded.subarray(i, i + size));
      assert.equal(sha256(await bytes(await decompressed(Readable.from(chunks)))), sha256(Buffer.concat([tar, big])), `in chunks of ${size}`);
    }
    const fails = async (input: Buffer, message: RegExp): Promise<void> =>
      assert.rejects(bytes(await decompressed(Readable.from([input]))), message);
    const gz = gzipSync(tar);
    await fails(gz.subarray(0, gz.length - 3), /^Error: invalid gzip stream: unexpected end of file$/);
    await fails(Buffer.concat([gz, gz.subarray(0, 100)]), /^Error: invalid gzip stream: unexpected end of file$/);
    await fails(Buffer.concat([gz, Buffer.alloc(16, 0x41)]), /^Error: invalid gzip stream: incorrect header check$/);
  });

  test('zstd is read (registries serve zstd layers); bzip2 and xz are named and refused', async () => {
    const zstd = execFileSync('zstd', ['-c'], { input: tar });
    const chunks: Buffer[] = [];
    for await (const c of await decompressed(Readable.from([zstd]))) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), tar);
    for (const [tool, name] of [['bzip2', 'bzip2'], ['xz', 'xz']] as const) {
      const compressed = execFileSync(tool, ['-c'], { input: tar });
      await assert.rejects(decompressed(Readable.from([compressed])), new RegExp(`^Error: unsupported compression: ${name}`));
    }
  });
});

// ---- writers and change lists

/** The names of a changeset, with whiteout markers spelled out. */
async function names(tar: Readable): Promise<string[]> {
  return (await headers(await bytes(tar))).map((h) => h.name);
}

const mountOverlay = (lowers: string[], upper: string | null, work: string | null, merged: string): void => {
  const data = upper ? `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}` : `lowerdir=${lowers.join(':')}`;
  native.mount('overlay', merged, 'overlay', 0, data);
  mounts.push(merged);
};

const unmount = (merged: string): void => {
  native.umount2(merged, 0);
  mounts.splice(mounts.indexOf(merged), 1);
};

describe('overlay changes and changesets', () => {
  test('overlayChanges on a real mount, overlayUpperTar re-applied onto the lowers gives the merged tree', async () => {
    const base = tmp('overlay');
    const [l1, l2, upper, work, merged, view, flat] = ['l1', 'l2', 'upper', 'work', 'merged', 'view', 'flat'].map((d) => join(base, d)) as
      [string, string, string, string, string, string, string];
    for (const d of [upper, work, merged, view]) mkdirSync(d);
    // The bottom layer, and a second one deleting and hiding parts of it, both applied from tars.
    const seed = join(base, 'seed');
    for (const d of ['etc', 'usr/bin', 'var/lib/x', 'opt/keep/sub', 'home/u']) mkdirSync(join(seed, d), { recursive: true });
    for (const f of ['etc/passwd', 'etc/group', 'usr/bin/a', 'usr/bin/b', 'var/lib/x/y', 'opt/keep/old1', 'opt/keep/sub/old2', 'home/u/file']) {
      writeFileSync(join(seed, f), f);
    }
    setTimes(seed);
    await apply(await bytes(directoryTar(seed)), 'overlay', l1);
    await apply(rawTar([
      { name: 'home/', type: '5' }, { name: 'home/u/', type: '5' }, { name: 'home/u/.wh.file' },
      { name: 'var/', type: '5' }, { name: 'var/lib/', type: '5' }, { name: 'var/lib/.wh..wh..opq' }, { name: 'var/lib/fresh', body: 'f' },
    ]), 'overlay', l2);

    // The lowers as one full tree, as a vfs layer would hold them.
    mountOverlay([l2, l1], null, null, view);
    execFileSync('cp', ['-a', `${view}/.`, flat]);
    unmount(view);

    mountOverlay([l2, l1], upper, work, merged);
    writeFileSync(join(merged, 'new.txt'), 'new');
    writeFileSync(join(merged, 'etc/passwd'), 'more\n', { flag: 'a' });
    chmodSync(join(merged, 'etc/group'), 0o600);
    rmSync(join(merged, 'usr/bin/a'));
    rmSync(join(merged, 'opt/keep'), { recursive: true });
    mkdirSync(join(merged, 'opt/keep'));
    writeFileSync(join(merged, 'opt/keep/new'), 'n');
    mkdirSync(join(merged, 'srv/data'), { recursive: true });
    writeFileSync(join(merged, 'srv/data/f'), 'f');
    rmSync(join(merged, 'var/lib/fresh'));
    writeFileSync(join(merged, 'var/lib/x'), 'hidden below, so added');
    writeFileSync(join(merged, 'home/u/file'), 'again');
    symlinkSync('etc', join(merged, 'lnk'));
    const after = tree(merged);
    unmount(merged);

    const changes = await overlayChanges(upper, [l2, l1]);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), [
      'C /etc', 'C /etc/group', 'C /etc/passwd',
      'C /home', 'C /home/u', 'A /home/u/file',
      'A /lnk', 'A /new.txt',
      'C /opt', 'C /opt/keep', 'A /opt/keep/new', 'D /opt/keep/old1', 'D /opt/keep/sub',
      'A /srv', 'A /srv/data', 'A /srv/data/f',
      'C /usr', 'C /usr/bin', 'D /usr/bin/a',
      'C /var', 'C /var/lib', 'D /var/lib/fresh', 'A /var/lib/x',
    ]);

    const changeset = await bytes(overlayUpperTar(upper));
    const list = (await headers(changeset)).map((h) => h.name);
    assert.ok(list.includes('opt/keep/.wh..wh..opq'), 'opaque directory marker');
    assert.equal(list.indexOf('opt/keep/.wh..wh..opq'), list.indexOf('opt/keep/') + 1, 'marker right after its directory');
    assert.ok(list.includes('usr/bin/.wh.a') && list.includes('var/lib/.wh.fresh'));
    assert.ok((await headers(changeset)).every((h) => !Object.keys(pax(h)).some((k) => k.includes('trusted.overlay'))), 'no overlay xattrs exported');

    await apply(changeset, 'apply', flat);
    assert.deepEqual(tree(flat), after, 'lowers + changeset = what the container saw');

    // Re-applied as an overlay layer, the changeset gives the same upper dir back.
    const { dir: layer } = await apply(changeset, 'overlay');
    assert.deepEqual(tree(layer), tree(upper));
    assert.deepEqual(await overlayChanges(layer, [l2, l1]), changes);
  });

  test('an opaque directory hides the lowers at every depth', async () => {
    const base = tmp('opaque');
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(base, d)) as [string, string, string, string];
    for (const d of [upper, work, merged]) mkdirSync(d);
    mkdirSync(join(lower, 'd/sub'), { recursive: true });
    writeFileSync(join(lower, 'd/sub/x'), 'x');
    writeFileSync(join(lower, 'd/y'), 'y');
    mountOverlay([lower], upper, work, merged);
    rmSync(join(merged, 'd'), { recursive: true });
    mkdirSync(join(merged, 'd/sub'), { recursive: true });
    writeFileSync(join(merged, 'd/sub/z'), 'z');
    unmount(merged);
    const changes = (await overlayChanges(upper, [lower])).map((c) => `${c.kind} ${c.path}`);
    assert.ok(changes.includes('D /d/sub/x'), changes.join(', '));
    assert.ok(changes.includes('D /d/y') && changes.includes('A /d/sub/z') && changes.includes('C /d'), changes.join(', '));
  });
});

describe('treeChanges and changesTar (vfs)', () => {
  test('changes between full trees, and their changeset applied onto the parent gives the child', async () => {
    const base = tmp('vfs');
    const parent = join(base, 'parent');
    const child = join(base, 'child');
    const target = join(base, 'target');
    mkdirSync(parent);
    fixture(parent);
    mkdirSync(join(parent, 'gone/deeper'), { recursive: true });
    writeFileSync(join(parent, 'gone/deeper/f'), 'f');
    writeFileSync(join(parent, 'bin/caps'), 'c');
    writeFileSync(join(parent, 'etc/same-size'), 'aaaa');
    writeFileSync(join(parent, 'etc/becomes-dir'), 'file');
    symlinkSync('tool', join(parent, 'bin/retarget'));
    setTimes(parent);
    execFileSync('cp', ['-a', `${parent}/.`, child]);
    execFileSync('cp', ['-a', `${parent}/.`, target]);

    writeFileSync(join(child, 'etc/new'), 'added');
    mkdirSync(join(child, 'newdir/inner'), { recursive: true });
    writeFileSync(join(child, 'newdir/inner/f'), 'added');
    writeFileSync(join(child, 'etc/passwd'), 'changed\n', { flag: 'a' });
    const sameSize = lstatSync(join(child, 'etc/same-size'));
    writeFileSync(join(child, 'etc/same-size'), 'bbbb');
    utimesSync(join(child, 'etc/same-size'), sameSize.atime, new Date(sameSize.mtimeMs + 5000));
    chmodSync(join(child, 'bin/sgid'), 0o711);
    chownSync(join(child, 'etc/hosts'), 1, 1);
    rmSync(join(child, 'etc/empty'));
    rmSync(join(child, 'gone'), { recursive: true });
    rmSync(join(child, 'etc/becomes-dir'));
    mkdirSync(join(child, 'etc/becomes-dir'));
    const caps = lstatSync(join(child, 'bin/caps'));
    native.lsetxattr(join(child, 'bin/caps'), 'security.capability', CAP_NET_BIND);
    utimesSync(join(child, 'bin/caps'), caps.atime, caps.mtime);
    const link = lstatSync(join(child, 'bin/retarget'));
    rmSync(join(child, 'bin/retarget'));
    symlinkSync('sgid', join(child, 'bin/retarget')); // same length as "tool"
    lutimesSync(join(child, 'bin/retarget'), link.atime, link.mtime);
    // Parents' times as the deletions and additions left them, made whole seconds so tars carry them exactly.
    for (const d of ['', 'bin', 'etc', 'newdir/inner', 'newdir', 'etc/becomes-dir']) utimesSync(join(child, d), T0 + 7, T0 + 7);

    const changes = await treeChanges(child, parent);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), [
      'C /bin', 'C /bin/caps', 'C /bin/retarget', 'C /bin/sgid',
      'C /etc', 'C /etc/becomes-dir', 'D /etc/empty', 'C /etc/hosts', 'C /etc/hosts.bak', 'A /etc/new', 'C /etc/passwd', 'C /etc/same-size',
      'D /gone',
      'A /newdir', 'A /newdir/inner', 'A /newdir/inner/f',
    ]);

    const changeset = await bytes(changesTar(child, changes));
    assert.deepEqual((await headers(changeset)).map((h) => h.name), [
      'bin/', 'bin/caps', 'bin/retarget', 'bin/sgid',
      'etc/', 'etc/becomes-dir/', 'etc/.wh.empty', 'etc/hosts', 'etc/hosts.bak', 'etc/new', 'etc/passwd', 'etc/same-size',
      '.wh.gone',
      'newdir/', 'newdir/inner/', 'newdir/inner/f',
    ]);
    assert.equal(sha256(await bytes(changesTar(child, changes))), sha256(changeset), 'deterministic');
    await apply(changeset, 'apply', target);
    assert.deepEqual(tree(target), tree(child));
  });

  test('against nothing, every entry is added', async () => {
    const dir = join(tmp('vfs-empty'), 'root');
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/b/c'), 'c');
    const changes: Change[] = await treeChanges(dir, null);
    assert.deepEqual(changes, [{ path: '/a', kind: 'A' }, { path: '/a/b', kind: 'A' }, { path: '/a/b/c', kind: 'A' }]);
  });
});

test('overlayUpperTar writes whiteout devices as .wh. files and skips the overlay xattrs', async () => {
  const upper = join(tmp('upper'), 'diff');
  mkdirSync(join(upper, 'dir'), { recursive: true });
  native.mknod(join(upper, 'dir/gone'), S_IFCHR, 0, 0);
  native.lsetxattr(join(upper, 'dir'), 'trusted.overlay.opaque', Buffer.from('y'));
  writeFileSync(join(upper, 'dir/kept'), 'k');
  assert.deepEqual(await names(overlayUpperTar(upper)), ['dir/', 'dir/.wh..wh..opq', 'dir/.wh.gone', 'dir/kept']);
});

describe('tarOnThread', () => {
  test('gives the bytes the writers give, through a reader slower than the worker', async () => {
    const upper = join(tmp('thread'), 'diff');
    mkdirSync(join(upper, 'dir'), { recursive: true });
    native.mknod(join(upper, 'dir/gone'), S_IFCHR, 0, 0);
    // Large enough for many batches, so the worker must wait for credit.
    writeFileSync(join(upper, 'dir/big'), randomBytes(9 << 20));
    for (let i = 0; i < 300; i++) writeFileSync(join(upper, `dir/f${i}`), randomBytes(i * 37));
    const direct = await bytes(overlayUpperTar(upper));
    const slow = async (r: Readable): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const chunk of r) {
        parts.push(chunk as Buffer);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return Buffer.concat(parts);
    };
    assert.equal(sha256(await slow(tarOnThread({ kind: 'overlay-upper', dir: upper }))), sha256(direct));
    const changes: Change[] = [{ path: '/dir', kind: 'C' }, { path: '/dir/big', kind: 'A' }, { path: '/dir/old', kind: 'D' }];
    assert.equal(sha256(await bytes(tarOnThread({ kind: 'changes', dir: upper, changes }))), sha256(await bytes(changesTar(upper, changes))));
  });

  test("the worker's errors reach the reader with their code", async () => {
    const missing = join(tmp('thread-missing'), 'nope');
    await assert.rejects(bytes(tarOnThread({ kind: 'overlay-upper', dir: missing })), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, /nope/);
      return true;
    });
  });

  test('a reader that gives up stops the worker', async () => {
    const upper = join(tmp('thread-abandon'), 'diff');
    mkdirSync(upper, { recursive: true });
    writeFileSync(join(upper, 'big'), randomBytes(16 << 20));
    const tar = tarOnThread({ kind: 'overlay-upper', dir: upper });
    for await (const _ of tar) break; // destroys the stream after the first chunk
    assert.ok(tar.destroyed);
  });
});
