/**
 * The worker thread of tarOnThread (thread.ts): writes the tar its job names and posts it in batches
 * of BATCH bytes, each in a buffer of its own that is transferred, not copied. It waits for credit
 * from the parent whenever CREDITS batches are unclaimed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CREDITS, type WorkerMessage } from './thread.js';
import type { TarJob } from './types.js';
import { changesChunks, overlayUpperChunks } from './write.js';

const BATCH = 1 << 20;

const port = parentPort!;
const job = workerData as TarJob;
let credits = CREDITS;
let wake: (() => void) | null = null;
port.on('message', (n: number) => {
  credits += n;
  wake?.();
});

async function send(batch: Buffer): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  credits--;
  port.postMessage(batch, [batch.buffer as ArrayBuffer]);
}

async function run(): Promise<void> {
  // The writer's chunks straight from its generator: a Readable in between costs this thread a tenth.
  const chunks = job.kind === 'overlay-upper' ? overlayUpperChunks(job.dir) : changesChunks(job.dir, job.changes);
  let batch = Buffer.allocUnsafeSlow(BATCH);
  let used = 0;
  for (const chunk of chunks) {
    for (let off = 0; off < chunk.length; ) {
      const n = chunk.copy(batch, used, off);
      off += n;
      used += n;
      if (used === BATCH) {
        await send(batch);
        batch = Buffer.allocUnsafeSlow(BATCH);
        used = 0;
      }
    }
  }
  if (used > 0) await send(batch.subarray(0, used));
  port.postMessage({ end: true } satisfies WorkerMessage);
}

run().catch((e: NodeJS.ErrnoException) => {
  port.postMessage({ error: { message: e.message, code: e.code } } satisfies WorkerMessage);
});
