/** Layer streams may come gzip-compressed: sniff the magic bytes and decompress, or say what is unsupported. */
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { native } from '../native/index.js';

const MAGIC: [string, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
];

/** Read the first bytes without losing them: resolves with them and a stream that replays everything. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input.iterator({ destroyOnReturn: false })) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= n) break;
  }
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  for (const c of chunks) out.write(c);
  if (input.readableEnded) out.end();
  else {
    input.on('error', (e) => out.destroy(e));
    input.pipe(out);
  }
  return { head: Buffer.concat(chunks).subarray(0, n), stream: out };
}

/** node:zlib's zstd streams, which the installed Node.js typings predate. */
export interface ZstdZlib {
  createZstdDecompress(opts?: { chunkSize?: number }): import('node:stream').Transform;
  createZstdCompress(opts?: { chunkSize?: number }): import('node:stream').Transform;
}

/** Decompressed bytes come out in buffers of this size, each a buffer of its own. */
const OUTPUT_CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * gunzip with ISA-L's inflate (native/gunzip.c), synchronously on the calling thread: about half of
 * zlib's CPU, and no round trip to a thread pool for each chunk (a pull runs it on its unpack thread).
 */
class Gunzip extends Transform {
  private readonly state = native.gunzipNew();
  private out = Buffer.allocUnsafeSlow(OUTPUT_CHUNK);
  private used = 0;
  /** No member half-read: where the stream may end. */
  private between = true;

  constructor() {
    super({ highWaterMark: OUTPUT_CHUNK });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.inflate(chunk);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.inflate(EMPTY);
      if (!this.between) throw new Error('unexpected end of file');
      if (this.used > 0) this.push(this.out.subarray(0, this.used));
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  /** All of `input` in, and every output buffer that fills pushed on. */
  private inflate(input: Buffer): void {
    let off = 0;
    for (;;) {
      const [read, written, between] = native.gunzip(this.state, off === 0 ? input : input.subarray(off), this.out.subarray(this.used));
      off += read;
      this.used += written;
      this.between = between === 1;
      const full = this.used === this.out.length;
      if (full) {
        this.push(this.out);
        this.out = Buffer.allocUnsafeSlow(OUTPUT_CHUNK);
        this.used = 0;
      }
      // A full output may leave decompressed bytes held back: ask again, even with the input used up.
      if (off >= input.length && !full) return;
    }
  }
}

/**
 * Whether each chunk `stream` gives is a buffer of its own that the stream never touches again once it is
 * pushed (ours, the gzip one, allocates a new one for the next): such a chunk may be moved to another thread
 * instead of copied. zlib's and a pass-through's chunks may share memory, and are not.
 */
export const handsOffChunks = (stream: Readable): boolean => stream instanceof Gunzip;

export async function decompressed(input: Readable): Promise<Readable> {
  const { head, stream } = await peek(input, 6);
  const kind = MAGIC.find(([, m]) => m.every((b, i) => head[i] === b))?.[0];
  if (!kind) return stream;
  if (kind !== 'gzip' && kind !== 'zstd') {
    stream.destroy();
    throw new Error(`unsupported compression: ${kind} (strata reads plain, gzip and zstd tars)`);
  }
  // zlib loads here, not at start: it costs a few milliseconds that only import, load and pull need.
  // Bun's node:zlib has zstd (Node.js has it from 22.15 on), so zstd layers need no library of their own.
  const inflate = kind === 'gzip' ? new Gunzip() : ((await import('node:zlib')) as unknown as ZstdZlib).createZstdDecompress({ chunkSize: OUTPUT_CHUNK });
  stream.on('error', (e) => inflate.destroy(e));
  // Registered before the consumer's handlers, so every reader sees which stream was bad; an error of the
  // system's (a full disk downstream) passes through untouched: the stream was not at fault.
  inflate.once('error', (e: NodeJS.ErrnoException) => { if (!e.syscall) e.message = `invalid ${kind} stream: ${e.message}`; });
  return stream.pipe(inflate);
}
