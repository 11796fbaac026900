/** Images: import, list, inspect, history, tag, remove, prune. */
import type { Readable } from 'node:stream';
import { STRATA_VERSION } from './version.js';
import { applyChanges } from '../images/changes.js';
import { emptyContainerConfig, hostArchitecture, parseImageConfig, type HistoryEntry, type ImageConfig } from '../images/config.js';
import { chainIds, hexOf, sha256 } from '../images/digest.js';
import { familiarString, InvalidReferenceError, parseReference, parseTaggedReference, referenceString } from '../images/reference.js';
import type { ImageRecord, LayerRecord } from '../metadata/index.js';
import { graphDriverData } from './graphdriver.js';
import { isoNow } from './clock.js';
import { withSortedMaps } from './gomaps.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import { familiarMatch, Filters, goList, invalidFilter, type FilterPair } from './filters.js';
import type { Layers } from './layers.js';
import type { Store } from './store.js';
import { timeNs, untilNs } from './times.js';
import { archive } from './lazy.js';
import type { BuildStep } from './containers.js';
import type { DeleteItem, HistoryItem, ImageInspect, ImageSummary, PruneReport } from './types.js';

export interface ImportOptions {
  /** REPO[:TAG] to tag the new image with. */
  reference?: string;
  changes?: string[];
  message?: string;
}

export interface NewImage {
  config: ImageConfig;
  /** The config's bytes when they came from elsewhere (load, pull): kept verbatim, so the image ID stays. */
  configBytes?: Buffer;
  layers: LayerRecord[];
  parent: string | null;
  /** Stored (normalized) name to tag the image with: see normalizeTag. */
  reference?: string;
  /** Name it without setting its LastTagTime, as Docker's load does. */
  loaded?: boolean;
}

export interface RemoveOptions { force?: boolean; noPrune?: boolean }

export interface ImageListOptions {
  all?: boolean;
  /** Docker's `--filter key=value` pairs: dangling, label, before, since, reference. */
  filters?: readonly FilterPair[];
}

export interface ImagePruneOptions {
  all?: boolean;
  /** Docker's `--filter key=value` pairs: until, label, label!, dangling. */
  filters?: readonly FilterPair[];
  /** Only images made on a parent image (the classic builder's step images: `builder prune`), never an imported or pulled one. */
  onParent?: boolean;
}

/** What an rmi or prune deleted: the lines to print, and the files to remove once its transaction commits. */
interface Removal { out: DeleteItem[]; snapshots: string[]; images: string[] }

const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000) || 0;

/**
 * Created of an image whose config has no `created` (OCI makes it optional): Go's zero time in Unix
 * seconds, which Docker's daemon reports for such images and its CLI shows as an empty CREATED.
 */
export const NO_CREATED_TIME = -62135596800;

/**
 * Docker's order for `images`: newest first by the config's creation time (whole seconds, as its API gives
 * them); images made in the same second are, in Docker, in whatever order its map of images gave them. strata
 * orders those the same way every time: by the time they were added, newest first (the database's order).
 */
/** An image's names as Docker lists them: in the order of their full spelling (docker.io/library/…), familiar. */
const repoTags = (stored: string[]): string[] => [...stored].sort().map(familiarString);

const newestFirst = (a: ImageSummary, b: ImageSummary): number => b.Created - a.Created;

/** Config blobs kept by a process, at most (cleared past it): a few KiB each. */
const CONFIG_MEMO_MAX = 1024;

export class Images {
  /** Config blobs read so far, by image ID (their digest). */
  private readonly configBlobs = new Map<string, Buffer>();

  constructor(private readonly store: Store, private readonly layers: Layers) {}

  /** Find an image by full ID, name[:tag] or ID prefix, as Docker resolves them. */
  resolve(ref: string): ImageRecord {
    return this.lookup(ref).image;
  }

