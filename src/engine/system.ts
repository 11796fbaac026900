/** Store-wide views and upkeep: `system df` from the database alone, and `system check`. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { removeTree } from '../archive/remove.js';
import { join } from 'node:path';
import type { LayerRecord } from '../metadata/index.js';
import type { Containers } from './containers.js';
import { ownerOf } from './initlayer.js';
import type { Images } from './images.js';
import type { Store } from './store.js';
import type { DiskUsage } from './types.js';
import type { Volumes } from './volumes.js';

export interface CheckReport {
  /** Problems found, one sentence each; empty means the store is consistent. */
  problems: string[];
  /** What --repair removed or fixed. */
  repaired: string[];
}

export class System {
  constructor(private readonly store: Store, private readonly images: Images, private readonly containers: Containers, private readonly volumes: Volumes) {}

  /** Sizes come from the database (layer sizes recorded at write time; cached writable-layer sizes). */
  async df(): Promise<DiskUsage> {
    const { meta } = this.store;
    const layers = meta.listLayers();
    const imageLayers = new Map(meta.listImages().map((i) => [i.id, meta.imageLayers(i.id)]));
    const users = new Map<string, number>();
    for (const chains of imageLayers.values()) for (const c of chains) users.set(c, (users.get(c) ?? 0) + 1);
    const sizeOf = new Map(layers.map((l) => [l.chainId, l.size]));
    const images = this.images.list({ all: true }).map((s) => ({
      ...s,
      SharedSize: (imageLayers.get(s.Id) ?? []).filter((c) => (users.get(c) ?? 0) > 1).reduce((t, c) => t + (sizeOf.get(c) ?? 0), 0),
    }));
    const containers = (await this.containers.list({ all: true, size: true })).map((c) => ({ ...c, SizeRw: c.SizeRw ?? 0, SizeRootFs: c.SizeRootFs ?? 0 }));
    const inUse = new Set(meta.listContainers().flatMap((c) => meta.layerChain(c.topLayer).map((l) => l.chainId)));
    return {
      LayersSize: layers.reduce((t, l) => t + l.size, 0),
      LayersReclaimable: layers.filter((l) => !inUse.has(l.chainId)).reduce((t, l) => t + l.size, 0),
      Images: images,
      Containers: containers,
      Volumes: this.volumes.usage(),
      BuildCache: [],
    };
  }

  /**
   * Verify that the database and the files agree; with `repair`, remove what nothing refers to. Other
   * processes may be importing or removing meanwhile, so only what is provably garbage goes: the disk is
   * listed first and the database read after, and every operation registers a snapshot as pending before
   * it makes a file of it and until it has removed them all. So a file listed here that the database does
   * not know afterwards was no live operation's: not made by one (its row would be there) nor being
   * removed by one (removing it again is harmless).
   */
  async check(opts: { repair?: boolean } = {}): Promise<CheckReport> {
    const { meta, snapshots, content } = this.store;
    const problems: string[] = [];
    const repaired: string[] = [];
    const layerDir = join(this.store.root, 'layers');
    const listedSnapshots = (await snapshots.walk()).map((s) => s.key);
    const listedRecords = readdirSync(layerDir);
    const known = meta.knownSnapshots();
    // A file found missing counts only if its row is still there: a concurrent rm or rmi deletes the row first.
    const layerLost = (l: LayerRecord, path: string): boolean => !existsSync(path) && meta.getLayer(l.chainId)?.snapshot === l.snapshot;
    for (const l of meta.listLayers()) {
      if (layerLost(l, snapshots.target(l.snapshot).dir)) problems.push(`layer ${l.chainId}: snapshot ${l.snapshot} is missing`);
      if (layerLost(l, this.store.tarSplitPath(l.snapshot))) problems.push(`layer ${l.chainId}: tar-split record is missing`);
    }
    for (const c of meta.listContainers()) {
      if (!existsSync(snapshots.target(c.snapshot).dir) && meta.getContainer(c.id)) problems.push(`container ${c.id}: writable layer ${c.snapshot} is missing`);
      if (c.topLayer && !meta.getLayer(c.topLayer)) problems.push(`container ${c.id}: layer ${c.topLayer} is missing`);
    }
    for (const img of meta.listImages()) {
      try {
        const config = this.images.config(img);
        if (config.rootfs.diff_ids.length !== meta.imageLayers(img.id).length) problems.push(`image ${img.id}: layer count differs from its config`);
      } catch (e) {
        problems.push(`image ${img.id}: config: ${(e as Error).message}`);
      }
    }
    for (const id of listedSnapshots) {
      // A container's init layer (`<key>-init`) belongs to the container's snapshot, and goes with it.
      if (known.has(ownerOf(id))) continue;
      if (opts.repair) {
        await this.store.removeSnapshotFiles(id);
        repaired.push(`removed unreferenced snapshot ${id}`);
      } else problems.push(`snapshot ${id} is not referenced by any layer or container`);
    }
    // A record is named after its snapshot; whatever follows the first dot (.tar-split, its .stash, a
    // writer's temporary suffix) belongs to the same snapshot.
    for (const f of listedRecords) {
      if (known.has(f.split('.')[0]!)) continue;
      if (opts.repair) { removeTree(join(layerDir, f)); repaired.push(`removed unreferenced ${f}`); }
      else problems.push(`tar-split record ${f} is not referenced by any layer`);
    }
    for (const d of content.list()) {
      try { content.get(d); } catch (e) { problems.push(`blob ${d}: ${(e as Error).message}`); }
    }
    // What containers and volumes left behind without a record (runtime state, their directories).
    const removable = madeBeforeOtherCommands(this.store);
    for (const part of [await this.containers.processes.checkOrphans(!!opts.repair, removable), this.volumes.checkOrphans(!!opts.repair, removable)]) {
      problems.push(...part.problems);
      repaired.push(...part.repaired);
    }
    return { problems, repaired };
  }
}

/**
 * Whether a path was made before every strata command now holding the store began (each takes its lock
 * file, new, at its start, and makes nothing before; this one's own counts too; a command that only reads
 * takes none, and makes nothing: engine/store.ts's StoreOptions.lock): then no live command is making it,
 * and a directory without a record is garbage. What a command still running made is left to it.
 */
function madeBeforeOtherCommands(store: Store): (path: string) => boolean {
  const locks = join(store.root, 'locks');
  let oldest = Infinity;
  for (const name of readdirSync(locks)) {
    try { oldest = Math.min(oldest, statSync(join(locks, name)).ctimeMs); } catch { /* released meanwhile */ }
  }
  return (path) => {
    try { return statSync(path).ctimeMs < oldest; } catch { return false; }
  };
}
