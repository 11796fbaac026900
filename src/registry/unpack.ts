/**
 * A layer's compressed bytes handed to a worker thread (unpackworker.ts), which hashes them, writes them to
 * the blob's file, decompresses them and hashes the tar (the diffID), while this thread applies the tar it
 * sends back: the two halves of a pull's pipeline on two cores, as Docker's pull runs its untar in a
 * process of its own. Both directions carry 1 MiB batches that are moved, not copied, between the threads.
 */
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { DigestMismatchError } from '../content/errors.js';
import { workerReadable, workerUrl } from '../archive/thread.js';
import { PortSender } from '../archive/threadport.js';

export interface UnpackJob {
  /** The descriptor of the blob's new file, where the compressed bytes are written as they pass. */
  blobFd?: number;
  /** Decompress (gzip, zstd or none, told by the magic bytes) and send the tar back; otherwise nothing comes back. */
  unpack: boolean;
  /** Where the compressed bytes come from (a PortSender on this thread). */
  input: MessagePort;
}

/** What the worker found out, at the end: the compressed bytes' digest and size, and the tar's digest. */
export interface UnpackResult { digest: string; size: number; diffID: string }

export interface Unpacking {
  /** The tar (nothing, unless the job unpacks); it fails instead of ending when `check` finds the compressed bytes wrong. */
  tar: Readable;
  /** Once `tar` has ended. */
  result(): UnpackResult;
}

const UNPACK_WORKER = workerUrl('registry', 'unpackworker', import.meta.url);

/**
 * Unpack `input` on a worker thread, writing its bytes to `blobFile` (a new file) when given. More than
 * `maxBytes` of input fails the tar at once. `handOff`: the input's chunks are the caller's to give away
 * (blobStream's: each fetched chunk is a buffer of its own that nothing else keeps), so a chunk that is a
 * whole buffer moves to the worker instead of being copied; the worker's digest check covers the bytes either way.
 */
export function unpackOnThread(input: Readable, opts: {
  blobFile?: string; unpack: boolean; maxBytes?: number; handOff?: boolean; check?: (r: UnpackResult) => Error | undefined;
}): Unpacking {
  const { Worker, MessageChannel } = require('node:worker_threads') as typeof import('node:worker_threads');
  const channel = new MessageChannel();
  // Opened here, and closed when the worker has gone, so a worker stopped midway leaks no descriptor.
  const blobFd = opts.blobFile ? openSync(opts.blobFile, 'wx', 0o600) : undefined;
  const job: UnpackJob = { blobFd, unpack: opts.unpack, input: channel.port2 };
  const worker = new Worker(UNPACK_WORKER, { workerData: job, transferList: [channel.port2] as never });
  const sender = new PortSender(channel.port1);
  let result: UnpackResult | undefined;
  const tar = workerReadable(worker, 'unpacking', {
    onEnd: (r) => {
      result = r as UnpackResult;
      return opts.check?.(result);
    },
  });
  worker.on('exit', () => {
    if (blobFd !== undefined) closeSync(blobFd);
    sender.close();
    channel.port1.close();
  });
  void (async () => {
    let bytes = 0;
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (opts.maxBytes !== undefined && bytes > opts.maxBytes) throw new DigestMismatchError(`size mismatch: expected ${opts.maxBytes} bytes, got more`);
        const whole = opts.handOff === true && chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length;
        const sent = whole ? sender.hand(chunk) : sender.write(chunk);
        if (sent) await sent;
      }
      await sender.end();
    } catch (e) {
      input.destroy();
      tar.destroy(e as Error);
    }
  })();
  return {
    tar,
    result: () => {
      if (!result) throw new Error('the unpacked tar has not ended');
      return result;
    },
  };
}
