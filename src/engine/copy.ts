/**
 * `docker cp` between a container's root filesystem and the host, with Docker's path rules. Every path
 * on the container's side is resolved inside its root (its symlinks read with the root as `/`), and
 * the copy never follows a symlink it meets inside the container: it is copied as a link, or replaced
 * when the copy writes there. A running container is frozen for the copy (as Docker does since
 * CVE-2018-15664), so nothing in it can swap a directory for a link between a check and its use.
 * A path under one of the container's volume or bind mounts is the mount's source on the host, as it is
 * inside the container, running or not (Docker's daemon mounts them for a copy).
 */
import {
  chmodSync, constants, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync,
  symlinkSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { resolveInRoot } from '../runtime/user.js';
import { ConflictError, InvalidArgumentError, NotFoundError, StrataError } from './errors.js';
import { archive } from './lazy.js';

export interface CopyOptions {
  /** -L: follow a symlink named by the source path. */
  followLink?: boolean;
  /** -a: keep the source's owners; otherwise what is copied into a container belongs to its root (0:0). */
  archive?: boolean;
}

/** A mount of the container whose files are on the host: a volume's `_data` or a bind's source (not tmpfs). */
export interface HostMount { destination: string; source: string; rw: boolean }

/** Where a container's paths are on the host: its mounted rootfs, and its mounts over it. */
export interface ContainerView { rootfs: string; mounts: HostMount[] }

/** One side of a copy: the container it is in (null for the host), the path as the user wrote it. */
export interface CopySide { view: ContainerView | null; path: string }

/** The mount a container path (relative to its `/`) is under, the deepest one, if any. */
function mountOf(view: ContainerView, rel: string): HostMount | undefined {
  const path = `/${rel}`;
  let best: HostMount | undefined;
  for (const m of view.mounts) {
    if ((path === m.destination || path.startsWith(`${m.destination}/`)) && m.destination.length > (best?.destination.length ?? 0)) best = m;
  }
  return best;
}

/** The host path of a container path (relative to its `/`, free of links): under a mount's source, or the rootfs. */
function locate(view: ContainerView, rel: string): string {
  const m = mountOf(view, rel);
  return m ? join(m.source, `/${rel}`.slice(m.destination.length)) : join(view.rootfs, rel);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * The host path of `side`: its directories resolved inside the root; its last component too when it is
 * to be followed (-L, or a path ending in `/` or `/.`), else taken as it is (a link is copied as a link).
 */
function hostPath(side: CopySide, followLast: boolean): string {
  return containerPath(side, followLast, (view, rel) => locate(view, rel));
}

/** The side's path resolved as hostPath does, then given to `at` (the container's view, the path relative to its `/`). */
function containerPath<T>(side: CopySide, followLast: boolean, at: (view: ContainerView, rel: string) => T): T | string {
  const { view } = side;
  if (!view) return side.path;
  const resolve = (p: string) => resolveInRoot(view.rootfs, p, (rel) => locate(view, rel));
  const trailing = /\/\.?$/.test(side.path);
  if (followLast || trailing || side.path === '/') return at(view, resolve(side.path));
  return at(view, join(resolve(dirname(side.path)), basename(side.path)));
}

/** Docker's refusal to write under a read-only mount of the container. */
function assertWritable(dst: CopySide): void {
  const m = containerPath(dst, true, (view, rel) => mountOf(view, rel));
  if (typeof m === 'object' && !m.rw) throw new ConflictError('mounted volume is marked read-only');
}

/** Copy the entry at `from` (never followed) to `to`, replacing what is there unless both are directories. */
function copyEntry(from: string, to: string, owner: { uid: number; gid: number } | null): void {
  const st = lstatSync(from);
  const existing = lstatOrNull(to);
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(to, { recursive: true, force: true });
    if (!existing?.isDirectory()) mkdirSync(to);
    for (const name of readdirSync(from)) copyEntry(join(from, name), join(to, name), owner);
  } else {
    // A link (or anything else) at the destination is removed, never written through.
    if (existing) rmSync(to, { recursive: true, force: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isFile()) copyFileSync(from, to, constants.COPYFILE_EXCL);
    else throw new StrataError(`${from}: cannot copy a special file (device, FIFO or socket)`);
  }
  lchownSync(to, owner?.uid ?? st.uid, owner?.gid ?? st.gid);
  if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777);
  lutimesSync(to, st.atime, st.mtime);
}

/**
 * Copy `src` to `dst` with Docker's rules: a file onto a file or into a directory; a directory into a
 * directory (its contents only when the source ends in `/.`), or as a new directory at a path that does
 * not exist; `describe` names a side in messages as the user wrote it.
 */
export function copyPath(src: CopySide, dst: CopySide, opts: CopyOptions, describe: (side: CopySide) => string, intoContainer: boolean): void {
  const from = hostPath(src, !!opts.followLink);
  const st = lstatOrNull(from);
  if (!st) throw missingSource(src, describe);
  if (/\/\.?$/.test(src.path) && !st.isDirectory()) throw new InvalidArgumentError(`${describe(src)}: not a directory`);
  const contentsOnly = /\/\.$/.test(src.path);
  if (intoContainer) assertWritable(dst);
  const to = hostPath(dst, true);
  const target = lstatOrNull(to);
  const owner = intoContainer && !opts.archive ? { uid: 0, gid: 0 } : null;
  if (!dst.view && /\/$/.test(dst.path) && target === null && lstatOrNull(dst.path.replace(/\/+$/, ''))) {
    // `FILE/` on the host, as the docker CLI's stat of it fails.
    throw new InvalidArgumentError(`stat ${resolve(dst.path)}/: not a directory`);
  }
  if (st.isDirectory()) {
    if (target && !target.isDirectory()) throw new InvalidArgumentError('cannot copy directory');
    if (!target) {
      if (!lstatOrNull(dirname(to))?.isDirectory()) throw missingParent(dst, describe);
      copyEntry(from, to, owner);
      return;
    }
    if (contentsOnly) {
      for (const name of readdirSync(from)) copyEntry(join(from, name), join(to, name), owner);
      return;
    }
    copyEntry(from, join(to, basename(from)), owner);
    return;
  }
  if (target?.isDirectory()) {
    copyEntry(from, join(to, basename(from)), owner);
    return;
  }
  // A path ending in `/` asserts a directory (Docker's ErrDirNotExists), a file there included.
  if (!target?.isDirectory() && /\/$/.test(dst.path)) throw new NotFoundError('no such directory');
  if (!lstatOrNull(dirname(to))?.isDirectory()) throw missingParent(dst, describe);
  copyEntry(from, to, owner);
}

/**
 * A source that is not there, in the docker CLI's words: the container's path as written, a host path made
 * absolute (`lstat /abs/path: …`), and a host `FILE/` or `FILE/.` only said to be no directory.
 */
function missingSource(src: CopySide, describe: (side: CopySide) => string): StrataError {
  if (src.view) return new NotFoundError(`No such container:path: ${describe(src)}`);
  const bare = src.path.replace(/\/\.?$/, '');
  if (bare !== src.path && lstatOrNull(bare)) return new InvalidArgumentError('not a directory');
  return new NotFoundError(`lstat ${resolve(src.path)}: no such file or directory`);
}

/** A destination whose directory is not there: the daemon's stat of it in a container, the CLI's check on the host. */
function missingParent(dst: CopySide, describe: (side: CopySide) => string): StrataError {
  const parent = dirname(dst.path.replace(/\/+$/, ''));
  return dst.view
    ? new NotFoundError(`No such container:path: ${describe({ ...dst, path: parent })}`)
    : new NotFoundError(`invalid output path: directory ${JSON.stringify(resolve(parent))} does not exist`);
}

/**
 * `docker cp CONTAINER:PATH -`: a tar of the path, its one top entry named as the path's last component
 * (`.` for `PATH/.`, the link's target with -L, `/` for the root), as Docker's daemon writes it.
 */
export function copyOutTar(src: CopySide, opts: CopyOptions, ref: string): Readable {
  const from = hostPath(src, !!opts.followLink);
  const st = lstatOrNull(from);
  if (!st) throw new NotFoundError(`Could not find the file ${src.path} in container ${ref}`);
  if (/\/\.?$/.test(src.path) && !st.isDirectory()) throw new InvalidArgumentError(`${ref}:${src.path}: not a directory`);
  const name = src.path === '/' ? '/' : /\/\.$/.test(src.path) ? '.' : opts.followLink ? basename(from) : basename(src.path);
  return archive().pathTar(from, name);
}

/**
 * `docker cp - CONTAINER:DIR`: a tar (plain or compressed) from `input` extracted into the directory DIR,
 * owners, modes and times as the tar gives them. The extraction is archive/'s layer applier: no entry
 * can land outside DIR, nor write through a link, whatever the tar or the container planted.
 */
export async function copyInTar(input: Readable, dst: CopySide, scratch: string, ref: string): Promise<void> {
  assertWritable(dst);
  const to = hostPath(dst, true);
  if (!lstatOrNull(to)?.isDirectory()) throw new InvalidArgumentError(`destination "${ref}:${dst.path}" must be a directory`);
  try {
    await archive().applyLayer(await archive().decompressed(input), to, { whiteouts: 'apply', tarSplitPath: scratch });
  } catch (e) {
    if (e instanceof StrataError) throw e;
    throw new StrataError(`Error processing tar file: ${(e as Error).message}`);
  } finally {
    archive().removeTarSplit(scratch);
  }
}
