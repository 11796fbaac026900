/**
 * Writing tars from the filesystem: a whole tree (export), an overlay upper dir (commit on overlay2), or
 * a list of changes read from a full tree (commit on vfs). One writer serves all three. Entries are
 * relative ("etc/", "etc/passwd"), directories before their contents, names in byte order.
 */
import { closeSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { native } from '../native/index.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './apply.js';
import { isOpaque, isWhiteout, major, minor, portableXattrs } from './fsmeta.js';
import { compareNames, decodeName, fsPath, joinNames, readNames } from './names.js';
import { BLOCK, encodeHeader, padding, TYPE, type TarHeader } from './tarformat.js';
import type { Change } from './types.js';

const CHUNK = 1 << 20;

type MarkerMeta = Pick<Stats, 'mode' | 'uid' | 'gid' | 'mtimeMs'>;

class TarWriter {
  /** First name written for each multiply-linked inode; later names become hard link entries. */
  private readonly links = new Map<string, string>();

  /** Header and content of the file at `abs`, named `rel` in the tar; nothing for sockets. */
  *entry(rel: string, abs: string, st: Stats): Generator<Buffer> {
    const h: TarHeader = {
      name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000),
      type: TYPE.file, linkname: '', devmajor: 0, devminor: 0, xattrs: portableXattrs(abs),
    };
    if (st.isDirectory()) {
      h.type = TYPE.dir;
      h.name = rel + '/';
    } else if (st.isSymbolicLink()) {
      h.type = TYPE.symlink;
      h.linkname = decodeName(readlinkSync(fsPath(abs), { encoding: 'buffer' }));
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      h.type = st.isCharacterDevice() ? TYPE.char : TYPE.block;
      h.devmajor = major(st.rdev);
      h.devminor = minor(st.rdev);
    } else if (st.isFIFO()) {
      h.type = TYPE.fifo;
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first !== undefined) {
        h.type = TYPE.hardlink;
        h.linkname = first;
      } else {
        if (st.nlink > 1) this.links.set(key, rel);
        h.size = st.size;
      }
    } else return;
    yield encodeHeader(h);
    if (h.type === TYPE.file && h.size > 0) yield* this.content(abs, h.size);
  }

  private *content(abs: string, size: number): Generator<Buffer> {
    const fd = openSync(fsPath(abs), 'r');
    try {
      for (let left = size; left > 0; ) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) throw new Error(`${abs} shrank while it was being archived`);
        left -= n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
    const pad = padding(size);
    if (pad) yield Buffer.alloc(pad);
  }

  /** An empty regular file standing for a whiteout (`.wh.name`) or an opaque directory marker. */
  *marker(rel: string, st: MarkerMeta): Generator<Buffer> {
    yield encodeHeader({
      name: rel, mode: st.mode & 0o777, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000),
      type: TYPE.file, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(),
    });
  }

  *end(): Generator<Buffer> {
    yield Buffer.alloc(2 * BLOCK);
  }
}


interface Entry { rel: string; abs: string; st: Stats }

/**
 * Depth-first walk below `root`, each directory before its contents, each directory's names in byte
 * order. It keeps its own stack, so a tree thousands of directories deep walks like a flat one.
 */
function* walk(root: string): Generator<Entry> {
  /** Relative paths still to visit, the next one last. */
  const todo: string[] = [];
  const pushChildren = (rel: string): void => {
    const names = readNames(rel ? joinNames(root, rel) : root).sort(compareNames);
    for (let i = names.length - 1; i >= 0; i--) todo.push(rel ? `${rel}/${names[i]}` : names[i]!);
  };
  pushChildren('');
  while (todo.length > 0) {
    const rel = todo.pop()!;
    const abs = joinNames(root, rel);
    const st = lstatSync(fsPath(abs));
    yield { rel, abs, st };
    if (st.isDirectory()) pushChildren(rel);
  }
}

const stream = (gen: Generator<Buffer>): Readable => Readable.from(gen, { objectMode: false });

/** How many entries ahead of the one being written the contents of regular files are asked for. */
const READ_AHEAD = 64;

/**
 * `entries`, with the contents of the regular files READ_AHEAD entries ahead already on their way from
 * the disk: on a cold cache the disk then reads many files at once, not one after the other as the tar
 * is written (a commit of 2,000 small new files waited about 200 ms on those reads one by one).
 */
