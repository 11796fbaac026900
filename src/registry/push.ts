/**
 * Push: every layer the registry lacks, up to `concurrency` at once, then the config and the manifest.
 * A layer is skipped when a HEAD finds its recorded blob there (`Layer already exists`, without reading
 * the layer), mounted from another repository of the same registry (a 202 answer to the mount still
 * needs an upload), sent as the exact blob a pull kept (monolithic upload), or, never pushed before,
 * compressed once as it streams out in chunks (chunked upload) and recorded.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { HashingStream } from '../content/hashing.js';
import { sha256 } from '../images/digest.js';
import type { ImageRecord, LayerBlob, LayerRecord } from '../metadata/index.js';
import type { Layers } from '../engine/layers.js';
import type { Progress } from '../engine/messages.js';
import type { Store } from '../engine/store.js';
import { compressed, type Compression } from './compress.js';
import { errorText, RegistryError, type RegistryClient } from './http.js';
import { Limit } from './limit.js';
import { MediaType, type BlobDescriptor } from './manifest.js';
import { scope, type Target } from './names.js';
import { LayerProgress, shortId } from './progress.js';

/** The size of one PATCH of a chunked upload: bounded memory per upload, and a failure costs one chunk. */
const CHUNK = 8 << 20;

export interface PushOneOptions {
  concurrency: number;
  compression: Compression;
  signal: AbortSignal;
}

export interface PushResult { Tag: string; Digest: string; Size: number }

export class Pusher {
  constructor(private readonly store: Store, private readonly layers: Layers, private readonly client: RegistryClient, private readonly progress: Progress) {}

  async push(t: Target & { tag: string }, img: ImageRecord, opts: PushOneOptions): Promise<PushResult> {
    const { meta, content } = this.store;
    const scopes = [scope(t.path, 'pull,push')];
    const configBytes = content.get(img.id);
    const records = meta.imageLayers(img.id).map((c) => meta.getLayer(c)!);
    const limit = new Limit(opts.concurrency);
    // As Docker lists them: the top layer first; a layer that appears twice is pushed once.
    const unique = [...new Map([...records].reverse().map((l) => [l.diffId, l])).values()];
    const progress = new Map(unique.map((l) => [l.diffId, new LayerProgress(this.progress, shortId(l.diffId))]));
    for (const l of unique) progress.get(l.diffId)!.status('Preparing');
    const pushed = new Map<string, Promise<BlobDescriptor>>();
    for (const l of unique) {
      pushed.set(l.diffId, (async () => {
        const lp = progress.get(l.diffId)!;
        if (limit.full) lp.status('Waiting');
        const release = await limit.acquire();
        try {
          opts.signal.throwIfAborted();
          return await this.layer(t, l, lp, opts);
        } finally {
          release();
        }
      })());
    }
    const settled = await Promise.allSettled(pushed.values());
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const layerDescs = await Promise.all(records.map((l) => pushed.get(l.diffId)!));
    const oci = layerDescs.some((d) => d.mediaType.startsWith('application/vnd.oci.'));
    const configDesc: BlobDescriptor = { mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, size: configBytes.length, digest: img.id };
    if (!(await this.exists(t, img.id, scopes))) await this.upload(t, scopes, { digest: img.id, size: configBytes.length, body: () => configBytes as unknown as BodyInit }, undefined);
    const manifest = {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
      config: configDesc,
      layers: layerDescs.map((d) => ({ mediaType: oci ? ociType(d.mediaType) : d.mediaType, size: d.size, digest: d.digest })),
    };
    // Indented with three spaces, as Docker writes it, so the same image pushed by either has one digest.
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const body = (): BodyInit => bytes as unknown as BodyInit;
    const res = await this.client.request('PUT', this.client.url(`${t.path}/manifests/${t.tag}`), {
      headers: { 'Content-Type': manifest.mediaType }, body, scopes,
    });
    if (res.status !== 201 && !res.ok) throw new RegistryError(`putting the manifest of ${t.familiar}:${t.tag}: ${(await errorText(res)).text}`, res.status);
    await res.body?.cancel().catch(() => undefined);
    const digest = sha256(bytes);
    meta.tx(() => meta.addRepoDigest(`${t.repository}@${digest}`, img.id));
    this.progress({ status: `${t.tag}: digest: ${digest} size: ${bytes.length}` });
    const result = { Tag: t.tag, Digest: digest, Size: bytes.length };
    this.progress({ progressDetail: {}, aux: { ...result } });
    return result;
  }

