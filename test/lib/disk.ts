/** What a store holds on disk, for tests that prove sharing and "leaves nothing behind". */
import { readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Snapshot ids (layer or container directories) of a driver, excluding overlay2's l/ link dir. */
export function snapshotDirs(root: string, driver: string): string[] {
  const dir = join(root, 'snapshots', driver);
  return existsSync(dir) ? readdirSync(dir).filter((d) => d !== 'l').sort() : [];
}

/** Bytes used under a path, as du counts them (hard links once). */
export function diskUsage(path: string): number {
  return Number(execFileSync('du', ['-s', '--block-size=1', path]).toString().split('\t')[0]);
}

/** Every file name in the store except the database's own, sorted: equal before/after means nothing was left behind. */
export function storeFiles(root: string): string[] {
  return execFileSync('find', [root, '-path', join(root, 'strata.db*'), '-prune', '-o', '-print']).toString()
    .split('\n').filter(Boolean).sort();
}
