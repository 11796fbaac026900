/** Layer streams may come gzip-compressed: sniff the magic bytes and decompress, or say what is unsupported. */
import { PassThrough, type Readable } from 'node:stream';

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

export async function decompressed(input: Readable): Promise<Readable> {
  const { head, stream } = await peek(input, 6);
  const kind = MAGIC.find(([, m]) => m.every((b, i) => head[i] === b))?.[0];
  if (!kind) return stream;
  if (kind !== 'gzip' && kind !== 'zstd') {
    stream.destroy();
    throw new Error(`unsupported compression: ${kind} (strata reads plain, gzip and zstd tars)`);
  }
  // zlib loads here, not at start: it costs a few milliseconds that only import, load and pull need.
  const zlib = await import('node:zlib');
  // Bun's node:zlib has zstd (Node.js has it from 22.15 on), so zstd layers need no library of their own.
  const inflate = kind === 'gzip' ? zlib.createGunzip({ chunkSize: 1 << 20 }) : (zlib as unknown as ZstdZlib).createZstdDecompress({ chunkSize: 1 << 20 });
  stream.on('error', (e) => inflate.destroy(e));
  // Registered before the consumer's handlers, so every reader sees which stream was bad; an error of the
  // system's (a full disk downstream) passes through untouched: the stream was not at fault.
  inflate.once('error', (e: NodeJS.ErrnoException) => { if (!e.syscall) e.message = `invalid ${kind} stream: ${e.message}`; });
  return stream.pipe(inflate);
}
