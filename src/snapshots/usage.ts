/** Bytes as `docker ps -s` counts them: apparent sizes of non-directories, each hard-linked inode once. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function filesSize(paths: Iterable<string>): number {
  const seen = new Set<string>();
  let total = 0;
  for (const p of paths) {
    const st = lstatSync(p);
    if (st.isDirectory()) continue;
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += st.size;
  }
  return total;
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    const p = join(dir, name);
    yield p;
    if (lstatSync(p).isDirectory()) yield* walk(p);
  }
}

export const treeSize = (root: string): number => filesSize(walk(root));
