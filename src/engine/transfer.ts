/**
 * `save` and `load`: images to and from docker-archive and OCI-layout tarballs.
 *
 * Save streams: the archive's entries are worked out from the database, then each layer's exact tar is
 * read back from its tar-split record when its turn comes.
 *
 * Load reads the archive once, as a stream, entry by entry. Entries may come in any order (Docker and
 * skopeo write manifest.json after the layers; strata writes it first). A layer tar is unpacked straight
 * from the archive when the entries seen so far say which layer it is and its parent is in place; that is
 * the common case for strata's own archives, and costs no copy. Otherwise it is spooled under tmp/ (small
 * entries are kept in memory) and unpacked as soon as its place is known. Every layer is checked against
 * the config's diffID and every blob against its digest; images are recorded only when everything is
 * checked. Layers unpacked by a load that fails stay pending (see Store.beginSnapshot) and are abandoned,
 * so a bad archive leaves the store as it was.
 */
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Extract } from 'tar-stream';
import { decompressed } from '../archive/index.js';
import { digestOf, HashingStream } from '../content/hashing.js';
import { parseImageConfig, type ImageConfig } from '../images/config.js';
import { chainIds } from '../images/digest.js';
import { familiarString, parseReference, referenceString, splitStored } from '../images/reference.js';
import {
  archiveName, blobDigestOf, dockerArchiveEntries, InvalidArchiveError, linkTarget, NotYetSeen, ociArchiveEntries, planArchive,
  writeArchive, type PlannedImage, type SaveImage,
} from '../images/transfer/index.js';
import type { ImageRecord, LayerRecord } from '../metadata/index.js';
import { InvalidArgumentError, NotFoundError, StrataError } from './errors.js';
import type { Images } from './images.js';
import { checkLayerDepth, type Layers } from './layers.js';
import { writeOutputFile } from './outfile.js';
import type { Store } from './store.js';

export type ArchiveFormat = 'docker' | 'oci';

/** One entry of an archive being read (tar-stream does not name its type). */
type Entry = Extract extends AsyncIterable<infer E> ? E : never;

export interface LoadResult {
  /** Every image of the archive, in its order: ID and the familiar names it is now tagged with ("busybox:latest"). */
  images: { Id: string; RepoTags: string[] }[];
  /** Names that pointed at another image before the load (Docker prints "renaming the old one"). */
  renamed: { name: string; previousId: string }[];
}

export class Transfer {
  constructor(private readonly store: Store, private readonly images: Images, private readonly layers: Layers) {}

  /**
   * The archive of the named images. Every name is resolved before this returns, so an unknown image is
   * an error before the first byte. `docker save busybox` saves every tag of busybox, as Docker does.
   */
  save(refs: string[], format: ArchiveFormat): Readable {
    if (refs.length === 0) throw new InvalidArgumentError('save needs at least one image');
    const { meta, content } = this.store;
    const selected = new Map<string, { img: ImageRecord; names: string[] }>();
    for (const ref of refs) {
      for (const { img, name } of this.select(ref)) {
        const s = selected.get(img.id) ?? { img, names: [] };
        selected.set(img.id, s);
        if (name && !s.names.includes(name)) s.names.push(name);
      }
    }
    const records = new Map<string, LayerRecord>();
    const images: SaveImage[] = [...selected.values()].map(({ img, names }) => {
      const chain = meta.layerChain(img.topLayer).reverse();
      for (const l of chain) records.set(l.chainId, l);
      return {
        id: img.id, config: content.get(img.id), created: new Date(Date.parse(img.created) || 0), names, parent: img.parent ?? undefined,
        layers: chain.map((l) => ({ chainId: l.chainId, diffId: l.diffId, tarSize: l.tarSize })),
      };
    });
    const entries = format === 'oci' ? ociArchiveEntries(images) : dockerArchiveEntries(images);
    return writeArchive(entries, (l) => this.layers.tar(records.get(l.chainId)!));
  }

  /** `save -o FILE`: the archive written whole to `file`, or no file at all (./outfile.ts). */
  saveToFile(refs: string[], format: ArchiveFormat, file: string): Promise<void> {
    return writeOutputFile(file, () => this.save(refs, format));
  }

