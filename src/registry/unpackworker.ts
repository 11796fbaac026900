/**
 * The worker thread of unpackOnThread (unpack.ts): the compressed bytes the parent sends are hashed,
 * written to the blob's file and (when the job says so) decompressed, hashed again and sent back.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Transform } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { decompressed, handsOffChunks } from '../archive/compression.js';
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
    const tar = await decompressed(passed);
    // gzip's output buffers go to the parent as they are: a copy of the whole tar, and the fresh pages a
    // second set of buffers faults in, were a tenth of this thread's work. Read as 'data' events, each
    // chunk as the stream pushed it (an async iterator would join buffered chunks into a new buffer).
    const moved = handsOffChunks(tar);
    /** The last chunk's sending, when it waits for credit (the stream may end meanwhile). */
    let sending: Promise<void> | undefined;
    await new Promise<void>((resolve, reject) => {
      tar.on('data', (chunk: Buffer) => {
        tarHash.update(chunk);
        sending = moved ? out.hand(chunk) : out.write(chunk);
        if (!sending) return;
        tar.pause();
        sending.then(() => tar.resume(), (e: Error) => tar.destroy(e));
      });
      tar.once('end', resolve);
      tar.once('error', reject);
    });
    await sending;
  } else for await (const _ of passed) { /* hashed and written on the way through */ }
  await out.end({ digest: `sha256:${blobHash.digest('hex')}`, size, diffID: `sha256:${tarHash.digest('hex')}` } satisfies UnpackResult);
}

run().catch((e: NodeJS.ErrnoException) => out.fail(e));
