/**
 * Docker's `local` volume driver: a volume is `<root>/volumes/<name>/_data`; with options (`-o type=tmpfs|nfs|…
 * -o device=… -o o=…`, or `type=none -o o=bind`) that directory is a mount point, mounted when a container
 * first uses the volume and unmounted when the volume is removed.
 */
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../engine/errors.js';
import { resolveInRoot } from '../runtime/user.js';
import { TreeCopier } from '../snapshots/copy.js';
import { isMounted, mountAll, unmount } from '../snapshots/index.js';
import type { Mount } from '../snapshots/index.js';
import type { VolumeOptions } from './types.js';

const OPTION_KEYS = ['type', 'device', 'o', 'size'];

export const volumeDir = (root: string, name: string): string => join(root, 'volumes', name);
export const dataDir = (root: string, name: string): string => join(volumeDir(root, name), '_data');

/** The local driver's options checked as Docker's: only its keys, and always a device (`create NAME: …`). */
export function checkOptions(name: string, options: VolumeOptions | null): void {
  if (!options || Object.keys(options).length === 0) return;
  const bad = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  if (bad) throw new InvalidArgumentError(`create ${name}: invalid option: ${JSON.stringify(bad)}`);
  if (options.device === undefined) throw new InvalidArgumentError(`create ${name}: missing required option: "device"`);
}

/** Make the volume's directories (0701 for the volume, as Docker's; `_data` 0755). */
export function makeVolumeDir(root: string, name: string): void {
  mkdirSync(join(root, 'volumes'), { recursive: true, mode: 0o701 });
  mkdirSync(volumeDir(root, name), { mode: 0o701 });
  mkdirSync(dataDir(root, name), { mode: 0o755 });
}

export function removeVolumeDir(root: string, name: string): void {
  // Every mount on it first (two first uses at once may have stacked two): the removal must never reach
  // into a bound host directory or a network filesystem.
  const data = dataDir(root, name);
  while (isMounted(data)) unmount(data);
  rmSync(volumeDir(root, name), { recursive: true, force: true });
}

/** The mount the options describe: `type=none,o=bind,device=/dir` binds a host directory, anything else is mount(2)'s own. */
function optionMount(options: VolumeOptions): Mount {
  const o = (options.o ?? '').split(',').filter(Boolean);
  if (options.type === 'none' || o.includes('bind') || o.includes('rbind')) {
    return { type: 'bind', source: options.device!, options: o.includes('rbind') ? ['rbind', ...o] : o };
  }
  return { type: options.type!, source: options.device!, options: [...o, ...(options.size ? [`size=${options.size}`] : [])] };
}

/** Mount a volume with driver options on its `_data`, unless it already is (another container uses it). */
export function mountVolume(root: string, name: string, options: VolumeOptions | null): void {
  if (!options?.type) return;
  const data = dataDir(root, name);
  if (!isMounted(data)) mountAll([optionMount(options)], data);
}

/**
 * Docker's copy-up: an empty volume takes what the container's rootfs has at the destination (the image's
 * files with their owners, modes, times and xattrs). The destination is resolved inside the rootfs, so a
 * symlink in the image can never make this copy the host's files.
 */
export function seedVolume(rootfs: string, destination: string, data: string): boolean {
  if (readdirSync(data).length > 0) return false;
  const src = join(rootfs, resolveInRoot(rootfs, destination));
  try {
    if (!lstatSync(src).isDirectory()) return false;
  } catch {
    return false;
  }
  new TreeCopier().copy(src, data);
  return true;
}
