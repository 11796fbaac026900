/** Storage drivers (containerd-style snapshotters), their registry, and performing their mounts. */
export { isMounted, mountAll, unmount, type MountOptions } from './mount.js';
export { supportsReflink } from './probe.js';
export { DRIVER_NAMES, isDriverName, openSnapshotter, probeDriver, type DriverName } from './registry.js';
export { SNAPSHOT_KEY } from './keys.js';
export { lookupLower, OPAQUE_XATTR, type LowerEntry } from './overlaylookup.js';
export type { Snapshotter, Mount, LayerTarget, SnapshotInfo, SnapshotKind } from './types.js';
