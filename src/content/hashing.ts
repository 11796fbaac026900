/**
 * The one hashing stream: bytes pass through unchanged while their sha256 and count are kept, so a blob
 * or a layer is checked as it streams, never read twice. The content store's ingest and reads and a
 * load's archive entries all hash through it.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError } from './errors.js';

export { DigestMismatchError } from './errors.js';

export interface HashingOptions {
  /** Fail as soon as more than this many bytes arrive (a source sending more than it announced). */
  maxBytes?: number;
  /** Checked at the end, before the stream ends: an error fails the stream instead. */
  atEnd?: (digest: string, size: number) => Error | undefined;
}

export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private result: string | undefined;
  /** Bytes seen so far. */
  size = 0;

  constructor(private readonly opts: HashingOptions = {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.opts.maxBytes !== undefined && this.size > this.opts.maxBytes) {
      done(new DigestMismatchError(`size mismatch: expected ${this.opts.maxBytes} bytes, got more`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.opts.atEnd?.(this.digest(), this.size) ?? null);
  }

  /** `sha256:<hex>` of every byte that went through; call once they all have. */
  digest(): string {
    this.result ??= 'sha256:' + this.hash.digest('hex');
    return this.result;
  }
}

/** Read a stream to its end; the sha256 of its bytes. */
export async function digestOf(input: NodeJS.ReadableStream): Promise<string> {
  const hashing = new HashingStream();
  input.on('error', (e) => hashing.destroy(e));
  for await (const _ of input.pipe(hashing)) { /* hashed on the way through */ }
  return hashing.digest();
}
