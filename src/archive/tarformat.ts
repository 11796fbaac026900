/**
 * The tar header format (POSIX ustar with pax extended headers, and GNU long names on read), shared by
 * the reader in apply.ts and the writer in write.ts.
 */
import { decodeName, encodeName } from './names.js';

export const BLOCK = 512;

export const TYPE = {
  file: '0', oldFile: '\0', contiguous: '7', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
  pax: 'x', paxGlobal: 'g', gnuLongName: 'L', gnuLongLink: 'K', gnuSparse: 'S',
} as const;

/** The fields strata reads from or writes to a header (after pax/GNU overrides are merged in). */
export interface TarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; fractional when a pax header gave it. */
  mtime: number;
  type: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

export const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

export function isZeroBlock(b: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function cstring(b: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return b.toString('latin1', off, end);
}

/** A name field: its bytes up to the first NUL, decoded losslessly (names are bytes). */
function nameField(b: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return decodeName(b.subarray(off, end));
}

/** Octal (NUL/space terminated) or GNU base-256 (high bit set) numeric field. */
function numeric(b: Buffer, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let v = b[off]! & 0x7f;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  // The common field, octal digits up to a NUL or the field's end, read from the bytes (seven fields of each
  // of a layer's thousands of headers); anything else (spaces, an empty field, a bad digit) as below.
  let v = 0;
  let i = off;
  for (; i < off + len && b[i] !== 0; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 7) break;
    v = v * 8 + d;
  }
  if (i > off && (i === off + len || b[i] === 0)) return v;
  const s = cstring(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`invalid numeric field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

export function checksumOk(b: Buffer, off: number): boolean {
  // The sum of the block's bytes with the checksum field's eight counted as spaces, unsigned and signed (old
  // tools summed signed chars): the signed sum is the unsigned one less 256 for each byte above 127.
  let unsigned = 0;
  let high = 0;
  for (let i = off; i < off + BLOCK; i++) {
    const c = b[i]!;
    unsigned += c;
    high += c >> 7;
  }
  for (let i = off + 148; i < off + 156; i++) {
    const c = b[i]!;
    unsigned += 0x20 - c;
    high -= c >> 7;
  }
  const signed = unsigned - 256 * high;
  let stored: number;
  try {
    stored = numeric(b, off + 148, 8);
  } catch {
    return false;
  }
  return stored === unsigned || stored === signed;
}

/** The raw header at b[off..off+512], before pax or GNU long-name records are applied. */
export function parseHeader(b: Buffer, off: number): TarHeader {
  const magic = b.toString('latin1', off + 257, off + 263);
  const ustar = magic === 'ustar\0' || magic === 'ustar ';
  const prefix = ustar && magic === 'ustar\0' ? nameField(b, off + 345, 155) : '';
  const name = nameField(b, off, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: numeric(b, off + 100, 8),
    uid: numeric(b, off + 108, 8),
    gid: numeric(b, off + 116, 8),
    size: numeric(b, off + 124, 12),
    mtime: numeric(b, off + 136, 12),
    type: String.fromCharCode(b[off + 156]!),
    linkname: nameField(b, off + 157, 100),
    devmajor: ustar ? numeric(b, off + 329, 8) : 0,
    devminor: ustar ? numeric(b, off + 337, 8) : 0,
    xattrs: new Map(),
  };
}

/** Pax records: "<len> <key>=<value>\n"; values stay bytes (xattr values are binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', pos, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) throw new Error('invalid pax header record');
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new Error('invalid pax header record');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

/** Merge pax overrides into a header. */
export function applyPax(h: TarHeader, pax: Map<string, Buffer>): void {
  for (const [k, v] of pax) {
    const s = v.toString('utf8');
    switch (k) {
      case 'path': h.name = decodeName(v); break;
      case 'linkpath': h.linkname = decodeName(v); break;
      case 'uid': h.uid = Number(s); break;
      case 'gid': h.gid = Number(s); break;
      case 'size': h.size = Number(s); break;
      case 'mtime': h.mtime = Number(s); break;
      default:
        if (k.startsWith('SCHILY.xattr.')) h.xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    }
  }
}

// ---- writing

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function writeOctal(b: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1) return false;
  b.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1');
  return true;
}

/** `bytes` cut to at most `max` bytes without splitting a UTF-8 sequence (as Buffer.write does for text). */
function fitField(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function rawHeader(h: TarHeader, name: Buffer, linkname: Buffer): { block: Buffer; overflow: boolean } {
  const b = Buffer.alloc(BLOCK);
  fitField(name, 100).copy(b, 0);
  let overflow = false;
  writeOctal(b, 100, 8, h.mode & 0o7777);
  overflow = !writeOctal(b, 108, 8, h.uid) || overflow;
  overflow = !writeOctal(b, 116, 8, h.gid) || overflow;
  overflow = !writeOctal(b, 124, 12, h.size) || overflow;
  writeOctal(b, 136, 12, Math.max(0, h.mtime));
  b.write(h.type, 156, 1, 'latin1');
  fitField(linkname, 100).copy(b, 157);
  b.write('ustar\x0000', 257, 8, 'latin1');
  if (h.type === TYPE.char || h.type === TYPE.block) {
    writeOctal(b, 329, 8, h.devmajor);
    writeOctal(b, 337, 8, h.devminor);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return { block: b, overflow };
}

/** A name fits the ustar field as Go's writer decides: at most 100 bytes, printable ASCII only. */
const fitsUstar = (name: Buffer): boolean => name.length <= 100 && name.every((c) => c >= 0x20 && c <= 0x7e);

const EMPTY = Buffer.alloc(0);

/** Header blocks for an entry: a pax header first when a value does not fit ustar (as Go's writer does). */
export function encodeHeader(h: TarHeader): Buffer {
  const name = encodeName(h.name);
  const linkname = encodeName(h.linkname);
  const records: Buffer[] = [];
  if (!fitsUstar(name)) records.push(paxRecord('path', name));
  if (!fitsUstar(linkname)) records.push(paxRecord('linkpath', linkname));
  const { block, overflow } = rawHeader(h, fitsUstar(name) ? name : encodeName(h.name.slice(0, 99)), fitsUstar(linkname) ? linkname : EMPTY);
  if (overflow) {
    for (const k of ['uid', 'gid', 'size'] as const) if (h[k] >= 0o7777777) records.push(paxRecord(k, Buffer.from(String(h[k]))));
  }
  for (const [k, v] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : 1))) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  if (records.length === 0) return block;
  const data = Buffer.concat(records);
  const paxName = encodeName(`PaxHeaders.0/${h.name.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`);
  const paxHeader = rawHeader({ ...h, type: TYPE.pax, size: data.length, mode: 0o644, uid: 0, gid: 0, linkname: '', xattrs: new Map() },
    paxName, EMPTY).block;
  return Buffer.concat([paxHeader, data, Buffer.alloc(padding(data.length)), block]);
}
