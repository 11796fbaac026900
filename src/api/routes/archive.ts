/**
 * /containers/{id}/archive: GET a path as a tar (with its stat in X-Docker-Container-Path-Stat), HEAD the stat
 * alone, PUT a tar's contents into a directory: `docker cp` both ways. The engine copies between a container
 * and a host path with Docker's rules (a running container frozen meanwhile); the tar on the wire is made and
 * read by GNU tar in a scratch directory of the store, which a killed service's successor sweeps.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readlinkSync, rmSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../engine/index.js';
import { ApiError, type Reply, type Request } from '../http.js';
import type { Router } from '../router.js';
import type { Service } from './service.js';

/** Go's os.FileMode type bits, which the stat header carries. */
function goFileMode(mode: number): number {
  const perm = mode & 0o777;
  const type = mode & 0o170000;
  const bits = type === 0o040000 ? 2 ** 31 : type === 0o120000 ? 2 ** 27 : type === 0o010000 ? 2 ** 25 : type === 0o140000 ? 2 ** 24
    : type === 0o060000 ? 2 ** 26 : type === 0o020000 ? 2 ** 26 + 2 ** 21 : 0;
  return bits + perm + (mode & 0o4000 ? 2 ** 23 : 0) + (mode & 0o2000 ? 2 ** 22 : 0) + (mode & 0o1000 ? 2 ** 20 : 0);
}

function statHeader(path: string, name: string): string {
  const st = lstatSync(path);
  const stat = {
    name, size: st.size, mode: goFileMode(st.mode), mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? readlinkSync(path) : '',
  };
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** Run GNU tar; resolves once it exits 0, with its stderr as the error otherwise. */
function tar(args: string[], input?: Readable, output?: NodeJS.WritableStream): Promise<void> {
  const child = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', output ? 'pipe' : 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const flows: Promise<void>[] = [];
  if (input) flows.push(pipeline(input, child.stdin!).catch(() => {}));
  if (output) flows.push(pipeline(child.stdout!, output).catch(() => {}));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      void Promise.all(flows).then(() => (code === 0 ? resolve() : reject(new ApiError(400, `tar: ${err.trim() || `exit status ${code}`}`))));
    });
    child.on('error', reject);
  });
}

export function archiveRoutes(r: Router, s: Service): void {
  const { containers } = s.engine;
  const scratch = () => {
    const dir = s.engine.store.scratchPath('cp');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  };

  const get = async (req: Request, reply: Reply) => {
    const path = req.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    const c = containers.resolve(req.params.id!);
    const name = basename(posix.normalize(path)) || '/';
    const dir = scratch();
    try {
      await containers.processes.copy({ container: c.id, path }, { path: join(dir, name) }, { archive: true }).catch((e: unknown) => {
        // HEAD answers a bare 404 (the CLI words it); a GET's body says what Docker's daemon says.
        throw e instanceof NotFoundError ? new NotFoundError(`Could not find the file ${path} in container ${c.id}`) : e;
      });
      const header = statHeader(join(dir, name), name);
      if (req.method === 'HEAD') {
        reply.res.writeHead(200, { 'X-Docker-Container-Path-Stat': header, 'Content-Length': 0 });
        reply.res.end();
        return;
      }
      reply.res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': header });
      await tar(['-C', dir, '--numeric-owner', '-cf', '-', name], undefined, reply.res);
      reply.res.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  r.add('GET', '/containers/:id/archive', get);
  r.add('HEAD', '/containers/:id/archive', get);

  r.add('PUT', '/containers/:id/archive', async (req, { res }) => {
    const path = req.query.get('path');
    if (!path) throw new ApiError(400, 'path is required');
    const c = containers.resolve(req.params.id!);
    const dir = scratch();
    try {
      await tar(['-C', dir, '--numeric-owner', '--same-owner', '-p', '-xf', '-'], req.body as Readable);
      // The tar's contents go into `path` (a directory), owned by the container's root unless the client kept owners.
      await containers.processes.copy({ path: `${dir}/.` }, { container: c.id, path }, { archive: req.query.get('copyUIDGID') === 'true' });
      res.writeHead(200);
      res.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