  private async layer(t: Target, l: LayerRecord, lp: LayerProgress, opts: PushOneOptions): Promise<BlobDescriptor> {
    const scopes = [scope(t.path, 'pull,push')];
    const known = this.store.meta.blobs.blobsOf(l.diffId);
    const record = (d: BlobDescriptor): BlobDescriptor => {
      this.store.meta.tx(() => this.store.meta.blobs.recordBlob({ diffId: l.diffId, repository: t.repository, digest: d.digest, mediaType: d.mediaType, size: d.size }));
      return d;
    };
    const desc = (b: LayerBlob): BlobDescriptor => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
    // A blob recorded in this repository, or one whose bytes are kept here: is it there already? (Asked once
    // per digest: a blob pushed to several repositories has a record for each.)
    const candidates = new Map(known.filter((k) => k.repository === t.repository || this.store.content.has(k.digest)).map((k) => [k.digest, k]));
    for (const b of candidates.values()) {
      if (await this.exists(t, b.digest, scopes)) {
        lp.status('Layer already exists');
        return record(desc(b));
      }
    }
    let location: string | undefined;
    const sameHost = known.filter((k) => k.repository !== t.repository && k.repository.startsWith(`${t.host}/`));
    for (const b of sameHost) {
      const from = b.repository.slice(t.host.length + 1);
      const res = await this.client.request('POST', this.client.url(`${t.path}/blobs/uploads/?mount=${encodeURIComponent(b.digest)}&from=${encodeURIComponent(from)}`),
        { scopes: [...scopes, scope(from, 'pull')], headers: { 'Content-Length': '0' } });
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 201) {
        lp.status(`Mounted from ${from}`);
        return record(desc(b));
      }
      if (res.status === 202 && res.headers.get('location')) {
        // The registry would not mount: it opened an upload instead, which the upload below uses.
        location = new URL(res.headers.get('location')!, this.client.url('')).toString();
        break;
      }
    }
    const kept = known.find((k) => this.store.content.has(k.digest));
    if (kept) {
      await this.upload(t, scopes, { digest: kept.digest, size: kept.size, body: () => createReadStream(this.store.content.path(kept.digest)) as unknown as BodyInit }, lp, location);
      lp.status('Pushed');
      return record(desc(kept));
    }
    const pushedDesc = await this.compressAndUpload(t, l, lp, opts, scopes, location);
    lp.status('Pushed');
    return record(pushedDesc);
  }

  private async exists(t: Target, digest: string, scopes: string[]): Promise<boolean> {
    const res = await this.client.request('HEAD', this.client.url(`${t.path}/blobs/${digest}`), { scopes });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404) return false;
    if (res.ok) return true;
    if (res.status === 401 || res.status === 403) throw new RegistryError(`denied: requested access to the resource is denied`, res.status);
    throw new RegistryError(`checking blob ${digest} in ${t.familiar}: ${res.status} ${res.statusText}`, res.status);
  }

  /** POST a new upload; its location. */
  private async start(t: Target, scopes: string[]): Promise<string> {
    const res = await this.client.request('POST', this.client.url(`${t.path}/blobs/uploads/`), { scopes, headers: { 'Content-Length': '0' } });
    await this.expect(res, [202], `starting an upload to ${t.familiar}`);
    return this.location(res);
  }

  private location(res: Response): string {
    const l = res.headers.get('location');
    if (!l) throw new RegistryError('the registry answered an upload without a Location');
    return new URL(l, this.client.url('')).toString();
  }

  private async expect(res: Response, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    if (res.status === 401 || res.status === 403) throw new RegistryError(`denied: requested access to the resource is denied`, res.status);
    throw new RegistryError(`${what}: ${(await errorText(res)).text}`, res.status);
  }

  /** Monolithic: one PUT with the whole blob and its digest. */
  private async upload(t: Target, scopes: string[], blob: { digest: string; size: number; body: () => BodyInit | Readable }, lp: LayerProgress | undefined, location?: string): Promise<void> {
    const at = location ?? await this.start(t, scopes);
    const url = withDigest(at, blob.digest);
    const res = await this.client.request('PUT', url, {
      scopes, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
      body: () => {
        const b = blob.body();
        if (!lp || Buffer.isBuffer(b)) return b as BodyInit;
        let sent = 0;
        return (b as Readable).pipe(new Transform({
          transform(chunk: Buffer, _e, done) { sent += chunk.length; lp.bar('Pushing', sent, blob.size); done(null, chunk); },
        })) as unknown as BodyInit;
      },
    });
    await this.expect(res, [201, 204], `uploading ${blob.digest}`);
    await res.body?.cancel().catch(() => undefined);
  }

  /** Chunked: the layer's tar compressed as it is read, sent PATCH by PATCH, then closed with its digest. */
  private async compressAndUpload(t: Target, l: LayerRecord, lp: LayerProgress, opts: PushOneOptions, scopes: string[], location?: string): Promise<BlobDescriptor> {
    let at = location ?? await this.start(t, scopes);
    let read = 0;
    const tar = this.layers.tar(l).pipe(new Transform({
      transform(chunk: Buffer, _e, done) { read += chunk.length; lp.bar('Pushing', read, l.tarSize); done(null, chunk); },
    }));
    const hashing = new HashingStream();
    const out = (await compressed(tar, opts.compression)).pipe(hashing);
    let offset = 0;
    for await (const chunk of chunks(out, CHUNK)) {
      opts.signal.throwIfAborted();
      const res = await this.client.request('PATCH', at, {
        scopes, body: () => chunk as unknown as BodyInit,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(chunk.length), 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
      });
      await this.expect(res, [202, 204], `uploading a layer of ${t.familiar}`);
      at = this.location(res);
      await res.body?.cancel().catch(() => undefined);
      offset += chunk.length;
    }
    const digest = hashing.digest();
    const res = await this.client.request('PUT', withDigest(at, digest), { scopes, headers: { 'Content-Length': '0' } });
    await this.expect(res, [201, 204], `closing the upload of ${digest}`);
    await res.body?.cancel().catch(() => undefined);
    const mediaType = opts.compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.dockerLayerGzip;
    return { mediaType, digest, size: hashing.size };
  }
}

/** An upload location with `digest=` added to its query. */
function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Docker's layer media types as an OCI manifest names the same bytes. */
function ociType(mediaType: string): string {
  if (mediaType === MediaType.dockerLayerGzip) return MediaType.ociLayerGzip;
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return MediaType.ociLayer;
  return mediaType;
}

/** A stream cut into buffers of `size` bytes (the last one shorter); nothing for an empty stream. */
async function* chunks(input: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const c of input as AsyncIterable<Buffer>) {
    parts.push(c);
    held += c.length;
    while (held >= size) {
      const all = Buffer.concat(parts);
      yield all.subarray(0, size);
      parts = [all.subarray(size)];
      held -= size;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}
