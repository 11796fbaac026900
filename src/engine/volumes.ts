/**
 * Volumes through the engine: `volume create/ls/inspect/rm/prune`, and what containers need of them: the mount
 * plan made at create, the volumes it uses recorded with the container (their reference count), the mounts
 * handed to the runtime at start, and the anonymous ones removed by `rm -v`.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { treeSize } from '../archive/usage.js';
import type { OciMount } from '../runtime/oci.js';
import {
  checkOptions, checkVolumeName, dataDir, makeVolumeDir, mountVolume, ociMounts, planMounts, removeVolumeDir, seedVolume, volumeDir,
  anonymousName, type MountPlan, type MountRequest, type Planned, type VolumeRecord,
} from '../volumes/index.js';
import { isoNow } from './clock.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import { Filters, type FilterPair } from './filters.js';
import { sortedKeys } from './gomaps.js';
import type { Store } from './store.js';

/** A volume as Docker's Engine API shows it (`volume inspect`, `volume ls --format`). */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

export interface VolumeCreateOptions {
  name?: string;
  driver?: string;
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface VolumePruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

const LIST_FILTERS = ['dangling', 'driver', 'label', 'name'];
const PRUNE_FILTERS = ['label', 'label!', 'all'];

export class Volumes {
  constructor(private readonly store: Store) {}

  private get meta() {
    return this.store.meta.volumes;
  }

  private api(v: VolumeRecord): Volume {
    return {
      // Docker shows the time to the second, in UTC.
      CreatedAt: v.created.replace(/\.\d+Z$/, 'Z'), Driver: v.driver, Labels: v.labels && sortedKeys(v.labels), Mountpoint: dataDir(this.store.root, v.name),
      Name: v.name, Options: v.options && sortedKeys(v.options), Scope: 'local',
    };
  }

