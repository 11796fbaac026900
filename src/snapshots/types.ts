import type { Readable } from 'node:stream';
import type { Change, WhiteoutMode } from '../archive/types.js';

export type DriverName = 'overlay2' | 'vfs';

/** A mount description: what `mount -t type -o options source target` would do. Drivers never mount. */
export interface MountSpec {
  type: string;
  source: string;
  options: string[];
  /** Directory the options' relative paths are relative to (overlay2's home), if any. */
  cwd?: string;
}

/** Where a new read-only layer's changeset must be applied, and how. */
export interface LayerTarget {
  dir: string;
  whiteouts: WhiteoutMode;
}

/** Docker's GraphDriver.Data (LowerDir, UpperDir, MergedDir, WorkDir for overlay2; empty for vfs). */
export type GraphDriverData = Record<string, string>;

/**
 * A storage driver. Snapshot ids are opaque names chosen by the caller (random hex), so that a crash
 * leaves only directories the metadata does not know, which are swept.
 */
export interface Snapshotter {
  readonly name: DriverName;
  /** Make the directory for a new read-only layer whose parent is `parent` (null for a base layer). */
  createLayer(id: string, parent: string | null): Promise<LayerTarget>;
  /** Make a container's writable layer on `parent`, in time independent of the parent's size (overlay2). */
  createWritable(id: string, parent: string | null): Promise<void>;
  /** How to mount a writable layer as the container's rootfs at `target`. null: the dir itself is the rootfs. */
  mountSpec(id: string, target: string): MountSpec | null;
  /** Path where the container rootfs appears (merged/ for overlay2, the layer dir for vfs). */
  rootfsPath(id: string): string;
  /** Directory that holds the files this layer added (read by tar-split reassembly). */
  layerDir(id: string): string;
  /** The writable layer's changes against its parent, sorted by path, as `docker diff` shows them. */
  changes(id: string, parent: string | null): Promise<Change[]>;
  /** The writable layer's changes as an OCI changeset tar (uncompressed). */
  diffTar(id: string, parent: string | null): Readable;
  /** Bytes the snapshot's directory holds on disk (what removing it frees). */
  usage(id: string): Promise<number>;
  /** Bytes of the files a writable layer added or changed against its parent (`docker ps -s` SIZE). */
  diffSize(id: string, parent: string | null): Promise<number>;
  /** Docker's GraphDriver.Data; null where the driver has none to show (vfs, as Docker prints it). */
  graphDriverData(id: string): GraphDriverData | null;
  /** Remove every directory of the snapshot; idempotent. */
  remove(id: string): Promise<void>;
  /** Snapshot ids present on disk (for sweeping what the metadata does not know). */
  list(): Promise<string[]>;
}
