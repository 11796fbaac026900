/**
 * COPY and ADD: their sources found (wildcards, .dockerignore, never outside the source root), digested for
 * the cache and the history line (paths, types, modes and contents; not times, not owners), and copied into a
 * root filesystem with Docker's rules: a directory's contents go into the destination, a file goes into a
 * destination ending in `/` (or that is a directory) under its own name, and otherwise becomes it; missing
 * parents are made; everything belongs to the owner given (root when none).
 *
 * Hashed by Bun's hasher, as images/digest.ts hashes, not node:crypto's, whose load (with Bun's stream
 * classes) would cost every build about 10 ms of CPU.
 */
import { readFile } from 'node:fs/promises';
import {
  chmodSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readlinkSync, readSync, rmSync, statSync, symlinkSync, writeSync, type BigIntStats, type Stats,
} from 'node:fs';
import { basename, join, posix } from 'node:path';
import { resolveInRoot } from '../runtime/user.js';
import type { ContextEntry } from './context.js';
import type { DigestMemo } from './digestmemo.js';
import { BuildError } from './errors.js';

export interface Owner { uid: number; gid: number }

/** Where sources are read: the build context (with its .dockerignore) or another image's root (`--from`). */
export interface SourceRoot {
  root: string;
  excluded(rel: string): boolean;
  /** Whether paths are read inside the root as in a container (symlinks followed with the root as `/`). */
  chrooted: boolean;
  /** The build context's memo of file digests (a directory context only). */
  memo?: DigestMemo;
  /** The build context's listing, if it has been read: its stats, rather than reading each source's again. */
  listed?: () => readonly ContextEntry[] | undefined;
}