function* readingAhead<E extends Entry>(entries: Iterable<E>): Generator<E> {
  const window: E[] = [];
  for (const e of entries) {
    if (e.st.isFile() && e.st.size > 0) startReading(e.abs);
    window.push(e);
    if (window.length > READ_AHEAD) yield window.shift()!;
  }
  yield* window;
}

function startReading(abs: string): void {
  let fd: number;
  try {
    fd = openSync(fsPath(abs), 'r');
  } catch {
    return; // only a hint: the entry's own read reports what is wrong with the file
  }
  try {
    native.willneed(fd);
  } finally {
    closeSync(fd);
  }
}

const whiteoutName = (rel: string): string => {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? WHITEOUT_PREFIX + rel : `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
};

/** Tar of a whole directory tree (`export`). */
export function directoryTar(rootDir: string): Readable {
  return stream((function* () {
    const w = new TarWriter();
    for (const e of readingAhead(walk(rootDir))) yield* w.entry(e.rel, e.abs, e.st);
    yield* w.end();
  })());
}

/**
 * Tar of the one entry at `abs` (never followed), named `name`, and when it is a directory of everything
 * below it as `name/…` (`docker cp CONTAINER:PATH -`, whose entries are named after the path copied).
 */
export function pathTar(abs: string, name: string): Readable {
  const below = (rel: string): string => (name.endsWith('/') ? `${name}${rel}` : `${name}/${rel}`);
  return stream((function* () {
    const w = new TarWriter();
    const st = lstatSync(fsPath(abs));
    yield* w.entry(name.endsWith('/') && st.isDirectory() ? name.slice(0, -1) : name, abs, st);
    if (st.isDirectory()) for (const e of readingAhead(walk(abs))) yield* w.entry(below(e.rel), e.abs, e.st);
    yield* w.end();
  })());
}

/**
 * OCI changeset of an overlay upper dir, as the tar's bytes in order: whiteout devices become `.wh.`
 * files, opaque dirs get `.wh..wh..opq`. (overlayUpperTar streams it; tarworker.ts batches it.)
 */
export function* overlayUpperChunks(upperDir: string): Generator<Buffer> {
  const w = new TarWriter();
  for (const e of readingAhead(walk(upperDir))) {
    if (isWhiteout(e.st)) {
      yield* w.marker(whiteoutName(e.rel), e.st);
      continue;
    }
    yield* w.entry(e.rel, e.abs, e.st);
    if (e.st.isDirectory() && isOpaque(e.abs)) yield* w.marker(`${e.rel}/${OPAQUE_MARKER}`, e.st);
  }
  yield* w.end();
}

export const overlayUpperTar = (upperDir: string): Readable => stream(overlayUpperChunks(upperDir));

/** OCI changeset of `changes` read from the full tree `rootDir` (deletions become `.wh.` files), as the tar's bytes in order. */
export function* changesChunks(rootDir: string, changes: Change[]): Generator<Buffer> {
  const w = new TarWriter();
  for (const e of readingAhead(changedEntries(rootDir, changes))) {
    // As Docker's ExportChanges, whiteouts carry no owner or mode; their time is the directory's (the
    // deletion changed it), not the time of the export, so the same tree always gives the same diffID.
    if (e.deleted) yield* w.marker(whiteoutName(e.rel), { mode: 0, uid: 0, gid: 0, mtimeMs: e.st.mtimeMs });
    else yield* w.entry(e.rel, e.abs, e.st);
  }
  yield* w.end();
}

export const changesTar = (rootDir: string, changes: Change[]): Readable => stream(changesChunks(rootDir, changes));

/** The changes in path order, each with its file's metadata, or its parent directory's for a deletion. */
function* changedEntries(rootDir: string, changes: Change[]): Generator<Entry & { deleted: boolean }> {
  for (const c of [...changes].sort((a, b) => compareNames(a.path, b.path))) {
    const rel = c.path.replace(/^\/+/, '');
    const deleted = c.kind === 'D';
    const slash = rel.lastIndexOf('/');
    const abs = deleted ? (slash < 0 ? rootDir : joinNames(rootDir, rel.slice(0, slash))) : joinNames(rootDir, rel);
    yield { rel, abs, st: lstatSync(fsPath(abs)), deleted };
  }
}
