/**
 * Applying a layer tar onto a directory, as one streaming pass: hash every byte (the diffID), parse the
 * tar, write entries with their metadata, turn whiteouts into the driver's form, and keep a tar-split
 * record. Synchronous fs calls inside the stream consumer: one entry at a time, no promise per file.
 *
 * Safety: every name is cleaned and must stay under the root; every parent must be a real directory
 * (never a symlink, including one planted earlier in the same tar); hard links must point inside.
 *
 * Names are bytes: every fs call on an entry's path goes through `fsPath` (archive/names.ts).
 * What a later entry removes or replaces that this tar wrote goes to the tar-split's stash, not away:
 * the record still needs it to give back the earlier entry's bytes (tarsplit.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import {
  closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync,
  openSync, symlinkSync, writeSync, chmodSync,
} from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { native } from '../native/index.js';
import { OPAQUE_XATTR } from './fsmeta.js';
import { LayerSize } from './layersize.js';
import { decodeName, encodeName, fsPath, joinNames, readNames } from './names.js';
import { BreakoutError, cleanEntryPath, SafeParents } from './paths.js';
import { applyPax, BLOCK, checksumOk, isZeroBlock, padding, parseHeader, parsePax, TYPE, type TarHeader } from './tarformat.js';
import { removeTree } from './remove.js';
import { TarSplitWriter } from './tarsplit.js';
import type { ApplyOptions, ApplyResult, WhiteoutMode } from './types.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

type State = 'header' | 'data' | 'pad' | 'ext' | 'end';

/** A GNU long name or link record: the name's bytes, NUL-terminated. */
function gnuLongValue(data: Buffer): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return decodeName(data.subarray(0, end));
}

class LayerApplier extends Writable {
  /** Null when the producer hashes the stream (ApplyOptions.diffID). */
  private readonly hash: Hash | null;
  private readonly parents: SafeParents;
  private tarSize = 0;
  private readonly size = new LayerSize();
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes left of the current entry's payload, then of its padding. */
  private remaining = 0;
  private pad = 0;
  private fd: number | null = null;
  /** crc64 of the current regular file's payload so far. */
  private crc = 0n;
  private current: { header: TarHeader; path: string } | null = null;
  private extType = '';
  private extSize = 0;
  private pax: Map<string, Buffer> | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Directories' mtimes by path, set at the end; a later entry for the same directory wins. */
  private readonly dirTimes = new Map<string, number>();
  /** Paths this tar wrote (apply mode): an opaque marker keeps them and removes the parent's older children. */
  private readonly written = new Set<string>();

