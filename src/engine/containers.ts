/** Containers: create, list, inspect, mount, diff, commit, export, remove, prune. */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { STRATA_VERSION } from './version.js';
import type { Readable } from 'node:stream';
import type { Change } from '../archive/types.js';
import { commandOf, containerConfig, type CreateOverrides } from '../containers/config.js';
import { randomName, VALID_NAME } from '../containers/names.js';
import { applyChanges } from '../images/changes.js';
import { normalizeContainerConfig, type ContainerConfig, type ImageConfig } from '../images/config.js';
import { EMPTY_LAYER_DIFF_ID, randomId } from '../images/digest.js';
import type { ContainerRecord } from '../metadata/index.js';
import { isMounted, mountAll, unmount, type Mount, type MountOptions } from '../snapshots/index.js';
import { isoNow, isoNowNs, rfc3339Nano } from './clock.js';
import { ConflictError, InvalidArgumentError, NotFoundError, StrataError } from './errors.js';
import { Filters, invalidFilter, type FilterPair } from './filters.js';
import { withSortedMaps } from './gomaps.js';
import { hostConfig, networks, networkSettings } from './hostconfig.js';
import { Processes, statusText, ZERO_TIME, type LiveState } from './processes.js';
import { checkRestartPolicy, DEFAULT_SETTINGS, readSettings, writeSettings, type RunSettings } from './runsettings.js';
import { graphDriverData, rootfsPath } from './graphdriver.js';
import type { Images } from './images.js';
import { initKey, makeInitLayer } from './initlayer.js';
import type { Layers } from './layers.js';
import type { Store } from './store.js';
import { timeNs, untilNs } from './times.js';
import type { ContainerInspect, ContainerSummary, MountPoint, PruneReport } from './types.js';
import type { MountRequest } from '../volumes/index.js';
import { mountHostConfig, mountPoints } from './mounts.js';
import { archive, streams } from './lazy.js';
import type { Volumes } from './volumes.js';

/** The filters `ps` takes, as Docker's; and those Docker takes that need what strata has not yet (networks, volumes, health checks). */
const PS_FILTERS = ['ancestor', 'before', 'exited', 'id', 'label', 'name', 'since', 'status', 'volume'];
const PS_FILTERS_NOT_YET = ['expose', 'health', 'isolation', 'is-task', 'network', 'publish'];
/** Docker's container states, the values `status=` takes. */
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** SizeRw of a writable layer that could not be measured, as Docker reports it. */
const UNMEASURABLE = -1;

export interface CreateOptions extends CreateOverrides {
  image: string;
  name?: string;
  /** -v, --mount, --tmpfs, --volumes-from (volumes/plan.ts). */
  mounts?: MountRequest;
  /** How it runs (Docker's HostConfig): defaults for what is not given. */
  run?: Partial<RunSettings>;
  /** --restart: only `no` is possible without a daemon. */
  restart?: string;
}

export interface CommitOptions {
  reference?: string;
  message?: string;
  author?: string;
  changes?: string[];
  /** A build step's commit: the image's config and history line as the builder decided them (instead of the container's and `changes`). */
  step?: BuildStep;
}

/** What a build step records in its image, as Docker's classic builder writes it. */
export interface BuildStep {
  config: ContainerConfig;
  /** History's created_by: `/bin/sh -c #(nop)  CMD […]`, `|1 K=V /bin/sh -c make`. */
  createdBy: string;
  /** The configuration the step ran with (its Cmd is the step's own): the build cache's key. */
  containerConfig: ContainerConfig;
  /** MAINTAINER: the image's author. */
  author?: string;
}

export interface ListOptions {
  all?: boolean;
  size?: boolean;
  /** Docker's --filter key=value pairs: name, id, status, ancestor, label, before, since. */
  filters?: readonly FilterPair[];
  /** Only the `last` most recently created (of every state, as `ps -n`). */
  last?: number;
}

