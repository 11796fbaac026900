/**
 * The worker's side of thread.ts: bytes sent in batches of BATCH bytes, each in a buffer of its own that
 * is transferred, not copied (the producer's chunks may share memory it still writes to), and a wait for
 * credit from the parent whenever CREDITS batches are unclaimed.
 */
import type { MessagePort } from 'node:worker_threads';
import { CREDITS, type WorkerMessage } from './thread.js';

const BATCH = 1 << 20;

export class PortSender {
  private credits = CREDITS;
  private wake: (() => void) | null = null;
  private batch = Buffer.allocUnsafeSlow(BATCH);
  private used = 0;
  private closed = false;

  /** `onOther` gets the parent's messages that are not credit (numbers are). */
  constructor(private readonly port: MessagePort, onOther?: (m: unknown) => void) {
    port.on('message', (m: unknown) => {
      if (typeof m !== 'number') {
        onOther?.(m);
        return;
      }
      this.credits += m;
      this.wake?.();
    });
  }

  /**
   * Copy `chunk` into batches, sending each one that fills. A promise only when a batch went out (await it
   * before the next write): a producer of many small chunks pays no promise for each.
   */
  write(chunk: Buffer, from = 0): Promise<void> | undefined {
    for (let off = from; off < chunk.length; ) {
      const n = chunk.copy(this.batch, this.used, off);
      off += n;
      this.used += n;
      if (this.used === BATCH) {
        const full = this.batch;
        this.batch = Buffer.allocUnsafeSlow(BATCH);
        this.used = 0;
        return this.send(full).then(() => this.write(chunk, off));
      }
    }
    return undefined;
  }

  /**
   * Send `chunk` itself, its memory moved to the receiver, not copied: for a producer that gives each chunk
   * up once it is handed on (a whole buffer of its own, never written again; see compression.ts's
   * handsOffChunks). Whatever write() batched so far goes first, so the order holds. Await as write().
   */
  async hand(chunk: Buffer): Promise<void> {
    if (this.used > 0) {
      const partial = this.batch.subarray(0, this.used);
      this.batch = Buffer.allocUnsafeSlow(BATCH);
      this.used = 0;
      await this.send(partial);
    }
    await this.send(chunk);
  }

  /** Send what is left, then the end with `result`. */
  async end(result?: unknown): Promise<void> {
    if (this.used > 0) await this.send(this.batch.subarray(0, this.used));
    if (this.closed) throw new Error('the receiving side of the stream is gone');
    this.used = 0;
    this.port.postMessage({ end: true, result } satisfies WorkerMessage);
  }

  fail(e: NodeJS.ErrnoException): void {
    this.port.postMessage({ error: { message: e.message, code: e.code } } satisfies WorkerMessage);
  }

  /** A message of the job's own to the parent. */
  other(m: unknown): void {
    this.port.postMessage({ other: m } satisfies WorkerMessage);
  }

  /** The receiver is gone: a write waiting for credit fails, and nothing more is sent. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async send(batch: Buffer): Promise<void> {
    while (this.credits === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
    if (this.closed) throw new Error('the receiving side of the stream is gone');
    this.credits--;
    this.port.postMessage(batch, [batch.buffer as ArrayBuffer]);
  }
}
