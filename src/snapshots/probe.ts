/** What the filesystem under a store can do beyond what every driver needs: reflinks. */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/index.js';

/** Whether files in `dir` can share data blocks (FICLONE): XFS, Btrfs, bcachefs yes; ext4, tmpfs no. */
export function supportsReflink(dir: string): boolean {
  const tmp = mkdtempSync(join(dir, '.reflink-'));
  const src = openSync(join(tmp, 'src'), 'w+');
  const dst = openSync(join(tmp, 'dst'), 'w');
  try {
    writeSync(src, 'x');
    native.ficlone(dst, src);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(src);
    closeSync(dst);
    rmSync(tmp, { recursive: true, force: true });
  }
}
