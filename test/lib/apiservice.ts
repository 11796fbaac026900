/** `strata system service` on a test store, and the docker CLI (Debian's, 20.10) pointed at it. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRATA_BIN, type Result, type TestStore } from './strata.js';

export const DOCKER = '/usr/bin/docker';

/** Wait until `cond` holds, polling; fails the test after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

export interface Service { socket: string; proc: ChildProcess; docker(args: string[], input?: string): Result }

export async function startService(s: TestStore, extra: string[] = []): Promise<Service> {
  const socket = join(mkdtempSync(join(tmpdir(), 'strata-api-')), 'strata.sock');
  const proc = spawn(STRATA_BIN, ['--root', s.root, '--storage-driver', s.driver, 'system', 'service', ...extra, `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await until('the service to listen', () => existsSync(socket));
  const docker = (args: string[], input?: string) => {
    const r = spawnSync(DOCKER, args, { input, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { socket, proc, docker };
}