  /** The images a name selects, each with the name to record for it (none when named by ID). */
  private select(ref: string): { img: ImageRecord; name?: string }[] {
    let parsed;
    try {
      parsed = /^(sha256:)?[a-f0-9]{64}$/.test(ref) ? undefined : parseReference(ref);
    } catch {
      parsed = undefined; // an ID prefix, or a bad name: resolve() says which
    }
    if (parsed && !parsed.tag && !parsed.digest) {
      const all = [...this.store.meta.allTags()].flatMap(([id, names]) =>
        names.filter((n) => splitStored(n).repository === parsed.repository && splitStored(n).tag).map((name) => ({ id, name })));
      if (all.length) return all.map(({ id, name }) => ({ img: this.store.meta.getImage(id)!, name }));
    }
    let img: ImageRecord;
    try {
      img = this.images.resolve(ref);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      // Docker's save: a tag or digest its reference store lacks, else the name as given.
      throw new NotFoundError(parsed?.tag || parsed?.digest ? 'reference does not exist' : `No such image: ${ref}`);
    }
    const name = parsed?.tag ? referenceString(parsed) : undefined;
    return [{ img, name: name && this.store.meta.tagTarget(name) === img.id ? name : undefined }];
  }

  /** Load every image of a docker-archive or OCI-layout tarball (plain or gzip). */
  async load(input: Readable): Promise<LoadResult> {
    return new Loader(this.store, this.images, this.layers).run(input);
  }
}

/** An entry kept until its place in the plan is known. */
type Held = { kind: 'memory'; data: Buffer } | { kind: 'file'; path: string; size: number };

/** Entries up to this size are kept in memory (configs, manifests, tiny layers), up to MEMORY_BUDGET in all. */
const SMALL = 1 << 20;
const MEMORY_BUDGET = 64 << 20;
/** The largest JSON document (config, manifest, index) the plan will read. */
const DOCUMENT_LIMIT = 32 << 20;
/** Entries `docker load` ignores when manifest.json is present: legacy v1 metadata. */
const LEGACY = /^(repositories|oci-layout|[^/]+\/(VERSION|json))$/;

interface Position { entry: string; diffId: string; chainId: string; parent: string | null }

/** One load: the state of reading one archive. */
class Loader {
  private readonly held = new Map<string, Held>();
  private readonly links = new Map<string, string>();
  private readonly seen = new Set<string>();
  /** Entries whose content is now a layer in the store (unpacked from them, or checked against one). */
  private readonly unpacked = new Map<string, LayerRecord>();
  /** Layers in place for this load, by chainID: found in the store or unpacked by it. */
  private readonly ready = new Map<string, LayerRecord>();
  /** Layers this load unpacked: pending until an image takes them, abandoned otherwise. */
  private readonly added: LayerRecord[] = [];
  private plan: PlannedImage[] | null = null;
  private memory = 0;
  private readonly spool: string;
  private spooled = 0;

  constructor(private readonly store: Store, private readonly images: Images, private readonly layers: Layers) {
    this.spool = store.scratchPath('load');
  }

  async run(input: Readable): Promise<LoadResult> {
    try {
      await this.read(input);
      const plan = this.finalPlan();
      await this.advance();
      this.checkComplete(plan);
      return await this.record(plan);
    } finally {
      await this.abandonUnused();
      rmSync(this.spool, { recursive: true, force: true });
    }
  }

