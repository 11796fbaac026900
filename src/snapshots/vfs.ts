/**
 * vfs: every snapshot is a full copy of its parent plus its own changes (Docker's vfs). Works on any
 * filesystem; with reflinks (XFS, Btrfs) the copies share data blocks. A snapshot is mounted by binding
 * its directory (onto itself, where the engine mounts it). The directory is the tree, so a snapshot's
 * kind is kept beside it: `<key>.committed` or `<key>.view`, none for an active one.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '../archive/remove.js';
import { treeSize } from '../archive/usage.js';
import { TreeCopier } from './copy.js';
import { checkKey, SNAPSHOT_KEY } from './keys.js';
import { moveAway } from './moveaway.js';
import { spreadSnapshots } from './spread.js';
import type { DriverModule } from './registry.js';
import type { LayerTarget, Mount, SnapshotInfo, SnapshotKind, Snapshotter } from './types.js';

const MARKED: SnapshotKind[] = ['committed', 'view'];

export class Vfs implements Snapshotter {
  readonly name = 'vfs';
  readonly home: string;

  constructor(storeRoot: string) {
    this.home = join(storeRoot, 'snapshots', 'vfs');
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
  }

  private dir(key: string): string {
    return join(this.home, checkKey(key));
  }

  private make(key: string, parent: string | null): void {
    const dir = this.dir(key);
    spreadSnapshots(this.home);
    if (parent) new TreeCopier().copy(this.dir(parent), dir);
    else mkdirSync(dir, { mode: 0o755 });
  }

  async prepare(key: string, parent: string | null): Promise<Mount[]> {
    this.make(key, parent);
    return this.mounts(key);
  }

  async view(key: string, parent: string | null): Promise<Mount[]> {
    this.make(key, parent);
    writeFileSync(`${this.dir(key)}.view`, '');
    return this.mounts(key);
  }

  async commit(key: string): Promise<void> {
    if (this.kind(key) !== 'active') throw new Error(`snapshot ${key} is not active`);
    writeFileSync(`${this.dir(key)}.committed`, '');
  }

  private kind(key: string): SnapshotKind {
    return MARKED.find((k) => existsSync(`${this.dir(key)}.${k}`)) ?? 'active';
  }

  mounts(key: string): Mount[] {
    return [{ type: 'bind', source: this.dir(key), options: ['rbind', this.kind(key) === 'active' ? 'rw' : 'ro'] }];
  }

  async remove(key: string): Promise<void> {
    removeTree(this.unmark(key));
  }

  detach(key: string, to: string): void {
    moveAway(this.unmark(key), to);
  }

  /** Markers first: a crash in between leaves a directory the sweep sees, never a marker alone. */
  private unmark(key: string): string {
    const dir = this.dir(key);
    for (const k of MARKED) rmSync(`${dir}.${k}`, { force: true });
    return dir;
  }

  async usage(key: string): Promise<number> {
    return treeSize(this.dir(key));
  }

  async walk(): Promise<SnapshotInfo[]> {
    return readdirSync(this.home).filter((k) => SNAPSHOT_KEY.test(k)).map((key) => ({ key, kind: this.kind(key) }));
  }

  target(key: string): LayerTarget {
    return { dir: this.dir(key), whiteouts: 'apply' };
  }
}

export const driver: DriverModule = { open: (storeRoot) => new Vfs(storeRoot), supported: () => true };
