/** Bytes a directory tree holds: apparent sizes of its files, each hard-linked inode once (as `docker ps -s`). */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function treeSize(root: string): number {
  const seen = new Set<string>();
  let total = 0;
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        visit(p);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  visit(root);
  return total;
}
