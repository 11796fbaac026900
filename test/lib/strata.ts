/** Running the real `strata` CLI against a throw-away store, as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const STRATA_BIN = join(REPO_ROOT, 'bin', 'strata');

export interface Result { status: number | null; stdout: string; stderr: string }

export interface TestStore {
  root: string;
  driver: string;
  /** Run strata synchronously; `input` is fed to stdin. */
  run(args: string[], input?: Buffer | string): Result;
  /** Run strata and fail the test with its stderr unless it exits 0; returns stdout. */
  ok(args: string[], input?: Buffer | string): string;
  /** Start strata without waiting (for concurrency and kill tests). */
  spawn(args: string[]): ReturnType<typeof spawn>;
  cleanup(): void;
}

/** A store in a new temp dir, or in `root` when given (e.g. a small tmpfs for disk-full tests). */
export function testStore(driver: string, root = mkdtempSync(join(tmpdir(), `strata-${driver}-`))): TestStore {
  const base = ['--root', root, '--storage-driver', driver];
  const run = (args: string[], input?: Buffer | string): Result => {
    const r = spawnSync(STRATA_BIN, [...base, ...args], { input, maxBuffer: 1 << 30 });
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  return {
    root, driver, run,
    ok(args, input) {
      const r = run(args, input);
      if (r.status !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    },
    spawn: (args) => spawn(STRATA_BIN, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    cleanup() {
      // Unmount anything left mounted under the store before removing it.
      spawnSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const DRIVERS = ['overlay2', 'vfs'] as const;
