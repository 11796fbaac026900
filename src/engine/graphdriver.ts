/**
 * What Docker shows of a snapshot, derived from where the driver keeps each snapshot's own files
 * (Snapshotter.target): where the engine mounts it, and GraphDriver.Data.
 */
import { dirname, join } from 'node:path';
import type { Snapshotter } from '../snapshots/index.js';

/** Docker's GraphDriver.Data: LowerDir, MergedDir, UpperDir, WorkDir for overlay2; none for vfs. */
export type GraphDriverData = Record<string, string>;

/**
 * A driver whose snapshots hold only their own changes (whiteouts kept as overlay whiteouts) is mounted
 * as a union, at `merged/` beside the snapshot's diff dir, as Docker's overlay2; one whose snapshots are
 * whole trees (vfs) is bound onto its own directory.
 */
export const isUnion = (snapshots: Snapshotter, key: string): boolean => snapshots.target(key).whiteouts === 'overlay';

/** Where the engine mounts snapshot `key` (a container's rootfs). */
export function rootfsPath(snapshots: Snapshotter, key: string): string {
  const { dir } = snapshots.target(key);
  return isUnion(snapshots, key) ? join(dirname(dir), 'merged') : dir;
}

/**
 * GraphDriver.Data of snapshot `key` on `parents` (newest first), keys in Docker's JSON order. Docker names
 * the same four dirs for an image's top layer as for a container; vfs shows none (null, as Docker prints it).
 */
export function graphDriverData(snapshots: Snapshotter, key: string, parents: string[]): GraphDriverData | null {
  if (!isUnion(snapshots, key)) return null;
  const upper = snapshots.target(key).dir;
  const data: GraphDriverData = {};
  if (parents.length) data.LowerDir = parents.map((p) => snapshots.target(p).dir).join(':');
  data.MergedDir = join(dirname(upper), 'merged');
  data.UpperDir = upper;
  data.WorkDir = join(dirname(upper), 'work');
  return data;
}