  private get(name: string): VolumeRecord {
    const v = this.meta.getVolume(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  /** `volume create`: a name already taken is that volume, as Docker answers. */
  create(opts: VolumeCreateOptions = {}): Volume {
    const name = opts.name || anonymousName();
    const driver = opts.driver ?? 'local';
    if (driver !== 'local') throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    checkVolumeName(name);
    // Kept as given, empty maps included: Docker's CLI sends `{}` for none, which inspect shows (null when none came).
    const options = opts.options ?? null;
    checkOptions(name, options);
    const existing = this.meta.getVolume(name);
    if (existing) return this.api(existing);
    const record: VolumeRecord = {
      name, driver: 'local', options, labels: opts.labels ?? null,
      // Docker 23+ counts only a container's unnamed volumes as anonymous; `volume create` without a name is not one.
      anonymous: false, created: isoNow(),
    };
    this.make([record]);
    return this.api(record);
  }

  /** Make volumes' directories, then their rows in one transaction; a failure leaves no directory behind. */
  private make(records: VolumeRecord[]): void {
    const made = this.provision(records);
    try {
      this.store.meta.tx(() => this.insert(records));
    } catch (e) {
      this.discard(made);
      throw e;
    }
  }

  /** The directories of the volumes that do not exist yet; their names, for `discard` if what follows fails. */
  private provision(records: readonly VolumeRecord[]): string[] {
    const made: string[] = [];
    try {
      for (const r of records) {
        checkOptions(r.name, r.options);
        if (this.meta.getVolume(r.name)) continue;
        makeVolumeDir(this.store.root, r.name);
        made.push(r.name);
      }
    } catch (e) {
      this.discard(made);
      throw e;
    }
    return made;
  }

  private discard(names: readonly string[]): void {
    for (const n of names) removeVolumeDir(this.store.root, n);
  }

  private insert(records: readonly VolumeRecord[]): void {
    for (const r of records) this.meta.insertVolume(r);
  }

  /**
   * `system check`: directories under volumes/ that no volume names (a crash between making one and
   * recording it, or a removal cut short). With `repair`, those `removable` says no live command may be
   * making are removed, their mounts first; the disk is listed before the database is read.
   */
  checkOrphans(repair: boolean, removable: (path: string) => boolean): { problems: string[]; repaired: string[] } {
    const problems: string[] = [];
    const repaired: string[] = [];
    let names: string[];
    try { names = readdirSync(join(this.store.root, 'volumes')); } catch { return { problems, repaired }; }
    for (const name of names) {
      if (this.meta.getVolume(name)) continue;
      if (repair && removable(volumeDir(this.store.root, name))) {
        removeVolumeDir(this.store.root, name);
        repaired.push(`removed volume directory ${name}, which no volume names`);
      } else problems.push(`volume directory ${name} is not referenced by any volume`);
    }
    return { problems, repaired };
  }

  inspect(name: string): Volume {
    return this.api(this.get(name));
  }

  /** `volume ls`: Docker's filters dangling=, name= (a substring), label=, driver=. */
  list(opts: { filters?: readonly FilterPair[] } = {}): Volume[] {
    const f = new Filters(opts.filters ?? [], LIST_FILTERS);
    const dangling = f.values('dangling').map((v) => {
      if (['true', '1'].includes(v.toLowerCase())) return true;
      if (['false', '0'].includes(v.toLowerCase())) return false;
      throw new InvalidArgumentError(`Invalid filter 'dangling=${v}'`);
    });
    const refs = this.meta.volumeRefCounts();
    return this.meta.listVolumes().filter((v) => {
      if (dangling.length && !dangling.includes(!refs.has(v.name))) return false;
      if (f.has('name') && !f.values('name').some((n) => v.name.includes(n))) return false;
      if (f.has('driver') && !f.values('driver').includes(v.driver)) return false;
      return f.labels('label', v.labels ?? {});
    }).map((v) => this.api(v));
  }

  /** `volume rm`: refused while a container uses it, in Docker's words; with `force`, a missing one is no error. */
  remove(name: string, opts: { force?: boolean } = {}): void {
    const v = this.meta.getVolume(name);
    if (!v) {
      if (opts.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    this.store.meta.tx(() => {
      const users = this.meta.volumeUsers(name);
      if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      this.meta.deleteVolume(name);
    });
    removeVolumeDir(this.store.root, name);
  }

  /** `volume prune`: unused anonymous volumes, or every unused one with `all` (Docker 23+'s rule), narrowed by labels. */
  prune(opts: { all?: boolean; filters?: readonly FilterPair[] } = {}): VolumePruneReport {
    const f = new Filters(opts.filters ?? [], PRUNE_FILTERS);
    const all = opts.all || f.values('all').some((v) => ['true', '1'].includes(v));
    const report: VolumePruneReport = { VolumesDeleted: [], SpaceReclaimed: 0 };
    const refs = this.meta.volumeRefCounts();
    for (const v of this.meta.listVolumes()) {
      if (refs.has(v.name) || (!all && !v.anonymous) || !f.pruneLabels(v.labels ?? {})) continue;
      const size = treeSize(dataDir(this.store.root, v.name));
      try {
        this.remove(v.name);
      } catch (e) {
        if (e instanceof ConflictError) continue; // taken by a container made meanwhile
        throw e;
      }
      report.VolumesDeleted.push(v.name);
      report.SpaceReclaimed += size;
    }
    return report;
  }

  /** `system df`'s volumes: each one's size and how many containers use it. */
  usage(): { Name: string; Mountpoint: string; UsageData: { Size: number; RefCount: number } }[] {
    const refs = this.meta.volumeRefCounts();
    return this.meta.listVolumes().map((v) => ({
      Name: v.name, Mountpoint: dataDir(this.store.root, v.name),
      UsageData: { Size: treeSize(dataDir(this.store.root, v.name)), RefCount: refs.get(v.name) ?? 0 },
    }));
  }

  // ---- for containers

  /**
   * The mounts a new container will have (./../volumes/plan.ts), checked against the store: `--volumes-from`
   * names a container, `mountsOf` gives that container's plan.
   */
  plan(req: MountRequest, imageVolumes: readonly string[], mountsOf: (ref: string) => MountPlan): Planned {
    return planMounts(req, {
      imageVolumes, mountsOf: (ref) => mountsOf(ref).mounts, volumeSource: (name) => dataDir(this.store.root, name),
    });
  }

  /**
   * Make the directories of the volumes a new container needs (those that do not exist yet), and give
   * what records them and the container's plan, to run in the transaction that writes the container's row,
   * and what undoes the directories if that transaction fails: no volume is left behind by a failed create.
   */
  provisionFor(containerId: string, planned: Planned): { record(): void; discard(): void } {
    const created = isoNow();
    const records = planned.volumes.map((w): VolumeRecord => ({
      name: w.name, driver: 'local', options: w.options && Object.keys(w.options).length ? w.options : null,
      labels: w.labels && Object.keys(w.labels).length ? w.labels : null, anonymous: w.anonymous, created,
    }));
    const made = this.provision(records);
    return {
      // A volume another process removed meanwhile fails the foreign key: the whole create fails.
      record: () => { this.insert(records); this.meta.attachMounts(containerId, planned.plan); },
      discard: () => this.discard(made),
    };
  }

  mountPlan(containerId: string): MountPlan {
    return this.meta.mountPlan(containerId);
  }

  /**
   * What the runtime mounts when the container starts (its bundle's config.json `mounts`): each volume's
   * driver mount made, an empty new volume seeded from the container's rootfs (mounted at `rootfs`) unless
   * nocopy, at its first use only, and a missing bind source made, as Docker does for `-v`.
   */
  mountsForStart(containerId: string, rootfs: string): OciMount[] {
    const plan = this.meta.mountPlan(containerId);
    let seeded = false;
    for (const m of plan.mounts) {
      if (m.type === 'bind') makeBindSource(m.source);
      if (m.type !== 'volume' || !m.name) continue;
      const v = this.get(m.name);
      mountVolume(this.store.root, v.name, v.options);
      if (m.copyData) {
        seedVolume(rootfs, m.destination, dataDir(this.store.root, v.name));
        m.copyData = false;
        seeded = true;
      }
    }
    if (seeded) this.store.meta.tx(() => this.meta.attachMounts(containerId, plan));
    return ociMounts(plan);
  }

  /** After the container's row is gone: with `anonymous`, its anonymous volumes no other container uses (`rm -v`). */
  release(plan: MountPlan, opts: { anonymous?: boolean }): void {
    if (!opts.anonymous) return;
    for (const m of plan.mounts) {
      if (m.type !== 'volume' || !m.name || !this.meta.getVolume(m.name)?.anonymous) continue;
      try {
        this.remove(m.name);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e; // still used by another container (--volumes-from): kept, as Docker
      }
    }
  }
}

/** A `-v` bind's missing host directory is made, as Docker's daemon makes it. */
const makeBindSource = (path: string): void => void mkdirSync(path, { recursive: true, mode: 0o755 });
