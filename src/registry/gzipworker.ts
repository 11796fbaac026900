/**
 * A worker thread of compress.ts's pool: each block it is given comes back as one whole gzip member.
 * Node's zlib API, synchronously: this thread has nothing else to do, and Bun runs the asynchronous
 * calls of many blocks with little parallelism.
 */
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

/** A block to compress, and the member made of it. */
export interface GzipTask { id: number; block: Uint8Array }
export interface GzipDone { id: number; member: Uint8Array }

const port = parentPort!;
port.on('message', ({ id, block }: GzipTask) => {
  let member = gzipSync(block);
  // Moved, not copied, back to the parent: a buffer of the member's own.
  if (member.byteOffset !== 0 || member.byteLength !== member.buffer.byteLength) member = Buffer.from(member);
  port.postMessage({ id, member } satisfies GzipDone, [member.buffer as ArrayBuffer]);
});