  /** As resolve, also telling whether `ref` named the image by a tag (rmi then only untags). */
  private lookup(ref: string): { image: ImageRecord; byName: boolean } {
    const { meta } = this.store;
    if (/^sha256:[a-f0-9]{64}$/.test(ref)) {
      const image = meta.getImage(ref);
      if (image) return { image, byName: false };
      throw new NotFoundError(`No such image: ${ref}`);
    }
    let parseError: Error | undefined;
    // As Docker's daemon names what it did not find: the familiar name with its tag ("nosuch:latest").
    let missing = ref;
    try {
      const name = referenceString(parseTaggedReference(ref));
      missing = familiarString(name);
      // A name with a digest (`repo@sha256:…`) is an image pulled or pushed as that manifest.
      const id = meta.tagTarget(name) ?? meta.repoDigestTarget(name);
      const image = id ? meta.getImage(id) : undefined;
      if (image) return { image, byName: true };
    } catch (e) {
      if (!(e instanceof InvalidReferenceError)) throw e;
      parseError = e;
    }
    const prefix = ref.replace(/^sha256:/, '');
    if (/^[a-f0-9]{1,64}$/.test(prefix)) {
      const ids = meta.imagesByPrefix(prefix);
      if (ids.length > 1) throw new InvalidArgumentError(`ambiguous image ID prefix ${JSON.stringify(ref)}: ${ids.length} images match`);
      if (ids.length === 1) return { image: meta.getImage(ids[0]!)!, byName: false };
    }
    if (parseError) throw new InvalidArgumentError(parseError.message);
    throw new NotFoundError(`No such image: ${missing}`);
  }

  /** As lookup, an image that is not there named as given, as Docker 20.10's `rmi` names it (`No such image: nosuch`). */
  private lookupAsGiven(ref: string): { image: ImageRecord; byName: boolean } {
    try {
      return this.lookup(ref);
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(`No such image: ${ref}`);
      throw e;
    }
  }

  /** As resolve, an image that is not there named as Docker's daemon names it (`No such image: busybox:latest`). */
  private resolveNamed(ref: string): ImageRecord {
    try {
      return this.resolve(ref);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      let name = ref;
      try {
        name = familiarString(referenceString(parseTaggedReference(ref)));
      } catch { /* not a name: as given */ }
      throw new NotFoundError(`No such image: ${name}`);
    }
  }

  /**
   * An image's config. Its blob is named by its digest, so it never changes: a long-lived process (the
   * API service) reads each one once, as Docker's daemon keeps its images' configs in memory.
   */
  config(img: ImageRecord): ImageConfig {
    let blob = this.configBlobs.get(img.id);
    if (!blob) {
      blob = this.store.content.get(img.id);
      if (this.configBlobs.size >= CONFIG_MEMO_MAX) this.configBlobs.clear();
      this.configBlobs.set(img.id, blob);
    }
    return parseImageConfig(blob);
  }

  /** `docker import`: one layer from a plain or gzip tar, and an image around it. */
  async import(source: Readable, opts: ImportOptions = {}): Promise<string> {
    const reference = opts.reference ? this.normalizeTag(opts.reference) : undefined;
    const created = isoNow();
    const comment = opts.message || 'Imported from -';
    const containerConfig = applyChanges(emptyContainerConfig(), opts.changes ?? []);
    const layer = await this.layers.add(await archive().decompressed(source), null);
    const config: ImageConfig = {
      architecture: hostArchitecture(), os: 'linux', created, comment, config: containerConfig, docker_version: STRATA_VERSION,
      history: [{ created, comment }], rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    };
    return this.create({ config, layers: [layer], parent: null, reference });
  }

  /**
   * Record an image whose layers are in the store: config blob, image row, tag, in one transaction.
   * Returns the image ID. Used by import, commit, load and build.
   */
  async create(img: NewImage): Promise<string> {
    const bytes = img.configBytes ?? Buffer.from(JSON.stringify(img.config));
    const id = sha256(bytes);
    const { meta, content } = this.store;
    const now = isoNow();
    const top = img.layers.at(-1)?.chainId ?? null;
    meta.tx(() => {
      for (const l of img.layers) {
        if (!meta.getLayer(l.chainId)) throw new Error(`layer ${l.chainId} was removed meanwhile; try again`);
        this.store.commitSnapshot(l.snapshot);
      }
      if (!meta.getImage(id)) {
        meta.insertImage({
          id, parent: img.parent, topLayer: top, size: img.layers.reduce((s, l) => s + l.size, 0), created: img.config.created ?? '', addedAt: now,
        }, img.layers.map((l) => l.chainId));
      }
      if (img.reference) {
        meta.setTag(img.reference, id, now);
        if (!img.loaded) meta.touchTagTime(id, now);
      }
      // Last, and under the write lock: a failed insert leaves no blob, and a concurrent rmi (dropConfigs)
      // cannot remove the blob between this check and the commit.
      content.put(bytes);
    });
    return id;
  }

