/**
 * `save` and `load`: images to and from docker-archive or OCI-layout tarballs. Save streams (layer bytes
 * come from tar-split reassembly, exactly as imported); load unpacks the archive into a staging
 * directory under tmp/ with the same safe extraction as layers, checks everything it names, and only
 * then unpacks layers and records images, so a bad archive leaves the store as it was.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { applyLayer, cleanEntryPath, decompressed, fileHeader, TAR_END, tarPadding } from '../archive/index.js';
import { parseImageConfig, type ImageConfig } from '../images/config.js';
import { chainIds, hexOf, randomId, sha256 } from '../images/digest.js';
import {
  blobPath, IMAGE_NAME, MEDIA, OCI_LAYOUT, REF_NAME,
  type ArchiveFormat, type ArchiveManifestEntry, type Descriptor, type OciIndex, type OciManifest,
} from '../images/layout.js';
import { familiarString, parseTaggedReference, referenceString } from '../images/reference.js';
import type { ImageRecord, LayerRecord } from '../metadata/index.js';
import { InvalidArgumentError } from './errors.js';
import type { Images } from './images.js';
import type { Layers } from './layers.js';
import type { Store } from './store.js';

export interface LoadedImage {
  id: string;
  /** Familiar names the image was tagged with ("busybox:latest"); empty when the archive named none. */
  tags: string[];
}

/** One image found in an archive, checked, before any of its layers is unpacked. */
interface StagedImage {
  config: ImageConfig;
  configBytes: Buffer;
  /** Layer files in the staging dir, base first, with the digest each must have (OCI) if any. */
  layers: { path: string; digest?: string }[];
  tags: string[];
}

const bad = (why: string): InvalidArgumentError => new InvalidArgumentError(`invalid image archive: ${why}`);

/** A regular file named by the archive, inside the staging dir and reached through real directories only. */
function stagedFile(staging: string, name: string): string {
  let rel: string;
  try {
    rel = cleanEntryPath(name);
  } catch {
    throw bad(`${JSON.stringify(name)} points outside the archive`);
  }
  let cur = staging;
  const parts = rel.split('/');
  for (const [i, part] of parts.entries()) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      throw bad(`${JSON.stringify(name)} is missing`);
    }
    const last = i === parts.length - 1;
    if (last ? !st.isFile() : !st.isDirectory()) throw bad(`${JSON.stringify(name)} is not a regular file inside the archive`);
  }
  return cur;
}

function readJson<T>(staging: string, name: string): T {
  try {
    return JSON.parse(readFileSync(stagedFile(staging, name), 'utf8')) as T;
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw bad(`${name}: ${(e as Error).message}`);
  }
}

/** Passes bytes through, failing at the end if they do not hash to `digest`. */
function verifying(digest: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _e, done) { hash.update(chunk); done(null, chunk); },
    flush(done) {
      const actual = 'sha256:' + hash.digest('hex');
      done(actual === digest ? null : bad(`blob ${digest} hashes to ${actual}`));
    },
  });
}

export class SaveLoad {
  constructor(private readonly store: Store, private readonly images: Images, private readonly layers: Layers) {}

