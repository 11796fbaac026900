/**
 * Debian's docker-registry (the CNCF distribution registry) started for a test on 127.0.0.1 with its own
 * config and storage, and a proxy of the test's own in front of it (for a token server, faults, redirects).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { dockerArchive } from './archive.js';
import { testStore, type TestStore } from './strata.js';
import { buildTar } from './tarbuild.js';

export interface LocalRegistry {
  /** "127.0.0.1:PORT" (or the `ip` it was started on) */
  host: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function waitFor(url: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      // Any answer will do, a TLS one from a certificate no one trusts yet included.
      await fetch(url, { tls: { rejectUnauthorized: false } });
      return;
    } catch (e) {
      // A handshake refused for want of a client certificate is an answer too.
      if ((e as { code?: string }).code === 'EPROTO') return;
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Files (PEM) for a registry serving TLS; with `clientCAs`, it requires a client certificate they signed. */
export interface RegistryTls { cert: string; key: string; clientCAs?: string }

/**
 * A registry; with `user`, behind Basic auth from an htpasswd file (bcrypt, made by Bun.password); with
 * `tls`, HTTPS only; on 127.0.0.1 unless `ip` is given (a registry Docker does not treat as insecure).
 */
export async function startRegistry(opts: { user?: { name: string; password: string }; tls?: RegistryTls; ip?: string } = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-registry-'));
  const port = await freePort();
  const ip = opts.ip ?? '127.0.0.1';
  let auth = '';
  if (opts.user) {
    const hash = (await Bun.password.hash(opts.user.password, { algorithm: 'bcrypt', cost: 4 })).replace(/^\$2b\$/, '$2a$');
    writeFileSync(join(dir, 'htpasswd'), `${opts.user.name}:${hash}\n`);
    auth = `auth:\n  htpasswd:\n    realm: strata-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  let tls = '';
  if (opts.tls) {
    for (const [f, pem] of Object.entries(opts.tls)) writeFileSync(join(dir, `tls-${f}.pem`), pem);
    tls = `  tls:\n    certificate: ${join(dir, 'tls-cert.pem')}\n    key: ${join(dir, 'tls-key.pem')}\n`;
    if (opts.tls.clientCAs) tls += `    clientcas:\n      - ${join(dir, 'tls-clientCAs.pem')}\n`;
  }
  writeFileSync(join(dir, 'config.yml'), `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${ip}:${port}
  relativeurls: true
${tls}${auth}`);
  const proc: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  await waitFor(`${opts.tls ? 'https' : 'http'}://${ip}:${port}/v2/`);
  return {
    host: `${ip}:${port}`, dir,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Proxy { host: string; requests: { method: string; path: string; headers: Headers }[]; stop(): void }

/**
 * An HTTP server of the test's own in front of `upstream`: `intercept` may answer a request itself (a
 * fault, a token); otherwise it is passed on, and `shape` may change the answer (cut a blob short).
 */
export function startProxy(upstream: string, hooks: {
  intercept?: (req: Request, url: URL) => Response | Promise<Response | undefined> | undefined;
  shape?: (req: Request, url: URL, res: Response) => Response | Promise<Response>;
} = {}): Proxy {
  const requests: Proxy['requests'] = [];
  const server = Bun.serve({
    port: 0, hostname: '127.0.0.1', idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url);
      requests.push({ method: req.method, path: url.pathname + url.search, headers: req.headers });
      const own = await hooks.intercept?.(req, url);
      if (own) return own;
      const headers = new Headers(req.headers);
      headers.delete('host');
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
      const res = await fetch(`http://${upstream}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: 'manual' });
      const out = new Response(req.method === 'HEAD' ? null : res.body, { status: res.status, headers: res.headers });
      return hooks.shape ? hooks.shape(req, url, out) : out;
    },
  });
  return { host: `127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

/** A response whose body stops after `n` bytes with the connection dropped. */
export function cutAfter(res: Response, n: number): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) { c.close(); return; }
      if (sent + value.length >= n) {
        c.enqueue(value.subarray(0, n - sent));
        sent = n;
        await new Promise((r) => setTimeout(r, 50));
        c.error(new Error('cut by the test'));
        return;
      }
      sent += value.length;
      c.enqueue(value);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

/** Run strata without blocking this process (its servers must answer meanwhile). */
export function runAsync(s: TestStore, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(join(import.meta.dir, '../../bin/strata'), ['--root', s.root, '--storage-driver', s.driver, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The registry tests' image: a small base, `bigBytes` of random data that do not compress, a top file. */
export function sampleImage(hostname: string, bigBytes: number): { config: Record<string, unknown>; layers: Buffer[] } {
  const layers = [
    buildTar([{ name: 'etc/', type: '5' }, { name: 'etc/hostname', body: `${hostname}\n` }]),
    buildTar([{ name: 'big', body: randomBytes(bigBytes) }]),
    buildTar([{ name: 'top', body: 'top\n' }]),
  ];
  const created = '2024-01-01T00:00:00Z';
  return { layers, config: { architecture: 'amd64', os: 'linux', created, config: { Cmd: ['/bin/sh'] }, history: layers.map(() => ({ created, created_by: 'test' })) } };
}

/**
 * A registry test file's bed: a registry started before its tests, and test stores on one driver, all
 * removed after them with the file's work directory; storeWith makes a store holding `image` under the names.
 */
export function registryTestbed(driver: string, image: { config: Record<string, unknown>; layers: Buffer[] }, work: string) {
  const all: TestStore[] = [];
  let reg: LocalRegistry | undefined;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    for (const s of all) s.cleanup();
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const newStore = (root?: string): TestStore => {
    const s = testStore(driver, root);
    all.push(s);
    return s;
  };
  const storeWith = (...names: string[]): TestStore => {
    const s = newStore();
    s.ok(['load'], dockerArchive([{ ...image, repoTags: names }]));
    return s;
  };
  return {
    all, newStore, storeWith,
    get reg(): LocalRegistry {
      if (!reg) throw new Error('the registry starts before the tests');
      return reg;
    },
  };
}
