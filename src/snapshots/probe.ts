/** What the filesystem under a store can do: a working OverlayFS with whiteouts, reflinks. */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/index.js';
import { mountSnapshot, unmount } from './mount.js';
import type { DriverName } from './types.js';

const S_IFCHR = 0o020000;

/**
 * overlay2 when a real overlay mount honours a whiteout and an opaque directory on this store's filesystem (some refuse: overlay
 * on overlay, tmpfs without xattrs, kernels without OverlayFS), else vfs.
 */
export function probeDriver(storeRoot: string): DriverName {
  const base = join(storeRoot, 'snapshots');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'probe-'));
  const merged = join(dir, 'merged');
  let mounted = false;
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'lower', 'file'), 'x');
    writeFileSync(join(dir, 'lower', 'gone'), 'x');
    native.mknod(join(dir, 'upper', 'gone'), S_IFCHR, 0, 0);
    mkdirSync(join(dir, 'lower', 'opaque'));
    writeFileSync(join(dir, 'lower', 'opaque', 'hidden'), 'x');
    mkdirSync(join(dir, 'upper', 'opaque'));
    native.lsetxattr(join(dir, 'upper', 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
    // Relative to the probe's directory, as overlay2 mounts (overlay2.ts): the root's own name may hold `,` or `:`.
    mountSnapshot({ type: 'overlay', source: 'overlay', cwd: dir, options: ['lowerdir=lower', 'upperdir=upper', 'workdir=work'] }, merged);
    mounted = true;
    const works = readFileSync(join(merged, 'file'), 'utf8') === 'x' && !existsSync(join(merged, 'gone'))
      && existsSync(join(merged, 'opaque')) && !existsSync(join(merged, 'opaque', 'hidden'));
    return works ? 'overlay2' : 'vfs';
  } catch {
    return 'vfs';
  } finally {
    // What it mounted it unmounts, whatever mountinfo calls the path.
    if (mounted) unmount(merged);
    rmSync(dir, { recursive: true, force: true });
  }
}

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
