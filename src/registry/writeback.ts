/**
 * A pull's files written back to disk while it goes on. The image is recorded only after one syncfs of the
 * store's filesystem (a crash or power cut never leaves a recorded layer with files the disk lost); left to
 * the end, that syncfs waits for the whole layer's writes, hundreds of megabytes the kernel would otherwise
 * keep in memory (its background writeback starts at a tenth of RAM). So while the layers stream in, a
 * syncfs runs on a thread of the runtime's pool every STEP bytes, one at a time, and the disk writes what
 * is there while the pull writes more; the last one, before the record, finds little left.
 */
import { closeSync, openSync } from 'node:fs';
import { native } from '../native/index.js';

/** Bytes (as a pull counts them: compressed, downloaded) between two early syncfs calls. */
const STEP = 32 << 20;

export class Writeback {
  private readonly fd: number;
  private running: Promise<void> | null = null;
  private since = 0;
  /** An early syncfs's error: it is reported once per descriptor, so the final call would not see it again. */
  private failed: unknown = null;

  constructor(root: string) {
    this.fd = openSync(root, 'r');
  }

  /** `n` more bytes came in: start a syncfs when STEP have since the last and none is running. */
  wrote(n: number): void {
    this.since += n;
    if (this.since < STEP || this.running) return;
    this.since = 0;
    this.running = native.syncfsAsync(this.fd).catch((e: unknown) => { this.failed ??= e; }).finally(() => { this.running = null; });
  }

  /** Everything written so far is on disk (throws what any syncfs met). */
  async sync(): Promise<void> {
    await this.running;
    native.syncfs(this.fd);
    if (this.failed !== null) throw this.failed;
  }

  /** Once no syncfs runs any more (the descriptor is theirs until then). */
  async close(): Promise<void> {
    await this.running;
    closeSync(this.fd);
  }
}
