/**
 * What OverlayFS's lookup finds at a path in a stack of lower layers, read from the layers' directories
 * without a mount: so that a writer can put into a new upper dir exactly what the kernel would put there
 * through the mount (src/engine/initlayer.ts).
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { isWhiteout, OPAQUE_XATTR } from '../archive/fsmeta.js';
import { native } from '../native/index.js';

export { OPAQUE_XATTR };

/**
 * `dir`: the path is a directory merged from `layers` (its directory in each layer that takes part, topmost
 * first); `other`: the topmost entry is not a directory (a file, a symlink, a device), or one of its parents'
 * is not; `absent`: nothing, or hidden by a whiteout or an opaque directory above.
 */
export type LowerEntry = { kind: 'dir'; layers: string[] } | { kind: 'other' } | { kind: 'absent' };

/**
 * Look `path` (relative, `/`-separated) up in `lowers` (layer directories, newest first) as the kernel does:
 * component by component, each in the layers where its parent is a directory, top down; a whiteout ends the
 * search, so does an opaque directory (after itself) and a non-directory (which hides any directory below it).
 */
export function lookupLower(lowers: string[], path: string): LowerEntry {
  let layers = lowers;
  for (const name of path.split('/')) {
    const found: string[] = [];
    for (const dir of layers) {
      const at = join(dir, name);
      const st = lstatSync(at, { throwIfNoEntry: false });
      if (!st) continue; // not in this layer: look below
      if (isWhiteout(st)) break;
      if (!st.isDirectory()) {
        if (found.length === 0) return { kind: 'other' };
        break;
      }
      found.push(at);
      if (native.lgetxattr(at, OPAQUE_XATTR)?.toString() === 'y') break;
    }
    if (found.length === 0) return { kind: 'absent' };
    layers = found;
  }
  return { kind: 'dir', layers };
}
