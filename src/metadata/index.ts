/**
 * Typed access to strata.db. Every multi-row change runs in one transaction (`tx`), and a layer,
 * image or container becomes visible only when its row is written, after its files are complete.
 */
import { openDatabase, type DB } from './db.js';
import type { ContainerRecord, ContainerState, ImageRecord, LayerRecord } from './records.js';
import { BlobMetadata } from './blobs.js';
import { VolumeMetadata } from './volumes.js';

export type { LayerBlob } from './blobs.js';
export type { ContainerRecord, ContainerState, ImageRecord, LayerRecord } from './records.js';
export { START_IN_FILE } from './records.js';

interface LayerRow { chain_id: string; diff_id: string; parent: string | null; snapshot: string; size: number; tar_size: number; created_at: string }
interface ImageRow { id: string; parent: string | null; top_layer: string | null; size: number; created: string; added_at: string }
interface ContainerRow {
  id: string; name: string; image_id: string; image_ref: string; top_layer: string | null; snapshot: string;
  config: string; created: string; state: ContainerState; size_rw: number | null; start: string | null;
}
/** A snapshot being made or removed, and the operation lock of the process doing it. */
export interface PendingRow { snapshot: string; lock: string }

const layer = (r: LayerRow): LayerRecord => ({
  chainId: r.chain_id, diffId: r.diff_id, parent: r.parent, snapshot: r.snapshot, size: r.size, tarSize: r.tar_size, createdAt: r.created_at,
});
const image = (r: ImageRow): ImageRecord => ({
  id: r.id, parent: r.parent, topLayer: r.top_layer, size: r.size, created: r.created, addedAt: r.added_at,
});
const container = (r: ContainerRow): ContainerRecord => ({
  id: r.id, name: r.name, imageId: r.image_id, imageRef: r.image_ref, topLayer: r.top_layer, snapshot: r.snapshot,
  config: r.config, created: r.created, state: r.state, sizeRw: r.size_rw, start: r.start,
});

