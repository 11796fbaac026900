/** Bytes as `docker ps -s` counts them: apparent sizes of non-directories, each hard-linked inode once. */
import { lstatSync } from 'node:fs';
import { fsPath, joinNames, readNames } from './names.js';

export function filesSize(paths: Iterable<string>): number {
  const seen = new Set<string>();
  let total = 0;
  for (const p of paths) {
    const st = lstatSync(fsPath(p));
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

/** Every path below `root` (none if it is missing); a stack of its own, so depth costs no call stack. */
function* walk(root: string): Generator<string> {
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    let names: string[];
    try {
      names = readNames(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const name of names) {
      const p = joinNames(dir, name);
      yield p;
      if (lstatSync(fsPath(p)).isDirectory()) dirs.push(p);
    }
  }
}

export const treeSize = (root: string): number => filesSize(walk(root));