  private async read(input: Readable): Promise<void> {
    const tar = extract();
    let source: Readable;
    try {
      source = await decompressed(input);
    } catch (e) {
      input.destroy();
      throw new InvalidArchiveError((e as Error).message);
    }
    source.on('error', (e) => tar.destroy(e));
    source.pipe(tar as unknown as NodeJS.WritableStream);
    const entries = tar[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Entry>;
        try {
          next = await entries.next();
        } catch (e) {
          throw e instanceof StrataError || e instanceof InvalidArchiveError || truncated(e) ? e : new InvalidArchiveError((e as Error).message);
        }
        if (next.done) break;
        await this.entry(next.value);
      }
    } catch (e) {
      source.destroy();
      input.destroy();
      await entries.return?.().catch(() => undefined);
      // Seen while reading the archive itself or an entry of it (a layer being unpacked): Docker's words either way.
      throw truncated(e) ? new StrataError(DOCKER_TRUNCATED) : e;
    }
  }

  private async entry(e: Entry): Promise<void> {
    const h = e.header;
    const name = archiveName(h.name);
    if (h.type === 'directory') return drain(e);
    if (this.seen.has(name) || this.links.has(name)) throw new InvalidArchiveError(`entry ${JSON.stringify(name)} appears twice`);
    if (h.type === 'symlink' || h.type === 'link') {
      // A symlink's target is relative to its directory; a hard link's to the archive root.
      this.links.set(name, h.type === 'symlink' ? linkTarget(name, h.linkname ?? '') : archiveName(h.linkname ?? ''));
      return drain(e);
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') {
      throw new InvalidArchiveError(`entry ${JSON.stringify(name)} is a ${h.type}; an image archive holds only files, directories and links`);
    }
    this.seen.add(name);
    const positions = this.positionsOf(name);
    if (positions.length) return this.layerEntry(name, e, positions);
    if (LEGACY.test(name)) return drain(e);
    await this.hold(name, e, h.size ?? 0);
    if ((h.size ?? 0) <= DOCUMENT_LIMIT) this.updatePlan();
    await this.advance();
  }

  /** Follow archive links to the entry that holds the bytes. */
  private resolve(name: string): string {
    for (let hops = 0; hops < 16; hops++) {
      const target = this.links.get(name);
      if (target === undefined) return name;
      name = target;
    }
    throw new InvalidArchiveError(`too many links from ${JSON.stringify(name)}`);
  }

  /** Bytes of a held document for the plan; undefined when not seen yet. */
  private lookup(name: string): Buffer | undefined {
    const h = this.held.get(this.resolve(name));
    if (!h) return undefined;
    if (h.kind === 'memory') return h.data;
    if (h.size > DOCUMENT_LIMIT) throw new InvalidArchiveError(`${name} is too large (${h.size} bytes) for an image document`);
    return readFileSync(h.path);
  }

  private updatePlan(): void {
    try {
      this.plan = this.planned();
    } catch (e) {
      if (!(e instanceof NotYetSeen)) throw e;
    }
  }

  /** The images the documents seen so far describe; one too deep is refused before any of its layers is unpacked. */
  private planned(): PlannedImage[] {
    const plan = planArchive((n) => this.lookup(n));
    for (const img of plan) checkLayerDepth(img.layers.length);
    return plan;
  }

  private finalPlan(): PlannedImage[] {
    this.plan = this.planned();
    if (this.plan.length === 0) throw new InvalidArchiveError('it holds no images');
    for (const img of this.plan) {
      for (const n of img.names) {
        try {
          this.images.normalizeTag(n);
        } catch (e) {
          throw new InvalidArchiveError(`image name ${JSON.stringify(n)}: ${(e as Error).message}`);
        }
      }
    }
    return this.plan;
  }

  /** Where the entry is used as a layer in the plan known so far. */
  private positionsOf(name: string): Position[] {
    const out: Position[] = [];
    for (const img of this.plan ?? []) out.push(...positions(img).filter((p) => this.resolve(p.entry) === name));
    return out;
  }

  /**
   * True when the layer is in place, looking in the store for layers other images brought. A stored layer
   * whose files were lost is not: this load unpacks it again, which heals it (Layers.add).
   */
  private isReady(chainId: string): boolean {
    if (this.ready.has(chainId)) return true;
    const found = this.store.meta.getLayer(chainId);
    if (!found || !this.layers.intact(found)) return false;
    this.ready.set(chainId, found);
    return true;
  }

  /** A layer tar arriving with its place known: unpack it now if its parent is in place, else keep it for later. */
  private async layerEntry(name: string, e: Entry, at: Position[]): Promise<void> {
    const diffId = at[0]!.diffId;
    if (at.some((p) => p.diffId !== diffId)) throw new InvalidArchiveError(`${name} is used as two different layers`);
    const todo = at.filter((p) => !this.isReady(p.chainId));
    const now = todo.find((p) => p.parent === null || this.isReady(p.parent));
    if (todo.length === 0) {
      await this.verify(nodeReadable(e), name, diffId);
      this.unpacked.set(name, this.ready.get(at[0]!.chainId)!);
    } else if (now) {
      await this.unpack(nodeReadable(e), name, now, true);
    } else {
      await this.hold(name, e, e.header.size ?? 0);
      return;
    }
    await this.advance();
  }

  /** Keep an entry in memory or in the spool directory, checking a blob against its name as it goes. */
  private async hold(name: string, e: Entry, size: number): Promise<void> {
    const hashing = new HashingStream();
    if (size <= SMALL && this.memory + size <= MEMORY_BUDGET) {
      const chunks: Buffer[] = [];
      // pipeline, not pipe: an archive that ends inside the entry fails the load instead of going unheard.
      await pipeline(nodeReadable(e), hashing, async (bytes: AsyncIterable<Buffer>) => { for await (const chunk of bytes) chunks.push(chunk); });
      this.memory += size;
      this.held.set(name, { kind: 'memory', data: Buffer.concat(chunks) });
    } else {
      mkdirSync(this.spool, { recursive: true });
      const path = join(this.spool, String(this.spooled++));
      this.held.set(name, { kind: 'file', path, size });
      await pipeline(nodeReadable(e), hashing, createWriteStream(path));
    }
    checkBlob(name, hashing.digest());
  }

  /** A readable copy of an entry's bytes, from the store (already checked) or from where it is held. */
  private source(name: string): Readable | undefined {
    const real = this.resolve(name);
    const layer = this.unpacked.get(real);
    if (layer) return this.layers.tar(layer);
    const h = this.held.get(real);
    if (!h) return undefined;
    return h.kind === 'memory' ? Readable.from([h.data], { objectMode: false }) : createReadStream(h.path);
  }

  /** Unpack every held layer whose parent is now in place, until nothing more can be done. */
  private async advance(): Promise<void> {
    for (let progress = true; progress && this.plan; ) {
      progress = false;
      for (const img of this.plan) {
        for (const p of positions(img)) {
          if (this.isReady(p.chainId)) continue;
          if (p.parent && !this.isReady(p.parent)) break;
          const src = this.source(p.entry);
          if (!src) break;
          await this.unpack(src, this.resolve(p.entry), p, false);
          this.release(this.resolve(p.entry));
          progress = true;
        }
      }
    }
  }

  /** A held entry now unpacked: later uses read it back from the store, so its spool copy can go. */
  private release(name: string): void {
    const h = this.held.get(name);
    if (h?.kind === 'file') rmSync(h.path, { force: true });
    else if (h) this.memory -= h.data.length;
    this.held.delete(name);
  }

  private async unpack(raw: Readable, name: string, p: Position, fromArchive: boolean): Promise<void> {
    const blob = fromArchive ? blobDigestOf(name) : undefined;
    const hashing = new HashingStream();
    raw.on('error', (err) => hashing.destroy(err));
    let layer: LayerRecord;
    try {
      layer = await this.layers.add(await decompressed(raw.pipe(hashing)), p.parent ? this.ready.get(p.parent)! : null);
    } catch (e) {
      raw.destroy();
      throw truncated(e) ? e : new InvalidArchiveError(`layer ${name}: ${(e as Error).message}`);
    }
    this.added.push(layer);
    if (blob) checkBlob(name, hashing.digest());
    if (layer.diffId !== p.diffId) {
      throw new InvalidArchiveError(`layer ${name} does not match the image config: its content hashes to ${layer.diffId}, the config says ${p.diffId}`);
    }
    this.ready.set(p.chainId, layer);
    this.unpacked.set(name, layer);
  }

  /** An entry whose layer the store has already: read it through to check it is what the config says. */
  private async verify(raw: Readable, name: string, diffId: string): Promise<void> {
    const blob = blobDigestOf(name);
    const hashing = new HashingStream();
    raw.on('error', (err) => hashing.destroy(err));
    let actual: string;
    try {
      actual = await digestOf(await decompressed(raw.pipe(hashing)));
    } catch (e) {
      throw truncated(e) ? e : new InvalidArchiveError(`layer ${name}: ${(e as Error).message}`);
    }
    if (blob) checkBlob(name, hashing.digest());
    if (actual !== diffId) throw new InvalidArchiveError(`layer ${name} does not match the image config: its content hashes to ${actual}, the config says ${diffId}`);
  }

  /** Every layer of every image is in place; held layers the store already had are checked too. */
  private checkComplete(plan: PlannedImage[]): void {
    for (const img of plan) {
      for (const p of positions(img)) {
        if (this.isReady(p.chainId)) continue;
        const real = this.resolve(p.entry);
        throw new InvalidArchiveError(this.seen.has(real) ? `layer ${p.entry} could not be placed` : `${p.entry} is missing`);
      }
    }
  }

  /** Check held layers the store already had, then write the images and their names. */
  private async record(plan: PlannedImage[]): Promise<LoadResult> {
    for (const img of plan) {
      for (const p of positions(img)) {
        const real = this.resolve(p.entry);
        if (this.unpacked.has(real) || !this.held.has(real)) continue;
        await this.verify(this.source(real)!, real, p.diffId);
        this.release(real);
      }
    }
    const result: LoadResult = { images: [], renamed: [] };
    for (const img of parentsFirst(plan)) {
      const config = parseImageConfig(img.config);
      const layers = positions(img).map((p) => this.ready.get(p.chainId)!);
      const names = img.names.map((n) => this.images.normalizeTag(n));
      for (const name of names) {
        const before = this.store.meta.tagTarget(name);
        if (before && before !== img.id) result.renamed.push({ name: familiarString(name), previousId: before });
      }
      const parent = img.parent && this.isParent(img.parent, config) ? img.parent : null;
      for (const reference of names.length ? names : [undefined]) {
        await this.images.create({ config, configBytes: img.config, layers, parent, reference, loaded: true });
      }
    }
    for (const img of plan) result.images.push({ Id: img.id, RepoTags: img.names.map((n) => familiarString(this.images.normalizeTag(n))) });
    return result;
  }

  /** Whether `id` is an image the store has that `child` can stand on, as Docker's load checks a parent. */
  private isParent(id: string, child: ImageConfig): boolean {
    if (!this.store.meta.getImage(id)) return false;
    const parent = parseImageConfig(this.store.content.get(id));
    const [pd, cd] = [parent.rootfs.diff_ids, child.rootfs.diff_ids];
    if (pd.length > cd.length || pd.some((d, i) => d !== cd[i])) return false;
    const [ph, ch] = [parent.history, child.history];
    if (ph.length === 0 && ch.length === 0) return true;
    return ch.length - ph.length === 1 && ph.every((h, i) => JSON.stringify(h) === JSON.stringify(ch[i]));
  }

  /** Layers this load unpacked that no image took (a failed load, or an entry the final plan did not use). */
  private async abandonUnused(): Promise<void> {
    // abandon leaves alone what is no longer this process's pending work (an image took it).
    for (const l of [...this.added].reverse()) await this.store.abandon(l.snapshot);
  }
}

