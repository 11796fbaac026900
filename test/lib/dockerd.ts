/**
 * A private Docker daemon (Debian's docker.io) for the tests that check Docker reads what strata writes:
 * its own data root, exec root and socket under a temporary directory, so it never meets a daemon the
 * host may run, and no bridge or iptables (this host's network is loopback only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Dockerd {
  /** DOCKER_HOST for a client of this daemon. */
  host: string;
  docker(args: string[]): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-dockerd-'));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const proc: ChildProcess = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none',
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '-H', host],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => { log = (log + d).slice(-4000); });
  const docker = (args: string[]) => {
    const r = spawnSync('/usr/bin/docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: host }, timeout: 120000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    spawnSync('umount', ['-R', '-l', join(dir, 'data')], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  for (const end = Date.now() + 30000; docker(['version']).status !== 0;) {
    if (proc.exitCode !== null || Date.now() > end) {
      await stop();
      throw new Error(`dockerd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { host, docker, stop };
}
