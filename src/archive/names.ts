/**
 * File names are bytes. A tar entry or a directory entry may hold any bytes but '/' and NUL, and two names
 * that differ only in bytes that are not UTF-8 (`a\xff`, `a\xfe`) are two files. strata keeps names as JS
 * strings, so that paths join, sort and print as text, and makes the mapping lossless the way Python's
 * `surrogateescape` does: valid UTF-8 decodes as usual, and each byte of an invalid sequence becomes the
 * lone surrogate U+DC80 + (byte - 0x80), which no valid UTF-8 can produce. `encodeName` gives the bytes back.
 *
 * Every filesystem call on a path that came from a tar or a directory listing goes through `fsPath`, and
 * every listing through `readNames`; names printed to a user go out through `encodeName`.
 */
import { readdirSync } from 'node:fs';

const ESCAPE_BASE = 0xdc00;

/**
 * node:buffer's isUtf8, loaded at the first name decoded: every command that opens a store loads this module
 * (through the sweep's removeTree), and loading node:buffer costs it about 0.2 ms (bench/RESULTS.md).
 */
let utf8Check: ((b: Uint8Array) => boolean) | undefined;
const isUtf8 = (b: Uint8Array): boolean => (utf8Check ??= (require('node:buffer') as typeof import('node:buffer')).isUtf8)(b);
/** Whether the code unit at s[i] is an escaped byte: a low surrogate in U+DC80..U+DCFF that is not the second half of a pair. */
function escapedByteAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xdc80 || c > 0xdcff) return false;
  const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
  return prev < 0xd800 || prev > 0xdbff;
}

/** Code units that may be escaped bytes: one native scan rules them out for nearly every path (fsPath's every call). */
const MAYBE_ESCAPED = /[\uDC80-\uDCFF]/;

/** Whether `name` holds an escaped byte. */
function hasEscapedByte(name: string): boolean {
  if (!MAYBE_ESCAPED.test(name)) return false;
  for (let i = 0; i < name.length; i++) if (escapedByteAt(name, i)) return true;
  return false;
}

/** The name the bytes spell, with the bytes that are not UTF-8 escaped. */
export function decodeName(bytes: Uint8Array): string {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(b)) return b.toString('utf8');
  let out = '';
  let start = 0; // start of the run of valid UTF-8 not yet copied to `out`
  for (let i = 0; i < b.length; ) {
    const n = validSequenceLength(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += b.toString('utf8', start, i) + String.fromCharCode(ESCAPE_BASE + b[i]!);
    start = ++i;
  }
  return out + b.toString('utf8', start);
}

/** The bytes of a name made by `decodeName` (or any string without escaped bytes: its UTF-8). */
export function encodeName(name: string): Buffer {
  if (!hasEscapedByte(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    if (!escapedByteAt(name, i)) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.of(name.charCodeAt(i) - ESCAPE_BASE));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Paths joined with `/`, for names as this module keeps them. node:path's join is not used on them: Bun's
 * turns an escaped byte into U+FFFD. The parts are already clean (from a directory listing or
 * archive/paths.ts's cleanEntryPath), so joining is concatenation; a part's leading `/` is dropped.
 */
export function joinNames(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    let start = 0;
    while (start < part.length && part.charCodeAt(start) === 0x2f) start++;
    if (start === part.length) {
      if (out === '') out = part; // the root itself
      continue;
    }
    const rest = start ? part.slice(start) : part;
    out = out === '' ? part : out.endsWith('/') ? out + rest : `${out}/${rest}`;
  }
  return out;
}

/** A path for a `node:fs` call: the string itself when it is plain text, else its bytes. */
export const fsPath = (path: string): string | Buffer => (hasEscapedByte(path) ? encodeName(path) : path);

/**
 * Names (or paths) in the order of their bytes, as Go and tar tools sort them. JS's own `<` compares
 * UTF-16 code units, which agrees with byte order only below U+D800: past that, escaped bytes (lone
 * surrogates), characters above U+FFFF (surrogate pairs) and U+E000..U+FFFF sort differently.
 */
export function compareNames(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const ca = i < a.length ? a.charCodeAt(i) : -1;
  const cb = i < b.length ? b.charCodeAt(i) : -1;
  if (ca < 0xd800 && cb < 0xd800) return ca - cb; // -1: the shorter is a prefix of the longer, so it comes first
  return Buffer.compare(encodeName(a), encodeName(b));
}

/** The names in a directory, decoded as `decodeName` does (readdirSync's own decoding loses bytes). */
export function readNames(dir: string): string[] {
  return readdirSync(fsPath(dir), { encoding: 'buffer' }).map(decodeName);
}

/** Length of the valid UTF-8 sequence at b[i] (shortest form, no surrogates, ≤ U+10FFFF), or 0. */
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // a surrogate
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // above U+10FFFF
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
