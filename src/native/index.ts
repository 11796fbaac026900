/**
 * Typed access to the N-API addon (native/strata_native.c): the syscalls the runtime lacks. It is loaded
 * on first use, never at import, so commands that need no syscall of it never pay for loading it.
 * Errors thrown carry `code` ("ENOENT", "ENODATA", …) like Node's fs errors.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Native {
  /** mknod(2); `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** null when the attribute is absent or the filesystem has no xattrs. */
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  /** ioctl(FICLONE): make dest share src's data blocks; throws EOPNOTSUPP/EXDEV/EINVAL where unsupported. */
  ficlone(destFd: number, srcFd: number): void;
  /** utimensat(2) with AT_SYMLINK_NOFOLLOW: access and modification times to the nanosecond. */
  lutimens(path: string, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** posix_fadvise(POSIX_FADV_WILLNEED) on the whole file: its reads start now and this call does not wait. */
  willneed(fd: number): void;
}

/**
 * The package's root, where build/ is. This module sits two folders below it both as a source file
 * (src/native/index.ts, which Bun runs as it is, in tests) and in the CLI's executable
 * (dist/cli/strata, see scripts/build.sh). There the modules have no file of their own (their URLs
 * are in Bun's embedded file system, /$bunfs/), so the executable's path stands for this module's.
 */
export function packageRoot(): string {
  const self = import.meta.url.startsWith('file:///$bunfs/') ? pathToFileURL(process.execPath) : import.meta.url;
  return fileURLToPath(new URL('../../', self));
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
