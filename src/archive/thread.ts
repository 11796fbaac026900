/**
 * Byte streams that a worker thread produces while this thread consumes them: a commit's changeset tar
 * (archive/tarworker.ts), so it reads the container's files and writes the new layer's files at the same
 * time, on two cores, as Docker does with its separate untar process; and a pull's decompressed layer
 * (registry/unpackworker.ts). The worker runs at most CREDITS batches ahead of what the stream's reader
 * has taken (threadport.ts is the worker's side).
 */
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';

/** A worker, or one end of a MessageChannel: where the bytes come from and the credit goes. */
export interface BytePort {
  postMessage(m: unknown): void;
  on(event: 'message', f: (m: unknown) => void): unknown;
}
import type { TarJob } from './types.js';

/** Batches the worker may send before this side asks for more. */
export const CREDITS = 4;

/**
 * What a worker posts besides its stream's bytes, which come as Uint8Arrays: the end (with what the worker
 * found out, e.g. digests), or an error.
 */
export type WorkerMessage =
  | { end: true; result?: unknown }
  | { error: { message: string; code?: string } }
  /** Anything else the job defines (an unpack worker's acknowledgements of its input). */
  | { other: unknown };

/** An Error from a worker's error message, with its code. */
export function workerError(e: { message: string; code?: string }): Error {
  return Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
}

/** A worker module of strata: beside this part's sources in tests, in Bun's embedded file system in the CLI's executable. */
export function workerUrl(part: string, name: string, here: string): URL {
  // scripts/build.sh builds each worker as an entry point of its own, at <part>/<name>.js beside the CLI's entry.
  return here.endsWith('.ts') ? new URL(`./${name}.ts`, here) : new URL(`./${part}/${name}.js`, here);
}

export interface ReadableHooks {
  /** Sees the end message's result before the stream ends, and may fail the stream instead. */
  onEnd?: (result: unknown) => Error | undefined;
  /** The job's own messages. */
  onOther?: (m: unknown) => void;
  /** The stream is destroyed, or has ended: stop the sender. */
  stop: () => Promise<unknown>;
}

/** The worker's bytes as a stream. */
export function workerReadable(worker: Worker, what: string, hooks: Omit<ReadableHooks, 'stop'> = {}): Readable {
  let stopped = false;
  const out = portReadable(worker, { ...hooks, stop: () => { stopped = true; return worker.terminate(); } });
  worker.on('error', (e) => out.destroy(e));
  worker.on('exit', (code) => {
    if (!stopped && !out.destroyed) out.destroy(new Error(`the ${what} thread stopped (exit code ${code})`));
  });
  return out;
}

/** The bytes a PortSender (threadport.ts) sends through `port`, as a stream. */
export function portReadable(port: BytePort, hooks: ReadableHooks): Readable {
  let owed = 0;
  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (owed > 0) port.postMessage(owed);
      owed = 0;
    },
    destroy(err, done) {
      void hooks.stop().then(() => done(err), () => done(err));
    },
  });
  port.on('message', (msg) => {
    const m = msg as Uint8Array | WorkerMessage;
    if (m instanceof Uint8Array) {
      if (out.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength))) port.postMessage(1);
      else owed++;
    } else if ('end' in m) {
      const failed = hooks.onEnd?.(m.result);
      if (failed) out.destroy(failed);
      else out.push(null);
      void hooks.stop();
    } else if ('other' in m) {
      hooks.onOther?.(m.other);
    } else {
      out.destroy(workerError(m.error));
    }
  });
  return out;
}

const TAR_WORKER = workerUrl('archive', 'tarworker', import.meta.url);

export function tarOnThread(job: TarJob): Readable {
  // worker_threads is loaded here, not at start: it costs milliseconds every other command would pay.
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  return workerReadable(new Worker(TAR_WORKER, { workerData: job }), 'tar writer');
}