export class Containers {
  /** The containers' processes: start, stop, exec, logs, and the live state the listing shows. */
  readonly processes: Processes;
  /** Init layers seen on disk (their containers' lifetime), at most 4096 kept: see lowerSnapshots. */
  private readonly initLayers = new Set<string>();

  constructor(
    private readonly store: Store, private readonly images: Images, private readonly layers: Layers, private readonly volumes: Volumes,
    self: string[] | null = null,
  ) {
    this.processes = new Processes(store, this, volumes, self);
  }

  /** Find a container by full ID, name, or unique ID prefix. */
  resolve(ref: string): ContainerRecord {
    const { meta } = this.store;
    const exact = meta.getContainer(ref) ?? meta.containerByName(ref.replace(/^\//, ''));
    if (exact) return exact;
    if (/^[a-f0-9]{1,64}$/.test(ref)) {
      const found = meta.containersByPrefix(ref);
      if (found.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
      if (found.length === 1) return found[0]!;
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  /**
   * A record, an init layer on the image's top layer (Docker's `-init`), and the writable layer on that;
   * costs the same whatever the image's size on overlay2.
   */
  async create(opts: CreateOptions): Promise<string> {
    const { store } = this;
    const img = this.images.resolve(opts.image);
    const id = randomId();
    const config = containerConfig(this.images.config(img).config, opts.image, id, opts);
    // Volumes: the mounts decided now, as Docker's daemon does; anonymous ones join Config.Volumes.
    const planned = this.volumes.plan(opts.mounts ?? {}, Object.keys(config.Volumes ?? {}), (ref) => this.volumes.mountPlan(this.resolve(ref).id));
    if (planned.configVolumes.length) config.Volumes = { ...config.Volumes, ...Object.fromEntries(planned.configVolumes.map((d) => [d, {}])) };
    // Docker's daemon refuses a container that could never run, before it looks at the name.
    if (!config.Cmd?.length && !config.Entrypoint?.length) throw new InvalidArgumentError('No command specified');
    checkRestartPolicy(opts.restart);
    const settings: RunSettings = { ...DEFAULT_SETTINGS, ...opts.run, ...(opts.hostname ? { hostname: opts.hostname } : {}) };
    const name = opts.name?.replace(/^\//, '') ?? undefined;
    if (name !== undefined && !VALID_NAME.test(name)) {
      throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (name) this.assertNameFree(name);
    const imageLayers = store.meta.layerChain(img.topLayer).map((l) => l.snapshot);
    const snapshot = store.beginSnapshot();
    let volumes: ReturnType<Volumes['provisionFor']> | undefined;
    try {
      volumes = this.volumes.provisionFor(id, planned);
      await makeInitLayer(store.snapshots, initKey(snapshot), imageLayers);
      await store.snapshots.prepare(snapshot, initKey(snapshot));
      store.meta.tx(() => {
        if (!store.meta.getImage(img.id)) throw new NotFoundError(`No such image: ${opts.image}`);
        const finalName = name ?? this.freeRandomName();
        if (name) this.assertNameFree(name);
        store.meta.insertContainer({
          id, name: finalName, imageId: img.id, imageRef: opts.image, topLayer: img.topLayer, snapshot,
          config: JSON.stringify(config), created: isoNowNs(), state: 'created', sizeRw: 0, start: null,
        });
        volumes!.record();
        store.commitSnapshot(snapshot);
        const dir = store.containerDir(id);
        mkdirSync(dir, { recursive: true });
        writeSettings(dir, settings);
      });
    } catch (e) {
      volumes?.discard();
      await store.discardSnapshot(snapshot);
      throw e;
    }
    return id;
  }

  private assertNameFree(name: string): void {
    const holder = this.store.meta.containerByName(name);
    if (holder) {
      throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  private freeRandomName(): string {
    for (;;) {
      const n = randomName();
      if (!this.store.meta.containerByName(n)) return n;
    }
  }

  config(c: ContainerRecord): ContainerConfig {
    return normalizeContainerConfig(JSON.parse(c.config) as Partial<ContainerConfig>);
  }

  /** The image's layers' snapshots, newest first. */
  private imageSnapshots(c: ContainerRecord): string[] {
    return this.store.meta.layerChain(c.topLayer).map((l) => l.snapshot);
  }

  /**
   * The snapshots under the writable layer, newest first: its init layer, then the image's. A container
   * made before init layers existed has none.
   */
  private lowerSnapshots(c: ContainerRecord): string[] {
    const init = initKey(c.snapshot);
    const image = this.imageSnapshots(c);
    // An init layer lasts as long as its container: once seen, a long-lived process (the API service)
    // need not look for it on disk again for every inspect.
    if (!this.initLayers.has(init) && existsSync(this.store.snapshots.target(init).dir)) {
      if (this.initLayers.size >= 4096) this.initLayers.clear();
      this.initLayers.add(init);
    }
    return this.initLayers.has(init) ? [init, ...image] : image;
  }

  /** What the differ compares the writable layer with: the mounts of the snapshot right under it. */
  private parentMounts(c: ContainerRecord): Mount[] {
    const parent = this.lowerSnapshots(c)[0];
    return parent ? this.store.snapshots.mounts(parent) : [];
  }

  private imageSize(c: ContainerRecord): number {
    return this.store.meta.layerChain(c.topLayer).reduce((s, l) => s + l.size, 0);
  }

  rootfs(c: ContainerRecord): string {
    return rootfsPath(this.store.snapshots, c.snapshot);
  }

  /**
   * Bytes of the writable layer, cached while the container is not mounted (nothing can change it then).
   * `mount` forgets the size; once the mount is gone, it is kept again.
   */
  async sizeRw(c: ContainerRecord): Promise<number> {
    if (c.sizeRw !== null) return c.sizeRw;
    const size = await this.measure(c);
    if (size !== UNMEASURABLE && !this.isMounted(c)) this.store.meta.setContainerSize(c.id, size);
    return size;
  }

  /**
   * The writable layer's size, or UNMEASURABLE when its tree cannot be walked (a container can make a tree
   * deeper than PATH_MAX): Docker reports -1 for such a layer rather than failing the listing of every container.
   */
  /** `ps -s` and `inspect -s`: the writable layer's size, and with the image's (the virtual size). */
  private async sizes(c: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const rw = await this.sizeRw(c);
    return { SizeRw: rw, SizeRootFs: this.imageSize(c) + (rw === UNMEASURABLE ? 0 : rw) };
  }

  private async measure(c: ContainerRecord): Promise<number> {
    try {
      return await archive().diffSize(this.store.snapshots.mounts(c.snapshot), this.parentMounts(c));
    } catch {
      return UNMEASURABLE;
    }
  }

  private isMounted(c: ContainerRecord): boolean {
    return isMounted(this.rootfs(c));
  }

  async list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const match = this.matcher(opts.filters ?? []);
    // As Docker, a status filter looks at every container, not only the running ones.
    const all = opts.all || opts.filters?.some(([k]) => k === 'status');
    const out: ContainerSummary[] = [];
    // The containers made from one name look it up once per listing (two queries and a parse each).
    const imageIds = new Map<string, string | null>();
    for (const c of this.store.meta.listContainers()) {
      if (opts.last !== undefined && out.length >= opts.last) break;
      const live = await this.processes.state(c);
      if (!all && opts.last === undefined && live.status !== 'running' && live.status !== 'paused') continue;
      if (!match(c, live)) continue;
      const s = this.summary(c, live, imageIds);
      if (opts.size) Object.assign(s, await this.sizes(c));
      out.push(s);
    }
    return out;
  }

  /**
   * Docker's `ps` filters, checked before any container is looked at: an unknown key or status is
   * `Invalid filter '…'`. `ancestor=` names an image by any of its names or its ID, and matches the
   * containers of that image and of every image built on it; an image that does not exist matches nothing.
   */
  private matcher(pairs: readonly FilterPair[]): (c: ContainerRecord, live: LiveState) => boolean {
    const f = new Filters(pairs, [...PS_FILTERS, ...PS_FILTERS_NOT_YET]);
    const unsupported = PS_FILTERS_NOT_YET.find((k) => f.has(k));
    if (unsupported) throw new InvalidArgumentError(`filter '${unsupported}' is not supported yet: strata has no networks or health checks`);
    const bad = f.values('status').find((v) => !STATES.includes(v));
    if (bad !== undefined) throw invalidFilter('status', bad);
    const badCode = f.values('exited').find((v) => !/^-?\d+$/.test(v));
    if (badCode !== undefined) throw invalidFilter('exited', badCode);
    const ancestors = f.has('ancestor') ? this.descendants(f.values('ancestor')) : undefined;
    const createdOf = (key: 'before' | 'since'): bigint | undefined => {
      const ref = f.values(key).at(-1);
      return ref === undefined ? undefined : timeNs(this.resolve(ref).created);
    };
    const before = createdOf('before');
    const since = createdOf('since');
    return (c, live) => {
      if (f.has('exited') && (live.status !== 'exited' || !f.values('exited').includes(String(live.exitCode)))) return false;
      if (f.has('id') && !f.values('id').some((v) => c.id.startsWith(v))) return false;
      if (f.has('name') && !f.matches('name', c.name) && !f.matches('name', `/${c.name}`)) return false;
      if (f.has('status') && !f.values('status').includes(live.status)) return false;
      if (ancestors && !ancestors.has(c.imageId)) return false;
      // volume=: a mount's volume name (a bind's source) or its destination, as Docker's daemon matches it.
      if (f.has('volume') && !this.mounts(c).some((m) => f.values('volume').some((v) => v === (m.Name ?? m.Source) || v === m.Destination))) return false;
      if ((before !== undefined && timeNs(c.created) >= before) || (since !== undefined && timeNs(c.created) <= since)) return false;
      return f.labels('label', this.config(c).Labels ?? {});
    };
  }

  /** The images named (those that exist: Docker passes over a name it cannot find or read) and every image whose parent chain reaches one of them. */
  private descendants(refs: readonly string[]): Set<string> {
    const { meta } = this.store;
    const found = new Set<string>();
    const todo: string[] = [];
    for (const ref of refs) {
      try {
        todo.push(this.images.resolve(ref).id);
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
      }
    }
    for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
      if (found.has(id)) continue;
      found.add(id);
      todo.push(...meta.childImages(id));
    }
    return found;
  }

  private summary(c: ContainerRecord, live: LiveState, imageIds: Map<string, string | null>): ContainerSummary {
    const config = this.config(c);
    const settings = readSettings(this.store.containerDir(c.id));
    return {
      Id: c.id, Names: [`/${c.name}`], Image: this.imageName(c, imageIds), ImageID: c.imageId,
      Command: commandLine(config), Created: Math.floor(Date.parse(c.created) / 1000), Ports: [],
      State: live.status, Status: statusText(live), Labels: config.Labels ?? {},
      HostConfig: { NetworkMode: settings.network }, NetworkSettings: { Networks: networks(settings.network) }, Mounts: this.mounts(c),
    };
  }

  /**
   * The name the container was created from, as Docker's daemon lists it: kept while it still names the
   * container's image, else (retagged or untagged since) the image's ID. `imageIds`: what each name
   * resolved to so far (null: to nothing).
   */
  private imageName(c: ContainerRecord, imageIds: Map<string, string | null>): string {
    if (c.imageRef === c.imageId) return c.imageRef;
    if (!imageIds.has(c.imageRef)) {
      try {
        imageIds.set(c.imageRef, this.images.resolve(c.imageRef).id);
      } catch (e) {
        if (!(e instanceof NotFoundError || e instanceof InvalidArgumentError)) throw e;
        imageIds.set(c.imageRef, null);
      }
    }
    return imageIds.get(c.imageRef) === c.imageId ? c.imageRef : c.imageId;
  }

  async inspect(ref: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    const c = this.resolve(ref);
    const config = this.config(c);
    const { path, args } = commandOf(config);
    const live = await this.processes.state(c);
    const dir = this.store.containerDir(c.id);
    // Docker names these files when the container starts; a container that never ran has none (and no start
    // record: no lookup on the disk for it).
    const file = (name: string) => (c.start !== null && existsSync(join(dir, name)) ? join(dir, name) : '');
    const running = live.status === 'running' || live.status === 'paused';
    const result: ContainerInspect = {
      Id: c.id, Created: rfc3339Nano(timeNs(c.created)), Path: path, Args: args,
      State: {
        Status: live.status, Running: running, Paused: live.status === 'paused', Restarting: false,
        OOMKilled: live.status === 'exited' && live.oomKilled, Dead: false, Pid: running ? live.pid : 0,
        ExitCode: live.status === 'created' || live.status === 'exited' ? live.exitCode : 0,
        Error: live.status === 'created' ? live.error : '', StartedAt: live.startedAt,
        FinishedAt: live.status === 'exited' ? live.finishedAt : ZERO_TIME,
      },
      Image: c.imageId, ResolvConfPath: file('resolv.conf'), HostnamePath: file('hostname'), HostsPath: file('hosts'),
      LogPath: file('container.log'), Name: `/${c.name}`, RestartCount: 0, Driver: this.store.snapshots.name, Platform: 'linux',
      MountLabel: '', ProcessLabel: '', AppArmorProfile: '', ExecIDs: null, HostConfig: mountHostConfig(hostConfig(readSettings(dir)), this.volumes.mountPlan(c.id)),
      GraphDriver: { Data: graphDriverData(this.store.snapshots, c.snapshot, this.lowerSnapshots(c)), Name: this.store.snapshots.name },
      Mounts: this.mounts(c), Config: withSortedMaps(config), NetworkSettings: networkSettings(readSettings(dir).network),
    };
    if (opts.size) Object.assign(result, await this.sizes(c));
    return result;
  }

  /** Inspect's and ps's Mounts: the container's volumes and binds as Docker shows them. */
  private mounts(c: ContainerRecord): MountPoint[] {
    return mountPoints(this.volumes.mountPlan(c.id));
  }

  /** Mount the container's rootfs and return its path; it stays mounted (`volatile`: see MountOptions). */
  mount(ref: string, opts: MountOptions = {}): string {
    const c = this.resolve(ref);
    const target = this.rootfs(c);
    if (!isMounted(target)) mountAll(this.store.snapshots.mounts(c.snapshot), target, opts);
    // Whoever holds the mount may change the layer: its size is no longer known.
    this.store.meta.setContainerSize(c.id, null);
    return target;
  }

  /** Unmount the rootfs; the writable layer cannot change any more, so its size is kept from here on. */
  async unmount(ref: string): Promise<void> {
    const c = this.resolve(ref);
    const live = await this.processes.state(c);
    // Its process runs on this mount: taking it away would pull the container's root from under it.
    if (live.status === 'running' || live.status === 'paused') throw new ConflictError(`container ${c.id} is running: stop it before unmounting its root filesystem`);
    if (this.isMounted(c)) unmount(this.rootfs(c));
    const size = await this.measure(c);
    this.store.meta.setContainerSize(c.id, size === UNMEASURABLE ? null : size);
  }

  /** `docker diff`: the writable layer's changes against its init layer, sorted by path. */
  async diff(ref: string): Promise<Change[]> {
    const c = this.resolve(ref);
    return archive().diffChanges(this.store.snapshots.mounts(c.snapshot), this.parentMounts(c));
  }

  /**
   * `docker commit`: the writable layer becomes a new layer on the image's layers, in a new image. It is
   * diffed against the init layer, so the init layer's placeholders stay out, as in Docker.
   */
  async commit(ref: string, opts: CommitOptions = {}): Promise<string> {
    const c = this.resolve(ref);
    const reference = opts.reference ? this.images.normalizeTag(opts.reference) : undefined;
    const { meta, snapshots } = this.store;
    const parentImage = meta.getImage(c.imageId);
    const parentConfig: ImageConfig | undefined = parentImage ? this.images.config(parentImage) : undefined;
    const parentLayers = meta.layerChain(c.topLayer).reverse();
    const author = opts.author ?? opts.step?.author;
    const containerConfig = this.config(c);
    const config = opts.step?.config ?? applyChanges(containerConfig, opts.changes ?? []);
    const layer = await this.layers.add(archive().diffTar(snapshots.mounts(c.snapshot), this.parentMounts(c)), parentLayers.at(-1) ?? null);
    const empty = layer.diffId === EMPTY_LAYER_DIFF_ID;
    const layers = empty ? parentLayers : [...parentLayers, layer];
    const created = isoNow();
    const imageConfig: ImageConfig = {
      architecture: parentConfig?.architecture ?? 'amd64', os: parentConfig?.os ?? 'linux', created,
      ...(author ? { author } : {}),
      ...(opts.message ? { comment: opts.message } : {}),
      config, container: c.id, ...(opts.step ? { container_config: opts.step.containerConfig } : {}), docker_version: STRATA_VERSION,
      history: [...(parentConfig?.history ?? []), {
        created, created_by: opts.step?.createdBy ?? (containerConfig.Cmd ?? []).join(' '),
        ...(opts.author ? { author: opts.author } : {}), ...(opts.message ? { comment: opts.message } : {}),
        ...(empty ? { empty_layer: true } : {}),
      }],
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    };
    try {
      return await this.images.create({ config: imageConfig, layers, parent: parentImage?.id ?? null, reference });
    } finally {
      // An empty changeset adds no layer to the image (as in Docker): drop the one just made.
      if (empty) {
        const freed = meta.tx(() => {
          meta.removePending(layer.snapshot);
          return this.layers.collect(layer.chainId);
        });
        await this.store.removeRetired(freed.map((l) => l.snapshot));
      }
    }
  }

  /** `docker export`: the container's whole filesystem as a tar. */
  export(ref: string): Readable {
    const c = this.resolve(ref);
    const target = this.rootfs(c);
    const mountedHere = !isMounted(target);
    if (mountedHere) mountAll(this.store.snapshots.mounts(c.snapshot), target);
    const out = new (streams().PassThrough)();
    const tar = archive().directoryTar(target);
    let mounted = mountedHere;
    const done = (): void => {
      if (mounted) unmount(target);
      mounted = false;
    };
    tar.on('error', (e) => { done(); out.destroy(e); });
    tar.on('end', done);
    // A reader that gives up (a full disk under `export -o`) must not leave the mount behind.
    out.on('close', () => { if (!tar.readableEnded) tar.destroy(); done(); });
    return tar.pipe(out);
  }

  /** `export -o FILE`: the tar written whole to `file`, or no file at all (./outfile.ts). */
  exportToFile(ref: string, file: string): Promise<void> {
    // Loaded here, not at start (node:util and the output-file code only `-o` needs).
    return import('./outfile.js').then(({ writeOutputFile }) => writeOutputFile(file, () => this.export(ref)));
  }

  /**
   * `docker rm`: the record, the writable and init layers' directories, and layers only it still held.
   * For a foreground `run --rm` whose process this process ran (Processes.runAttached) and saw end: `exited`, so
   * there is nothing to stop, and nothing to settle in a record that goes now; `last`, the caller writes nothing
   * to the store after this (removeRecord), so closing the store has nothing left to sync.
   */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean; exited?: boolean; last?: boolean } = {}): Promise<string> {
    const c = this.resolve(ref);
    if (!opts.exited) {
      const live = await this.processes.state(c);
      if ((live.status === 'running' || live.status === 'paused') && !opts.force) {
        const how = live.status === 'paused' ? 'Unpause and then stop' : 'Stop';
        throw new ConflictError(`You cannot remove a ${live.status} container ${c.id}. ${how} the container before attempting removal or force remove`);
      }
      await this.processes.forceStop(c, live);
    }
    // Read before the record goes: its volume uses go with it.
    const plan = this.volumes.mountPlan(c.id);
    await this.removeRecord(c, () => this.volumes.release(plan, { anonymous: opts.volumes }), opts.last);
    return c.id;
  }

  /** `docker rename` */
  rename(ref: string, newName: string): void {
    const c = this.resolve(ref);
    const name = newName.replace(/^\//, '');
    // Docker's daemon checks a new name as it allocates it, naming it with its slash.
    if (!VALID_NAME.test(name)) throw new InvalidArgumentError(`Error when allocating new name: Invalid container name (/${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (name === c.name) throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    this.store.meta.tx(() => {
      try {
        this.assertNameFree(name);
      } catch (e) {
        throw e instanceof ConflictError ? new ConflictError(`Error when allocating new name: ${e.message}`) : e;
      }
      this.store.meta.renameContainer(c.id, name);
    });
  }

  /**
   * Remove the container's record and files; returns the bytes of the image layers that went with it.
   * `released`: run once the record is gone (its volumes let go). `last`: the caller writes nothing to the
   * store after this, so the database is checkpointed while the files are removed on other threads.
   */
  private async removeRecord(c: ContainerRecord, released?: () => void, last = false): Promise<number> {
    const { files, freed } = this.dropRecord(c);
    released?.();
    const reclaimed = await this.store.removeRetired(freed);
    const gone = this.store.removePaths(files);
    try {
      if (last) this.store.meta.checkpoint();
    } finally {
      await gone;
    }
    return reclaimed;
  }

  /**
   * The container's record gone, and its files (its directory, its writable and init layers) moved at once into
   * this command's scratch space under tmp/, for the caller to remove: should the command be killed from here on,
   * the next command's sweep removes them (and, before they moved, the snapshot retired as this command's work).
   * `freed`: the snapshots of the image layers that went with it, retired, for `removeRetired`.
   */
  private dropRecord(c: ContainerRecord): { files: string[]; freed: string[] } {
    const { meta } = this.store;
    if (this.isMounted(c)) unmount(this.rootfs(c));
    const freed = meta.tx(() => {
      meta.deleteContainer(c.id);
      this.store.retireSnapshots([c.snapshot]);
      return this.layers.collect(c.topLayer);
    });
    const doomed = this.store.scratchPath('container');
    try {
      renameSync(this.store.containerDir(c.id), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return { files: [doomed, ...this.store.detachRetired(c.snapshot)], freed: freed.map((l) => l.snapshot) };
  }

  /**
   * `docker container prune`: every container that is not running, narrowed by Docker's filters:
   * `until=` (created no later than) and `label=`/`label!=`.
   */
  async prune(opts: { filters?: readonly FilterPair[] } = {}): Promise<PruneReport> {
    const f = new Filters(opts.filters ?? [], ['label', 'label!', 'until']);
    const until = untilNs(f, new Date());
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.store.meta.listContainers()) {
      const live = await this.processes.state(c);
      if (live.status === 'running' || live.status === 'paused') continue;
      if (until !== undefined && timeNs(c.created) > until) continue;
      if (!f.pruneLabels(this.config(c).Labels ?? {})) continue;
      // Measured here, not by every removal: `rm` (and `run --rm`) never shows it, and walking the layer costs.
      reclaimed += Math.max(0, await this.sizeRw(c)) + await this.removeRecord(c);
      deleted.push(c.id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }
}

/** `ps`'s COMMAND before quoting: path and arguments, those with a space in single quotes, as Docker's daemon joins them. */
function commandLine(config: ContainerConfig): string {
  const { path, args } = commandOf(config);
  return [path, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

