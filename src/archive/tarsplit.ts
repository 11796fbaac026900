/**
 * tar-split records: everything of a layer tar except the contents of its regular files (headers,
 * padding, trailer, about 1% of the tar), plus for each file its path and size. With the layer's
 * directory this gives back the exact tar bytes, so save and push send the bytes whose sha256 is the
 * diffID, without keeping a second copy of the layer.
 *
 * Format: a sequence of segments. 0x01 u32le length, raw bytes | 0x02 u16le length, path (utf8), f64le size.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const RAW = 1;
const FILE = 2;
const CHUNK = 1 << 20;

export class TarSplitWriter {
  private readonly segments: Buffer[] = [];
  private raw: Buffer[] = [];

  /** Bytes kept as they are (headers, padding, trailer, non-file payloads). Copied: chunks are reused. */
  addRaw(bytes: Buffer): void {
    if (bytes.length) this.raw.push(Buffer.from(bytes));
  }

  /** A regular file's content, to be read back from `path` (relative to the layer directory). */
  addFile(path: string, size: number): void {
    this.flushRaw();
    const p = Buffer.from(path);
    const head = Buffer.alloc(3);
    head[0] = FILE;
    head.writeUInt16LE(p.length, 1);
    const sz = Buffer.alloc(8);
    sz.writeDoubleLE(size);
    this.segments.push(head, p, sz);
  }

  private flushRaw(): void {
    if (this.raw.length === 0) return;
    const data = Buffer.concat(this.raw);
    this.raw = [];
    const head = Buffer.alloc(5);
    head[0] = RAW;
    head.writeUInt32LE(data.length, 1);
    this.segments.push(head, data);
  }

  save(path: string): void {
    this.flushRaw();
    writeFileSync(path, Buffer.concat(this.segments));
  }
}

function* segments(record: Buffer): Generator<{ raw: Buffer } | { path: string; size: number }> {
  let pos = 0;
  while (pos < record.length) {
    const kind = record[pos];
    if (kind === RAW) {
      const len = record.readUInt32LE(pos + 1);
      yield { raw: record.subarray(pos + 5, pos + 5 + len) };
      pos += 5 + len;
    } else if (kind === FILE) {
      const len = record.readUInt16LE(pos + 1);
      const path = record.toString('utf8', pos + 3, pos + 3 + len);
      yield { path, size: record.readDoubleLE(pos + 3 + len) };
      pos += 3 + len + 8;
    } else throw new Error(`corrupt tar-split record at byte ${pos}`);
  }
}

async function* reassemble(dir: string, recordPath: string): AsyncGenerator<Buffer> {
  const record = readFileSync(recordPath);
  for (const seg of segments(record)) {
    if ('raw' in seg) {
      yield seg.raw;
      continue;
    }
    const fd = openSync(join(dir, seg.path), 'r');
    try {
      for (let left = seg.size; left > 0; ) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) throw new Error(`layer file ${seg.path} is shorter than when it was written: the layer is damaged`);
        left -= n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** The exact bytes of a layer tar applied with applyLayer. */
export function layerTar(dir: string, tarSplitPath: string): Readable {
  return Readable.from(reassemble(dir, tarSplitPath), { objectMode: false });
}
