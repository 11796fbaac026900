/**
 * What changed in a container's layer, as `docker diff` lists it: A (added), C (changed), D (deleted),
 * sorted by path. Both drivers give the same answer: every ancestor directory of a change is C.
 */
import { existsSync, lstatSync, readlinkSync, type Stats } from 'node:fs';
import { native } from '../native/index.js';
import { CAPABILITY_XATTR, isOpaque, isWhiteout, sameTime } from './fsmeta.js';
import { compareNames, fsPath, joinNames, readNames } from './names.js';
import type { Change, ChangeKind } from './types.js';

const lstatOrNull = (p: string): Stats | null => {
  try {
    return lstatSync(fsPath(p));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
};

/** Sorted change list with every ancestor directory of a change marked C (unless it is itself A). */
function withAncestors(direct: Map<string, ChangeKind>): Change[] {
  const all = new Map(direct);
  for (const path of direct.keys()) {
    for (let p = path.slice(0, path.lastIndexOf('/')); p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
      if (all.has(p)) break;
      all.set(p, 'C');
    }
  }
  return [...all].map(([path, kind]) => ({ path, kind })).sort((a, b) => compareNames(a.path, b.path));
}

/** The lower layers seen as one tree (newest first), honouring their own whiteouts and opaque dirs. */
class LowerView {
  constructor(private readonly lowers: string[]) {}

  /** The entry at `path` in the union of the lowers and where it is, or null if it is absent or whited out. */
  find(path: string): { st: Stats; abs: string } | null {
    for (const lower of this.lowers) {
      const abs = joinNames(lower, path);
      const st = lstatOrNull(abs);
      if (st) return isWhiteout(st) ? null : { st, abs };
      if (this.hiddenBelow(lower, path)) return null;
    }
    return null;
  }

  /** Names visible in the union of the lowers at directory `path`. */
  children(path: string): string[] {
    const seen = new Set<string>();
    const hidden = new Set<string>();
    for (const lower of this.lowers) {
      const dir = joinNames(lower, path);
      const st = lstatOrNull(dir);
      if (st?.isDirectory()) {
        for (const name of readNames(dir)) {
          if (seen.has(name) || hidden.has(name)) continue;
          if (isWhiteout(lstatSync(fsPath(joinNames(dir, name))))) hidden.add(name);
          else seen.add(name);
        }
        if (isOpaque(dir)) break;
      } else if (st || this.hiddenBelow(lower, path)) break;
    }
    return [...seen];
  }

  /** hiddenBelow's answers by lower and parent path: a lower that lacks a deep tree's top is asked once per level, not once per entry and level. */
  private readonly hidden = new Map<string, boolean>();

  /**
   * True if the nearest ancestor of `path` that `lower` has is opaque or not a directory, hiding older
   * layers. The walk is top-down, so a parent's answer is usually known when its children are asked.
   */
  private hiddenBelow(lower: string, path: string): boolean {
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent === '') return false;
    const key = `${lower}\0${parent}`;
    let hidden = this.hidden.get(key);
    if (hidden === undefined) {
      const st = lstatOrNull(joinNames(lower, parent));
      hidden = st ? !st.isDirectory() || isOpaque(joinNames(lower, parent)) : this.hiddenBelow(lower, parent);
      this.hidden.set(key, hidden);
    }
    return hidden;
  }
}

const sameDirMeta = (a: Stats, b: Stats): boolean => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && sameTime(a, b);

/**
 * How an upper directory relates to the lowers: 'added' (nothing below it exists in the lowers), 'merged'
 * (its entries show over the lowers' ones), 'opaque' (it, or an ancestor, hides the lowers' entries).
 */
type UpperDir = 'added' | 'merged' | 'opaque';

/**
 * Changes recorded in an overlay upper dir against its lower dirs (newest first). A file copied up
 * without a change Docker's statDifferent sees (a new hard link to it copies it up) is not a change,
 * as Docker 20.10 reports it: only the new name is. Walks the upper dir only,
 * with a stack of its own (a tree thousands of directories deep must not overflow the call stack).
 */
