/**
 * A strata store on disk: the metadata database, the content store, the storage driver, and the
 * bookkeeping that makes a crash harmless (snapshots being made or removed are registered as pending,
 * under the operation lock of the process doing it, so the next process can tell a dead process's
 * leftovers from a live one's work).
 *
 * The operation lock excludes no one: it marks a live process, for the sweep (is this pending work's
 * process gone?) and for `system check --repair` (was this directory made before every live command
 * began?). A process that registers no work and makes no files has nothing for it to mark, so a store
 * opened with `lock: 'on-work'` takes it only at its first pending row or scratch path (see StoreOptions).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '../archive/remove.js';
import { ContentStore } from '../content/index.js';
import { randomId } from '../images/digest.js';
import { Metadata } from '../metadata/index.js';
import {
  DRIVER_NAMES, isDriverName, isMounted, openSnapshotter, probeDriver, unmount, type DriverName, type Snapshotter,
} from '../snapshots/index.js';
import { isoNow } from './clock.js';
import { StrataError } from './errors.js';
import { rootfsPath } from './graphdriver.js';
import { initKey, isInitKey } from './initlayer.js';
import { acquireLock, lockNames, takeIfAbandoned, type HeldLock } from './lock.js';
import { archive } from './lazy.js';

export interface StoreOptions {
  root?: string;
  driver?: string;
  /**
   * When the operation lock is taken: 'open' (the default), or 'on-work', at the first snapshot registered
   * as pending or scratch path named, for commands that only read. 'on-work' is for a command that makes
   * no directory under containers/ or volumes/ and no runtime state: `system check --repair` judges those
   * by the age of the lock files of the commands running (System.check), and a command that made one
   * before taking its lock would have it removed from under it.
   */
  lock?: 'open' | 'on-work';
}

export function defaultRoot(): string {
  if (process.env.STRATA_ROOT) return process.env.STRATA_ROOT;
  if (process.getuid?.() === 0) return '/var/lib/strata';
  // node:os only here, for a user's store: root's commands do not load it.
  return join(process.env.XDG_DATA_HOME || join((require('node:os') as typeof import('node:os')).homedir(), '.local', 'share'), 'strata');
}

export class Store {
  readonly meta: Metadata;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;

  private constructor(readonly root: string, meta: Metadata, snapshots: Snapshotter, private held: HeldLock | undefined) {
    this.meta = meta;
    this.content = new ContentStore(root, (kind) => this.scratchPath(kind));
    this.snapshots = snapshots;
  }

  static async open(opts: StoreOptions = {}): Promise<Store> {
    const root = prepareRoot(opts.root ?? defaultRoot());
    const lock = opts.lock === 'on-work' ? undefined : acquireLock(join(root, 'locks'));
    let meta: Metadata | undefined;
    try {
      meta = new Metadata(join(root, 'strata.db'));
      secureDatabase(root);
      const requested = opts.driver ?? process.env.STRATA_STORAGE_DRIVER ?? undefined;
      if (requested !== undefined && !isDriverName(requested)) {
        throw new StrataError(`unknown storage driver ${JSON.stringify(requested)} (supported: ${DRIVER_NAMES.join(', ')})`, 125);
      }
      const driver = await chooseDriver(meta, root, requested);
      const store = new Store(root, meta, await openSnapshotter(driver, root), lock);
      await store.sweep();
      return store;
    } catch (e) {
      meta?.close();
      lock?.release();
      throw e;
    }
  }

  close(): void {
    this.meta.close();
    this.held?.release();
  }

