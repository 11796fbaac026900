/**
 * A strata store on disk: the metadata database, the content store, the storage driver, and the
 * bookkeeping that makes a crash harmless (snapshots being made are registered as pending, with the
 * maker's pid, so the next process can tell a dead writer's leftovers from a live one's work).
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeTarSplit } from '../archive/index.js';
import { ContentStore } from '../content/index.js';
import { randomId } from '../images/digest.js';
import { Metadata } from '../metadata/index.js';
import { openSnapshotter, probeDriver } from '../snapshots/index.js';
import type { DriverName, Snapshotter } from '../snapshots/types.js';
import { isoNow } from './clock.js';
import { StrataError } from './errors.js';
import { processAlive, selfStartTime } from './process.js';

export const DRIVERS: DriverName[] = ['overlay2', 'vfs'];

export interface StoreOptions {
  root?: string;
  driver?: string;
}

export function defaultRoot(): string {
  if (process.env.STRATA_ROOT) return process.env.STRATA_ROOT;
  if (process.getuid?.() === 0) return '/var/lib/strata';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'strata');
}

export class Store {
  readonly meta: Metadata;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  private readonly pidStart = selfStartTime();

  private constructor(readonly root: string, meta: Metadata, snapshots: Snapshotter) {
    this.meta = meta;
    this.content = new ContentStore(root);
    this.snapshots = snapshots;
  }

  static async open(opts: StoreOptions = {}): Promise<Store> {
    // Absolute: mounting changes the working directory for a moment (snapshots/mount.ts).
    const root = resolve(opts.root ?? defaultRoot());
    for (const d of ['', 'tmp', 'layers', 'containers', 'volumes']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
    const meta = new Metadata(join(root, 'strata.db'));
    const requested = opts.driver ?? process.env.STRATA_STORAGE_DRIVER ?? undefined;
    if (requested !== undefined && !DRIVERS.includes(requested as DriverName)) {
      meta.close();
      throw new StrataError(`unknown storage driver ${JSON.stringify(requested)} (supported: ${DRIVERS.join(', ')})`, 125);
    }
    const driver = chooseDriver(meta, root, requested as DriverName | undefined);
    const store = new Store(root, meta, openSnapshotter(driver, root));
    await store.sweep();
    return store;
  }

  close(): void {
    this.meta.close();
  }

  /** Where a layer's tar-split record lives (layers/ is strata's own: the driver owns snapshots/). */
  tarSplitPath(snapshot: string): string {
    return join(this.root, 'layers', `${snapshot}.tar-split`);
  }

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  /**
   * Register a snapshot about to be made; until `commitSnapshot` it is garbage if this process dies.
   * A new layer stays pending until the image that uses it is written, so a crash in between leaves
   * no layer that nothing refers to.
   */
  beginSnapshot(): string {
    const id = randomId();
    this.meta.addPending(id, process.pid, this.pidStart, isoNow());
    return id;
  }

  /** Call inside the transaction that writes the row that owns the snapshot. */
  commitSnapshot(id: string): void {
    this.meta.removePending(id);
  }

  /** Remove a snapshot's files and its pending row (work abandoned, or a duplicate of an existing layer). */
  async discardSnapshot(id: string): Promise<void> {
    await this.removeSnapshotFiles(id);
    this.meta.removePending(id);
  }

  async removeSnapshotFiles(id: string): Promise<void> {
    await this.snapshots.remove(id);
    removeTarSplit(this.tarSplitPath(id));
  }

  /** Remove what dead processes left half-made. Cheap when there is nothing: one small query. */
  async sweep(): Promise<string[]> {
    const swept: string[] = [];
    for (const p of this.meta.listPending()) {
      if (processAlive(p.pid, p.pid_start)) continue;
      if (await this.abandon(p.snapshot)) swept.push(p.snapshot);
    }
    return swept;
  }

  /**
   * Give up a pending snapshot: a layer recorded but never given to an image goes too, unless another
   * image took it meanwhile. Returns whether its files were removed.
   */
  async abandon(snapshot: string): Promise<boolean> {
    const garbage = this.meta.tx(() => {
      const layer = this.meta.layerBySnapshot(snapshot);
      this.meta.removePending(snapshot);
      if (layer && !this.meta.layerUnused(layer.chainId)) return false;
      if (layer) this.meta.deleteLayer(layer.chainId);
      return true;
    });
    if (garbage) await this.removeSnapshotFiles(snapshot);
    return garbage;
  }
}

function chooseDriver(meta: Metadata, root: string, requested: DriverName | undefined): DriverName {
  const recorded = meta.getSetting('driver') as DriverName | undefined;
  if (recorded) {
    if (requested && requested !== recorded) {
      meta.close();
      throw new StrataError(`the store at ${root} uses storage driver "${recorded}"; it cannot be opened with "${requested}" (use another --root)`, 125);
    }
    return recorded;
  }
  const chosen = requested ?? probeDriver(root);
  // Two processes may create the store at once: the first to record a driver wins, the other follows it.
  return meta.tx(() => {
    const again = meta.getSetting('driver') as DriverName | undefined;
    if (again) {
      if (requested && requested !== again) throw new StrataError(`the store at ${root} uses storage driver "${again}"; it cannot be opened with "${requested}"`, 125);
      return again;
    }
    meta.setSetting('driver', chosen);
    return chosen;
  });
}
