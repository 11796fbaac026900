/**
 * Pull: manifest (HEAD, then GET by the digest HEAD gave), index → the platform's manifest, config, then the
 * layers the store lacks, up to `concurrency` at once. A layer whose parent is in place when its download
 * starts streams download → digest and size check → decompress → apply in one pipeline; one that must
 * wait for its parent is downloaded first. Either way its compressed blob is written once, to a scratch
 * file, which becomes the content store's copy when the image is recorded (so a push sends the same bytes).
 * Every blob is checked against its digest and size and every layer against the config's diffID; a failure
 * abandons the layers this pull made and its scratch files, so nothing partial becomes visible (a kill
 * leaves them pending, for the next command's sweep).
 */
import { createReadStream, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DigestMismatchError } from '../content/errors.js';
import { parseImageConfig, type ImageConfig } from '../images/config.js';
import { chainIds, sha256 } from '../images/digest.js';
import { familiarString, referenceString } from '../images/reference.js';
import type { LayerRecord } from '../metadata/index.js';
import { InvalidArgumentError, NotFoundError } from '../engine/errors.js';
import type { Images } from '../engine/images.js';
import type { Layers } from '../engine/layers.js';
import type { Progress } from '../engine/messages.js';
import type { Store } from '../engine/store.js';
import { blobStream } from './blobs.js';
import { errorText, RegistryError, type RegistryClient } from './http.js';
import { Limit } from './limit.js';
import { layerCompression, MANIFEST_ACCEPT, parseManifest, parsePlatform, selectPlatform, type BlobDescriptor, type ImageManifest } from './manifest.js';
import { scope, type Target } from './names.js';
import { LayerProgress, shortId } from './progress.js';
import { unpackOnThread, type UnpackResult } from './unpack.js';
import { Writeback } from './writeback.js';

/** The largest manifest, index or config a pull reads (Docker's limit for manifests is 4 MiB). */
const DOCUMENT_LIMIT = 8 << 20;

export interface PullOneOptions {
  platform?: string;
  concurrency: number;
  signal: AbortSignal;
}

export interface PullResult {
  /** Full reference pulled ("docker.io/library/busybox:latest"). */
  reference: string;
  id: string;
  /** The manifest's (or index's) digest the name resolved to. */
  digest: string;
  /** True when the image was here already under that name. */
  upToDate: boolean;
}

interface Fetched { bytes: Buffer; digest: string; contentType: string | null }

export class Puller {
  constructor(private readonly store: Store, private readonly images: Images, private readonly layers: Layers, private readonly client: RegistryClient,
    private readonly progress: Progress) {}

