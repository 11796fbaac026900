/**
 * Exec instances: POST /containers/{id}/exec makes one (kept in memory, as Docker's daemon keeps them),
 * POST /exec/{id}/start runs it (hijacked: its streams on the connection; or detached), GET /exec/{id}/json
 * tells whether it runs and its exit code, which the docker CLI reads after the stream ends.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, DEFAULT_DETACH_KEYS, NotFoundError, parseDetachKeys, type ConsoleSize, type ExecSession } from '../../engine/index.js';
import { MULTIPLEXED, RAW, sink } from '../frames.js';
import { ApiError, intParam, sendEmpty, sendJson, type Reply } from '../http.js';
import type { Router } from '../router.js';
import type { Service } from './service.js';

/** `ConsoleSize`: [rows, columns], as the docker CLI sends its terminal's size (API 1.42 on). */
type ApiConsoleSize = [number, number] | null;

interface ExecConfig {
  AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean; Tty?: boolean; Cmd?: string[];
  Env?: string[] | null; WorkingDir?: string; User?: string; Privileged?: boolean; DetachKeys?: string; ConsoleSize?: ApiConsoleSize;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  /** Its conmon session, while an `exec -t` runs (resize changes its pty's size). */
  session?: ExecSession;
  /** The terminal's size last asked for (ConsoleSize, or a resize, which may come before the session exists). */
  size?: ConsoleSize;
  /** Told of a resize that arrives while the start waits for one. */
  sized?: () => void;
}

/**
 * How long an `exec -t` start waits for the client's first resize before the process runs. The docker CLI before
 * API 1.42 sends no ConsoleSize: it sends its terminal's size right after the start's upgrade, which takes
 * milliseconds; a client that sends none (dockerode, a CLI whose input is not a terminal) has its process run
 * after this, on the runtime's default size.
 */
const FIRST_RESIZE_MS = 500;

/**
 * The process's stdio as named pipes in a scratch directory of the store (swept with the service's other
 * leftovers if it is killed): the runtime gets descriptors, the service reads and writes the other ends.
 * Each end is opened so that no open waits for the other side and the process holds no end it should not
 * (its stdin is a read end only, so closing the service's write end is its EOF). The service's ends are
 * non-blocking and read and written through Bun's poller: blocking FIFO reads would each hold one of the
 * runtime's few file-system threads for as long as the process runs, and stall every other request.
 */
