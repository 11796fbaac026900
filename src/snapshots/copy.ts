/**
 * Copying a whole tree with everything a layer holds: types, owners, modes (setuid kept), mtimes,
 * xattrs, hard-link groups, devices and FIFOs. File data is shared by reflink (FICLONE) where the
 * filesystem can, so a vfs layer then costs no data blocks; elsewhere copy_file_range does the copy.
 */
import {
  chmodSync, closeSync, copyFileSync, lchownSync, linkSync, lstatSync, mkdirSync, openSync,
  readlinkSync, symlinkSync, type BigIntStats,
} from 'node:fs';
import { major, minor } from '../archive/fsmeta.js';
import { fsPath, joinNames, readNames } from '../archive/names.js';
import { native } from '../native/index.js';

/**
 * FICLONE's refusals (ioctl_ficlone(2)): EOPNOTSUPP (= ENOTSUP on Linux), EXDEV, EINVAL, ENOTTY, and
 * EBADF from filesystems that do not support reflinks at all.
 */
const NO_REFLINK = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY', 'EBADF']);
const S_IFMT = 0o170000;

/** A directory being copied: the names of its entries not copied yet. */
interface DirCopy { src: string; dst: string; st: BigIntStats; names: string[] }

export class TreeCopier {
  /** Set after the first refusal: this filesystem cannot reflink, stop asking. */
  private reflinks = true;
  private readonly links = new Map<string, string | Buffer>();

  /**
   * Copy the tree `src` to `dst`. A stack of the directories being copied replaces recursion (a tree
   * thousands of directories deep must not overflow the call stack); each gets its own metadata once
   * its entries are in, since making them changes its mtime.
   */
  copy(src: string, dst: string): void {
    mkdirSync(dst, { recursive: true });
    const open: DirCopy[] = [{ src, dst, st: lstatSync(src, { bigint: true }), names: readNames(src) }];
    while (open.length > 0) {
      const dir = open[open.length - 1]!;
      const name = dir.names.pop();
      if (name === undefined) {
        this.meta(dir.src, dir.dst, dir.st);
        open.pop();
        continue;
      }
      const s = joinNames(dir.src, name);
      const d = joinNames(dir.dst, name);
      // BigInt stats carry times to the nanosecond; Number ones have already rounded them.
      const st = lstatSync(fsPath(s), { bigint: true });
      if (st.isDirectory()) {
        mkdirSync(fsPath(d), 0o700);
        open.push({ src: s, dst: d, st, names: readNames(s) });
      } else this.copyEntry(s, d, st);
    }
  }

  /** Copy a file that is not a directory, hard links as links to the first copy of their inode. */
  private copyEntry(s: string, d: string, st: BigIntStats): void {
    const to = fsPath(d);
    if (st.isFile() && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.links.get(key);
      if (first) {
        linkSync(first, to);
        return;
      }
      this.links.set(key, to);
    }
    if (st.isFile()) this.copyFile(fsPath(s), to);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(fsPath(s), { encoding: 'buffer' }), to);
    else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      native.mknod(to, Number(st.mode) & (S_IFMT | 0o7777), major(Number(st.rdev)), minor(Number(st.rdev)));
    } else return; // sockets belong to a running process, not to a layer
    this.meta(s, d, st);
  }

  private copyFile(src: string | Buffer, dst: string | Buffer): void {
    if (this.reflinks) {
      const from = openSync(src, 'r');
      const to = openSync(dst, 'wx', 0o600);
      try {
        native.ficlone(to, from);
        return;
      } catch (e) {
        if (!NO_REFLINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        this.reflinks = false;
      } finally {
        closeSync(from);
        closeSync(to);
      }
    }
    copyFileSync(src, dst);
  }

  /** Owner before mode (chown clears setuid), xattrs after owner (chown clears capabilities), times last. */
  private meta(s: string, d: string, st: BigIntStats): void {
    const src = fsPath(s);
    const path = fsPath(d);
    lchownSync(path, Number(st.uid), Number(st.gid));
    if (!st.isSymbolicLink()) chmodSync(path, Number(st.mode) & 0o7777);
    for (const name of native.llistxattr(src)) {
      const value = native.lgetxattr(src, name);
      if (value) native.lsetxattr(path, name, value);
    }
    const sec = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
    native.lutimens(path, ...sec(st.atimeNs), ...sec(st.mtimeNs));
  }
}