  /**
   * A build step's image on `parent` (null: on scratch): the parent's layers, plus `layer` when the step made
   * one; else its history entry is an empty layer, as Docker's classic builder records a step that changed no file.
   */
  async derive(parent: string | null, step: BuildStep, layer?: LayerRecord): Promise<string> {
    const { meta } = this.store;
    const parentImage = parent ? meta.getImage(parent) : undefined;
    if (parent && !parentImage) throw new NotFoundError(`No such image: ${parent}`);
    const parentConfig = parentImage ? this.config(parentImage) : undefined;
    const layers = [...(parentImage ? meta.layerChain(parentImage.topLayer).reverse() : []), ...(layer ? [layer] : [])];
    const created = isoNow();
    const config: ImageConfig = {
      architecture: parentConfig?.architecture ?? hostArchitecture(), os: parentConfig?.os ?? 'linux', created,
      ...(step.author ? { author: step.author } : {}), config: step.config, container_config: step.containerConfig, docker_version: STRATA_VERSION,
      history: [...(parentConfig?.history ?? []), { created, created_by: step.createdBy, ...(layer ? {} : { empty_layer: true }) }],
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    };
    return this.create({ config, layers, parent: parentImage?.id ?? null });
  }

  /** The images made on `parent` (on nothing: null), where the build cache looks for a step's earlier result. */
  children(parent: string | null): string[] {
    const { meta } = this.store;
    return parent ? meta.childImages(parent) : meta.listImages().filter((i) => !i.parent).map((i) => i.id);
  }

