/** What the archive formats hold, independent of the format: images, their config bytes and their layers. */
import type { Readable } from 'node:stream';

/** An image to save: everything comes from the store's records, so no layer is read before it is written. */
export interface SaveImage {
  /** "sha256:<hex>" of `config`. */
  id: string;
  /** The config JSON exactly as stored. */
  config: Buffer;
  created: Date;
  layers: SaveLayer[];
  /** Stored (fully qualified) names to record, e.g. "docker.io/library/busybox:latest"; empty when saved by ID. */
  names: string[];
  /** The parent image's ID, if it has one (commit and build images do). */
  parent?: string;
}

export interface SaveLayer {
  chainId: string;
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/** One entry of an archive being written: a directory, small bytes, or a layer tar read from the store when its turn comes. */
export type ArchiveEntry =
  | { kind: 'dir'; name: string; mtime: Date }
  | { kind: 'bytes'; name: string; mtime: Date; data: Buffer }
  /** A symlink to another entry (docker-archive's second copy of a layer tar), relative to its directory. */
  | { kind: 'symlink'; name: string; mtime: Date; target: string }
  | { kind: 'layer'; name: string; mtime: Date; layer: SaveLayer };

export type LayerOpener = (layer: SaveLayer) => Readable;

/** An image found in an archive being loaded. */
export interface PlannedImage {
  /** "sha256:<hex>" of `config`: the image ID. */
  id: string;
  config: Buffer;
  /** Layer tars, base first: the archive entry to read and the diffID its uncompressed bytes must hash to. */
  layers: PlannedLayer[];
  /** Names as the archive records them ("busybox:latest", "docker.io/library/busybox:latest"); may be empty. */
  names: string[];
  /** The parent image's ID, as a docker-archive's manifest.json gives it. */
  parent?: string;
}

export interface PlannedLayer {
  entry: string;
  diffId: string;
}