const hasWildcard = (s: string) => /[*?[]/.test(s);

/** Go's filepath.Match for one pattern against one path (`*` and `?` never cross `/`). */
function matches(pattern: string, path: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new BuildError(`syntax error in pattern`);
      re += `[${pattern.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(path);
}

/** Every path under `root`, relative, parents before children (into `out`: a generator costs a cached COPY of 1,000 files milliseconds). */
function walkAll(root: string, rel = '', out: string[] = []): string[] {
  // The entries' types from the directory itself: no stat of each entry just to know whether to descend.
  const dirents = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    const path = rel ? `${rel}/${d.name}` : d.name;
    out.push(path);
    if (d.isDirectory()) walkAll(root, path, out);
  }
  return out;
}

/** A source path as the root holds it: relative to it, `.` for the root itself. */
function clean(src: string, verb: string): string {
  const p = posix.normalize(`/${src}`).slice(1) || '.';
  if (posix.normalize(src).startsWith('..')) throw new BuildError(`${verb} failed: forbidden path outside the build context: ${src} ()`);
  return p;
}

/** The host path of a source: inside the root as a container would see it, or as it lies in the context. */
export function hostPath(from: SourceRoot, rel: string): string {
  return rel === '.' ? from.root : join(from.root, from.chrooted ? resolveInRoot(from.root, `/${rel}`) : rel);
}

/** Each source pattern's paths, relative to the root; a pattern that finds nothing is Docker's error. */
export function findSources(from: SourceRoot, patterns: string[], verb: string): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    const p = clean(pattern, verb);
    if (hasWildcard(p)) {
      const found = walkAll(from.root).filter((rel) => matches(p, rel) && !from.excluded(rel));
      if (found.length === 0) throw new BuildError(`${verb} failed: no source files were specified`);
      out.push(...found);
      continue;
    }
    let ok = !from.excluded(p);
    if (ok) {
      try { lstatSync(hostPath(from, p)); } catch { ok = false; }
    }
    if (!ok) throw new BuildError(`${verb} failed: file not found in build context or excluded by .dockerignore: stat ${pattern}: file does not exist`);
    out.push(p);
  }
  return out;
}

/** How many source files the digest reads at once: on a cold cache the disk serves many reads together. */
const READ_AHEAD = 32;

interface Described { rel: string; path: string; st: BigIntStats }

/** A source's entries (the source itself first, as `rel` ''), what .dockerignore leaves of a directory's tree. */
function describedEntries(from: SourceRoot, src: string): Described[] {
  const top = hostPath(from, src);
  const out: Described[] = [{ rel: '', path: top, st: statSync(top, { bigint: true }) }];
  if (!out[0]!.st.isDirectory()) return out;
  // A directory of the context whose listing has been read (not a link to one, which the listing does not enter).
  const listed = from.listed?.();
  if (listed && (src === '.' || listed.some((e) => e.rel === src && e.st.isDirectory()))) {
    const prefix = src === '.' ? '' : `${src}/`;
    for (const e of listed) if (e.rel.startsWith(prefix)) out.push({ rel: e.rel.slice(prefix.length), path: join(from.root, e.rel), st: e.st });
    return out;
  }
  for (const rel of walkAll(top)) {
    if (from.excluded(src === '.' ? rel : `${src}/${rel}`)) continue;
    const path = join(top, rel);
    out.push({ rel, path, st: lstatSync(path, { bigint: true }) });
  }
  return out;
}

/**
 * `dir:<hex>`, `file:<hex>` or `multi:<hex>`: the sources' digest, as the classic builder names a COPY in its
 * history: each entry's path, type and mode, and a file's content digest or a link's target.
 */
export async function sourcesDigest(from: SourceRoot, sources: string[]): Promise<string> {
  const entries = sources.flatMap((src) => describedEntries(from, src));
  // A file's digest is the memo's while its stat is unchanged (all of them, on a rebuild of an unchanged context);
  // the others are read, READ_AHEAD at a time, and memoized.
  const contents = entries.map((e) => (e.st.isFile() ? from.memo?.lookup(e.path, e.st) : e.st.isSymbolicLink() ? readlinkSync(e.path) : ''));
  const unread = entries.flatMap((_, i) => (contents[i] === undefined ? [i] : []));
  let next = 0;
  const reader = async () => {
    while (next < unread.length) {
      const i = unread[next++]!;
      const { path, st } = entries[i]!;
      contents[i] = new Bun.CryptoHasher('sha256').update(await readFile(path)).digest('hex');
      from.memo?.record(path, st, contents[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_AHEAD, unread.length) }, reader));
  const all = new Bun.CryptoHasher('sha256');
  for (const [i, { rel, st }] of entries.entries()) {
    const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
    all.update(`${rel}\0${type}\0${(Number(st.mode) & 0o7777).toString(8)}\0${contents[i]!}\n`);
  }
  const kind = sources.length > 1 ? 'multi' : entries[0]!.st.isDirectory() ? 'dir' : 'file';
  return `${kind}:${all.digest('hex')}`;
}

/** The path `abs` (absolute, in the container) on the host, its directories resolved inside `root`. */
function inRoot(root: string, abs: string): string {
  return join(root, resolveInRoot(root, abs));
}

/** Make `abs` and its missing parents as directories of `owner`, mode 0755, as Docker's MkdirAllAndChownNew. */
export function makeDirectory(root: string, abs: string, owner: Owner): void {
  const parts = abs.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = inRoot(root, `/${parts.slice(0, i).join('/')}`);
    try {
      if (lstatSync(p).isDirectory()) continue;
      throw new BuildError(`mkdir ${abs}: not a directory`);
    } catch (e) {
      if (e instanceof BuildError) throw e;
      mkdirSync(p, { mode: 0o755 });
      chmodSync(p, 0o755);
      lchownSync(p, owner.uid, owner.gid);
    }
  }
}

/**
 * Copy one entry (and a directory's tree) from `src` to `dst`, a host path inside the root filesystem whose
 * parent is a real directory there. Nothing met at `dst` is followed: a link or file in the way is replaced,
 * so the children of a directory made or kept here are named from its host path without resolving again.
 */
function copyEntry(from: SourceRoot, src: string, srcRel: string, dst: string, owner: Owner): void {
  const st = lstatSync(src);
  const existing = (() => { try { return lstatSync(dst); } catch { return null; } })();
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(dst, { force: true });
    if (!existing?.isDirectory()) {
      mkdirSync(dst);
      chmodSync(dst, st.mode & 0o7777);
      lchownSync(dst, owner.uid, owner.gid);
    }
    for (const name of readdirSync(src).sort()) {
      const rel = srcRel === '.' ? name : `${srcRel}/${name}`;
      if (!from.excluded(rel)) copyEntry(from, join(src, name), rel, join(dst, name), owner);
    }
    if (!existing?.isDirectory()) lutimesSync(dst, st.atime, st.mtime);
    return;
  }
  if (existing) rmSync(dst, { recursive: true, force: true });
  if (st.isFile()) return copyFile(src, dst, st, owner);
  if (!st.isSymbolicLink()) return; // sockets, devices and FIFOs in a context are not copied, as Docker's tar of it leaves them out
  symlinkSync(readlinkSync(src), dst);
  lchownSync(dst, owner.uid, owner.gid);
  lutimesSync(dst, st.atime, st.mtime);
}

/** A regular file's bytes, owner, mode and times, set through one descriptor (a COPY writes thousands of small files). */
function copyFile(src: string, dst: string, st: Stats, owner: Owner): void {
  const fd = openSync(dst, 'wx', 0o600);
  try {
    if (st.size > 0) copyFileRange(src, fd, st.size);
    fchownSync(fd, owner.uid, owner.gid);
    // After the owner: a chown clears the set-user-ID and set-group-ID bits.
    fchmodSync(fd, st.mode & 0o7777);
    futimesSync(fd, st.atime, st.mtime);
  } finally {
    closeSync(fd);
  }
}

/** The source's bytes written to `fd`, in pieces for a large file. */
function copyFileRange(src: string, fd: number, size: number): void {
  const input = openSync(src, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    for (let n = readSync(input, buf, 0, buf.length, null); n > 0; n = readSync(input, buf, 0, buf.length, null)) writeSync(fd, buf, 0, n);
  } finally {
    closeSync(input);
  }
}

/** Whether ADD unpacks the file: a tar, plain or gzip, bzip2 or xz compressed (known by its first bytes, not its name). */
function tarKind(path: string): boolean {
  const head = Buffer.alloc(512);
  const fd = openSync(path, 'r');
  let n: number;
  try { n = readSync(fd, head, 0, 512, 0); } finally { closeSync(fd); }
  const magic = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (magic([0x1f, 0x8b]) || magic([0x42, 0x5a, 0x68]) || magic([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return true;
  return n >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

/** ADD of a local archive: unpacked into the destination directory, its owners kept as the archive says (Docker's rule). */
function unpack(root: string, archive: string, dstAbs: string, owner: Owner): void {
  makeDirectory(root, dstAbs, owner);
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('tar', ['-x', '-f', archive, '-C', inRoot(root, dstAbs), '--same-owner', '-p'], { encoding: 'utf8' });
  if (r.status !== 0) throw new BuildError(`ADD failed: ${r.stderr.trim().split('\n')[0] ?? `tar exited with ${r.status}`}`);
}

export interface CopyRequest {
  from: SourceRoot;
  sources: string[];
  /** The destination as written (after substitution), and the working directory it is relative to. */
  dest: string;
  workdir: string;
  owner: Owner;
  /** ADD: local tar archives are unpacked. */
  add: boolean;
  verb: string;
}

/** The destination as an absolute path in the container, with Docker's trailing-slash meaning kept. */
export function destination(dest: string, workdir: string): string {
  const abs = dest.startsWith('/') ? dest : posix.join(workdir || '/', dest) + (dest.endsWith('/') || dest === '.' ? '/' : '');
  return abs;
}

/** Whether sources go into the destination (absolute, as `destination` gives it) rather than become it: a trailing `/`, or a directory there. */
export function isDirectoryDestination(root: string, dest: string): boolean {
  if (dest.endsWith('/') || dest.endsWith('/.')) return true;
  try { return statSync(inRoot(root, dest)).isDirectory(); } catch { return false; }
}

/** Copy the sources into the root filesystem at `root`. */
export function copyInto(root: string, r: CopyRequest): void {
  const dest = destination(r.dest, r.workdir);
  const destIsDir = isDirectoryDestination(root, dest);
  if (r.sources.length > 1 && !destIsDir) {
    throw new BuildError(`When using ${r.verb} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destClean = posix.normalize(dest).replace(/\/$/, '') || '/';
  for (const src of r.sources) {
    const path = hostPath(r.from, src);
    const st = statSync(path);
    if (st.isDirectory()) {
      makeDirectory(root, posix.dirname(destClean), r.owner);
      copyEntry(r.from, path, src, inRoot(root, destClean), r.owner);
    } else if (r.add && tarKind(path)) {
      unpack(root, path, destClean, r.owner);
    } else {
      const target = destIsDir ? posix.join(destClean, basename(src)) : destClean;
      makeDirectory(root, posix.dirname(target), r.owner);
      copyEntry({ ...r.from, excluded: () => false }, path, src, inRoot(root, target), r.owner);
    }
  }
}