  /** This process's operation lock, taken now if it is not yet held. */
  private get lock(): HeldLock {
    return (this.held ??= acquireLock(join(this.root, 'locks')));
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
    this.meta.addPending(id, this.lock.name, isoNow());
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

  /**
   * Call inside the transaction that deletes the rows owning these snapshots: they stay pending, as this
   * process's work, until `removeRetired` has removed their files, so a kill in between leaves work that
   * the next sweep finishes rather than directories nothing knows.
   */
  retireSnapshots(ids: string[]): void {
    const now = isoNow();
    for (const id of ids) this.meta.addPending(id, this.lock.name, now);
  }

  /** Remove retired snapshots' files, then their pending rows; returns the bytes they used on disk. */
  async removeRetired(ids: string[]): Promise<number> {
    let reclaimed = 0;
    for (const id of ids) {
      reclaimed += await this.snapshots.usage(id).catch(() => 0);
      await this.discardSnapshot(id);
    }
    return reclaimed;
  }

  /**
   * A retired snapshot (and its init layer) taken out of the driver's tree at once, into scratch paths under tmp/
   * (which the sweep clears should this process die), and its pending row deleted: returns the paths, which the
   * caller removes (`removePaths`), off the event loop if it likes. For a snapshot that has no tar-split record.
   */
  detachRetired(id: string): string[] {
    const moved: string[] = [];
    for (const key of [id, initKey(id)]) {
      const target = rootfsPath(this.snapshots, key);
      if (existsSync(target) && isMounted(target)) unmount(target);
      const to = this.scratchPath('snapshot');
      this.snapshots.detach(key, to);
      moved.push(to);
    }
    this.meta.removePending(id);
    return moved;
  }

  /**
   * A snapshot's files, unmounted first (`strata mount` leaves mounts), and a container's init layer
   * with it: the init layer is the container's, under the same pending row.
   */
  async removeSnapshotFiles(id: string): Promise<void> {
    for (const key of isInitKey(id) ? [id] : [id, initKey(id)]) {
      const target = rootfsPath(this.snapshots, key);
      if (existsSync(target) && isMounted(target)) unmount(target);
      await this.snapshots.remove(key);
    }
    archive().removeTarSplit(this.tarSplitPath(id));
  }

  /**
   * Finish the work of processes that died: every pending row whose lock can be taken (or whose lock file
   * is gone), then the dead lock files. Cheap when there is nothing: a directory listing, one flock per
   * live process and one small query.
   */
  /**
   * A temporary path under tmp/ (an ingest, a load's spool) named after this process's lock, so that if the
   * process dies, the sweep that finds its lock abandoned removes it too.
   */
  scratchPath(kind: string): string {
    return join(this.root, 'tmp', `${scratchPrefix(this.lock.name)}${kind}-${randomId().slice(0, 16)}`);
  }

  async sweep(): Promise<string[]> {
    const dir = join(this.root, 'locks');
    const swept: string[] = [];
    const byLock = new Map<string, string[]>();
    for (const name of lockNames(dir)) byLock.set(name, []);
    for (const p of this.meta.listPending()) byLock.set(p.lock, [...(byLock.get(p.lock) ?? []), p.snapshot]);
    // This process's own work, if it has any yet, is not a dead process's.
    if (this.held) byLock.delete(this.held.name);
    for (const [name, snapshots] of byLock) {
      const lock = takeIfAbandoned(dir, name);
      if (lock === 'live') continue;
      try {
        for (const s of snapshots) if (await this.abandon(s, name)) swept.push(s);
        this.removeScratch(name);
      } finally {
        if (lock !== 'gone') lock.release();
      }
    }
    return swept;
  }

  /**
   * Remove scratch paths of this process's, on libuv's threads (rmdir after rmdir, the event loop free meanwhile);
   * whatever that cannot remove (a tree too deep for a path) falls to removeTree.
   */
  async removePaths(paths: string[]): Promise<void> {
    // Loaded here, not imported: every command opens a store, only a removal needs it (0.2 ms, bench/RESULTS.md).
    const { rm } = await import('node:fs/promises');
    await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true }).catch(() => removeTree(p))));
  }

  /** Remove what a dead process with lock `name` left under tmp/. */
  private removeScratch(name: string): void {
    const tmp = join(this.root, 'tmp');
    const prefix = scratchPrefix(name);
    for (const f of readdirSync(tmp)) if (f.startsWith(prefix)) removeTree(join(tmp, f));
  }

  /**
   * Give up a pending snapshot that `lock` names (this process's by default): a layer recorded but never
   * given to an image goes too, unless another image took it meanwhile. The row stays until the files are
   * gone, so a kill in the middle leaves the work to the next sweep. Returns whether files were removed.
   */
  async abandon(snapshot: string, lock = this.lock.name): Promise<boolean> {
    const garbage = this.meta.tx(() => {
      if (this.meta.getPending(snapshot)?.lock !== lock) return false;
      const layer = this.meta.layerBySnapshot(snapshot);
      if ((layer && !this.meta.layerUnused(layer.chainId)) || this.meta.containerHasSnapshot(snapshot)) {
        this.meta.removePending(snapshot);
        return false;
      }
      if (layer) this.meta.deleteLayer(layer.chainId);
      return true;
    });
    if (garbage) await this.discardSnapshot(snapshot);
    return garbage;
  }
}

/**
 * Make the root and its directories, resolved once (mounted-state checks compare real paths with
 * /proc/self/mountinfo, so a root reached through a symlink must not leak into any path), and closed to
 * other users, as Docker's root is, also when the root existed before with looser modes.
 */
function prepareRoot(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const root = realpathSync(path);
  for (const d of ['', 'tmp', 'layers', 'containers', 'volumes', 'locks', 'blobs']) {
    mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  }
  for (const d of ['', 'blobs']) restrict(join(root, d), 0o700);
  return root;
}

/** strata.db and its WAL files hold every config and name: readable by the owner alone. */
function secureDatabase(root: string): void {
  for (const f of ['strata.db', 'strata.db-wal', 'strata.db-shm']) restrict(join(root, f), 0o600);
}

/** chmod only when the mode differs: a chmod writes the inode even when it changes nothing. */
function restrict(path: string, mode: number): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st && (st.mode & 0o777) !== mode) chmodSync(path, mode);
}

/** The start of the names of the temporary files of the process holding lock `name` ("<hex>.lock"). */
const scratchPrefix = (name: string): string => `${name.replace(/\.lock$/, '')}.`;

async function chooseDriver(meta: Metadata, root: string, requested: DriverName | undefined): Promise<DriverName> {
  const recorded = meta.getSetting('driver') as DriverName | undefined;
  if (recorded) {
    if (requested && requested !== recorded) {
      throw new StrataError(`the store at ${root} uses storage driver "${recorded}"; it cannot be opened with "${requested}" (use another --root)`, 125);
    }
    return recorded;
  }
  const chosen = requested ?? await probeDriver(root);
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
