/**
 * The worker thread of unpackOnThread (unpack.ts): the compressed bytes the parent sends are hashed,
 * written to the blob's file and (when the job says so) decompressed, hashed again and sent back.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Transform } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { decompressed } from '../archive/compression.js';
import { portReadable } from '../archive/thread.js';
import { PortSender } from '../archive/threadport.js';
import type { UnpackJob, UnpackResult } from './unpack.js';

const job = workerData as UnpackJob;
const out = new PortSender(parentPort!);

async function run(): Promise<void> {
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let size = 0;
  const fd = job.blobFd;
  const input = portReadable(job.input, { stop: async () => job.input.close() });
  const tee = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, done) {
      blobHash.update(chunk);
      size += chunk.length;
      if (fd !== undefined) for (let w = 0; w < chunk.length; ) w += writeSync(fd, chunk, w, chunk.length - w);
      done(null, chunk);
    },
  });
  input.on('error', (e) => tee.destroy(e));
  const passed = input.pipe(tee);
  if (job.unpack) {
    for await (const chunk of (await decompressed(passed)) as AsyncIterable<Buffer>) {
      tarHash.update(chunk);
      const sent = out.write(chunk);
      if (sent) await sent;
    }
  } else for await (const _ of passed) { /* hashed and written on the way through */ }
  await out.end({ digest: `sha256:${blobHash.digest('hex')}`, size, diffID: `sha256:${tarHash.digest('hex')}` } satisfies UnpackResult);
}

run().catch((e: NodeJS.ErrnoException) => out.fail(e));
