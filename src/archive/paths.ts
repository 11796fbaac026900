/** Entry names made safe: cleaned as Go's filepath.Clean does, and refused when they leave the root. */
import { lstatSync, mkdirSync } from 'node:fs';
import { fsPath, joinNames } from './names.js';

export class BreakoutError extends Error {}

/**
 * "./a//b/../c/" → "a/c"; "/etc/x" → "etc/x" (absolute names are read as relative, as Docker does);
 * "../x" and "/../x" → error. Returns "" for the root itself.
 *
 * Docker's filepath.Clean turns "/../x" into "/x" and accepts it; no tool writes such a name, so strata
 * refuses it like any other ".." that climbs above the root.
 */
export function cleanEntryPath(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new BreakoutError(`${JSON.stringify(name)} is outside of the layer root`);
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/**
 * Keeps track of directories under the root known to be real directories (not symlinks), so that every
 * entry's parent chain is checked once, and creates missing parents as Docker does (0755).
 */
export class SafeParents {
  private readonly known = new Set<string>(['']);

  constructor(private readonly root: string) {}

  /** Ensure every component of `dir` (relative) is a real directory, creating missing ones if `create`. */
  ensure(dir: string, forEntry: string, create = true): void {
    if (this.known.has(dir)) return;
    const parts = dir.split('/');
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (this.known.has(cur)) continue;
      const abs = joinNames(this.root, cur);
      let st;
      try {
        st = lstatSync(fsPath(abs));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw e;
        mkdirSync(fsPath(abs), 0o755);
        this.known.add(cur);
        continue;
      }
      if (st.isSymbolicLink()) throw new BreakoutError(`${JSON.stringify(forEntry)}: parent ${JSON.stringify(cur)} is a symlink; refusing to write through it (it could lead outside the layer root)`);
      if (!st.isDirectory()) throw new Error(`${JSON.stringify(forEntry)}: parent ${JSON.stringify(cur)} is not a directory`);
      this.known.add(cur);
    }
  }

  markDir(path: string): void {
    this.known.add(path);
  }

  /** `path` was replaced by something else: it and everything known below it must be checked again. */
  forget(path: string): void {
    this.known.delete(path);
    const prefix = path + '/';
    for (const k of this.known) if (k.startsWith(prefix)) this.known.delete(k);
  }
}
