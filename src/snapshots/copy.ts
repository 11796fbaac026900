/**
 * Copying a whole tree with everything a layer holds: types, owners, modes (setuid kept), mtimes,
 * xattrs, hard-link groups, devices and FIFOs. File data is shared by reflink (FICLONE) where the
 * filesystem can, so a vfs layer then costs no data blocks; elsewhere copy_file_range does the copy.
 */
import {
  chmodSync, closeSync, copyFileSync, lchownSync, linkSync, lstatSync, mkdirSync, openSync,
  readdirSync, readlinkSync, symlinkSync, type BigIntStats,
} from 'node:fs';
import { join } from 'node:path';
import { major, minor } from '../archive/index.js';
import { native } from '../native/index.js';

/**
 * FICLONE's refusals (ioctl_ficlone(2)): EOPNOTSUPP (= ENOTSUP on Linux), EXDEV, EINVAL, ENOTTY, and
 * EBADF from filesystems that do not support reflinks at all.
 */
const NO_REFLINK = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY', 'EBADF']);
const S_IFMT = 0o170000;

export class TreeCopier {
  /** Set after the first refusal: this filesystem cannot reflink, stop asking. */
  private reflinks = true;
  private readonly links = new Map<string, string>();

  copy(src: string, dst: string): void {
    const st = lstatSync(src, { bigint: true });
    mkdirSync(dst, { recursive: true });
    this.copyDir(src, dst);
    this.meta(src, dst, st);
  }

  private copyDir(src: string, dst: string): void {
    for (const name of readdirSync(src)) {
      const s = join(src, name);
      const d = join(dst, name);
      // BigInt stats carry times to the nanosecond; Number ones have already rounded them.
      const st = lstatSync(s, { bigint: true });
      if (st.isDirectory()) {
        mkdirSync(d, 0o700);
        this.copyDir(s, d);
        this.meta(s, d, st);
        continue;
      }
      if (st.isFile() && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = this.links.get(key);
        if (first) {
          linkSync(first, d);
          continue;
        }
        this.links.set(key, d);
      }
      if (st.isFile()) this.copyFile(s, d);
      else if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
        native.mknod(d, Number(st.mode) & (S_IFMT | 0o7777), major(Number(st.rdev)), minor(Number(st.rdev)));
      } else continue; // sockets belong to a running process, not to a layer
      this.meta(s, d, st);
    }
  }

  private copyFile(src: string, dst: string): void {
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
  private meta(src: string, path: string, st: BigIntStats): void {
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
