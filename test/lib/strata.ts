/** Running the real `strata` CLI against a throw-away store, as a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DRIVER_NAMES } from '../../src/snapshots/registry.js';

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
  /** As `ok`, with stdout's bytes as they are (tars, names that are not UTF-8). */
  okBytes(args: string[], input?: Buffer | string): Buffer;
  /** Start strata without waiting (for concurrency and kill tests); `input`, when given, is fed to stdin. */
  spawn(args: string[], input?: Buffer): ReturnType<typeof spawn>;
  cleanup(): void;
}

/** A store in a new temp dir, or in `root` when given (e.g. a small tmpfs for disk-full tests). */
export function testStore(driver: string, root = mkdtempSync(join(tmpdir(), `strata-${driver}-`))): TestStore {
  const base = ['--root', root, '--storage-driver', driver];
  const spawnRaw = (args: string[], input?: Buffer | string) => spawnSync(STRATA_BIN, [...base, ...args], { input, maxBuffer: 1 << 30 });
  const run = (args: string[], input?: Buffer | string): Result => {
    const r = spawnRaw(args, input);
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  return {
    root, driver, run,
    ok(args, input) {
      return this.okBytes(args, input).toString();
    },
    okBytes(args, input) {
      const r = spawnRaw(args, input);
      if (r.status !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
      return r.stdout;
    },
    spawn(args, input) {
      const p = spawn(STRATA_BIN, [...base, ...args], { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      // The child may die (killed, or failing early) before it has read everything.
      if (input) p.stdin!.on('error', () => {}).end(input);
      return p;
    },
    cleanup() {
      // Unmount anything left mounted under the store before removing it.
      spawnSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every registered storage driver: each test file that takes a driver runs once per driver. */
export const DRIVERS = DRIVER_NAMES;

/** Wait for a spawned strata to end: its exit code (null when killed), signal and stderr. */
export const exited = (p: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> =>
  new Promise((resolve) => {
    let stderr = '';
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
