/**
 * vfs: every layer is a full copy of its parent plus its own changes (Docker's vfs). Works on any
 * filesystem; with reflinks (XFS, Btrfs) the copies share data blocks.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { removeTree, tarOnThread, treeChanges } from '../archive/index.js';
import type { Change } from '../archive/types.js';
import { TreeCopier } from './copy.js';
import type { LayerTarget, MountSpec, Snapshotter } from './types.js';
import { filesSize, treeSize } from './usage.js';
import { joinNames } from '../archive/names.js';

export class Vfs implements Snapshotter {
  readonly name = 'vfs' as const;
  readonly home: string;

  constructor(storeRoot: string) {
    this.home = join(storeRoot, 'snapshots', 'vfs');
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
  }

  private dir(id: string): string {
    if (!/^[a-f0-9]{64}$/.test(id)) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
    return join(this.home, id);
  }

  private make(id: string, parent: string | null): string {
    const dir = this.dir(id);
    if (parent) new TreeCopier().copy(this.dir(parent), dir);
    else mkdirSync(dir, { mode: 0o755 });
    return dir;
  }

  async createLayer(id: string, parent: string | null): Promise<LayerTarget> {
    return { dir: this.make(id, parent), whiteouts: 'apply' };
  }

  async createWritable(id: string, parent: string | null): Promise<void> {
    this.make(id, parent);
  }

  mountSpec(_id: string, _target: string): MountSpec | null {
    return null;
  }

  rootfsPath(id: string): string {
    return this.dir(id);
  }

  layerDir(id: string): string {
    return this.dir(id);
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    return treeChanges(this.dir(id), parent ? this.dir(parent) : null);
  }

  diffTar(id: string, parent: string | null): Readable {
    const dir = this.dir(id);
    // The change list is computed first (it walks both trees), then streamed from the container's tree.
    const tar = this.changes(id, parent).then((changes) => tarOnThread({ kind: 'changes', dir, changes }));
    return lazyStream(tar);
  }

  async usage(id: string): Promise<number> {
    return treeSize(this.dir(id));
  }

  /** As Docker's naive DiffSize: the sizes of the added and changed non-directories, hard links once. */
  async diffSize(id: string, parent: string | null): Promise<number> {
    const dir = this.dir(id);
    const paths = (await this.changes(id, parent)).filter((c) => c.kind !== 'D').map((c) => joinNames(dir, c.path));
    return filesSize(paths);
  }

  graphDriverData(_id: string): null {
    return null;
  }

  async remove(id: string): Promise<void> {
    removeTree(this.dir(id));
  }

  async list(): Promise<string[]> {
    return readdirSync(this.home).filter((d) => /^[a-f0-9]{64}$/.test(d));
  }
}

/** A stream whose source is known only later. */
function lazyStream(source: Promise<Readable>): Readable {
  return Readable.from((async function* () {
    yield* await source;
  })(), { objectMode: false });
}
