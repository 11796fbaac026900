/**
 * tar-split records: everything of a layer tar except the contents of its regular files (headers,
 * padding, trailer, about 1% of the tar), plus for each file its path, size and crc64. With the layer's
 * directory this gives back the exact tar bytes, so save and push send the bytes whose sha256 is the
 * diffID, without keeping a second copy of the layer.
 *
 * A tar may write a path twice (the later entry wins). Whatever apply removes or replaces that this tar
 * wrote is not deleted but moved (one rename, a whole directory at once) into the stash beside the record,
 * `<record>.stash/<n>`, and the record notes the move: a relocation {at: files written so far, path, n}.
 * A file segment #i for path P is read from the stash of the first relocation after i that moved P or one
 * of its parents; else from the layer directory. The stash is outside the layer directory, which is an
 * OverlayFS lowerdir.
 *
 * Format, written as the tar is applied (buffered, never held whole in memory):
 *   MAGIC
 *   segments   0x01 u32le n, n raw bytes
 *              0x03 u16le n, n path bytes, f64le size, u64le crc64 (a regular file's payload)
 *   relocations, from `table` to the footer: u32le at, u32le n, u16le len, len path bytes
 *   footer     f64le table
 *
 * Replay never follows a symlink or opens anything but a regular file (a later entry may have put a
 * symlink or a FIFO where a file was), checks every file's size and crc64, and the whole stream's sha256
 * against the diffID; any mismatch fails the stream before its last bytes, naming the layer and the file.
 */
import { removeTree } from './remove.js';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { native } from '../native/index.js';
import { decodeName, encodeName, fsPath, joinNames } from './names.js';

const MAGIC = Buffer.from('strata tar-split 2\n');
const RAW = 1;
const FILE = 3;
const CHUNK = 1 << 20;
const FOOTER = 8;

/** Where a record's stash lives; removed with the record (removeTarSplit). */
const stashDir = (recordPath: string): string => `${recordPath}.stash`;

/** Remove a layer's tar-split record and its stash. */
export function removeTarSplit(recordPath: string): void {
  removeTree(recordPath);
  removeTree(stashDir(recordPath));
}

interface Relocation {
  /** Number of file segments written before the move. */
  at: number;
  /** Path in the layer of what was moved. */
  path: string;
  /** Its name in the stash. */
  stash: number;
}