/** The plan with every image after its parent, when the archive holds both. */
function parentsFirst(plan: PlannedImage[]): PlannedImage[] {
  const byId = new Map(plan.map((p) => [p.id, p]));
  const out = new Set<PlannedImage>();
  const visit = (img: PlannedImage, depth: number): void => {
    const parent = img.parent ? byId.get(img.parent) : undefined;
    if (parent && depth < plan.length) visit(parent, depth + 1);
    out.add(img);
  };
  for (const img of plan) visit(img, 0);
  return [...out];
}

/** The layers of a planned image, base first, with their chainIDs. */
function positions(img: PlannedImage): Position[] {
  const chains = chainIds(img.layers.map((l) => l.diffId));
  return img.layers.map((l, i) => ({ entry: l.entry, diffId: l.diffId, chainId: chains[i]!, parent: i > 0 ? chains[i - 1]! : null }));
}

function checkBlob(name: string, actual: string): void {
  const expected = blobDigestOf(name);
  if (expected && expected !== actual) throw new InvalidArchiveError(`${name} does not match its digest (its content hashes to ${actual})`);
}

/**
 * An archive that ends inside an entry (tar-stream's error), and what Docker's load says of it (the
 * untar it runs in a child process failed reading past the end).
 */
const truncated = (e: unknown): boolean => (e as Error | undefined)?.message === 'Unexpected end of data';
const DOCKER_TRUNCATED = 'Error processing tar file(exit status 1): unexpected EOF';

/** tar-stream's entries are streamx streams; the archive code takes Node streams. */
const nodeReadable = (e: Entry): Readable => Readable.from(e, { objectMode: false });

async function drain(e: Entry): Promise<void> {
  for await (const _ of e) { /* skipped */ }
}
