/**
 * The one place strata performs mounts, from mount data (types.ts). Mounts outlive the process, as
 * `podman mount`'s do. Nothing process-wide changes: no chdir, so other threads and later calls see
 * the same working directory.
 */
import { closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MNT_DETACH, native } from '../native/index.js';
import { splitEscaped, unescapePath } from './mountdata.js';
import type { Mount } from './types.js';

const MS_RDONLY = 1;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_REC = 16384;
/** mount(2) copies at most one page of options. */
const PAGE = 4096;
/** Options naming directories, which the kernel resolves while mounting. */
const DIR_OPTIONS = new Set(['lowerdir', 'upperdir', 'workdir']);

export interface MountOptions {
  /**
   * A layer whose writes need not survive a crash (a `run --rm` container's): overlay's `volatile`, so its
   * unmount does not sync the whole filesystem under the store (hundreds of milliseconds when others write).
   */
  volatile?: boolean;
}

/** Mount `mounts` on `target`, in order. */
export function mountAll(mounts: Mount[], target: string, opts: MountOptions = {}): void {
  for (const m of mounts) mountOne(m.type === 'overlay' ? overlayMount(m, opts) : m, target);
}

/**
 * A volatile overlay leaves a marker in its work directory (`work/incompat/volatile`) that makes the kernel
 * refuse any later mount of it, so that a crash's lost writes are noticed. Only `--rm` layers are mounted
 * volatile, and those writes are not wanted: the marker goes before each mount.
 */
function overlayMount(m: Mount, opts: MountOptions): Mount {
  const workdir = m.options.find((o) => o.startsWith('workdir='));
  if (workdir) rmSync(join(unescapePath(workdir.slice('workdir='.length)), 'work', 'incompat', 'volatile'), { recursive: true, force: true });
  return opts.volatile ? { ...m, options: [...m.options, 'volatile'] } : m;
}

function mountOne(m: Mount, target: string): void {
  const ro = m.options.includes('ro');
  if (m.type === 'bind') {
    const rec = m.options.includes('rbind') ? MS_REC : 0;
    native.mount(m.source, target, 'none', MS_BIND | rec, '');
    // A bind mount takes its read-only flag only from a remount of itself.
    if (ro) native.mount('none', target, 'none', MS_REMOUNT | MS_BIND | MS_RDONLY, '');
    return;
  }
  const options = m.options.filter((o) => o !== 'ro' && o !== 'rw');
  withFitting(options, (data) => native.mount(m.source, target, m.type, ro ? MS_RDONLY : 0, data));
}

/**
 * Call `run` with the options as one string the kernel can read. When they do not fit one page (a long
 * parent chain under a long root), or name a path holding `,` or `:`, every directory in them is opened
 * and named by its descriptor, `/proc/self/fd/N`: short, and free of separators, whatever the path.
 */
function withFitting(options: string[], run: (data: string) => void): void {
  const plain = options.join(',');
  if (plain.length < PAGE && !plain.includes('\\')) return run(plain);
  const fds: number[] = [];
  const viaFd = (escaped: string): string => {
    const fd = openSync(unescapePath(escaped), constants.O_RDONLY | constants.O_DIRECTORY);
    fds.push(fd);
    return `/proc/self/fd/${fd}`;
  };
  try {
    run(options.map((o) => {
      const eq = o.indexOf('=');
      const key = o.slice(0, eq);
      if (!DIR_OPTIONS.has(key)) return o;
      return `${key}=${splitEscaped(o.slice(eq + 1), ':').map(viaFd).join(':')}`;
    }).join(','));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Mount points are escaped in mountinfo (space → \040 and so on). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function isMounted(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => unescape(line.split(' ')[4] ?? '') === target);
}

export function unmount(target: string): void {
  try {
    native.umount2(target, MNT_DETACH);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
