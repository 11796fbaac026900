/**
 * Writing an archive as a stream: small entries from memory, each layer tar read from the store only when
 * its turn comes, so neither the archive nor a layer is ever held whole in memory or on disk.
 *
 * Headers are written as Docker's archive package writes them (Go's tar writer, ustar): the mode with its
 * file-type bits (0100644, 0040755, 0120777), owner root:root by number and by name, a directory's name
 * ending in `/`, whole seconds. A size too large for ustar's field goes in a pax record, as Go does.
 */
import { Readable } from 'node:stream';
import type { ArchiveEntry, LayerOpener } from './model.js';

const BLOCK = 512;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** The largest size ustar's 11 octal digits hold. */
const USTAR_MAX_SIZE = 0o77777777777;

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/** A numeric field as Go writes it: zero-padded octal, then NUL; 0 when it does not fit (a pax record holds it). */
function octal(b: Buffer, off: number, len: number, v: number): void {
  const s = Math.trunc(v).toString(8);
  b.write((s.length < len ? s : '0').padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

interface Header { name: string; mode: number; size: number; mtime: Date; type: '0' | '2' | '5' | 'x'; linkname?: string }

function headerBlock(h: Header): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size > USTAR_MAX_SIZE ? 0 : h.size);
  octal(b, 136, 12, Math.max(0, Math.floor(h.mtime.getTime() / 1000)));
  b.write(h.type, 156, 1, 'latin1');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  if (h.type !== 'x') {
    b.write('root', 265, 32, 'latin1');
    b.write('root', 297, 32, 'latin1');
  }
  octal(b, 329, 8, 0);
  octal(b, 337, 8, 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** The header blocks of an entry: a pax header before it when its size does not fit ustar. */
function header(h: Header): Buffer {
  if (h.size <= USTAR_MAX_SIZE) return headerBlock(h);
  const body = ` size=${h.size}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  const record = Buffer.from(`${len}${body}`);
  const slash = h.name.lastIndexOf('/');
  const paxName = `${h.name.slice(0, slash + 1)}PaxHeaders.0/${h.name.slice(slash + 1)}`;
  const pax = headerBlock({ name: paxName, mode: 0, size: record.length, mtime: new Date(0), type: 'x' });
  return Buffer.concat([pax, record, Buffer.alloc(padding(record.length)), headerBlock(h)]);
}

async function* chunks(entries: ArchiveEntry[], open: LayerOpener): AsyncGenerator<Buffer> {
  for (const e of entries) {
    if (e.kind === 'dir') yield header({ name: e.name + '/', mode: S_IFDIR | 0o755, size: 0, mtime: e.mtime, type: '5' });
    else if (e.kind === 'symlink') yield header({ name: e.name, mode: S_IFLNK | 0o777, size: 0, mtime: e.mtime, type: '2', linkname: e.target });
    else if (e.kind === 'bytes') {
      yield header({ name: e.name, mode: S_IFREG | 0o644, size: e.data.length, mtime: e.mtime, type: '0' });
      yield Buffer.concat([e.data, Buffer.alloc(padding(e.data.length))]);
    } else {
      const size = e.layer.tarSize;
      yield header({ name: e.name, mode: S_IFREG | 0o644, size, mtime: e.mtime, type: '0' });
      yield* layerBytes(open, e.layer, size, e.name);
      yield Buffer.alloc(padding(size));
    }
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** A layer's tar, which must be exactly the size its header gave. */
async function* layerBytes(open: LayerOpener, layer: Parameters<LayerOpener>[0], size: number, name: string): AsyncGenerator<Buffer> {
  const source = open(layer);
  let seen = 0;
  try {
    for await (const chunk of source) {
      seen += (chunk as Buffer).length;
      if (seen > size) throw new Error(`more than the ${size} bytes recorded`);
      yield chunk as Buffer;
    }
    if (seen !== size) throw new Error(`${seen} bytes where ${size} were recorded`);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  } finally {
    source.destroy();
  }
}

export function writeArchive(entries: ArchiveEntry[], open: LayerOpener): Readable {
  return Readable.from(chunks(entries, open), { objectMode: false });
}