/** Writes a record to disk as the tar is applied, through a 1 MiB buffer, so memory stays flat. */
export class TarSplitWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Where in `buf` the open raw segment's header is (-1: none open). */
  private rawHead = -1;
  private files = 0;
  private readonly relocations: Relocation[] = [];
  private closed = false;
  /** Bytes written to the file so far. */
  private written = 0;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'w');
    MAGIC.copy(this.buf);
    this.pos = MAGIC.length;
  }

  /** Bytes kept as they are (headers, padding, trailer, non-file payloads). */
  addRaw(bytes: Buffer): void {
    for (let off = 0; off < bytes.length; ) {
      if (this.rawHead < 0) {
        if (CHUNK - this.pos < 6) this.flush();
        this.rawHead = this.pos;
        this.buf[this.pos] = RAW;
        this.pos += 5;
      }
      const n = bytes.copy(this.buf, this.pos, off);
      this.pos += n;
      off += n;
      if (this.pos === CHUNK) this.flush();
    }
  }

  /** A regular file's content, to be read back from `path` (relative to the layer directory). */
  addFile(path: string, size: number, crc: bigint): void {
    const p = encodeName(path);
    const need = 3 + p.length + 16;
    if (CHUNK - this.pos < need) this.flush();
    else this.closeRaw();
    const b = this.buf;
    b[this.pos] = FILE;
    b.writeUInt16LE(p.length, this.pos + 1);
    p.copy(b, this.pos + 3);
    b.writeDoubleLE(size, this.pos + 3 + p.length);
    b.writeBigUInt64LE(crc, this.pos + 11 + p.length);
    this.pos += need;
    this.files++;
  }

  /**
   * Move what is at `abs` (layer path `path`, written by this tar) into the stash instead of deleting it:
   * earlier file segments still read from it. Returns where it went; null when nothing is there.
   */
  relocate(abs: string | Buffer, path: string): string | null {
    if (!lstatSync(abs, { throwIfNoEntry: false })) return null;
    const stash = this.relocations.length;
    const to = joinNames(stashDir(this.path), String(stash));
    if (stash === 0) mkdirSync(stashDir(this.path), { recursive: true, mode: 0o700 });
    renameSync(abs, to);
    this.relocations.push({ at: this.files, path, stash });
    return to;
  }

  /** Write the relocations and the footer, and close the file. */
  finish(): void {
    this.flush();
    const table = this.written;
    for (const r of this.relocations) {
      const p = encodeName(r.path);
      const b = Buffer.allocUnsafe(10 + p.length);
      b.writeUInt32LE(r.at, 0);
      b.writeUInt32LE(r.stash, 4);
      b.writeUInt16LE(p.length, 8);
      p.copy(b, 10);
      this.write(b);
    }
    const footer = Buffer.allocUnsafe(FOOTER);
    footer.writeDoubleLE(table);
    this.write(footer);
    this.close();
  }

  /** Give up: close and remove what was written (the record and its stash). */
  discard(): void {
    this.close();
    removeTarSplit(this.path);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private closeRaw(): void {
    if (this.rawHead < 0) return;
    this.buf.writeUInt32LE(this.pos - this.rawHead - 5, this.rawHead + 1);
    this.rawHead = -1;
  }

  private flush(): void {
    this.closeRaw();
    this.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private write(b: Buffer): void {
    for (let off = 0; off < b.length; ) off += writeSync(this.fd, b, off, b.length - off);
    this.written += b.length;
  }
}

/** Reads a record's bytes in order, a chunk at a time. Slices handed out stay valid (each fill is a new buffer). */
class RecordReader {
  private buf = Buffer.alloc(0);
  private pos = 0;

  constructor(private readonly fd: number, private filePos: number, private readonly end: number) {}

  get done(): boolean {
    return this.pos === this.buf.length && this.filePos === this.end;
  }

  /** The next `n` bytes, n ≤ CHUNK. */
  take(n: number): Buffer {
    if (this.buf.length - this.pos < n) this.fill(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private fill(n: number): void {
    const rest = this.buf.length - this.pos;
    const want = Math.min(Math.max(n, CHUNK) - rest, this.end - this.filePos);
    if (rest + want < n) throw new Error('tar-split record is truncated');
    const next = Buffer.allocUnsafe(rest + want);
    this.buf.copy(next, 0, this.pos);
    for (let got = 0; got < want; ) {
      const r = readSync(this.fd, next, rest + got, want - got, this.filePos);
      if (r === 0) throw new Error('tar-split record is truncated');
      got += r;
      this.filePos += r;
    }
    this.buf = next;
    this.pos = 0;
  }
}

/** The relocations of a record, by path, each list in order of `at`. */
class Relocations {
  private readonly byPath = new Map<string, Relocation[]>();

  constructor(list: Relocation[]) {
    for (const r of list) {
      const l = this.byPath.get(r.path) ?? [];
      l.push(r);
      this.byPath.set(r.path, l);
    }
  }

  /** Where file segment #i for `path` is now: the stash entry of the first move after it of the path or a parent. */
  find(i: number, path: string): string | null {
    if (this.byPath.size === 0) return null;
    let best: Relocation | undefined;
    let bestPrefix = '';
    for (let prefix = path; prefix !== ''; prefix = prefix.slice(0, Math.max(0, prefix.lastIndexOf('/')))) {
      const r = firstAfter(this.byPath.get(prefix), i);
      if (r && (!best || r.at < best.at)) {
        best = r;
        bestPrefix = prefix;
      }
    }
    return best ? String(best.stash) + path.slice(bestPrefix.length) : null;
  }
}

/** The first relocation of `list` (in order of `at`) made after file segment #i; binary search, as a hostile tar may move one path a million times. */
function firstAfter(list: Relocation[] | undefined, i: number): Relocation | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at > i) hi = mid;
    else lo = mid + 1;
  }
  return list[lo];
}

function readRelocations(fd: number, size: number): { table: number; relocations: Relocations } {
  const head = Buffer.alloc(MAGIC.length);
  readSync(fd, head, 0, head.length, 0);
  if (!head.equals(MAGIC)) throw new Error('tar-split record is in an unknown format (written by an older strata? import the image again)');
  const footer = Buffer.alloc(FOOTER);
  if (size < MAGIC.length + FOOTER || readSync(fd, footer, 0, FOOTER, size - FOOTER) !== FOOTER) throw new Error('tar-split record is truncated');
  const table = footer.readDoubleLE(0);
  if (!Number.isInteger(table) || table < MAGIC.length || table > size - FOOTER) throw new Error('tar-split record is corrupt');
  const reader = new RecordReader(fd, table, size - FOOTER);
  const list: Relocation[] = [];
  while (!reader.done) {
    const b = reader.take(10);
    const at = b.readUInt32LE(0);
    const stash = b.readUInt32LE(4);
    list.push({ at, stash, path: decodeName(reader.take(b.readUInt16LE(8))) });
  }
  return { table, relocations: new Relocations(list) };
}

