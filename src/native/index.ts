/**
 * Typed access to the N-API addon (native/strata_native.c): the syscalls Node.js lacks.
 * Errors thrown carry `code` ("ENOENT", "ENODATA", …) like Node's fs errors.
 */
import { createRequire } from 'node:module';

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
}

const require = createRequire(import.meta.url);
// dist/src/native/index.js → <root>/build/Release
export const native: Native = require('../../../build/Release/strata_native.node') as Native;

/** umount2 flag: detach now, clean up when no longer busy. */
export const MNT_DETACH = 2;
