/**
 * The differ: what an active snapshot changed against its parent, from their mounts (containerd's
 * diff service), as a change list (`docker diff`), a changeset tar (`commit`) and a size (`ps -s`).
 * - An overlay mount with an upper dir takes the fast path: the upper dir alone holds every change,
 *   read against the lower dirs only where it names a path.
 * - A bind mount of a full tree (vfs) is compared with its parent's tree, entry by entry.
 */
import { realpathSync } from 'node:fs';
import { Readable } from 'node:stream';
import { overlayDirs } from '../snapshots/mountdata.js';
import type { Mount } from '../snapshots/types.js';
import { overlayChanges, treeChanges } from './changes.js';
import { joinNames } from './names.js';
import { tarOnThread } from './thread.js';
import type { Change } from './types.js';
import { filesSize, treeSize } from './usage.js';

/** What a pair of mounts is, for diffing. */
type Source =
  | { kind: 'overlay'; upper: string; lowers: string[] }
  | { kind: 'tree'; dir: string; parentDir: string | null };

function sourceOf(mounts: Mount[], parent: Mount[]): Source {
  const [m] = mounts;
  if (mounts.length === 1 && m!.type === 'overlay') {
    const dirs = overlayDirs(m!.options);
    // The lower dirs may be short links: the walk joins names below them, so it needs the real dirs.
    if (dirs.upper !== undefined) return { kind: 'overlay', upper: dirs.upper, lowers: dirs.lower.map((l) => realpathSync(l)) };
  }
  if (mounts.length === 1 && m!.type === 'bind') {
    if (parent.length === 0) return { kind: 'tree', dir: m!.source, parentDir: null };
    if (parent.length === 1 && parent[0]!.type === 'bind') return { kind: 'tree', dir: m!.source, parentDir: parent[0]!.source };
  }
  throw new Error(`cannot diff mounts ${JSON.stringify(mounts.map((x) => x.type))} against ${JSON.stringify(parent.map((x) => x.type))}`);
}

/** The changes of `mounts` (an active snapshot) against `parent` (its parent's mounts), sorted by path. */
export async function diffChanges(mounts: Mount[], parent: Mount[]): Promise<Change[]> {
  const s = sourceOf(mounts, parent);
  return s.kind === 'overlay' ? overlayChanges(s.upper, s.lowers) : treeChanges(s.dir, s.parentDir);
}

/** The changes as an OCI changeset tar (uncompressed), written on a worker thread. */
export function diffTar(mounts: Mount[], parent: Mount[]): Readable {
  const s = sourceOf(mounts, parent);
  if (s.kind === 'overlay') return tarOnThread({ kind: 'overlay-upper', dir: s.upper });
  const { dir } = s;
  // The change list is computed first (it walks both trees), then streamed from the snapshot's tree.
  return lazyStream(treeChanges(dir, s.parentDir).then((changes) => tarOnThread({ kind: 'changes', dir, changes })));
}

/**
 * `docker ps -s`'s SIZE: bytes of the files added or changed, each hard-linked inode once. An overlay
 * upper dir holds exactly those; a full tree counts what its changes name (Docker's naive DiffSize).
 */
export async function diffSize(mounts: Mount[], parent: Mount[]): Promise<number> {
  const s = sourceOf(mounts, parent);
  if (s.kind === 'overlay') return treeSize(s.upper);
  const changes = await treeChanges(s.dir, s.parentDir);
  return filesSize(changes.filter((c) => c.kind !== 'D').map((c) => joinNames(s.dir, c.path)));
}

/** A stream whose source is known only later. */
function lazyStream(source: Promise<Readable>): Readable {
  return Readable.from((async function* () {
    yield* await source;
  })(), { objectMode: false });
}