export async function overlayChanges(upperDir: string, lowerDirs: string[]): Promise<Change[]> {
  const lower = new LowerView(lowerDirs);
  const direct = new Map<string, ChangeKind>();
  const todo: [path: string, kind: UpperDir][] = [];
  const visit = (path: string, kind: UpperDir): void => {
    const names = readNames(joinNames(upperDir, path));
    if (kind === 'opaque') {
      // Below an opaque directory, whatever the lowers had and the upper lacks is gone from view.
      const kept = new Set(names);
      for (const child of lower.children(path)) if (!kept.has(child)) direct.set(`${path}/${child}`, 'D');
    }
    for (const name of names) {
      const p = `${path}/${name}`;
      const abs = joinNames(upperDir, p);
      const st = lstatSync(fsPath(abs));
      if (isWhiteout(st)) {
        if (kind !== 'added' && lower.find(p)) direct.set(p, 'D');
        continue;
      }
      const found = kind === 'added' ? null : lower.find(p);
      const old = found?.st ?? null;
      if (!old) direct.set(p, 'A');
      else if (st.isDirectory() && old.isDirectory() ? !sameDirMeta(st, old) : differs(old, st, found!.abs, abs)) direct.set(p, 'C');
      if (!st.isDirectory()) continue;
      if (!old?.isDirectory()) todo.push([p, 'added']);
      else if (kind === 'opaque') todo.push([p, 'opaque']);
      else if (isOpaque(abs)) {
        direct.set(p, 'C');
        todo.push([p, 'opaque']);
      } else todo.push([p, 'merged']);
    }
  };
  if (existsSync(upperDir)) todo.push(['', 'merged']);
  while (todo.length > 0) visit(...todo.pop()!);
  return withAncestors(direct);
}

/**
 * Docker's statDifferent: type and mode, owner, device, and for non-directories size, mtime and link
 * target; and as Docker's vfs diff, file capabilities (setcap changes neither size nor mtime).
 */
function differs(a: Stats, b: Stats, pa: string, pb: string): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (a.isDirectory()) return false;
  if (a.size !== b.size || !sameTime(a, b)) return true;
  if (a.isSymbolicLink()) return !readlinkSync(fsPath(pa), { encoding: 'buffer' }).equals(readlinkSync(fsPath(pb), { encoding: 'buffer' }));
  return a.isFile() && !sameCapability(pa, pb);
}

const sameCapability = (pa: string, pb: string): boolean => {
  const a = native.lgetxattr(fsPath(pa), CAPABILITY_XATTR);
  const b = native.lgetxattr(fsPath(pb), CAPABILITY_XATTR);
  return a === null || b === null ? a === b : a.equals(b);
};

/** Changes of the full tree `dir` against the full tree `parentDir` (null: empty), for vfs. Iterative, as overlayChanges. */
export async function treeChanges(dir: string, parentDir: string | null): Promise<Change[]> {
  const direct = new Map<string, ChangeKind>();
  const todo: [path: string, parentAdded: boolean][] = [['', false]];
  const visit = (path: string, parentAdded: boolean): void => {
    const names = readNames(joinNames(dir, path));
    const oldNames = new Set(parentAdded || parentDir === null ? [] : readNames(joinNames(parentDir, path)));
    for (const name of names) {
      const p = `${path}/${name}`;
      const st = lstatSync(fsPath(joinNames(dir, p)));
      const had = oldNames.delete(name);
      const old = had ? lstatSync(fsPath(joinNames(parentDir!, p))) : null;
      if (!old) direct.set(p, 'A');
      else if (differs(old, st, joinNames(parentDir!, p), joinNames(dir, p))) direct.set(p, 'C');
      if (st.isDirectory()) todo.push([p, !old || !old.isDirectory()]);
    }
    for (const gone of oldNames) direct.set(`${path}/${gone}`, 'D');
  };
  while (todo.length > 0) visit(...todo.pop()!);
  return withAncestors(direct);
}
