/**
 * The engine: the one typed API every front end calls (`engine.images.import(…)`, `engine.containers.diff(id)`).
 * It returns data, never formatted text.
 */
import { Containers } from './containers.js';
import { recordContainerEvents, recordImageEvents, recordTransferEvents, recordVolumeEvents } from './eventhooks.js';
import { Events } from './events.js';
import { Images } from './images.js';
import { Layers } from './layers.js';
import { Store, type StoreOptions } from './store.js';
import { System } from './system.js';
import { Volumes } from './volumes.js';
import type { Transfer } from './transfer.js';
import type { Builder } from '../build/index.js';
import type { Registry } from '../registry/index.js';

export class Engine {
  readonly layers: Layers;
  readonly images: Images;
  readonly containers: Containers;
  readonly system: System;
  readonly volumes: Volumes;
  /** What happened, for `GET /events`: every process's verbs append to the store's events.log. */
  readonly events: Events;
  private transferPart?: Transfer;
  private builderPart?: Builder;
  private registryPart?: Registry;

  private constructor(readonly store: Store, self: string[] | null) {
    this.layers = new Layers(store);
    this.images = new Images(store, this.layers);
    this.volumes = new Volumes(store);
    this.containers = new Containers(store, this.images, this.layers, this.volumes, self);
    this.system = new System(store, this.images, this.containers, this.volumes);
    this.events = new Events(store.root);
    recordContainerEvents(this.events, this.containers);
    recordImageEvents(this.events, this.images);
    recordVolumeEvents(this.events, this.volumes);
  }

  /** `save` and `load`. Their archive code (tar-stream) is loaded by the verbs that use it, not at every start. */
  async transfer(): Promise<Transfer> {
    const { Transfer } = await import('./transfer.js');
    if (!this.transferPart) {
      this.transferPart = new Transfer(this.store, this.images, this.layers);
      recordTransferEvents(this.events, this.transferPart, this.images);
    }
    return this.transferPart;
  }

  /** `build`: Docker's classic builder (src/build/). Its code (the Dockerfile parser among it) loads only for a build. */
  async builder(): Promise<Builder> {
    const { Builder } = await import('../build/index.js');
    return (this.builderPart ??= new Builder(this));
  }

  /** pull, push, login and logout (src/registry/), loaded by the verbs that use them. */
  async registry(): Promise<Registry> {
    const { Registry } = await import('../registry/index.js');
    return (this.registryPart ??= new Registry(this.store, this.images, this.layers));
  }

  /**
   * `self`: how to run the strata CLI (its program, and script if any), which conmon runs when a
   * container's process exits to settle (and with --rm remove) it; without it, the next command does.
   */
  static async open(opts: StoreOptions & { self?: string[] } = {}): Promise<Engine> {
    return new Engine(await Store.open(opts), opts.self ?? null);
  }

  close(): void {
    this.store.close();
  }
}

export { StrataError, NotFoundError, ConflictError, InvalidArgumentError, FlagValueError, OutputPathError } from './errors.js';
export { NO_CREATED_TIME } from './images.js';
export type * from './types.js';
export type { StoreOptions } from './store.js';
export type { JsonMessage, Progress, ProgressDetail } from './messages.js';
export type { EventMessage, EventType } from './events.js';
export type { ConsoleSize, ExecOptions, ExecSession, LogsQuery } from './processes.js';
export type { CreateOptions } from './containers.js';
export { dockerLogTime } from './times.js';
/** What attach relays to and how it ends (the runtime's types, as the engine's start and attach take them). */
export type { AttachStreams, Attachment } from '../runtime/index.js';
/** Names as Docker's CLI shortens them for display ("docker.io/library/busybox" is "busybox"). */
export { familiarRepository, parseReference } from '../images/reference.js';
export { emptyContainerConfig, type ImageConfig } from '../images/config.js';
export type { FilterPair } from './filters.js';
export type { Volume, VolumePruneReport } from './volumes.js';
/** `-v` and `--mount` as Docker's CLI reads them, before `containers.create` takes them (volumes/flags.ts). */
export { parseMountFlag, splitVolumeFlags } from '../volumes/flags.js';
export type { LiveState, StatsSample } from './processes.js';
/** CPU % between two of `stats`' samples, as Docker computes it. */
export { cpuPercent } from './processes.js';
export { checkRestartPolicy, type RunSettings } from './runsettings.js';
/** --ulimit as Docker parses it (the CLI reads the flag; the runtime defines the names). */
export { MIN_MEMORY, parseUlimit } from '../runtime/spec.js';
export { normalize as normalizeCapability } from '../runtime/capabilities.js';
export { parseSignal } from './signals.js';
/** --detach-keys as Docker reads them (the CLI watches its input for them). */
export { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../runtime/detachkeys.js';
export type { ArchiveFormat, LoadResult } from './transfer.js';
export type { BuildOptions, ContextSource } from '../build/index.js';
export type { BuildStep } from './containers.js';
export type { Compression, Credentials, LoginResult, PullOptions, PullResult, PushOptions, PushResult, Registry } from '../registry/index.js';
/** File paths in the engine's data keep bytes that are not UTF-8 as archive/names.ts does; this gives their bytes back. */
export { encodeName } from '../archive/names.js';
