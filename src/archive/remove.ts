/**
 * Removing a whole tree, whatever its depth and its names: every removal of a layer's or a container's
 * files goes through here. Node's own `rmSync({ recursive })` recurses (a tree 2,000 directories deep
 * overflows the stack) and takes absolute paths, which a tree made deeper than PATH_MAX from inside a
 * container exceeds. This one keeps its own stack of directories, works on names as bytes (Buffers,
 * never decoded), and never lets a path grow past PATH_MAX: a directory whose path is getting too long
 * is first moved up to the top of the tree being removed, as a sibling with a short name, and emptied there.
 */
import { lstatSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { encodeName } from './names.js';

/** Linux's PATH_MAX counts the terminating NUL. */
const PATH_MAX = 4096;
/** The longest name a directory entry may have. */
const NAME_MAX = 255;
/** A directory whose path is longer is moved up before it is read: its children's paths must still fit. */
const DEEPEST = PATH_MAX - 1 - (1 + NAME_MAX);

const SLASH = Buffer.from('/');
const child = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, SLASH, name]);

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Run `op`, treating "already gone" as done: another remover (or a half-made tree) may have got there first. */
function ignoringGone(op: () => void): void {
  try {
    op();
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
  }
}

/** Unlink `path` unless it is a directory (Linux's unlink refuses one with EISDIR); true when it is gone. */
function unlinkUnlessDirectory(path: Buffer): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return true;
    if (code(e) === 'EISDIR') return false;
    throw e;
  }
}

/** Remove `path` (a name as names.ts keeps it) and everything below it; nothing there is not an error (as `rm -rf`). */
export function removeTree(path: string): void {
  const top = encodeName(path);
  let st;
  try {
    st = lstatSync(top);
  } catch (e) {
    if (code(e) === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) return ignoringGone(() => unlinkSync(top));
  let moved = 0;
  /** Where a too-deep directory goes: a fresh name at the top of the tree (the top is removed last). */
  const movedUp = (): Buffer => {
    for (;;) {
      const p = child(top, Buffer.from(`.strata-removing-${moved++}`));
      try {
        lstatSync(p);
      } catch (e) {
        if (code(e) === 'ENOENT') return p;
        throw e;
      }
    }
  };
  // Directories still to empty, deepest last: a directory is removed when a visit finds it empty, after
  // the visits of the subdirectories it had (pushed above it) have removed them.
  const dirs: Buffer[] = [top];
  while (dirs.length > 0) {
    const dir = dirs[dirs.length - 1]!;
    let entries;
    try {
      // Names only: Bun's readdirSync gives no entry types with buffer names, and unlink tells a directory anyway.
      entries = readdirSync(dir, { encoding: 'buffer' });
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
      dirs.pop();
      continue;
    }
    const before = dirs.length;
    for (const name of entries) {
      let p = child(dir, name);
      if (unlinkUnlessDirectory(p)) continue;
      if (p.length > DEEPEST) {
        const to = movedUp();
        renameSync(p, to);
        p = to;
      }
      dirs.push(p);
    }
    if (dirs.length === before) {
      ignoringGone(() => rmdirSync(dir));
      dirs.pop();
    }
  }
}