  /** One tag or digest of the repository. */
  async pull(t: Target, opts: PullOneOptions): Promise<PullResult> {
    const ref = t.digest ?? t.tag!;
    const scopes = [scope(t.path, 'pull')];
    const top = await this.manifest(t, ref, scopes);
    // Only once the registry has the manifest, as Docker: a name it lacks fails having said nothing (the API's 404).
    this.progress({ status: `Pulling from ${t.path}`, id: ref });
    let manifestDoc = parseManifest(top.bytes, top.contentType);
    if (manifestDoc.kind === 'index') {
      const chosen = selectPlatform(manifestDoc.index, parsePlatform(opts.platform));
      const inner = await this.manifest(t, chosen.digest, scopes);
      manifestDoc = parseManifest(inner.bytes, inner.contentType);
      if (manifestDoc.kind !== 'manifest') throw new RegistryError(`manifest ${chosen.digest} is an index inside an index`);
    }
    const manifest = manifestDoc.manifest;
    const reference = referenceString({ repository: t.repository, tag: t.tag, digest: t.digest });
    const name = t.tag ? referenceString({ repository: t.repository, tag: t.tag }) : undefined;
    const repoDigest = `${t.repository}@${top.digest}`;
    const configBytes = await this.blobBytes(t, manifest.config, scopes);
    const config = parseImageConfig(configBytes);
    const id = sha256(configBytes);
    checkLayers(manifest, config);
    const before = name ? this.store.meta.tagTarget(name) : this.store.meta.repoDigestTarget(repoDigest);
    const writeback = new Writeback(this.store.root);
    let done = false;
    let blobs: { digest: string; file: string }[] = [];
    try {
      const layers = await this.layersOf(t, manifest, config, id, opts, writeback);
      blobs = layers.blobs;
      const downloaded = blobs.length > 0;
      // The new layers' files, tar-split records and blobs on disk before the image that makes them
      // visible is recorded: one syncfs for all of them (a crash or power cut never leaves a recorded
      // layer with files the disk lost), which also leaves adopt()'s fsync of each blob nothing to write.
      // Earlier ones (writeback.ts) have written most of it back while the layers came in.
      if (downloaded) await writeback.sync();
      await this.images.create({ config, configBytes, layers: layers.records, parent: null, reference: name, loaded: true });
      this.store.meta.tx(() => {
        this.store.meta.addRepoDigest(repoDigest, id);
        manifest.layers.forEach((l, i) => this.store.meta.blobs.recordBlob({
          diffId: config.rootfs.diff_ids[i]!, repository: t.repository, digest: l.digest, mediaType: l.mediaType, size: l.size,
        }));
      });
      for (const b of blobs) {
        if (this.store.content.has(b.digest)) rmSync(b.file, { force: true });
        else this.store.content.adopt(b.file, b.digest);
      }
      done = true;
    } finally {
      await writeback.close();
      if (!done) for (const b of blobs) rmSync(b.file, { force: true });
    }
    const upToDate = blobs.length === 0 && before === id;
    this.progress({ status: `Digest: ${top.digest}` });
    this.progress({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(reference)}` });
    return { reference, id, digest: top.digest, upToDate };
  }

  /** HEAD, then GET by the digest HEAD gave, checked against it (and against the digest asked for). */
  private async manifest(t: Target, ref: string, scopes: string[]): Promise<Fetched> {
    const headers = { Accept: MANIFEST_ACCEPT };
    const what = ref.startsWith('sha256:') ? `${t.familiar}@${ref}` : `${t.familiar}:${ref}`;
    const head = await this.client.request('HEAD', this.client.url(`${t.path}/manifests/${ref}`), { headers, scopes });
    await this.failed(head, what, true);
    const headDigest = head.headers.get('docker-content-digest') ?? undefined;
    const get = headDigest?.startsWith('sha256:') ? headDigest : ref;
    const res = await this.client.request('GET', this.client.url(`${t.path}/manifests/${get}`), { headers, scopes });
    await this.failed(res, what);
    const bytes = await readLimited(res, DOCUMENT_LIMIT, `manifest for ${what}`);
    const digest = sha256(bytes);
    for (const expected of [ref.startsWith('sha256:') ? ref : undefined, headDigest]) {
      if (expected && expected !== digest) throw new RegistryError(`manifest verification failed for digest ${expected}: its content hashes to ${digest}`);
    }
    return { bytes, digest, contentType: res.headers.get('content-type') };
  }

  private async failed(res: Response, what: string, head = false): Promise<void> {
    if (res.ok) return;
    if (res.status === 404) {
      // A HEAD's 404 has no body to say why: Docker's words for it.
      const { text } = head ? { text: 'manifest unknown: manifest unknown' } : await errorText(res);
      throw new NotFoundError(`manifest for ${what} not found: ${text}`);
    }
    if (res.status === 401) {
      throw new RegistryError(`pull access denied for ${what.replace(/[:@][^:@/]*$/, '')}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`, 401);
    }
    throw new RegistryError(`${what}: ${(await errorText(res)).text}`, res.status);
  }

  /** A small blob (the config), checked against its descriptor. */
  private async blobBytes(t: Target, d: BlobDescriptor, scopes: string[]): Promise<Buffer> {
    const res = await this.client.request('GET', this.client.url(`${t.path}/blobs/${d.digest}`), { scopes });
    if (!res.ok) throw new RegistryError(`fetching ${d.digest}: ${(await errorText(res)).text}`, res.status);
    const bytes = await readLimited(res, Math.min(d.size, DOCUMENT_LIMIT), `blob ${d.digest}`);
    if (bytes.length !== d.size || sha256(bytes) !== d.digest) throw new RegistryError(`blob ${d.digest} does not match its digest or size (its content hashes to ${sha256(bytes)}, ${bytes.length} bytes)`);
    return bytes;
  }

  /** Every layer in place: found in the store, or downloaded and applied. */
  private async layersOf(t: Target, manifest: ImageManifest, config: ImageConfig, imageId: string, opts: PullOneOptions, writeback: Writeback):
    Promise<{ records: LayerRecord[]; blobs: { digest: string; file: string }[] }> {
    const diffIds = config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const { meta } = this.store;
    const limit = new Limit(opts.concurrency);
    const added: LayerRecord[] = [];
    const blobs: { digest: string; file: string }[] = [];
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(opts.signal.reason);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const progress = manifest.layers.map((l) => new LayerProgress(this.progress, shortId(l.digest)));
    const present = chains.map((c) => {
      const found = meta.getLayer(c);
      return found && this.layers.intact(found) ? found : undefined;
    });
    // An image that is here already says nothing per layer, as Docker's pull of an image it has.
    const imageHere = present.every(Boolean) && !!meta.getImage(imageId);
    manifest.layers.forEach((l, i) => {
      layerCompression(l.mediaType);
      if (!imageHere) progress[i]!.status(present[i] ? 'Already exists' : 'Pulling fs layer');
    });
    const settled: boolean[] = [];
    let firstError: unknown;
    const applied: Promise<LayerRecord>[] = [];
    manifest.layers.forEach((desc, i) => {
      const p = present[i]
        ? Promise.resolve(present[i]!)
        : this.layer(t, desc, diffIds[i]!, i > 0 ? applied[i - 1]! : null, () => i === 0 || settled[i - 1] === true, progress[i]!, limit, abort.signal, added, blobs, writeback);
      applied.push(p.then((r) => { settled[i] = true; return r; }, (e: unknown) => {
        settled[i] = true;
        if (firstError === undefined) {
          firstError = e;
          abort.abort(e);
        }
        throw e;
      }));
    });
    try {
      const results = await Promise.allSettled(applied);
      if (firstError !== undefined) throw opts.signal.aborted ? opts.signal.reason : firstError;
      return { records: results.map((r) => (r as PromiseFulfilledResult<LayerRecord>).value), blobs };
    } catch (e) {
      for (const l of [...added].reverse()) await this.store.abandon(l.snapshot);
      for (const b of blobs) rmSync(b.file, { force: true });
      throw e;
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  /** One layer: download (streaming into place when its parent is ready), check, apply. */
  private async layer(t: Target, desc: BlobDescriptor, diffId: string, parent: Promise<LayerRecord> | null, parentReady: () => boolean,
    lp: LayerProgress, limit: Limit, signal: AbortSignal, added: LayerRecord[], blobs: { digest: string; file: string }[], writeback: Writeback): Promise<LayerRecord> {
    if (limit.full) lp.status('Waiting');
    const release = await limit.acquire();
    try {
      signal.throwIfAborted();
      const file = this.store.scratchPath('pull');
      blobs.push({ digest: desc.digest, file });
      const body = blobStream({
        client: this.client, path: t.path, digest: desc.digest, size: desc.size,
        onRetry: (seconds) => this.client.countdown(seconds, (left) => lp.status(`Retrying in ${left} second${left === 1 ? '' : 's'}`)),
      });
      const onAbort = (): void => { body.destroy(signal.reason as Error); };
      signal.addEventListener('abort', onAbort, { once: true });
      const check = (r: UnpackResult): Error | undefined => r.size !== desc.size ? new DigestMismatchError(`blob ${desc.digest}: expected ${desc.size} bytes, got ${r.size}`)
        : r.digest !== desc.digest ? new DigestMismatchError(`filesystem layer verification failed for digest ${desc.digest}: its content hashes to ${r.digest}`) : undefined;
      try {
        let seen = 0;
        const downloaded = body.pipe(new Transform({
          transform(chunk: Buffer, _e, done) { seen += chunk.length; lp.bar('Downloading', seen, desc.size); writeback.wrote(chunk.length); done(null, chunk); },
        }));
        body.on('error', (e) => downloaded.destroy(e));
        downloaded.on('close', () => body.destroy());
        if (parentReady()) {
          // The fast path: the layer is unpacked as its bytes arrive.
          const { tar, result } = unpackOnThread(downloaded, { blobFile: file, unpack: true, maxBytes: desc.size, handOff: true, check });
          // One turn of the event loop first, in which the blob's request goes out: the registry then reads the
          // blob from its disk while this thread prepares the snapshot (its SQLite row, fsyncs and directories,
          // tens of milliseconds of synchronous work), not after.
          await new Promise<void>((resolve) => setImmediate(resolve));
          const rec = await this.layers.add(tar, parent ? await parent : null, () => result().diffID);
          added.push(rec);
          lp.status('Verifying Checksum');
          lp.status('Download complete');
          lp.bar('Extracting', desc.size, desc.size, true);
          return this.checked(rec, diffId, desc, lp);
        }
        await finished(unpackOnThread(downloaded, { blobFile: file, unpack: false, maxBytes: desc.size, check }).tar.resume());
        lp.status('Verifying Checksum');
        lp.status('Download complete');
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      release();
      const parentRecord = parent ? await parent : null;
      signal.throwIfAborted();
      let read = 0;
      const extract = createReadStream(file).pipe(new Transform({
        transform(chunk: Buffer, _e, done) { read += chunk.length; lp.bar('Extracting', read, desc.size); writeback.wrote(chunk.length); done(null, chunk); },
      }));
      const { tar, result } = unpackOnThread(extract, { unpack: true });
      const rec = await this.layers.add(tar, parentRecord, () => result().diffID);
      added.push(rec);
      return this.checked(rec, diffId, desc, lp);
    } finally {
      release();
    }
  }

  private checked(rec: LayerRecord, diffId: string, desc: BlobDescriptor, lp: LayerProgress): LayerRecord {
    if (rec.diffId !== diffId) {
      throw new RegistryError(`layer ${desc.digest} does not match the image config: its content hashes to ${rec.diffId}, the config says ${diffId}`);
    }
    lp.status('Pull complete');
    return rec;
  }
}

function checkLayers(manifest: ImageManifest, config: ImageConfig): void {
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw new InvalidArgumentError(`invalid image: the manifest has ${manifest.layers.length} layers, its config ${config.rootfs.diff_ids.length} diffIDs`);
  }
}

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.byteLength;
    if (n > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}
