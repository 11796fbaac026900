/**
 * Compression of a layer being pushed for the first time. gzip runs pigz-style: the tar is cut into blocks
 * compressed at the same time on zlib's thread pool and written in order as consecutive gzip members, which
 * every gzip reader (Go's, zlib's) reads as one stream. zstd is node:zlib's (Bun has it).
 */
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import type { ZstdZlib } from '../archive/compression.js';

export type Compression = 'gzip' | 'zstd';

const BLOCK = 4 << 20;

export async function compressed(input: Readable, kind: Compression): Promise<Readable> {
  const zlib = await import('node:zlib');
  if (kind === 'zstd') {
    const z = (zlib as unknown as ZstdZlib).createZstdCompress({ chunkSize: 1 << 20 });
    input.on('error', (e) => z.destroy(e));
    return input.pipe(z);
  }
  const workers = Math.max(1, Math.min(availableParallelism(), 8));
  if (workers === 1) {
    const gz = zlib.createGzip({ chunkSize: 1 << 20 });
    input.on('error', (e) => gz.destroy(e));
    return input.pipe(gz);
  }
  const gzip = (b: Buffer): Promise<Buffer> => new Promise((resolve, reject) => zlib.gzip(b, (e, out) => (e ? reject(e) : resolve(out))));
  return Readable.from(members(input, workers, gzip), { objectMode: false });
}

async function* members(input: Readable, workers: number, gzip: (b: Buffer) => Promise<Buffer>): AsyncGenerator<Buffer> {
  const inFlight: Promise<Buffer>[] = [];
  let parts: Buffer[] = [];
  let held = 0;
  let blocks = 0;
  const start = (block: Buffer): void => {
    const p = gzip(block);
    p.catch(() => undefined); // awaited in order below
    inFlight.push(p);
    blocks++;
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    parts.push(chunk);
    held += chunk.length;
    while (held >= BLOCK) {
      const all = Buffer.concat(parts);
      start(all.subarray(0, BLOCK));
      parts = [all.subarray(BLOCK)];
      held -= BLOCK;
      if (inFlight.length >= workers) yield await inFlight.shift()!;
    }
  }
  if (held > 0 || blocks === 0) start(Buffer.concat(parts));
  while (inFlight.length) yield await inFlight.shift()!;
}