function execPipes(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const outputs = ['out', 'err'];
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
    /** The process's stdin, stdout, stderr. */
    stdio: [stdinRead, childOut[0]!, childOut[1]!] as [number, number, number],
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

/**
 * Copy a non-blocking descriptor to `write` until its end or until the client is gone (`gone`: then the
 * process's output is left unread, and it waits on a full pipe as under Docker), then close it.
 */
async function pump(fd: number, write: (data: Buffer) => void, gone: AbortSignal): Promise<void> {
  try {
    for await (const chunk of Bun.file(fd).stream()) {
      if (gone.aborted) break;
      write(Buffer.from(chunk));
    }
  } catch {
    /* the client went away, or the terminal's other end closed (EIO) */
  } finally {
    try { closeSync(fd); } catch { /* already closed with its stream */ }
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

  r.add('POST', '/exec/:id/resize', (req, { res }) => {
    const e = execOf(s, req.params.id!);
    const height = intParam(req.query, 'h', 0)!;
    const width = intParam(req.query, 'w', 0)!;
    e.size = { height, width };
    e.sized?.();
    if (e.session) resizeSession(e.session, e.size);
    sendEmpty(res, 200);
  });

  r.add('POST', '/exec/:id/start', async (req, reply) => {
    const e = execOf(s, req.params.id!);
    const body = await req.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: ApiConsoleSize }>();
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
    const size = body.ConsoleSize ?? e.config.ConsoleSize;
    if (size && !e.size) e.size = { height: size[0], width: size[1] };
    if (base.tty) await relayTerminal(s, e, base, reply);
    else await relayExec(s, e, base, reply);
  });
}

/** A new size for a session's pty; one whose conmon no longer listens has exited, and has nothing to resize. */
function resizeSession(session: ExecSession, size: ConsoleSize): void {
  try {
    session.resize(size.height, size.width);
  } catch { /* exited meanwhile (ENXIO: no reader on its control fifo) */ }
}

function execOf(s: Service, id: string): ExecRecord {
  const e = s.execs.get(id);
  if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
  return e;
}

/** The 101 (or, without an upgrade, a 200) that starts the process's stream; the connection, or the response. */
function openStream(reply: Reply, tty: boolean) {
  const socket = reply.hijack ? reply.hijack() : null;
  if (socket) socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${tty ? RAW : MULTIPLEXED}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  else reply.res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
  return { socket, out: socket ?? reply.res };
}

type ExecBase = { cmd: string[]; tty: boolean; interactive: boolean };

/**
 * Run the exec and keep its outcome on the record; a process that could not start says why (126), in the words
 * the runtime module gives Docker's daemon's (`OCI runtime exec failed: …: unknown`).
 */
async function runExec(s: Service, e: ExecRecord, opts: ExecBase & { stdio: [number, number, number] }, say: (text: string) => void): Promise<void> {
  e.running = true;
  try {
    e.exitCode = await s.engine.containers.processes.exec(e.containerId, opts);
  } catch (err) {
    e.exitCode = 126;
    say(`${(err as Error).message}\r\n`);
  } finally {
    e.running = false;
  }
}

async function relayExec(s: Service, e: ExecRecord, base: ExecBase, reply: Reply): Promise<void> {
  const pipes = execPipes(s.engine.store.scratchPath('exec'));
  const { socket, out } = openStream(reply, false);
  const drained = Promise.all(pipes.readFds.map((fd, i) => pump(fd, sink(out, i === 0 ? 1 : 2, false), reply.signal)));
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
  try {
    // On stdout, where Docker's daemon writes it.
    await runExec(s, e, { ...base, stdio: pipes.stdio }, (text) => sink(out, 1, false)(Buffer.from(text)));
  } finally {
    await endStdin();
    pipes.release();
  }
  await drained;
  out.end();
}

/**
 * `exec -t`: the process under a conmon session of its own, as the CLI's `exec -it` (Processes.execAttached),
 * relayed raw over the connection both ways, as Docker relays a TTY (no frames, stdout and stderr are one
 * stream). It starts on a pty of the client's size: the ConsoleSize given, or the first resize, which the
 * docker CLI sends once the upgrade is answered (the process waits for it, FIRST_RESIZE_MS at most). Typing the
 * detach keys (DetachKeys, ctrl-p ctrl-q by default), or going away, leaves it running, as under Docker's daemon.
 */
async function relayTerminal(s: Service, e: ExecRecord, base: ExecBase, reply: Reply): Promise<void> {
  const { processes } = s.engine.containers;
  const detachKeys = parseDetachKeys(e.config.DetachKeys || DEFAULT_DETACH_KEYS);
  const { socket, out } = openStream(reply, true);
  const sizeOnItsWay = e.size ? undefined : new Promise<ConsoleSize | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), FIRST_RESIZE_MS);
    e.sized = () => { clearTimeout(timer); resolve(e.size); };
  });
  const streams = { stdout: out, stderr: out, detachKeys, ...(socket && base.interactive ? { stdin: socket } : {}) };
  // A client gone leaves the process running, as the detach keys do.
  const leave = () => e.session?.detach();
  if (socket) socket.once('close', leave);
  else reply.signal.addEventListener('abort', leave, { once: true });
  const given = e.size;
  e.running = true;
  try {
    const session = await processes.execAttached(e.containerId, { ...base, consoleSize: given }, streams, sizeOnItsWay);
    e.sized = undefined;
    e.session = session;
    // A resize that came after the size was taken, before the session could be told.
    const started = (await sizeOnItsWay) ?? given;
    if (e.size && (e.size.height !== started?.height || e.size.width !== started?.width)) resizeSession(session, e.size);
    if (socket?.destroyed || reply.signal.aborted) session.detach();
    e.exitCode = await session.done;
    // Detached: it runs on, as Docker's exec inspect says (Running, no exit code).
    e.running = e.exitCode === null;
  } catch (err) {
    e.exitCode = 126;
    e.running = false;
    out.write(`${(err as Error).message}\n`);
  } finally {
    e.sized = undefined;
    e.session = undefined;
  }
  out.end();
}
