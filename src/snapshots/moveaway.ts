/** Snapshotter.detach's move: the snapshot's directory renamed out of the driver's tree in one step. */
import { renameSync } from 'node:fs';
import { removeTree } from '../archive/remove.js';

/** `dir` renamed to `to`; nothing when `dir` is gone; removed in place when `to` is on another filesystem. */
export function moveAway(dir: string, to: string): void {
  try {
    renameSync(dir, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'EXDEV') return removeTree(dir);
    throw e;
  }
}