/** Opens a layer's files without following links; keeps the last directory open (entries come a directory at a time). */
class SafeOpener {
  private dirKey: string | null = null;
  private dirFd = -1;

  /** A read-only fd of root/rel, or -1 when it is not a regular file. Throws ENOENT, ELOOP, ENOTDIR… */
  open(root: string, rel: string): number {
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const key = `${root}\0${parent}`;
    if (key !== this.dirKey) {
      this.close();
      this.dirFd = native.openDirBeneath(root, fsPath(parent));
      this.dirKey = key;
    }
    return native.openRegularAt(this.dirFd, fsPath(rel.slice(slash + 1)));
  }

  close(): void {
    if (this.dirFd >= 0) closeSync(this.dirFd);
    this.dirFd = -1;
    this.dirKey = null;
  }
}

/** A file of the layer that does not match its record. */
class ChangedFile extends Error {}

/** The payload of one file segment, checked against its size and crc64. */
function* filePayload(opener: SafeOpener, root: string, rel: string, size: number, crc: bigint): Generator<Buffer> {
  let fd: number;
  try {
    fd = opener.open(root, rel);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ChangedFile(code === 'ENOENT' ? 'it is gone' : code === 'ELOOP' || code === 'ENOTDIR' ? 'a parent directory was replaced' : (e as Error).message);
  }
  if (fd < 0) throw new ChangedFile('it is no longer a regular file');
  try {
    const actual = fstatSync(fd).size;
    if (actual !== size) throw new ChangedFile(`its size is ${actual} bytes, the layer's ${size}`);
    let sum = 0n;
    for (let left = size; left > 0; ) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) throw new ChangedFile('it got shorter while being read');
      const got = n === buf.length ? buf : buf.subarray(0, n);
      sum = native.crc64(sum, got);
      left -= n;
      yield got;
    }
    if (sum !== crc) throw new ChangedFile('its content differs (crc64)');
  } finally {
    closeSync(fd);
  }
}

/** Every byte of the layer tar, in order, unchecked but for each file's own checks. */
function* segments(dir: string, recordPath: string, fd: number, opener: SafeOpener): Generator<Buffer> {
  const { table, relocations } = readRelocations(fd, fstatSync(fd).size);
  const reader = new RecordReader(fd, MAGIC.length, table);
  for (let files = 0; !reader.done; ) {
    const kind = reader.take(1)[0];
    if (kind === RAW) {
      for (let left = reader.take(4).readUInt32LE(0); left > 0; ) {
        const n = Math.min(left, CHUNK);
        yield reader.take(n);
        left -= n;
      }
    } else if (kind === FILE) {
      const path = decodeName(reader.take(reader.take(2).readUInt16LE(0)));
      const meta = reader.take(16);
      const size = meta.readDoubleLE(0);
      const stashed = relocations.find(files++, path);
      try {
        yield* filePayload(opener, stashed === null ? dir : stashDir(recordPath), stashed ?? path, size, meta.readBigUInt64LE(8));
      } catch (e) {
        if (e instanceof ChangedFile) throw new ChangedFile(`file ${path} changed on disk since the layer was written: ${e.message}`);
        throw e;
      }
    } else throw new Error('tar-split record is corrupt');
  }
}

/**
 * The exact bytes of a layer tar applied with applyLayer, checked while streaming: every file against
 * its size and crc64, the whole against `diffID`. On a mismatch the stream fails before its last chunk,
 * so no consumer ever gets the complete bytes of a wrong layer.
 */
async function* reassemble(dir: string, recordPath: string, diffID: string): AsyncGenerator<Buffer> {
  const fd = openSync(recordPath, 'r');
  const opener = new SafeOpener();
  const hash = createHash('sha256');
  try {
    let held: Buffer | null = null;
    for (const chunk of segments(dir, recordPath, fd, opener)) {
      hash.update(chunk);
      if (held) yield held;
      held = chunk;
    }
    const actual = 'sha256:' + hash.digest('hex');
    if (actual !== diffID) throw new Error(`its files now give a tar whose sha256 is ${actual}: the layer is damaged`);
    if (held) yield held;
  } catch (e) {
    throw new Error(`layer ${diffID}: ${(e as Error).message}`);
  } finally {
    opener.close();
    closeSync(fd);
  }
}

/** The exact bytes of a layer tar applied with applyLayer, whose sha256 is `diffID`; see reassemble. */
export function layerTar(dir: string, tarSplitPath: string, diffID: string): Readable {
  return Readable.from(reassemble(dir, tarSplitPath, diffID), { objectMode: false });
}