  /** The archive of the named images. Names are resolved before the first byte is produced. */
  save(refs: string[], format: ArchiveFormat): Readable {
    const groups = new Map<string, { img: ImageRecord; tags: string[] }>();
    for (const ref of refs) {
      const img = this.images.resolve(ref);
      const g = groups.get(img.id) ?? { img, tags: [] };
      groups.set(img.id, g);
      const named = this.store.meta.tagsOf(img.id).find((t) => {
        try { return t === referenceString(parseTaggedReference(ref)); } catch { return false; }
      });
      if (named && !g.tags.includes(named)) g.tags.push(named);
    }
    const { store, layers } = this;
    const mtime = Math.floor(Date.now() / 1000);
    return Readable.from((async function* () {
      const written = new Set<string>();
      function* file(name: string, bytes: Buffer): Generator<Buffer> {
        if (written.has(name)) return;
        written.add(name);
        yield fileHeader(name, bytes.length, mtime);
        yield bytes;
        yield tarPadding(bytes.length);
      }
      async function* layerFile(name: string, layer: LayerRecord): AsyncGenerator<Buffer> {
        if (written.has(name)) return;
        written.add(name);
        yield fileHeader(name, layer.tarSize, mtime);
        let n = 0;
        for await (const chunk of layers.tar(layer)) {
          n += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (n !== layer.tarSize) throw new Error(`layer ${layer.chainId} gave ${n} bytes, ${layer.tarSize} expected: the layer is damaged`);
        yield tarPadding(layer.tarSize);
      }
      const manifest: ArchiveManifestEntry[] = [];
      const index: Descriptor[] = [];
      const repositories: Record<string, Record<string, string>> = {};
      if (format === 'oci') yield* file('oci-layout', Buffer.from(OCI_LAYOUT));
      for (const { img, tags } of groups.values()) {
        const configBytes = store.content.get(img.id);
        const chain = store.meta.layerChain(img.topLayer).reverse();
        const configName = format === 'oci' ? blobPath(img.id) : `${hexOf(img.id)}.json`;
        yield* file(configName, configBytes);
        const layerNames: string[] = [];
        for (const l of chain) {
          const name = format === 'oci' ? blobPath(l.diffId) : `${hexOf(l.diffId)}/layer.tar`;
          yield* layerFile(name, l);
          layerNames.push(name);
        }
        const familiar = tags.map(familiarString);
        manifest.push({ Config: configName, RepoTags: familiar.length ? familiar : null, Layers: layerNames });
        for (const t of familiar) {
          const colon = t.lastIndexOf(':');
          (repositories[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = hexOf(chain.at(-1)?.diffId ?? img.id);
        }
        if (format === 'oci') {
          const m: OciManifest = {
            schemaVersion: 2, mediaType: MEDIA.manifest,
            config: { mediaType: MEDIA.config, digest: img.id, size: configBytes.length },
            layers: chain.map((l) => ({ mediaType: MEDIA.layer, digest: l.diffId, size: l.tarSize })),
          };
          const bytes = Buffer.from(JSON.stringify(m));
          const digest = sha256(bytes);
          yield* file(blobPath(digest), bytes);
          const base = { mediaType: MEDIA.manifest, digest, size: bytes.length };
          if (tags.length === 0) index.push(base);
          for (const t of tags) index.push({ ...base, annotations: { [IMAGE_NAME]: t, [REF_NAME]: t.slice(t.lastIndexOf(':') + 1) } });
        }
      }
      if (format === 'oci') yield* file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: index } satisfies OciIndex)));
      yield* file('manifest.json', Buffer.from(JSON.stringify(manifest)));
      if (format === 'docker') yield* file('repositories', Buffer.from(JSON.stringify(repositories)));
      yield TAR_END;
    })(), { objectMode: false });
  }

  /** Load every image of a docker-archive or OCI-layout tarball (plain or gzip). */
  async load(input: Readable): Promise<LoadedImage[]> {
    const staging = join(this.store.root, 'tmp', `load-${randomId()}`);
    mkdirSync(staging, { recursive: true });
    const made: string[] = [];
    try {
      await applyLayer(await decompressed(input), staging, { whiteouts: 'apply', tarSplitPath: `${staging}.tar-split` });
      const found = this.stage(staging);
      const chains: LayerRecord[][] = [];
      for (const s of found) chains.push(await this.unpack(s, made));
      const loaded: LoadedImage[] = [];
      for (const [i, s] of found.entries()) {
        const [first, ...rest] = s.tags;
        const id = await this.images.create({ config: s.config, configBytes: s.configBytes, layers: chains[i]!, parent: null, reference: first });
        for (const t of rest) await this.images.tag(id, t);
        loaded.push({ id, tags: s.tags.map(familiarString) });
      }
      return loaded;
    } catch (e) {
      for (const snapshot of made) {
        if (this.store.meta.getPending(snapshot)?.pid === process.pid) await this.store.abandon(snapshot);
      }
      throw e;
    } finally {
      rmSync(staging, { recursive: true, force: true });
      rmSync(`${staging}.tar-split`, { force: true });
    }
  }

  /** Read and check what the archive says, without unpacking any layer. */
  private stage(staging: string): StagedImage[] {
    const hasManifest = (() => { try { stagedFile(staging, 'manifest.json'); return true; } catch { return false; } })();
    const images: StagedImage[] = [];
    if (hasManifest) {
      const entries = readJson<ArchiveManifestEntry[]>(staging, 'manifest.json');
      if (!Array.isArray(entries) || entries.length === 0) throw bad('manifest.json lists no images');
      for (const e of entries) {
        if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw bad('manifest.json entry without Config or Layers');
        const configBytes = readFileSync(stagedFile(staging, e.Config));
        const layers = e.Layers.map((l) => ({ path: stagedFile(staging, String(l)) }));
        images.push(this.checked(configBytes, layers, e.RepoTags ?? []));
      }
      return images;
    }
    const index = readJson<OciIndex>(staging, 'index.json');
    if (!Array.isArray(index?.manifests) || index.manifests.length === 0) throw bad('index.json lists no manifests');
    for (const d of index.manifests) {
      const manifestBytes = readFileSync(stagedFile(staging, blobPath(d.digest)));
      if (sha256(manifestBytes) !== d.digest) throw bad(`manifest ${d.digest} does not match its digest`);
      const m = JSON.parse(manifestBytes.toString('utf8')) as OciManifest;
      if (!m?.config?.digest || !Array.isArray(m.layers)) throw bad(`manifest ${d.digest} has no config or layers`);
      const configBytes = readFileSync(stagedFile(staging, blobPath(m.config.digest)));
      if (sha256(configBytes) !== m.config.digest) throw bad(`config ${m.config.digest} does not match its digest`);
      const name = d.annotations?.[IMAGE_NAME] ?? d.annotations?.[REF_NAME];
      const tags = name && /[:/]/.test(name) ? [name] : [];
      images.push(this.checked(configBytes, m.layers.map((l) => ({ path: stagedFile(staging, blobPath(l.digest)), digest: l.digest })), tags));
    }
    return images;
  }

  private checked(configBytes: Buffer, layers: StagedImage['layers'], tags: string[]): StagedImage {
    let config: ImageConfig;
    try {
      config = parseImageConfig(configBytes);
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (config.rootfs.diff_ids.length !== layers.length) {
      throw bad(`the config names ${config.rootfs.diff_ids.length} layers, the manifest ${layers.length}`);
    }
    return { config, configBytes, layers, tags: tags.map((t) => this.images.normalizeTag(String(t))) };
  }

  /** Unpack the layers the store does not have yet; check each against the config's diffID. */
  private async unpack(s: StagedImage, made: string[]): Promise<LayerRecord[]> {
    const chain = chainIds(s.config.rootfs.diff_ids);
    const out: LayerRecord[] = [];
    for (const [i, l] of s.layers.entries()) {
      const existing = this.store.meta.getLayer(chain[i]!);
      if (existing) {
        out.push(existing);
        continue;
      }
      const raw: Readable = createReadStream(l.path);
      const source = l.digest ? raw.pipe(verifying(l.digest)) : raw;
      if (l.digest) raw.on('error', (e) => source.destroy(e));
      const layer = await this.layers.add(await decompressed(source), out.at(-1) ?? null);
      made.push(layer.snapshot);
      if (layer.diffId !== s.config.rootfs.diff_ids[i]) {
        throw bad(`layer ${i + 1} hashes to ${layer.diffId}, but the config says ${s.config.rootfs.diff_ids[i]}`);
      }
      out.push(layer);
    }
    return out;
  }
}
