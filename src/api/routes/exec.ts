/**
 * Exec instances: POST /containers/{id}/exec makes one (kept in memory, as Docker's daemon keeps them),
 * POST /exec/{id}/start runs it (hijacked: its streams on the connection; or detached), GET /exec/{id}/json
 * tells whether it runs and its exit code, which the docker CLI reads after the stream ends.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../engine/index.js';
import { MULTIPLEXED, RAW, sink } from '../frames.js';
import { ApiError, sendEmpty, sendJson, type Reply } from '../http.js';
import type { Router } from '../router.js';
import type { Service } from './service.js';

interface ExecConfig {
  AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean; Tty?: boolean; Cmd?: string[];
  Env?: string[] | null; WorkingDir?: string; User?: string; Privileged?: boolean; DetachKeys?: string;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
}

/**
 * The process's stdio as named pipes in a scratch directory of the store (swept with the service's other
 * leftovers if it is killed): the runtime gets descriptors, the service reads and writes the other ends.
 * Each end is opened so that no open waits for the other side and the process holds no end it should not
 * (its stdin is a read end only, so closing the service's write end is its EOF). The service's ends are
 * non-blocking and read and written through Bun's poller: blocking FIFO reads would each hold one of the
 * runtime's few file-system threads for as long as the process runs, and stall every other request.
 */
function execPipes(dir: string, tty: boolean) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const outputs = tty ? ['out'] : ['out', 'err'];
  execFileSync('mkfifo', ['-m', '600', ...['in', ...outputs].map((n) => join(dir, n))]);
  const path = (n: string) => join(dir, n);
  // O_RDWR opens at once on Linux; it holds the FIFO open while the single-direction ends are opened.
  const holder = openSync(path('in'), constants.O_RDWR);
  const stdinRead = openSync(path('in'), constants.O_RDONLY);
  const stdinWrite = openSync(path('in'), constants.O_WRONLY | constants.O_NONBLOCK);
  closeSync(holder);
  const childOut = outputs.map((n) => openSync(path(n), constants.O_RDWR));
  const readFds = outputs.map((n) => openSync(path(n), constants.O_RDONLY | constants.O_NONBLOCK));
  let released = false;
  return {
    /** The process's stdin, stdout, stderr (stderr is stdout with a TTY). */
    stdio: [stdinRead, childOut[0]!, childOut[1] ?? childOut[0]!] as [number, number, number],
    stdinWrite, readFds,
    /** Once the process has exited: the service's copies of the process's ends go, so the readers reach their end. */
    release: () => {
      if (released) return;
      released = true;
      for (const fd of [stdinRead, ...childOut]) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copy a non-blocking descriptor to `write` until its end, then close it. */
async function pump(fd: number, write: (data: Buffer) => void): Promise<void> {
  try {
    for await (const chunk of Bun.file(fd).stream()) write(Buffer.from(chunk));
  } catch {
    /* the client went away */
  } finally {
    closeSync(fd);
  }
}

export function execRoutes(r: Router, s: Service): void {
  const { containers } = s.engine;

  r.add('POST', '/containers/:id/exec', async (req, { res }) => {
    const config = await req.json<ExecConfig>();
    const c = containers.resolve(req.params.id!);
    const st = await containers.processes.state(c);
    if (st.status !== 'running' && st.status !== 'paused') throw new ConflictError(`Container ${c.id} is not running`);
    if (st.status === 'paused') throw new ConflictError(`Container ${c.id} is paused, unpause the container before exec`);
    if (!config.Cmd?.length) throw new ApiError(400, 'No exec command specified');
    const id = randomBytes(32).toString('hex');
    s.execs.set(id, { id, containerId: c.id, config, running: false, exitCode: null });
    sendJson(res, 201, { Id: id });
  });

  r.add('GET', '/exec/:id/json', (req, { res }) => {
    const e = execOf(s, req.params.id!);
    sendJson(res, 200, {
      ID: e.id, ContainerID: e.containerId, Running: e.running, ExitCode: e.exitCode, Pid: 0, CanRemove: false,
      DetachKeys: e.config.DetachKeys ?? '', OpenStdin: !!e.config.AttachStdin, OpenStdout: !!e.config.AttachStdout, OpenStderr: !!e.config.AttachStderr,
      ProcessConfig: {
        tty: !!e.config.Tty, entrypoint: e.config.Cmd![0], arguments: e.config.Cmd!.slice(1), privileged: !!e.config.Privileged, user: e.config.User ?? '',
      },
    });
  });

  // runc relays an exec's pty itself, through the descriptors it was given: it has no size to change.
  r.add('POST', '/exec/:id/resize', (req, { res }) => { execOf(s, req.params.id!); sendEmpty(res, 200); });

  r.add('POST', '/exec/:id/start', async (req, reply) => {
    const e = execOf(s, req.params.id!);
    const body = await req.json<{ Detach?: boolean; Tty?: boolean }>();
    if (e.running || e.exitCode !== null) throw new ConflictError(`Error: Exec command ${e.id} has already run`);
    const base = {
      cmd: e.config.Cmd!, tty: !!e.config.Tty, interactive: !!e.config.AttachStdin, env: e.config.Env ?? [],
      workdir: e.config.WorkingDir || undefined, user: e.config.User || undefined, privileged: !!e.config.Privileged,
    };
    if (body.Detach) {
      e.running = true;
      e.exitCode = await containers.processes.exec(e.containerId, { ...base, detach: true }).finally(() => { e.running = false; });
      return sendEmpty(reply.res, 200);
    }
    await relayExec(s, e, base, reply);
  });
}

function execOf(s: Service, id: string): ExecRecord {
  const e = s.execs.get(id);
  if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
  return e;
}

async function relayExec(s: Service, e: ExecRecord, base: { cmd: string[]; tty: boolean; interactive: boolean }, reply: Reply): Promise<void> {
  const tty = base.tty;
  const pipes = execPipes(s.engine.store.scratchPath('exec'), tty);
  const socket = reply.hijack ? reply.hijack() : null;
  const out = socket ?? reply.res;
  if (socket) socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${tty ? RAW : MULTIPLEXED}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  else reply.res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
  const drained = Promise.all(pipes.readFds.map((fd, i) => pump(fd, sink(out, i === 0 ? 1 : 2, tty))));
  // The client's bytes are the process's stdin; its half-close (or no stdin wanted) is the stdin's end.
  const stdin = Bun.file(pipes.stdinWrite).writer();
  let stdinOpen = true;
  const endStdin = async () => {
    if (!stdinOpen) return;
    stdinOpen = false;
    try { await stdin.end(); } catch { /* the process is gone */ }
    closeSync(pipes.stdinWrite);
  };
  if (socket && base.interactive) {
    socket.on('data', (d: Buffer) => { if (stdinOpen) { stdin.write(d); void Promise.resolve(stdin.flush()).catch(() => {}); } });
    socket.once('end', () => void endStdin());
    socket.once('close', () => void endStdin());
  } else void endStdin();
  e.running = true;
  try {
    e.exitCode = await s.engine.containers.processes.exec(e.containerId, { ...base, stdio: pipes.stdio });
  } catch (err) {
    e.exitCode = 126;
    sink(out, 2, tty)(Buffer.from(`${(err as Error).message}\n`));
  } finally {
    e.running = false;
    await endStdin();
    pipes.release();
  }
  await drained;
  out.end();
}
