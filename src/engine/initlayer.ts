/**
 * Docker's init layer: a read-only snapshot between an image's top layer and a container's writable
 * layer, named `<container layer>-init`, holding the placeholders a runtime mounts or writes over
 * (`/etc/hosts`, `/proc`, …), so that the container's own layer, its `diff` and its `commit` never show them.
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { mountAll, unmount, type Snapshotter } from '../snapshots/index.js';
import { rootfsPath } from './graphdriver.js';

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

/**
 * Make the init layer `key` on `parent` (the image's top layer, or null): prepare, write the
 * placeholders through its mount (so whatever the image has at those paths is replaced as Docker
 * replaces it), commit. Costs the same whatever the image's size on overlay2.
 */
export async function makeInitLayer(snapshots: Snapshotter, key: string, parent: string | null): Promise<void> {
  const mounts = await snapshots.prepare(key, parent);
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
  await snapshots.commit(key);
}

/**
 * Docker's algorithm, on the mounted tree: every component of each path that is not a directory is
 * removed (so no symlink of the image's can lead out of the tree), then the entry is made unless a
 * directory is already there.
 */
function writePlaceholders(root: string): void {
  for (const [path, kind] of PLACEHOLDERS) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      try {
        unlinkSync(join(root, ...parts.slice(0, i)));
      } catch { /* a directory, or nothing: both stay */ }
    }
    if (existsSync(join(root, path))) continue;
    for (let i = 1; i < parts.length; i++) makeDir(join(root, ...parts.slice(0, i)));
    const abs = join(root, path);
    if (kind === 'dir') makeDir(abs);
    else if (kind === 'file') {
      closeSync(openSync(abs, 'wx', 0o755));
      own(abs);
    } else symlinkSync(kind.symlink, abs);
  }
}

/** A new directory is root's, 0755; one already there keeps its owner and mode. */
function makeDir(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(path);
  own(path);
}

/** Modes as Docker's daemon makes them (its umask is 022), whatever this process's umask. */
function own(path: string): void {
  chownSync(path, 0, 0);
  chmodSync(path, 0o755);
}
