/**
 * Compression of a layer being pushed for the first time. gzip runs pigz-style: the tar is cut into blocks
 * that worker threads (gzipworker.ts, one per core) compress at the same time, written in order as
 * consecutive gzip members, which every gzip reader (Go's, zlib's) reads as one stream. zstd is node:zlib's
 * (Bun has it).
 */
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { ZstdZlib } from '../archive/compression.js';
import { workerUrl } from '../archive/thread.js';
import type { GzipDone, GzipTask } from './gzipworker.js';

export type Compression = 'gzip' | 'zstd';

/** The tar bytes of one gzip member: large enough that a member's header and lost history cost nothing measurable. */
const BLOCK = 4 << 20;

const GZIP_WORKER = workerUrl('registry', 'gzipworker', import.meta.url);

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
  const pool = new GzipPool(workers);
  const out = Readable.from(members(input, pool), { objectMode: false });
  out.once('close', () => pool.close());
  return out;
}

/** Worker threads that gzip one block each at a time; blocks wait in order for the next free one. */
class GzipPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: GzipTask[] = [];
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(readonly size: number) {
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    for (let i = 0; i < size; i++) {
      const w = new Worker(GZIP_WORKER);
      w.on('message', ({ id, member }: GzipDone) => {
        this.pending.get(id)?.resolve(Buffer.from(member.buffer, member.byteOffset, member.byteLength));
        this.pending.delete(id);
        this.give(w);
      });
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => { if (this.pending.size) this.failAll(new Error(`a gzip thread stopped (exit code ${code})`)); });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** `block` is moved to the worker: the caller must not use it again. */
  gzip(block: Buffer): Promise<Buffer> {
    const id = this.next++;
    const p = new Promise<Buffer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, block });
    const w = this.idle.pop();
    if (w) this.give(w);
    return p;
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  private give(w: Worker): void {
    const task = this.queue.shift();
    if (!task) {
      this.idle.push(w);
      return;
    }
    w.postMessage(task, [task.block.buffer as ArrayBuffer]);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** The input cut into BLOCK-byte blocks, each a buffer of its own, compressed `2 × pool size` at a time, in order. */
async function* members(input: Readable, pool: GzipPool): AsyncGenerator<Buffer> {
  const inFlight: Promise<Buffer>[] = [];
  let block = Buffer.allocUnsafeSlow(BLOCK);
  let used = 0;
  let blocks = 0;
  const start = (b: Buffer): void => {
    const p = pool.gzip(b);
    p.catch(() => undefined); // awaited in order below
    inFlight.push(p);
    blocks++;
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    for (let off = 0; off < chunk.length; ) {
      const n = chunk.copy(block, used, off);
      off += n;
      used += n;
      if (used === BLOCK) {
        start(block);
        block = Buffer.allocUnsafeSlow(BLOCK);
        used = 0;
        if (inFlight.length >= 2 * pool.size) yield await inFlight.shift()!;
      }
    }
  }
  if (used > 0 || blocks === 0) start(Buffer.from(block.subarray(0, used)));
  while (inFlight.length) yield await inFlight.shift()!;
}
