/** Row shapes of strata.db, as the rest of strata sees them. */

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** Snapshot id in the storage driver. */
  snapshot: string;
  /** Bytes of file content, as Docker reports a layer's size. */
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  createdAt: string;
}

export interface ImageRecord {
  /** "sha256:<hex>" of the config JSON. */
  id: string;
  /** Image this one was committed or built from, if any. */
  parent: string | null;
  topLayer: string | null;
  /** Sum of the layers' sizes (Docker's virtual size of the image). */
  size: number;
  /** The config's `created`; '' when it has none (OCI makes it optional). */
  created: string;
  addedAt: string;
}

export type ContainerState = 'created' | 'running' | 'exited';

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string;
  /** The image as the user named it at create time (ps shows it). */
  imageRef: string;
  topLayer: string | null;
  snapshot: string;
  /** JSON of the container's config (Cmd, Entrypoint, Env, …), Docker's ContainerConfig shape. */
  config: string;
  created: string;
  state: ContainerState;
  /** Cached bytes of the writable layer; null when unknown (mounted containers may change). */
  sizeRw: number | null;
  /**
   * The engine's record of the container's last start (JSON, engine/processes.ts): null before its first;
   * START_IN_FILE for a container started by a strata from before the column, which kept it in a file.
   */
  start: string | null;
}

/** `start` of a container whose start record is its directory's state.json (written by a strata from before the column). */
export const START_IN_FILE = 'state.json';
