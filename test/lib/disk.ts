/** What a store holds on disk, for tests that prove sharing and "leaves nothing behind". */
import { readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SNAPSHOT_KEY } from '../../src/snapshots/keys.js';

/** Snapshot keys (layers, containers' writable and init layers) of a driver: not overlay2's l/, not vfs's kind markers. */
export function snapshotDirs(root: string, driver: string): string[] {
  const dir = join(root, 'snapshots', driver);
  return existsSync(dir) ? readdirSync(dir).filter((d) => SNAPSHOT_KEY.test(d)).sort() : [];
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