  /** The stored form of a REPO[:TAG] given by a user; throws the reference error before any work is done. */
  normalizeTag(ref: string): string {
    try {
      const r = parseTaggedReference(ref);
      if (r.digest) throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${ref}`);
      return referenceString(r);
    } catch (e) {
      if (e instanceof InvalidReferenceError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  }

  async tag(source: string, target: string): Promise<void> {
    // As docker tag: both names are read as references first (an image ID is no reference to read).
    for (const ref of /^(sha256:)?[a-f0-9]{64}$/.test(source) ? [target] : [source, target]) {
      try {
        parseReference(ref);
      } catch (e) {
        if (e instanceof InvalidReferenceError) throw new InvalidArgumentError(`Error parsing reference: ${JSON.stringify(ref)} is not a valid repository/tag: ${e.message}`);
        throw e;
      }
    }
    const img = this.resolve(source);
    const name = this.normalizeTag(target);
    const now = isoNow();
    this.store.meta.tx(() => {
      this.store.meta.setTag(name, img.id, now);
      this.store.meta.touchTagTime(img.id, now);
    });
  }

  /**
   * `docker images`: tagged images, and untagged ones no other image stands on (every image with `all`),
   * through Docker's filters: `dangling=true|false`, `label=k[=v]`, `before=`/`since=IMAGE` (by creation
   * time), `reference=PATTERN` (a glob on the name, with or without its tag; only matching names are listed).
   */
  list(opts: ImageListOptions = {}): ImageSummary[] {
    const { meta } = this.store;
    const f = new Filters(opts.filters ?? [], ['dangling', 'label', 'before', 'since', 'reference']);
    let danglingOnly = false;
    if (f.has('dangling')) {
      if (f.values('dangling').includes('true')) danglingOnly = true;
      else if (!f.values('dangling').includes('false')) throw invalidFilter('dangling', goList(f.values('dangling')));
    }
    // As Docker, the last image given counts when a key is given twice.
    const createdOf = (key: 'before' | 'since'): bigint | undefined => {
      const ref = f.values(key).at(-1);
      return ref === undefined ? undefined : timeNs(this.resolveNamed(ref).created);
    };
    const before = createdOf('before');
    const since = createdOf('since');
    const patterns = f.values('reference');
    const named = (name: string): boolean => patterns.length === 0 || patterns.some((p) => familiarMatch(p, name));
    const tags = meta.allTags();
    const images = meta.listImages();
    const parents = new Set(images.map((i) => i.parent).filter((p): p is string => !!p));
    const containers = meta.listContainers();
    const out: ImageSummary[] = [];
    for (const img of images) {
      const created = timeNs(img.created);
      if ((before !== undefined && created >= before) || (since !== undefined && created <= since)) continue;
      const config = this.config(img);
      if (!f.labels('label', config.config.Labels ?? {})) continue;
      const names = (tags.get(img.id) ?? []).filter(named);
      const digests = meta.repoDigestsOf(img.id).filter(named);
      if (names.length === 0 && digests.length === 0) {
        // Untagged: listed as dangling, unless it is an intermediate image (without `all`) or a filter wants names.
        const intermediate = !opts.all && parents.has(img.id);
        if (intermediate || (f.has('dangling') && !danglingOnly) || patterns.length > 0) continue;
      } else if (danglingOnly && names.length > 0) {
        continue;
      }
      out.push(this.summary(img, config, names, digests, containers.filter((c) => c.imageId === img.id).length));
    }
    return out.sort(newestFirst);
  }

  private summary(img: ImageRecord, config: ImageConfig, tags: string[], digests: string[], containers: number): ImageSummary {
    return {
      Id: img.id, ParentId: img.parent ?? '', RepoTags: repoTags(tags), RepoDigests: digests.map(familiarString),
      Created: img.created ? unixSeconds(img.created) : NO_CREATED_TIME, Size: img.size, SharedSize: -1, Labels: config.config.Labels ?? {}, Containers: containers,
    };
  }

  inspect(ref: string): ImageInspect {
    const img = this.resolve(ref);
    const config = this.config(img);
    const { meta, snapshots } = this.store;
    const top = img.topLayer ? meta.getLayer(img.topLayer) : undefined;
    const tags = meta.tagsOf(img.id);
    return {
      Id: img.id,
      RepoTags: repoTags(tags),
      RepoDigests: meta.repoDigestsOf(img.id).map(familiarString),
      Parent: img.parent ?? '',
      // As Docker's inspect: a config without a comment shows its last history entry's.
      Comment: config.comment || (config.history.at(-1)?.comment ?? ''),
      Created: config.created ?? '',
      DockerVersion: config.docker_version ?? '',
      Author: config.author ?? '',
      Config: withSortedMaps(config.config),
      Architecture: config.architecture,
      Os: config.os,
      Size: img.size,
      GraphDriver: { Data: top ? graphDriverData(snapshots, top.snapshot, meta.layerChain(top.chainId).slice(1).map((l) => l.snapshot)) : null, Name: snapshots.name },
      RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
      Metadata: { LastTagTime: meta.lastTagTime(img.id) ?? '0001-01-01T00:00:00Z' },
    };
  }

  /** Docker's history: newest first; entries map to layers in order; IDs follow the parent chain. */
  history(ref: string): HistoryItem[] {
    const img = this.resolve(ref);
    const config = this.config(img);
    const { meta } = this.store;
    const chain = chainIds(config.rootfs.diff_ids);
    let layerIndex = 0;
    const items: HistoryItem[] = config.history.map((h: HistoryEntry) => {
      let size = 0;
      if (!h.empty_layer) {
        const chainId = chain[layerIndex++];
        size = (chainId && meta.getLayer(chainId)?.size) || 0;
      }
      return { Id: '<missing>', Created: unixSeconds(h.created ?? ''), CreatedBy: h.created_by ?? '', Tags: [], Size: size, Comment: h.comment ?? '' };
    }).reverse();
    let cur: ImageRecord | undefined = img;
    for (const item of items) {
      if (!cur) break;
      item.Id = cur.id;
      item.Tags = meta.tagsOf(cur.id).map(familiarString);
      cur = cur.parent ? meta.getImage(cur.parent) : undefined;
    }
    return items;
  }

  /** `docker rmi`: untag, and delete the image (and its unused parents and layers) once nothing refers to it. */
  async remove(ref: string, opts: RemoveOptions = {}): Promise<DeleteItem[]> {
    const { meta } = this.store;
    const { image: img, byName } = this.lookupAsGiven(ref);
    const done: Removal = { out: [], snapshots: [], images: [] };
    const { out } = done;
    meta.tx(() => {
      const tags = meta.tagsOf(img.id);
      const users = meta.containersUsingImage(img.id);
      if (byName) {
        const name = referenceString(parseTaggedReference(ref));
        if (tags.length > 1 || opts.force || users.length === 0) {
          meta.deleteTag(name);
          out.push({ Untagged: familiarString(name) });
          if (tags.length > 1) return;
        } else {
          throw new ConflictError(`conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0]!.id.slice(0, 12)} is using its referenced image ${hexOf(img.id).slice(0, 12)}`);
        }
      } else if (tags.length > 1 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${hexOf(img.id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
      }
      if (meta.childImages(img.id).length > 0) {
        if (!byName) throw new ConflictError(`conflict: unable to delete ${hexOf(img.id).slice(0, 12)} (cannot be forced) - image has dependent child images`);
        return;
      }
      if (users.length > 0 && !opts.force) {
        if (byName) return;
        throw new ConflictError(`conflict: unable to delete ${hexOf(img.id).slice(0, 12)} (must be forced) - image is being used by stopped container ${users[0]!.id.slice(0, 12)}`);
      }
      this.deleteImage(img, done, opts);
    });
    await this.finishRemoval(done);
    return out;
  }

  /** Inside a transaction: remove the image's names and row, its unused layers, and unused untagged parents. */
  private deleteImage(img: ImageRecord, done: Removal, opts: RemoveOptions): void {
    const { meta } = this.store;
    const { out } = done;
    for (const t of meta.tagsOf(img.id)) {
      meta.deleteTag(t);
      out.push({ Untagged: familiarString(t) });
    }
    for (const d of meta.repoDigestsOf(img.id)) out.push({ Untagged: familiarString(d) });
    meta.deleteImage(img.id);
    done.images.push(img.id);
    out.push({ Deleted: img.id });
    for (const layer of this.layers.collect(img.topLayer)) {
      out.push({ Deleted: layer.chainId });
      done.snapshots.push(layer.snapshot);
    }
    if (opts.noPrune || !img.parent) return;
    const parent = meta.getImage(img.parent);
    if (parent && meta.tagsOf(parent.id).length === 0 && meta.childImages(parent.id).length === 0 && meta.containersUsingImage(parent.id).length === 0) {
      this.deleteImage(parent, done, opts);
    }
  }

  /**
   * `docker image prune [-a]`: dangling images, or with `all` every image no container uses; Docker's
   * filters narrow them: `until=` (created no later than), `label=`/`label!=`, and `dangling=false` (as `-a`).
   */
  async prune(opts: ImagePruneOptions = {}): Promise<PruneReport> {
    const { meta } = this.store;
    const f = new Filters(opts.filters ?? [], ['dangling', 'label', 'label!', 'until']);
    const until = untilNs(f, new Date());
    // Docker's CLI sends dangling=true, or false for -a, beside the user's filters: a `false` among them wins.
    const dangling = [...f.values('dangling'), opts.all ? 'false' : 'true'];
    const all = dangling.includes('false') || dangling.includes('0');
    const done: Removal = { out: [], snapshots: [], images: [] };
    meta.tx(() => {
      // Deleting a child can make its parent prunable: repeat until nothing changes.
      for (let progress = true; progress; ) {
        progress = false;
        for (const img of meta.listImages()) {
          const tagged = meta.tagsOf(img.id).length > 0;
          if ((tagged && !all) || meta.childImages(img.id).length > 0 || meta.containersUsingImage(img.id).length > 0) continue;
          if (opts.onParent && !img.parent) continue;
          if (until !== undefined && timeNs(img.created) > until) continue;
          if (!f.pruneLabels(this.config(img).config.Labels ?? {})) continue;
          this.deleteImage(img, done, { noPrune: true });
          progress = true;
        }
      }
    });
    const reclaimed = await this.finishRemoval(done);
    return { ImagesDeleted: done.out, SpaceReclaimed: reclaimed };
  }

  /**
   * After the transaction that deleted the rows: remove the layers' files and the deleted images' config
   * blobs (a config may hold secrets in its Env). A blob goes only while no image row names it, checked
   * under the write lock, so an image loaded again meanwhile keeps its config (create puts it under the
   * same lock). Returns the bytes the layers' files used.
   */
  private async finishRemoval(done: Removal): Promise<number> {
    const reclaimed = await this.store.removeRetired(done.snapshots);
    const { meta, content } = this.store;
    meta.tx(() => {
      for (const id of done.images) if (!meta.getImage(id)) content.remove(id);
      // Compressed blobs kept from a pull go with the last layer that is their content.
      if (done.images.length) for (const digest of meta.blobs.unusedBlobFiles()) content.remove(digest);
    });
    return reclaimed;
  }

}
