/** Reading tars in tests as the store's own reader parses headers (pax included), names kept as bytes. */
import { applyPax, BLOCK, padding, parseHeader, parsePax, TYPE } from '../../src/archive/tarformat.js';

/**
 * Entries in order: names without a directory's trailing slash (a name that is not UTF-8 keeps its
 * bytes as names.ts does), bodies as they are.
 */
export function tarEntries(tar: Buffer): { name: string; body: Buffer }[] {
  const entries: { name: string; body: Buffer }[] = [];
  let pax: Map<string, Buffer> | null = null;
  for (let off = 0; off + BLOCK <= tar.length && tar[off] !== 0;) {
    const h = parseHeader(tar, off);
    const body = tar.subarray(off + BLOCK, off + BLOCK + h.size);
    off += BLOCK + h.size + padding(h.size);
    if (h.type === TYPE.pax) {
      pax = parsePax(body);
      continue;
    }
    if (pax) applyPax(h, pax);
    pax = null;
    entries.push({ name: h.name.replace(/\/$/, ''), body });
  }
  return entries;
}

export const tarNames = (tar: Buffer): string[] => tarEntries(tar).map((e) => e.name);