export class Metadata {
  readonly db: DB;
  /** Volumes and containers' mounts (./volumes.ts). */
  readonly volumes: VolumeMetadata;
  /** Layers' compressed registry blobs (./blobs.ts). */
  readonly blobs: BlobMetadata;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.volumes = new VolumeMetadata(this.db);
    this.blobs = new BlobMetadata(this.db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Copy what the WAL holds into the database now, syncing both (what closing the last connection does), so
   * that a close after no further write has nothing to sync: a process can take the syncs where it has other
   * work running meanwhile. PASSIVE: it waits for nobody; what a reader still needs is left to the close, and
   * so is everything when another process's checkpoint holds the WAL now (SQLITE_BUSY).
   */
  checkpoint(): void {
    try {
      this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    }
  }

  /** Run fn in one write transaction (taken up front, so concurrent writers queue rather than deadlock). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getSetting(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- layers
  getLayer(chainId: string): LayerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
    return r && layer(r);
  }

  layerBySnapshot(snapshot: string): LayerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE snapshot = ?').get(snapshot) as LayerRow | undefined;
    return r && layer(r);
  }

  listLayers(): LayerRecord[] {
    return (this.db.prepare('SELECT * FROM layers').all() as LayerRow[]).map(layer);
  }

  insertLayer(l: LayerRecord): void {
    this.db.prepare('INSERT INTO layers (chain_id, diff_id, parent, snapshot, size, tar_size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(l.chainId, l.diffId, l.parent, l.snapshot, l.size, l.tarSize, l.createdAt);
  }

  /** Layers from `chainId` down to the base, top first. */
  layerChain(chainId: string | null): LayerRecord[] {
    if (!chainId) return [];
    const rows = this.db.prepare(`WITH RECURSIVE chain(c, depth) AS (SELECT ?, 0 UNION ALL
        SELECT l.parent, depth + 1 FROM layers l JOIN chain ON l.chain_id = chain.c WHERE l.parent IS NOT NULL)
      SELECT layers.* FROM chain JOIN layers ON layers.chain_id = chain.c ORDER BY depth`).all(chainId) as LayerRow[];
    return rows.map(layer);
  }

  /** True when no image, container or child layer refers to the layer. */
  layerUnused(chainId: string): boolean {
    const q = this.db.prepare(`SELECT
      EXISTS(SELECT 1 FROM image_layers WHERE chain_id = @c) OR
      EXISTS(SELECT 1 FROM containers WHERE top_layer = @c) OR
      EXISTS(SELECT 1 FROM layers WHERE parent = @c) OR
      EXISTS(SELECT 1 FROM images WHERE top_layer = @c) AS used`);
    return (q.get({ c: chainId }) as { used: number }).used === 0;
  }

  deleteLayer(chainId: string): void {
    this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(chainId);
  }

  // ---- images
  getImage(id: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r && image(r);
  }

  listImages(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY added_at DESC, id').all() as ImageRow[]).map(image);
  }

  /** Image ids whose hex starts with `prefix`. */
  imagesByPrefix(prefix: string): string[] {
    return (this.db.prepare("SELECT id FROM images WHERE substr(id, 8) >= ? AND substr(id, 8) < ? || 'g'").all(prefix, prefix) as { id: string }[])
      .map((r) => r.id);
  }

  insertImage(img: ImageRecord, layers: string[]): void {
    this.db.prepare('INSERT INTO images (id, parent, top_layer, size, created, added_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(img.id, img.parent, img.topLayer, img.size, img.created, img.addedAt);
    const add = this.db.prepare('INSERT INTO image_layers (image_id, idx, chain_id) VALUES (?, ?, ?)');
    layers.forEach((c, i) => add.run(img.id, i, c));
  }

  deleteImage(id: string): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  imageLayers(id: string): string[] {
    return (this.db.prepare('SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx').all(id) as { chain_id: string }[])
      .map((r) => r.chain_id);
  }

  childImages(id: string): string[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map((r) => r.id);
  }

  // ---- tags and digests
  tagsOf(imageId: string): string[] {
    return (this.db.prepare('SELECT name FROM tags WHERE image_id = ? ORDER BY added_at, name').all(imageId) as { name: string }[]).map((r) => r.name);
  }

  /** When the image was last given a name by tag, import or commit (Docker's Metadata.LastTagTime), if ever. */
  lastTagTime(imageId: string): string | undefined {
    return (this.db.prepare('SELECT last_tag_time AS t FROM images WHERE id = ?').get(imageId) as { t: string | null } | undefined)?.t ?? undefined;
  }

  touchTagTime(imageId: string, now: string): void {
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(now, imageId);
  }

  allTags(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT name, image_id FROM tags ORDER BY added_at, name').all() as { name: string; image_id: string }[]) {
      m.set(r.image_id, [...(m.get(r.image_id) ?? []), r.name]);
    }
    return m;
  }

  tagTarget(name: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  /** Point `name` at the image; returns the image it pointed at before, if another. */
  setTag(name: string, imageId: string, now: string): string | undefined {
    const before = this.tagTarget(name);
    this.db.prepare('INSERT INTO tags (name, image_id, added_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, added_at = excluded.added_at')
      .run(name, imageId, now);
    return before !== imageId ? before : undefined;
  }

  deleteTag(name: string): void {
    this.db.prepare('DELETE FROM tags WHERE name = ?').run(name);
  }

  repoDigestsOf(imageId: string): string[] {
    return (this.db.prepare('SELECT name FROM repo_digests WHERE image_id = ? ORDER BY name').all(imageId) as { name: string }[]).map((r) => r.name);
  }

  /** The image a `repository@digest` name was pulled or pushed as, if it is still here. */
  repoDigestTarget(name: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM repo_digests WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  addRepoDigest(name: string, imageId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO repo_digests (name, image_id) VALUES (?, ?)').run(name, imageId);
  }

  // ---- containers
  getContainer(id: string): ContainerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as ContainerRow | undefined;
    return r && container(r);
  }

  containerByName(name: string): ContainerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as ContainerRow | undefined;
    return r && container(r);
  }

  containersByPrefix(prefix: string): ContainerRecord[] {
    return (this.db.prepare("SELECT * FROM containers WHERE id >= ? AND id < ? || 'g'").all(prefix, prefix) as ContainerRow[]).map(container);
  }

  listContainers(): ContainerRecord[] {
    return (this.db.prepare('SELECT * FROM containers ORDER BY created DESC, id').all() as ContainerRow[]).map(container);
  }

  containersUsingImage(imageId: string): ContainerRecord[] {
    // Oldest first, so an error naming "the" user names the same one every time.
    return (this.db.prepare('SELECT * FROM containers WHERE image_id = ? ORDER BY created, id').all(imageId) as ContainerRow[]).map(container);
  }

  insertContainer(c: ContainerRecord): void {
    this.db.prepare(`INSERT INTO containers (id, name, image_id, image_ref, top_layer, snapshot, config, created, state, size_rw, start)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(c.id, c.name, c.imageId, c.imageRef, c.topLayer, c.snapshot, c.config, c.created, c.state, c.sizeRw, c.start);
  }

  /** A start's record (JSON) and, when it changes, the state it leaves the container in: one statement. */
  setContainerStart(id: string, start: string, state?: ContainerState): void {
    this.db.prepare('UPDATE containers SET start = ?, state = coalesce(?, state) WHERE id = ?').run(start, state ?? null, id);
  }

  setContainerSize(id: string, sizeRw: number | null): void {
    this.db.prepare('UPDATE containers SET size_rw = ? WHERE id = ?').run(sizeRw, id);
  }

  /** The state a container was last seen in (the runtime's files decide between running and paused). */
  setContainerState(id: string, state: ContainerState): void {
    this.db.prepare('UPDATE containers SET state = ? WHERE id = ?').run(state, id);
  }

  renameContainer(id: string, name: string): void {
    this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
  }

  deleteContainer(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  // ---- snapshots being made or removed (so a crash's leftovers can be told from another process's work in progress)
  /** Record the snapshot as this lock's work; a row already there (another process's) is taken over. */
  addPending(snapshot: string, lock: string, now: string): void {
    this.db.prepare('INSERT INTO pending (snapshot, lock, started_at) VALUES (?, ?, ?) ON CONFLICT(snapshot) DO UPDATE SET lock = excluded.lock')
      .run(snapshot, lock, now);
  }

  removePending(snapshot: string): void {
    this.db.prepare('DELETE FROM pending WHERE snapshot = ?').run(snapshot);
  }

  getPending(snapshot: string): PendingRow | undefined {
    return this.db.prepare('SELECT snapshot, lock FROM pending WHERE snapshot = ?').get(snapshot) as PendingRow | undefined;
  }

  listPending(): PendingRow[] {
    return this.db.prepare('SELECT snapshot, lock FROM pending').all() as PendingRow[];
  }

  /** Whether a container's writable layer is the snapshot. */
  containerHasSnapshot(snapshot: string): boolean {
    return this.db.prepare('SELECT 1 FROM containers WHERE snapshot = ?').get(snapshot) !== undefined;
  }

  /** Point a layer at another snapshot (a re-import healing a layer whose files were lost). */
  setLayerSnapshot(chainId: string, snapshot: string): void {
    this.db.prepare('UPDATE layers SET snapshot = ? WHERE chain_id = ?').run(snapshot, chainId);
  }

  /** Every snapshot id the database refers to. */
  knownSnapshots(): Set<string> {
    const rows = this.db.prepare('SELECT snapshot FROM layers UNION SELECT snapshot FROM containers UNION SELECT snapshot FROM pending').all() as { snapshot: string }[];
    return new Set(rows.map((r) => r.snapshot));
  }
}
