/** Storage drivers: choosing one for a store, and opening it. */
import { Overlay2 } from './overlay2.js';
import type { DriverName, Snapshotter } from './types.js';
import { Vfs } from './vfs.js';

export { isMounted, mountSnapshot, unmount } from './mount.js';
export { probeDriver, supportsReflink } from './probe.js';
export type { DriverName, Snapshotter, MountSpec, LayerTarget, GraphDriverData } from './types.js';

export function openSnapshotter(name: DriverName, storeRoot: string): Snapshotter {
  return name === 'overlay2' ? new Overlay2(storeRoot) : new Vfs(storeRoot);
}
