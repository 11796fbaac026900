/**
 * Typed access to the N-API addon (native/strata_native.c): the syscalls the runtime lacks. It is loaded
 * on first use, never at import, so commands that need no syscall of it never pay for loading it.
 * Errors thrown carry `code` ("ENOENT", "ENODATA", …) like Node's fs errors.
 */
import { dirname, resolve } from 'node:path';

/** The addon's decompressor state (an external object; only gunzip reads it). */
export type GunzipState = { readonly __gunzip: unique symbol };

/** A path for the addon: a string, or a Buffer for names that are not UTF-8 (see archive/names.ts). */
export type NativePath = string | Buffer;

export interface Native {
  /** mknod(2); `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: NativePath, mode: number, major: number, minor: number): void;
  lsetxattr(path: NativePath, name: string, value: Buffer): void;
  /** null when the attribute is absent or the filesystem has no xattrs. */
  lgetxattr(path: NativePath, name: string): Buffer | null;
  llistxattr(path: NativePath): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  /** ioctl(FICLONE): make dest share src's data blocks; throws EOPNOTSUPP/EXDEV/EINVAL where unsupported. */
  ficlone(destFd: number, srcFd: number): void;
  /** utimensat(2) with AT_SYMLINK_NOFOLLOW: access and modification times to the nanosecond. */
  lutimens(path: NativePath, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** posix_fadvise(POSIX_FADV_WILLNEED) on the whole file: its reads start now and this call does not wait. */
  willneed(fd: number): void;
  /**
   * FS_TOPDIR_FL (`chattr +T`) on the directory `path`: ext2/3/4 then place each directory made in it as the top
   * of a hierarchy of its own, spread over the disk. False where the filesystem has no such flag (a hint only).
   */
  markTopDir(path: NativePath): boolean;
  /** syncfs(2): write back every dirty page and inode of the filesystem holding `fd`. */
  syncfs(fd: number): void;
  /** syncfs(2) on a thread of the runtime's pool; keep `fd` open until the promise settles. */
  syncfsAsync(fd: number): Promise<void>;

  // Layer integrity (tar-split replay).
  /** CRC-64/ISO as Go's hash/crc64 computes it, continued from `crc` (0n to start) over `data`. */
  crc64(crc: bigint, data: Buffer): bigint;
  /** An O_PATH fd of root/rel; no component of `rel` may be a symlink (ELOOP/ENOTDIR) or "..". */
  openDirBeneath(root: string, rel: NativePath): number;
  /** A read-only fd of `name` in `dirfd`, or -1 when it is not a regular file; never follows a symlink, never blocks on a FIFO. */
  openRegularAt(dirfd: number, name: NativePath): number;

  // gzip with ISA-L's inflate (native/gunzip.c).
  /** A decompressor for one gzip stream of one or more members. */
  gunzipNew(): GunzipState;
  /**
   * Decompress from `input` into `output` until the input is used up or the output is full: [bytes read,
   * bytes written, 1 when no member is half-read (where the stream may end)]. Call again with the rest of
   * the input, and with an empty input while the output comes back full. Throws zlib's words for a fault.
   */
  gunzip(state: GunzipState, input: Buffer, output: Buffer): [number, number, number];

  // Operation locks and unnamed output files.
  /** flock(2) with LOCK_* below; false only when LOCK_NB was given and another open file holds the lock. */
  flock(fd: number, op: number): boolean;
  /** open(dir, O_TMPFILE|O_WRONLY|O_CLOEXEC): an unnamed file that vanishes unless `linkFd` names it. */
  openTmpfile(dir: string, mode: number): number;
  /** linkat of /proc/self/fd/N with AT_SYMLINK_FOLLOW: name an O_TMPFILE file; EEXIST if `path` exists. */
  linkFd(fd: number, path: string): void;

  // conmon's attach socket.
  /** A unix SOCK_SEQPACKET socket connected to `path` (at most 107 bytes), close-on-exec. */
  seqpacketConnect(path: string): number;
  /** shutdown(2) of a socket; `how` is SHUT_WR or SHUT_RDWR below. */
  shutdown(fd: number, how: number): void;
}

/**
 * The package's root, where build/ is. This module sits two folders below it both as a source file
 * (src/native/index.ts, which Bun runs as it is, in tests) and in the CLI's executable
 * (dist/cli/strata, see scripts/build.sh). There the modules have no file of their own (their URLs
 * are in Bun's embedded file system, /$bunfs/), so the executable's path stands for this module's.
 */
export function packageRoot(): string {
  const here = import.meta.dirname.startsWith('/$bunfs/') ? dirname(process.execPath) : import.meta.dirname;
  return resolve(here, '../..');
}

/** A native module by its path under the package root: what require does for a .node file. */
function loadAddon<T extends object>(path: string): T {
  const module = { exports: {} as T };
  process.dlopen(module, resolve(packageRoot(), path));
  return module.exports;
}

let addon: Native | undefined;

/** strata's addon, loaded when a first call reaches it. */
export const native: Native = new Proxy({} as Native, {
  get: (_, name: keyof Native) => (addon ??= loadAddon<Native>('build/Release/strata_native.node'))[name],
});

/** umount2 flag: detach now, clean up when no longer busy. */
export const MNT_DETACH = 2;

/** flock(2) operations. */
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
