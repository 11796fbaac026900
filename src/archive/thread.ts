/**
 * A changeset tar written on a worker thread (archive/tarworker.ts) while this thread consumes it:
 * a commit then reads the container's files and writes the new layer's files at the same time, on
 * two cores, as Docker does with its separate untar process. The worker runs at most CREDITS batches
 * ahead of what the stream's reader has taken.
 */
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { TarJob } from './types.js';

/** Batches (of tarworker's BATCH bytes) the worker may send before this side asks for more. */
export const CREDITS = 4;

/** What the worker posts besides the tar's bytes, which come as Uint8Arrays. */
export type WorkerMessage = { end: true } | { error: { message: string; code?: string } };

/**
 * The worker's module: tarworker.ts beside this one in the sources (Bun runs them as they are, in
 * tests); in the CLI's executable, which scripts/build.sh builds with it as a second entry point,
 * archive/tarworker.js beside the CLI's own entry in Bun's embedded file system.
 */
const WORKER = import.meta.url.endsWith('.ts') ? new URL('./tarworker.ts', import.meta.url) : new URL('./archive/tarworker.js', import.meta.url);

export function tarOnThread(job: TarJob): Readable {
  // worker_threads is loaded here, not at start: it costs milliseconds every other command would pay.
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const worker: Worker = new Worker(WORKER, { workerData: job });
  let owed = 0;
  let ended = false;
  const out = new Readable({
    read() {
      if (owed > 0) worker.postMessage(owed);
      owed = 0;
    },
    destroy(err, done) {
      void worker.terminate().then(() => done(err), () => done(err));
    },
  });
  worker.on('message', (m: Uint8Array | WorkerMessage) => {
    if (m instanceof Uint8Array) {
      if (out.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength))) worker.postMessage(1);
      else owed++;
    } else if ('end' in m) {
      ended = true;
      out.push(null);
      void worker.terminate();
    } else {
      out.destroy(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
    }
  });
  worker.on('error', (e) => out.destroy(e));
  worker.on('exit', (code) => {
    if (!ended && !out.destroyed) out.destroy(new Error(`the tar writer thread stopped (exit code ${code})`));
  });
  return out;
}
