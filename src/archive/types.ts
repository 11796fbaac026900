/** Kinds of change between a layer and its parent, as `docker diff` prints them. */
export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  /** Absolute path inside the container, e.g. "/etc/hosts". */
  path: string;
  kind: ChangeKind;
}

/**
 * How a changeset's deletions land on disk when it is applied.
 * - 'overlay': kept as OverlayFS whiteouts (char device 0/0; opaque dirs get trusted.overlay.opaque=y),
 *   because the layer directory is one lowerdir of a union mount.
 * - 'apply': carried out (the path is removed; an opaque dir is emptied), because the target directory
 *   already holds the parent's full tree (vfs).
 */
export type WhiteoutMode = 'overlay' | 'apply';

export interface ApplyOptions {
  whiteouts: WhiteoutMode;
  /** Where to write the tar-split record that lets `layerTar` give back the exact tar bytes. */
  tarSplitPath: string;
  /**
   * The tar's "sha256:<hex>" as the stream's producer computed it, asked for once the stream has ended: a
   * pull's unpack worker hashes the bytes it sends, so this thread need not hash them again.
   */
  diffID?: () => string;
}

export interface ApplyResult {
  /** "sha256:<hex>" of the uncompressed tar stream, every byte including padding and trailer. */
  diffID: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** The layer's size as Docker's overlay2 reports it (./layersize.ts): symlinks count their target's length, each inode once. */
  size: number;
}

/** A changeset tar for a worker thread to write (archive/thread.ts). */
export type TarJob =
  /** An overlay upper directory: whiteout devices become `.wh.` files (overlayUpperTar). */
  | { kind: 'overlay-upper'; dir: string }
  /** The listed changes, read from the full tree `dir` (changesTar). */
  | { kind: 'changes'; dir: string; changes: Change[] };
