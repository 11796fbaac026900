/**
 * The layer store: a layer is stored once per chainID, whatever images or containers refer to it, and
 * goes only when nothing refers to it any more.
 */
import { existsSync, renameSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { chainIdOf } from '../images/digest.js';
import type { LayerRecord } from '../metadata/index.js';
import { isoNow } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import { archive } from './lazy.js';
import type { Store } from './store.js';

/**
 * The most layers an image may have, as in Docker (its layer store refuses a 126th with "max depth
 * exceeded"). It is what overlay2's mount options allow: every lower layer costs a 29-byte short link,
 * and all of them must fit in one page with the upper and work dirs.
 */
export const MAX_LAYER_DEPTH = 125;

/** Refuse a stack of `depth` layers before any work is done for it. */
export function checkLayerDepth(depth: number): void {
  if (depth > MAX_LAYER_DEPTH) {
    throw new InvalidArgumentError(`max depth exceeded: an image can have at most ${MAX_LAYER_DEPTH} layers, this one would have ${depth}`);
  }
}

export class Layers {
  constructor(private readonly store: Store) {}

  /**
   * Unpack an uncompressed layer tar on top of `parent` and record it. If a layer with the same chainID
   * exists already (the same content imported twice, or by another process at the same time), the new
   * copy is dropped and the existing one returned, unless the existing one lost files: then the new copy
   * heals it. The new layer stays pending until `Images.create` writes the image that uses it.
   * `diffID`: the tar's digest as its producer computed it (ApplyOptions.diffID).
   */
  async add(tar: Readable, parent: LayerRecord | null, diffID?: () => string): Promise<LayerRecord> {
    const { store } = this;
    try {
      checkLayerDepth(parent ? store.meta.layerChain(parent.chainId).length + 1 : 1);
    } catch (e) {
      tar.destroy(); // a commit's tar is already being written on a worker thread
      throw e;
    }
    const snapshot = store.beginSnapshot();
    try {
      // The tar is applied straight into the prepared snapshot's directory, unmounted: the fast path.
      await store.snapshots.prepare(snapshot, parent?.snapshot ?? null);
      const target = store.snapshots.target(snapshot);
      const applied = await archive().applyLayer(tar, target.dir, { whiteouts: target.whiteouts, tarSplitPath: store.tarSplitPath(snapshot), diffID });
      await store.snapshots.commit(snapshot);
      const chainId = chainIdOf(parent?.chainId ?? null, applied.diffID);
      const record: LayerRecord = {
        chainId, diffId: applied.diffID, parent: parent?.chainId ?? null, snapshot,
        size: applied.size, tarSize: applied.tarSize, createdAt: isoNow(),
      };
      const existing = store.meta.tx(() => {
        const found = store.meta.getLayer(chainId);
        if (!found) {
          if (parent && !store.meta.getLayer(parent.chainId)) throw new Error(`parent layer ${parent.chainId} was removed meanwhile`);
          store.meta.insertLayer(record);
        } else if (!existsSync(store.snapshots.target(found.snapshot).dir)) {
          // Its directory is gone: the new copy takes its place, and what is left of the old one goes.
          store.meta.setLayerSnapshot(chainId, snapshot);
          store.retireSnapshots([found.snapshot]);
          return { ...found, snapshot, retired: found.snapshot };
        }
        return found;
      });
      if (!existing) return record;
      if ('retired' in existing) {
        await store.removeRetired([existing.retired]);
        return { ...record, createdAt: existing.createdAt };
      }
      // Its tar-split record alone is lost: the new copy's, of the same bytes, replaces it; the directory
      // stays, as child layers' mounts name it.
      if (!existsSync(store.tarSplitPath(existing.snapshot))) renameSync(store.tarSplitPath(snapshot), store.tarSplitPath(existing.snapshot));
      await store.discardSnapshot(snapshot);
      return existing;
    } catch (e) {
      await store.discardSnapshot(snapshot);
      throw e;
    }
  }

  /** Whether the layer's files are in place: its directory and its tar-split record. */
  intact(layer: LayerRecord): boolean {
    return existsSync(this.store.snapshots.target(layer.snapshot).dir) && existsSync(this.store.tarSplitPath(layer.snapshot));
  }

  /** The exact bytes of the layer's tar, as it was imported or committed; the stream fails if they no longer hash to its diffID. */
  tar(layer: LayerRecord): Readable {
    return archive().layerTar(this.store.snapshots.target(layer.snapshot).dir, this.store.tarSplitPath(layer.snapshot), layer.diffId);
  }

  /**
   * Delete the rows of the unused layers from `top` down (inside the caller's transaction), retire their
   * snapshots and return them; the caller removes their files
   * after the transaction commits (Store.removeRetired).
   */
  collect(top: string | null): LayerRecord[] {
    const { meta } = this.store;
    const freed: LayerRecord[] = [];
    for (let cur = top; cur; ) {
      const l = meta.getLayer(cur);
      if (!l || !meta.layerUnused(cur)) break;
      meta.deleteLayer(cur);
      freed.push(l);
      cur = l.parent;
    }
    this.store.retireSnapshots(freed.map((l) => l.snapshot));
    return freed;
  }
}
