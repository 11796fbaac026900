/** The one place strata performs mounts. Mounts outlive the process, as `podman mount`'s do. */
import { readFileSync } from 'node:fs';
import { MNT_DETACH, native } from '../native/index.js';
import type { MountSpec } from './types.js';

export function mountSnapshot(spec: MountSpec, target: string): void {
  const previous = process.cwd();
  // overlay2's paths are relative to its home, so the options fit one page and hold no part of the root's name.
  if (spec.cwd) process.chdir(spec.cwd);
  try {
    native.mount(spec.source, target, spec.type, 0, spec.options.join(','));
  } finally {
    if (spec.cwd) process.chdir(previous);
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
