/**
 * `docker cp` between a container's root filesystem and the host, with Docker's path rules. Every path
 * on the container's side is resolved inside its root (its symlinks read with the root as `/`), and
 * the copy never follows a symlink it meets inside the container: it is copied as a link, or replaced
 * when the copy writes there. A running container is frozen for the copy (as Docker does since
 * CVE-2018-15664), so nothing in it can swap a directory for a link between a check and its use.
 */
import {
  chmodSync, constants, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync,
  symlinkSync, type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { resolveInRoot } from '../runtime/user.js';
import { InvalidArgumentError, NotFoundError, StrataError } from './errors.js';

export interface CopyOptions {
  /** -L: follow a symlink named by the source path. */
  followLink?: boolean;
  /** -a: keep the source's owners; otherwise what is copied into a container belongs to its root (0:0). */
  archive?: boolean;
}

/** One side of a copy: the root the path is inside ("/" for the host), the path as the user wrote it. */
export interface CopySide { root: string; path: string }

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
  if (side.root === '/') return side.path;
  const trailing = /\/\.?$/.test(side.path);
  if (followLast || trailing || side.path === '/' ) return join(side.root, resolveInRoot(side.root, side.path));
  return join(side.root, resolveInRoot(side.root, dirname(side.path)), basename(side.path));
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
  if (!st) throw new NotFoundError(src.root === '/' ? `lstat ${src.path}: no such file or directory` : `No such container:path: ${describe(src)}`);
  if (/\/\.?$/.test(src.path) && !st.isDirectory()) throw new InvalidArgumentError(`${describe(src)}: not a directory`);
  const contentsOnly = /\/\.$/.test(src.path);
  const to = hostPath(dst, true);
  const target = lstatOrNull(to);
  const owner = intoContainer && !opts.archive ? { uid: 0, gid: 0 } : null;
  if (st.isDirectory()) {
    if (target && !target.isDirectory()) throw new InvalidArgumentError('cannot copy a directory to a file');
    if (!target) {
      if (!lstatOrNull(dirname(to))?.isDirectory()) throw new NotFoundError(`${describe(dst)}: no such directory`);
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
  if (!target && /\/$/.test(dst.path)) throw new NotFoundError(`${describe(dst)}: destination directory does not exist`);
  if (!lstatOrNull(dirname(to))?.isDirectory()) throw new NotFoundError(`${describe(dst)}: no such directory`);
  copyEntry(from, to, owner);
}
