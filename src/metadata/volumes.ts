/** strata.db's volumes, containers' mount plans, and which containers use which volume (the reference count). */
import type { DB } from './db.js';
import type { MountPlan, VolumeRecord } from '../volumes/types.js';

interface VolumeRow { name: string; driver: 'local'; options: string | null; labels: string | null; anonymous: number; created: string }

const volume = (r: VolumeRow): VolumeRecord => ({
  name: r.name, driver: r.driver, options: r.options === null ? null : JSON.parse(r.options) as Record<string, string>,
  labels: r.labels === null ? null : JSON.parse(r.labels) as Record<string, string>, anonymous: r.anonymous === 1, created: r.created,
});

export class VolumeMetadata {
  constructor(private readonly db: DB) {}

  getVolume(name: string): VolumeRecord | undefined {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as VolumeRow | undefined;
    return r && volume(r);
  }

  listVolumes(): VolumeRecord[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as VolumeRow[]).map(volume);
  }

  /** Insert the volume; one already there (made meanwhile by another process) is kept. Whether it was new. */
  insertVolume(v: VolumeRecord): boolean {
    if (this.getVolume(v.name)) return false;
    this.db.prepare('INSERT INTO volumes (name, driver, options, labels, anonymous, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(v.name, v.driver, v.options && JSON.stringify(v.options), v.labels && JSON.stringify(v.labels), v.anonymous ? 1 : 0, v.created);
    return true;
  }

  deleteVolume(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }

  /** The containers using the volume. */
  volumeUsers(name: string): string[] {
    return (this.db.prepare('SELECT container_id FROM volume_users WHERE volume = ? ORDER BY container_id').all(name) as { container_id: string }[]).map((r) => r.container_id);
  }

  /** Reference counts of every volume in use. */
  volumeRefCounts(): Map<string, number> {
    const rows = this.db.prepare('SELECT volume, count(*) AS n FROM volume_users GROUP BY volume').all() as { volume: string; n: number }[];
    return new Map(rows.map((r) => [r.volume, r.n]));
  }

  /** Record a container's plan and the volumes it uses (one transaction with the container's own row). */
  attachMounts(containerId: string, plan: MountPlan): void {
    this.db.prepare('INSERT OR REPLACE INTO container_mounts (container_id, plan) VALUES (?, ?)').run(containerId, JSON.stringify(plan));
    for (const name of new Set(plan.mounts.flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : [])))) {
      this.db.prepare('INSERT OR IGNORE INTO volume_users (container_id, volume) VALUES (?, ?)').run(containerId, name);
    }
  }

  /** A container's plan; a container made with no mounts (or before volumes existed) has an empty one. */
  mountPlan(containerId: string): MountPlan {
    const r = this.db.prepare('SELECT plan FROM container_mounts WHERE container_id = ?').get(containerId) as { plan: string } | undefined;
    return r ? JSON.parse(r.plan) as MountPlan : { mounts: [], hostConfig: { Binds: null, VolumesFrom: null } };
  }
}
