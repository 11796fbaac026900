/**
 * Reading a blob from a registry as a stream that survives a dropped connection: the next request asks for
 * the rest with `Range: bytes=N-` (or skips what it has when the server ignores the range), a fixed number of
 * times with backoff.
 */
import { Readable } from 'node:stream';
import { errorText, isTransientNetworkError, RegistryError, retryDelay, TransientError, type RegistryClient } from './http.js';

export interface BlobSource {
  client: RegistryClient;
  /** Repository path in the registry ("library/busybox"). */
  path: string;
  digest: string;
  size: number;
  /** Called before each retry with the seconds it will wait; it does the waiting. */
  onRetry: (seconds: number, why: string) => Promise<void>;
}

/** The blob's bytes as they arrive; each chunk a buffer that is the stream's reader's alone (unpack.ts moves them to its worker). */
export function blobStream(src: BlobSource): Readable {
  return Readable.from(chunks(src), { objectMode: false, highWaterMark: 1 << 20 });
}

async function* chunks(src: BlobSource): AsyncGenerator<Buffer> {
  const { client, path, digest, size } = src;
  const url = client.url(`${path}/blobs/${digest}`);
  const scopes = [`repository:${path}:pull`];
  const attempts = client.opts.attempts ?? 5;
  let offset = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.request('GET', url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, scopes }, src.onRetry);
      if (res.status === 404) throw new RegistryError(`blob ${digest} not found in ${client.endpoint.host}/${path}: ${(await errorText(res)).text}`, 404);
      if (!res.ok) throw new RegistryError(`fetching blob ${digest}: ${(await errorText(res)).text}`, res.status);
      // A server that ignores Range sends everything again: skip what was already passed on.
      let skip = offset > 0 && res.status !== 206 ? offset : 0;
      for await (const raw of res.body as unknown as AsyncIterable<Uint8Array>) {
        let chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) continue;
        }
        offset += chunk.length;
        yield chunk;
      }
      if (offset >= size) return;
      throw new TransientError(`connection closed after ${offset} of ${size} bytes`);
    } catch (e) {
      const transient = e instanceof TransientError || (!(e instanceof RegistryError) && isTransientNetworkError(e));
      if (!transient || attempt >= attempts) {
        throw e instanceof RegistryError ? e : new RegistryError(`fetching blob ${digest}: ${(e as Error).message}`);
      }
      await src.onRetry(retryDelay(client.opts, attempt), (e as Error).message);
    }
  }
}
