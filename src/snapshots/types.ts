import type { WhiteoutMode } from '../archive/types.js';

/**
 * One mount, as data (containerd's mount.Mount): what `mount -t type -o options source target` would do.
 * Paths in options are absolute, with `\`, `,` and `:` escaped by a backslash (snapshots/mountdata.ts).
 * Drivers describe mounts; the caller performs them (snapshots/mount.ts, later runc).
 */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/**
 * containerd's kinds: an active snapshot is writable (a container's layer, or a layer being applied);
 * a committed one is read-only and may be a parent; a view is read-only and may not.
 */
export type SnapshotKind = 'active' | 'view' | 'committed';

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
}

/**
 * Where a prepared snapshot's own files are, and how deletions land there: the applier writes a layer
 * tar straight into it (no mount), and tar-split reassembly reads it back.
 */
export interface LayerTarget {
  dir: string;
  whiteouts: WhiteoutMode;
}

/**
 * A storage driver, as containerd's Snapshotter. Keys are chosen by the caller (random hex, registered as
 * pending work before the files exist, so that a crash leaves only what the next sweep can remove); a
 * snapshot keeps its key when committed. Diffing is the differ's (archive/differ.ts), Docker's display
 * data the engine's.
 */
export interface Snapshotter {
  readonly name: string;
  /** A new active snapshot on `parent` (a committed snapshot, or null for an empty one); its mounts. */
  prepare(key: string, parent: string | null): Promise<Mount[]>;
  /** A new read-only snapshot showing `parent`'s tree; its mounts. */
  view(key: string, parent: string | null): Promise<Mount[]>;
  /** The active snapshot `key` becomes committed: read-only, and a possible parent. */
  commit(key: string): Promise<void>;
  /** How to mount the snapshot (read-only unless it is active). */
  mounts(key: string): Mount[];
  /** Remove every file of the snapshot; idempotent. The caller unmounts it first. */
  remove(key: string): Promise<void>;
  /**
   * Move every file of the snapshot to `to` (a new path on the same filesystem), after which the snapshot is
   * gone as after `remove` and `to` is the caller's to remove: a snapshot dropped at once, its files removed
   * later off the event loop. The caller unmounts it first; idempotent (nothing is made when it is gone).
   */
  detach(key: string, to: string): void;
  /** Bytes the snapshot's own files hold on disk (what removing it frees). */
  usage(key: string): Promise<number>;
  /** Every snapshot on disk (for sweeping what the metadata does not know). */
  walk(): Promise<SnapshotInfo[]>;
  /** The directory of the snapshot's own files and its whiteout mode (see LayerTarget). */
  target(key: string): LayerTarget;
}
