/**
 * Where the service listens: `unix:///path` (mode 0660, as Docker's and Podman's sockets) or
 * `tcp://HOST:PORT` on a loopback address only: the API runs containers as the service's user (root), so
 * an address other hosts can reach would hand that to anyone, and strata has no TLS client authentication.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, createServer as netServer, isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, StrataError } from '../engine/index.js';

export type Address =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  /** A listening socket systemd passed (socket activation), at this descriptor. */
  | { kind: 'fd'; fd: number };

/** sd_listen_fds(3): the first descriptor systemd passes. */
const SD_LISTEN_FDS_START = 3;

/**
 * The socket systemd passed this process (LISTEN_PID is this process, LISTEN_FDS at least 1), as
 * sd_listen_fds(3) reads them; the variables are removed so that no child (conmon, runc) takes them
 * for its own. Podman's service does the same: a passed socket wins over the URI given.
 */
export function activatedSocket(env: NodeJS.ProcessEnv = process.env): Address | null {
  const ours = env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS) >= 1;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  return ours ? { kind: 'fd', fd: SD_LISTEN_FDS_START } : null;
}

/** `unix:///run/strata/strata.sock` as root, else the user's runtime directory's (as Podman's). */
export function defaultUri(): string {
  if (process.getuid?.() === 0) return 'unix:///run/strata/strata.sock';
  const runtimeDir = process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
  return `unix://${join(runtimeDir, 'strata', 'strata.sock')}`;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

export function parseUri(uri: string): Address {
  const unix = /^unix:\/\/(\/.+)$/.exec(uri);
  if (unix) return { kind: 'unix', path: unix[1]! };
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(uri);
  if (tcp) {
    const host = tcp[1]!.replace(/^\[|\]$/g, '');
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port in ${uri}`);
    if (!LOOPBACK.test(host)) {
      const what = isIP(host) || host === '' ? host : `${host} (not a loopback address)`;
      throw new InvalidArgumentError(
        `refusing to serve the API without authentication on ${what}: anyone who can reach it could run containers as this user; ` +
        'strata has no TLS client authentication, so listen on a unix socket or a loopback address (tcp://127.0.0.1:PORT)');
    }
    return { kind: 'tcp', host, port };
  }
  throw new InvalidArgumentError(`unsupported URI ${JSON.stringify(uri)}: use unix:///PATH or tcp://127.0.0.1:PORT`);
}

/** Whether something answers on a unix socket (a live service: its socket is not ours to remove). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Listen on `address`; resolves to what stops listening. */
export async function listen(server: Server, address: Address): Promise<() => void> {
  if (address.kind === 'fd') {
    // Bun's node:http server takes no descriptor; its net server does, and hands it each connection.
    const passed = netServer((socket) => server.emit('connection', socket));
    await new Promise<void>((resolve, reject) => {
      passed.once('error', reject);
      passed.listen({ fd: address.fd }, resolve);
    });
    return () => passed.close();
  }
  if (address.kind === 'unix') {
    mkdirSync(dirname(address.path), { recursive: true, mode: 0o755 });
    if (existsSync(address.path)) {
      if (await answers(address.path)) throw new StrataError(`${address.path}: another service is listening on it`, 125);
      rmSync(address.path, { force: true }); // left by a service that was killed
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  if (address.kind === 'unix') chmodSync(address.path, 0o660);
  return () => server.close();
}
