/**
 * Docker's init layer: a read-only snapshot between an image's top layer and a container's writable
 * layer, named `<container layer>-init`, holding the placeholders a runtime mounts or writes over
 * (`/etc/hosts`, `/proc`, …), so that the container's own layer, its `diff` and its `commit` never show them.
 */
import { chmodSync, chownSync, closeSync, existsSync, lchownSync, lstatSync, mkdirSync, openSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/index.js';
import { lookupLower, mountAll, OPAQUE_XATTR, unmount, type LowerEntry, type Snapshotter } from '../snapshots/index.js';
import { isUnion, rootfsPath } from './graphdriver.js';

export const initKey = (snapshot: string): string => `${snapshot}-init`;

export const isInitKey = (key: string): boolean => key.endsWith('-init');

/** The container snapshot an init layer belongs to (the key itself for any other snapshot). */
export const ownerOf = (key: string): string => key.replace(/-init$/, '');

type Placeholder = 'dir' | 'file' | { symlink: string };

/** Docker 20.10's (daemon/initlayer): empty, owned by root, 0755; /etc/mtab links to /proc/mounts. */
const PLACEHOLDERS: [string, Placeholder][] = [
  ['dev/pts', 'dir'], ['dev/shm', 'dir'], ['proc', 'dir'], ['sys', 'dir'],
  ['.dockerenv', 'file'], ['etc/resolv.conf', 'file'], ['etc/hosts', 'file'], ['etc/hostname', 'file'], ['dev/console', 'file'],
  ['etc/mtab', { symlink: '/proc/mounts' }],
];

/** The directories the placeholders are made in: every proper prefix of their paths (`dev`, `etc`). */
const PARENTS = [...new Set(PLACEHOLDERS.flatMap(([path]) => {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}))];

/**
 * Make the init layer `key` on `parents` (the image's layers' snapshots, newest first; none for an image
 * without layers): prepare, write the placeholders so that whatever the image has at those paths is
 * replaced as Docker replaces it, commit. On overlay2 no file of the image is read but a few directory
 * entries per layer, whatever the image's size; the mount is made only where writing the upper dir
 * directly could differ from what the kernel would write.
 */
export async function makeInitLayer(snapshots: Snapshotter, key: string, parents: string[]): Promise<void> {
  const mounts = await snapshots.prepare(key, parents[0] ?? null);
  const own = snapshots.target(key).dir;
  // A whole-tree snapshot (vfs) is its own directory: a bind mount of it would show exactly that.
  if (!isUnion(snapshots, key)) writePlaceholders(own);
  else if (!writeUpper(own, parents.map((p) => snapshots.target(p).dir))) {
    const root = rootfsPath(snapshots, key);
    // The mount lives only while a few empty entries are written, and the layer is committed (its work dir
    // removed) right after: it needs no sync at unmount (overlay's `volatile`), which would otherwise flush
    // the whole filesystem under the store on every create.
    mountAll(mounts, root, { volatile: true });
    try {
      writePlaceholders(root);
    } finally {
      unmount(root);
    }
  }
  await snapshots.commit(key);
}

/**
 * Docker's algorithm, on the tree as the container will see it (a mount, or a whole-tree snapshot): every
 * component of each path that is not a directory is removed (so no symlink of the image's can lead out of
 * the tree), then the entry is made unless a directory is already there.
 */
export function writePlaceholders(root: string): void {
  for (const [path, kind] of PLACEHOLDERS) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      try {
        unlinkSync(join(root, ...parts.slice(0, i)));
      } catch { /* a directory, or nothing: both stay */ }
    }
    if (existsSync(join(root, path))) continue;
    for (let i = 1; i < parts.length; i++) {
      const dir = join(root, ...parts.slice(0, i));
      if (!existsSync(dir)) make(dir, 'dir');
    }
    make(join(root, path), kind);
  }
}

/**
 * The placeholders written straight into a new overlay snapshot's empty upper dir `upper` over the layer
 * directories `lowers` (newest first), as the kernel writes Docker's algorithm through the mount, without
 * the mount (and its unmount, and its work dir): an image's directory a placeholder goes into is copied up
 * (its owner, mode and times, as ovl_copy_up); an image's non-directory at a placeholder's path is replaced
 * (the whiteout its unlink leaves is replaced in turn, so none is left), and a directory made there is opaque,
 * as ovl_create_over_whiteout makes it. (Older kernels also mark opaque a directory made where the image has
 * nothing, in a directory the image has, as an optimisation that changes nothing there; 6.18 does not.)
 * False, with nothing written, where the result could differ: a non-directory where a placeholder's directory
 * should be, or an image's directory with extended attributes (copy-up copies them, and an ACL or a label
 * would shape what is made in it).
 */
function writeUpper(upper: string, lowers: string[]): boolean {
  const found = new Map<string, LowerEntry>();
  const lower = (path: string): LowerEntry => {
    let entry = found.get(path);
    if (!entry) found.set(path, entry = lookupLower(lowers, path));
    return entry;
  };
  for (const dir of PARENTS) {
    const entry = lower(dir);
    if (entry.kind === 'other' || (entry.kind === 'dir' && hasXattrs(entry.layers[0]!))) return false;
  }
  for (const [path, kind] of PLACEHOLDERS) {
    const image = lower(path);
    if (image.kind === 'dir') continue;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const at = join(upper, dir);
      if (existsSync(at)) continue;
      const entry = lower(dir);
      if (entry.kind === 'dir') copyUp(entry.layers[0]!, at);
      else make(at, 'dir');
    }
    const at = join(upper, path);
    make(at, kind);
    if (kind === 'dir' && image.kind === 'other') native.lsetxattr(at, OPAQUE_XATTR, Buffer.from('y'));
  }
  return true;
}

/** Extended attributes a copy-up would copy (OverlayFS's own, `trusted.overlay.*`, it leaves behind). */
const hasXattrs = (path: string): boolean => native.llistxattr(path).some((name) => !name.startsWith('trusted.overlay.'));

/** A directory of the image's, as the kernel copies it up: owner before mode (chown may clear setgid), then times. */
function copyUp(from: string, to: string): void {
  const st = lstatSync(from, { bigint: true });
  mkdirSync(to);
  lchownSync(to, Number(st.uid), Number(st.gid));
  chmodSync(to, Number(st.mode) & 0o7777);
  const sec = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  native.lutimens(to, ...sec(st.atimeNs), ...sec(st.mtimeNs));
}

/** A new placeholder: root's, 0755 as Docker's daemon makes it (its umask is 022), whatever this process's umask. */
function make(path: string, kind: Placeholder): void {
  if (typeof kind === 'object') return symlinkSync(kind.symlink, path);
  if (kind === 'dir') mkdirSync(path);
  else closeSync(openSync(path, 'wx'));
  chownSync(path, 0, 0);
  chmodSync(path, 0o755);
}
