/** Hand-made tar archives for hostile-input tests: no tar tool would write these names. */
export interface RawEntry {
  /** A Buffer for a name that is not UTF-8. */
  name: string | Buffer;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, '6' FIFO; 'x' a pax header and 'L' a GNU long name, whose body is the record. */
  type?: '0' | '1' | '2' | '5' | '6' | 'x' | 'L';
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

function header(e: RawEntry): Buffer {
  const h = Buffer.alloc(512);
  const body = Buffer.from(e.body ?? '');
  if (typeof e.name === 'string') h.write(e.name, 0, 100, 'utf8');
  else e.name.copy(h, 0, 0, 100);
  h.write(((e.mode ?? (e.type === '5' ? 0o755 : 0o644)).toString(8)).padStart(7, '0') + '\0', 100);
  h.write((e.uid ?? 0).toString(8).padStart(7, '0') + '\0', 108);
  h.write((e.gid ?? 0).toString(8).padStart(7, '0') + '\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14000000000\0', 136);
  h.write('        ', 148);
  h.write(e.type ?? '0', 156);
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'binary');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** One pax record ("<len> <key>=<value>\n"), for the body of a 'x' entry. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

export function buildTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    const body = Buffer.from(e.body ?? '');
    if (body.length) parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