  constructor(private readonly root: string, private readonly whiteouts: WhiteoutMode, private readonly split: TarSplitWriter, private readonly diffID?: () => string) {
    super({ highWaterMark: 1 << 20 });
    this.hash = diffID ? null : createHash('sha256');
    this.parents = new SafeParents(root);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.hash?.update(chunk);
    this.tarSize += chunk.length;
    try {
      this.consume(chunk);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _final(done: (e?: Error | null) => void): void {
    try {
      // Go's reader accepts a tar that ends at an entry boundary without the zero blocks; so do we.
      if (this.state !== 'end' && !(this.state === 'header' && this.pendingLength === 0 && this.extSize === 0)) {
        throw new Error(`unexpected end of tar stream (truncated archive?)${this.current ? ` in ${JSON.stringify(this.current.header.name)}` : ''}`);
      }
      if (this.pax !== null || this.longName !== null || this.longLink !== null) {
        throw new Error('unexpected end of tar stream after an extended header (truncated archive?)');
      }
      // Children change their directory's mtime, so directories get theirs last, deepest first (tars
      // list parents first). A later entry may have put something else there: only a directory gets it.
      const dirs = [...this.dirTimes.keys()];
      for (let i = dirs.length - 1; i >= 0; i--) {
        const abs = this.abs(dirs[i]!);
        let isDir = false;
        try {
          isDir = lstatSync(abs).isDirectory();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e; // removed later in the same tar
        }
        const t = this.dirTimes.get(dirs[i]!)!;
        if (isDir) lutimesSync(abs, t, t);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _destroy(err: Error | null, done: (e: Error | null) => void): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    done(err);
  }

  result(): ApplyResult {
    return { diffID: this.hash ? 'sha256:' + this.hash.digest('hex') : this.diffID!(), tarSize: this.tarSize, size: this.size.total };
  }

  /** Take `n` bytes from pending + chunk, or null if not enough yet (they are stashed). */
  private take(chunk: Buffer, off: number, n: number): { block: Buffer; used: number } | null {
    const need = n - this.pendingLength;
    if (chunk.length - off < need) {
      this.pending.push(chunk.subarray(off));
      this.pendingLength += chunk.length - off;
      return null;
    }
    const block = this.pendingLength === 0 ? chunk.subarray(off, off + n) : Buffer.concat([...this.pending, chunk.subarray(off, off + need)]);
    this.pending = [];
    this.pendingLength = 0;
    return { block, used: need };
  }

  private consume(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'header': {
          const t = this.take(chunk, off, BLOCK);
          if (!t) return;
          off += t.used;
          this.split.addRaw(t.block);
          this.header(t.block, this.tarSize - chunk.length + off - BLOCK);
          break;
        }
        case 'ext': {
          const t = this.take(chunk, off, this.extSize + padding(this.extSize));
          if (!t) return;
          off += t.used;
          this.split.addRaw(t.block);
          this.extension(t.block.subarray(0, this.extSize));
          this.extSize = 0;
          this.state = 'header';
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - off);
          if (this.fd !== null) {
            for (let w = 0; w < n; ) w += writeSync(this.fd, chunk, off + w, n - w);
            this.crc = native.crc64(this.crc, chunk.subarray(off, off + n));
          } else this.split.addRaw(chunk.subarray(off, off + n));
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endEntry();
          break;
        }
        case 'pad': {
          const n = Math.min(this.pad, chunk.length - off);
          this.split.addRaw(chunk.subarray(off, off + n));
          off += n;
          this.pad -= n;
          if (this.pad === 0) this.state = 'header';
          break;
        }
        case 'end':
          this.split.addRaw(chunk.subarray(off));
          return;
      }
    }
  }

  /** `at`: the block's offset in the stream, for error messages. */
  private header(block: Buffer, at: number): void {
    if (isZeroBlock(block, 0)) {
      this.state = 'end';
      return;
    }
    if (!checksumOk(block, 0)) throw new Error(`invalid tar header checksum at byte ${at} (corrupt or not a tar archive)`);
    let h: TarHeader;
    try {
      h = parseHeader(block, 0);
    } catch (e) {
      throw new Error(`invalid tar header at byte ${at}: ${(e as Error).message}`);
    }
    if (h.type === TYPE.pax || h.type === TYPE.paxGlobal || h.type === TYPE.gnuLongName || h.type === TYPE.gnuLongLink) {
      if (h.size > 1 << 24) throw new Error(`tar extension header of ${h.size} bytes is too large`);
      this.extType = h.type;
      this.extSize = h.size;
      this.state = h.size > 0 ? 'ext' : 'header';
      return;
    }
    if (this.pax) {
      if ([...this.pax.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
        const name = this.pax.get('GNU.sparse.name') ?? this.pax.get('path');
        throw new Error(`tar entry ${JSON.stringify(name?.toString() ?? h.name)}: GNU sparse files are not supported`);
      }
      applyPax(h, this.pax);
    }
    if (this.longName !== null) h.name = this.longName;
    if (this.longLink !== null) h.linkname = this.longLink;
    this.pax = null;
    this.longName = this.longLink = null;
    this.begin(h);
  }

  private extension(data: Buffer): void {
    switch (this.extType) {
      case TYPE.pax: this.pax = parsePax(data); break;
      case TYPE.gnuLongName: this.longName = gnuLongValue(data); break;
      case TYPE.gnuLongLink: this.longLink = gnuLongValue(data); break;
      default: break; // global pax headers carry nothing strata uses
    }
  }

  private begin(h: TarHeader): void {
    let path: string;
    try {
      path = cleanEntryPath(h.name);
    } catch (e) {
      throw new BreakoutError(`invalid tar entry: ${(e as Error).message}`);
    }
    this.current = { header: h, path };
    this.remaining = h.size;
    this.pad = padding(h.size);
    const isFile = h.type === TYPE.file || h.type === TYPE.oldFile || h.type === TYPE.contiguous;
    if (path !== '') {
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const parent = slash < 0 ? '' : path.slice(0, slash);
      this.parents.ensure(parent, h.name);
      if (base.startsWith(WHITEOUT_PREFIX)) this.whiteout(parent, base, h);
      else {
        this.create(path, h, isFile);
        this.count(path, h, isFile);
        // After create: what it replaced counts as this tar's only if an earlier entry wrote it.
        if (this.whiteouts === 'apply') this.markWritten(path);
      }
    }
    if (this.remaining === 0) this.endEntry();
    else this.state = 'data';
  }

  private whiteout(parent: string, base: string, h: TarHeader): void {
    if (base === OPAQUE_MARKER) {
      if (this.whiteouts === 'overlay') native.lsetxattr(this.abs(parent), OPAQUE_XATTR, Buffer.from('y'));
      else this.removeOlder(parent);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // aufs bookkeeping, meaningless here
    const name = base.slice(WHITEOUT_PREFIX.length);
    // ".wh.." would name the parent itself (at the top: the directory above the root).
    if (name === '' || name === '.' || name === '..') throw new BreakoutError(`invalid whiteout ${JSON.stringify(h.name)}: it names no entry of its directory`);
    const target = parent ? `${parent}/${name}` : name;
    this.remove(target);
    if (this.whiteouts === 'overlay') {
      const abs = this.abs(target);
      native.mknod(abs, S_IFCHR, 0, 0);
      lchownSync(abs, h.uid, h.gid);
      lutimesSync(abs, h.mtime, h.mtime);
    }
  }

  /** An opaque directory in a full tree: everything below `dir` that this tar did not write goes, at any depth. */
  private removeOlder(dir: string): void {
    this.removeUnwritten(joinNames(this.root, dir), dir);
  }

  /**
   * Remove everything below `abs` that this tar did not write, at any depth (apply mode). `abs` is the
   * layer's `rel`, or a copy of it moved to the stash (then the parent's files that came along go).
   */
  private removeUnwritten(abs: string, rel: string): void {
    const todo: [string, string][] = [[abs, rel]];
    for (let next = todo.pop(); next; next = todo.pop()) {
      const [dirAbs, dirRel] = next;
      for (const name of readNames(dirAbs)) {
        const childAbs = joinNames(dirAbs, name);
        const childRel = dirRel ? `${dirRel}/${name}` : name;
        if (!this.written.has(childRel)) {
          removeTree(childAbs);
          this.parents.forget(childRel);
        } else if (lstatSync(fsPath(childAbs)).isDirectory()) todo.push([childAbs, childRel]);
      }
    }
  }

  /** Record `path` and its ancestors as written by this tar (apply mode's opaque directories keep them). */
  private markWritten(path: string): void {
    for (let p = path; p !== '' && !this.written.has(p); p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) this.written.add(p);
  }

  /**
   * Remove what is at `rel`. What this tar wrote there (in overlay mode the layer holds nothing else)
   * moves to the tar-split's stash instead, a whole directory in one rename; the parent's files that
   * come along with a directory in apply mode are then removed from the stashed copy.
   */
  private remove(rel: string): void {
    if (this.whiteouts === 'overlay' || this.written.has(rel)) {
      const stashed = this.split.relocate(this.abs(rel), rel);
      if (stashed !== null && this.whiteouts === 'apply' && lstatSync(stashed).isDirectory()) this.removeUnwritten(stashed, rel);
    } else removeTree(joinNames(this.root, rel));
    this.parents.forget(rel);
    this.size.removed(rel);
  }

  /** What the entry just made at `path` adds to the layer's size. */
  private count(path: string, h: TarHeader, isFile: boolean): void {
    if (isFile) this.size.file(path, h.size);
    else if (h.type === TYPE.symlink) this.size.file(path, encodeName(h.linkname).length);
    else if (h.type === TYPE.hardlink) this.size.link(path, cleanEntryPath(h.linkname));
    else this.size.other(path, h.type === TYPE.dir);
  }

  /** The path of `rel` under the root, for an fs call (bytes when the name is not UTF-8). */
  private abs(rel: string): string | Buffer {
    return fsPath(joinNames(this.root, rel));
  }

  /** Run `make`; if the path is taken by something else, remove it and try once more. */
  private replacing<T>(rel: string, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      this.remove(rel);
      return make();
    }
  }

  private create(path: string, h: TarHeader, isFile: boolean): void {
    const abs = this.abs(path);
    const perm = h.mode & 0o7777;
    switch (h.type) {
      case TYPE.dir: {
        try {
          mkdirSync(abs, 0o700);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          if (!lstatSync(abs).isDirectory()) {
            this.remove(path);
            mkdirSync(abs, 0o700);
          }
        }
        this.parents.markDir(path);
        lchownSync(abs, h.uid, h.gid);
        chmodSync(abs, perm);
        this.setXattrs(abs, h);
        this.dirTimes.set(path, h.mtime);
        return;
      }
      case TYPE.symlink:
        this.replacing(path, () => symlinkSync(fsPath(h.linkname), abs));
        lchownSync(abs, h.uid, h.gid);
        this.setXattrs(abs, h);
        lutimesSync(abs, h.mtime, h.mtime);
        return;
      case TYPE.hardlink: {
        let target: string;
        try {
          target = cleanEntryPath(h.linkname);
        } catch {
          throw new BreakoutError(`invalid hard link ${JSON.stringify(h.name)}: target ${JSON.stringify(h.linkname)} is outside of the layer root`);
        }
        const targetParent = target.slice(0, Math.max(0, target.lastIndexOf('/')));
        try {
          this.parents.ensure(targetParent, h.name, false);
          this.replacing(path, () => linkSync(this.abs(target), abs));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`hard link ${JSON.stringify(h.name)}: target ${JSON.stringify(h.linkname)} is not in this layer`);
          throw e;
        }
        return;
      }
      case TYPE.char:
      case TYPE.block:
      case TYPE.fifo: {
        const kind = h.type === TYPE.char ? S_IFCHR : h.type === TYPE.block ? S_IFBLK : S_IFIFO;
        this.replacing(path, () => native.mknod(abs, kind | perm, h.devmajor, h.devminor));
        lchownSync(abs, h.uid, h.gid);
        chmodSync(abs, perm);
        this.setXattrs(abs, h);
        lutimesSync(abs, h.mtime, h.mtime);
        return;
      }
      default:
        if (!isFile) {
          const what = h.type === TYPE.gnuSparse ? 'GNU sparse files are not supported' : `unsupported entry type ${JSON.stringify(h.type)}`;
          throw new Error(`tar entry ${JSON.stringify(h.name)}: ${what}`);
        }
        this.fd = this.replacing(path, () => openSync(abs, CREATE_FILE, 0o600));
        this.crc = 0n;
    }
  }

  /** OverlayFS's own attributes (opaque, redirect, origin…) are never taken from a tar: they would steer the union mount. */
  private setXattrs(abs: string | Buffer, h: TarHeader): void {
    for (const [k, v] of h.xattrs) if (!k.startsWith('trusted.overlay.')) native.lsetxattr(abs, k, v);
  }

  /** The payload is written: finish a regular file's metadata (owner before mode keeps setuid; caps after owner). */
  private endEntry(): void {
    if (this.fd !== null && this.current) {
      const { header: h, path } = this.current;
      const fd = this.fd;
      this.fd = null;
      try {
        fchownSync(fd, h.uid, h.gid);
        fchmodSync(fd, h.mode & 0o7777);
        this.setXattrs(this.abs(path), h);
        futimesSync(fd, h.mtime, h.mtime);
      } finally {
        closeSync(fd);
      }
      this.split.addFile(path, h.size, this.crc);
    }
    this.current = null;
    this.state = this.pad > 0 ? 'pad' : 'header';
  }
}

/** Apply an uncompressed layer tar onto `dir`; see ApplyOptions for how whiteouts land. */
export async function applyLayer(tar: Readable, dir: string, opts: ApplyOptions): Promise<ApplyResult> {
  const split = new TarSplitWriter(opts.tarSplitPath);
  const applier = new LayerApplier(dir, opts.whiteouts, split, opts.diffID);
  try {
    await pipeline(tar, applier);
    split.finish();
  } catch (e) {
    split.discard();
    throw e;
  }
  return applier.result();
}
