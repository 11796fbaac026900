/** Storage drivers: choosing one for a store, and opening it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/index.js';
import { isMounted, mountSnapshot, unmount } from './mount.js';
import { Overlay2 } from './overlay2.js';
import type { DriverName, Snapshotter } from './types.js';
import { Vfs } from './vfs.js';

export { isMounted, mountSnapshot, unmount } from './mount.js';
export type { DriverName, Snapshotter, MountSpec, LayerTarget, GraphDriverData } from './types.js';

export function openSnapshotter(name: DriverName, storeRoot: string): Snapshotter {
  return name === 'overlay2' ? new Overlay2(storeRoot) : new Vfs(storeRoot);
}

/**
 * overlay2 when a real overlay mount with a whiteout works on this store's filesystem (some refuse:
 * overlay on overlay, tmpfs without user xattrs), else vfs.
 */
export function probeDriver(storeRoot: string): DriverName {
  const base = join(storeRoot, 'snapshots');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'probe-'));
  const merged = join(dir, 'merged');
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'lower', 'file'), 'x');
    native.mknod(join(dir, 'lower', 'gone'), 0o020000, 0, 0);
    mountSnapshot({ type: 'overlay', source: 'overlay', options: [`lowerdir=${join(dir, 'lower')}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`] }, merged);
    try {
      const works = readFileSync(join(merged, 'file'), 'utf8') === 'x' && !existsSync(join(merged, 'gone'));
      return works ? 'overlay2' : 'vfs';
    } finally {
      unmount(merged);
    }
  } catch {
    return 'vfs';
  } finally {
    if (isMounted(merged)) unmount(merged);
    rmSync(dir, { recursive: true, force: true });
  }
}
