/** Reading the metadata of files that layer tars and change lists care about. */
import type { Stats } from 'node:fs';
import { native } from '../native/index.js';
import { fsPath } from './names.js';

/** An OverlayFS whiteout: a character device 0/0. */
export const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

export const CAPABILITY_XATTR = 'security.capability';
/** OverlayFS's mark of an opaque directory (defined here, not in ./apply.ts, so reading it loads no tar code). */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export const isOpaque = (abs: string): boolean => native.lgetxattr(fsPath(abs), OPAQUE_XATTR)?.toString() === 'y';

/** Extended attributes carried in tars: all but OverlayFS's own bookkeeping. */
export function portableXattrs(abs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const path = fsPath(abs);
  for (const name of native.llistxattr(path)) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('security.selinux')) continue;
    const v = native.lgetxattr(path, name);
    if (v) out.set(name, v);
  }
  return out;
}

export const major = (rdev: number): number => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
export const minor = (rdev: number): number => (rdev & 0xff) | ((rdev >>> 12) & ~0xff);

/** Equal modification times, allowing for the sub-microsecond loss of copies made through Node's utimes. */
export const sameTime = (a: Stats, b: Stats): boolean => Math.abs(a.mtimeMs - b.mtimeMs) < 0.002;
