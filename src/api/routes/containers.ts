/** /containers/…: create, list, inspect, the process verbs, logs, attach, changes, export, top, stats, rename, remove, prune, commit. */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConflictError, InvalidArgumentError, NotFoundError, type AttachStreams } from '../../engine/index.js';
import { createOptions, type CreateBody } from '../createbody.js';
import { MULTIPLEXED, RAW, sink, sinkStream } from '../frames.js';
import { ApiError, filterPairs, flag, intParam, sendEmpty, sendJson, type Reply, type Request } from '../http.js';
import type { Router } from '../router.js';
import { logLines } from './logs.js';
import type { Service } from './service.js';
import { dockerStats } from './stats.js';
import { waitFor, type WaitCondition } from './wait.js';

const KIND = { A: 1, C: 0, D: 2 } as const;

/** A stream's bytes go nowhere (attach without stdout, say). */
const discard = () => new Writable({ write(_c, _e, done) { done(); } });

export function containerRoutes(r: Router, s: Service): void {
  const { engine } = s;
  const containers = engine.containers;
  const processes = containers.processes;
  const isRunning = async (ref: string) => {
    const st = await processes.state(containers.resolve(ref));
    return st.status === 'running' || st.status === 'paused';
  };

  r.add('POST', '/containers/create', async (req, { res }) => {
    const body = await req.json<CreateBody>();
    // A --volumes-from container that is not there is told, but not as a 404, which the docker CLI takes for a
    // missing image (and pulls); dockerd finds it missing at start.
    for (const from of body.HostConfig?.VolumesFrom ?? []) {
      try {
        containers.resolve(from.replace(/:(ro|rw)$/, ''));
      } catch (e) {
        throw e instanceof NotFoundError ? new InvalidArgumentError(e.message) : e;
      }
    }
    const id = await containers.create(createOptions(req.query.get('name'), body));
    sendJson(res, 201, { Id: id, Warnings: [] });
  });

  r.add('GET', '/containers/json', async (req, { res }) => {
    const limit = intParam(req.query, 'limit', -1)!;
    sendJson(res, 200, await containers.list({
      all: flag(req.query, 'all'), size: flag(req.query, 'size'), filters: filterPairs(req.query),
      ...(limit > 0 ? { last: limit } : {}),
    }));
  });

  r.add('GET', '/containers/:id/json', async (req, { res }) => {
    sendJson(res, 200, await containers.inspect(req.params.id!, { size: flag(req.query, 'size') }));
  });

  r.add('POST', '/containers/:id/start', async (req, { res }) => {
    const c = containers.resolve(req.params.id!);
    const now = (await processes.state(c)).status;
    if (now === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
    if (now === 'running') return sendEmpty(res, 304);
    const waiting = s.pendingAttach.get(c.id) ?? [];
    s.pendingAttach.delete(c.id);
    // One attach relays from the first byte; more than one (rare) join once it runs.
    const [first, ...rest] = waiting;
    let started;
    try {
      started = await processes.start(c.id, first ? { attach: first.streams } : {});
    } catch (e) {
      // As dockerd: the attaches end, and a --rm container goes (`docker run --rm` waits for its removal).
      for (const w of waiting) w.started(Promise.resolve());
      if ((await containers.inspect(c.id)).HostConfig.AutoRemove) await containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
      throw e;
    }
    if (first && started.attachment) first.started(started.attachment.done);
    for (const w of rest) w.started(processes.attach(c.id, w.streams).then((a) => a.done));
    sendEmpty(res);
  });

  r.add('POST', '/containers/:id/stop', async (req, { res }) => {
    const c = containers.resolve(req.params.id!);
    if (!(await isRunning(c.id))) return sendEmpty(res, 304);
    await processes.stop(c.id, intParam(req.query, 't'));
    sendEmpty(res);
  });

  r.add('POST', '/containers/:id/restart', async (req, { res }) => {
    const c = containers.resolve(req.params.id!);
    await processes.stop(c.id, intParam(req.query, 't'));
    await processes.start(c.id);
    sendEmpty(res);
  });

  r.add('POST', '/containers/:id/kill', async (req, { res }) => {
    await processes.kill(req.params.id!, req.query.get('signal') || 'SIGKILL');
    sendEmpty(res);
  });

  for (const verb of ['pause', 'unpause'] as const) {
    r.add('POST', `/containers/:id/${verb}`, async (req, { res }) => {
      await processes[verb](req.params.id!);
      sendEmpty(res);
    });
  }

  r.add('POST', '/containers/:id/wait', async (req, reply) => {
    const condition = (req.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new ApiError(400, `invalid condition: "${condition}"`);
    const c = containers.resolve(req.params.id!);
    // As Docker's daemon: the status goes first, so a client can start the container once the wait is set.
    const wait = waitFor(engine, c.id, condition, reply.signal);
    reply.res.writeHead(200, { 'Content-Type': 'application/json' });
    reply.res.flushHeaders();
    try {
      const code = await wait;
      // Docker's field order (its struct's): Error first.
      reply.res.end(JSON.stringify({ Error: null, StatusCode: code }) + '\n');
    } catch (e) {
      reply.res.end(JSON.stringify({ Error: { Message: (e as Error).message }, StatusCode: -1 }) + '\n');
    }
  });

  r.add('GET', '/containers/:id/logs', async (req, reply) => {
    const q = req.query;
    const want = { stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') };
    if (!want.stdout && !want.stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
    const c = containers.resolve(req.params.id!);
    const tty = containers.config(c).Tty;
    // As Docker's daemon: `tail` that is not a number (`all`, empty, `x`) is every line.
    const tailText = q.get('tail') ?? '';
    const tail = /^-?\d+$/.test(tailText) ? Number(tailText) : undefined;
    const sinceText = q.get('since');
    const untilText = q.get('until');
    const query = {
      tail: tail !== undefined && tail >= 0 ? tail : undefined,
      ...(sinceText && sinceText !== '0' ? { since: sinceText } : {}),
      ...(untilText && untilText !== '0' ? { until: untilText } : {}),
    };
    const { res } = reply;
    res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
    const out = { stdout: sink(res, 1, tty), stderr: sink(res, 2, tty) };
    const write = logLines(want, { timestamps: flag(q, 'timestamps'), details: flag(q, 'details') }, out);
    if (flag(q, 'follow')) await processes.follow(c.id, query, write, AbortSignal.any([reply.signal, s.stopping]));
    else write(processes.logs(c.id, query));
    res.end();
  });

  r.add('POST', '/containers/:id/attach', async (req, reply) => attach(s, req, reply));

  r.add('POST', '/containers/:id/resize', async (req, { res }) => {
    const h = intParam(req.query, 'h', 0)!;
    const w = intParam(req.query, 'w', 0)!;
    const c = containers.resolve(req.params.id!);
    if (!(await isRunning(c.id))) throw new ConflictError(`Container ${c.id} is not running`);
    processes.resize(c.id, h, w);
    sendEmpty(res, 200);
  });

  r.add('GET', '/containers/:id/changes', async (req, { res }) => {
    const changes = await containers.diff(req.params.id!);
    sendJson(res, 200, changes.length ? changes.map((ch) => ({ Path: ch.path, Kind: KIND[ch.kind] })) : null);
  });

  r.add('GET', '/containers/:id/export', async (req, reply) => {
    const tar = containers.export(req.params.id!);
    reply.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    // A client gone mid-stream destroys the tar, whose close unmounts what the export mounted.
    await pipeline(tar, reply.res).catch(() => tar.destroy());
  });

  r.add('GET', '/containers/:id/top', async (req, { res }) => {
    const psArgs = req.query.get('ps_args');
    sendJson(res, 200, await processes.top(req.params.id!, psArgs ? psArgs.split(/\s+/).filter(Boolean) : undefined));
  });

  r.add('GET', '/containers/:id/stats', async (req, reply) => {
    const c = containers.resolve(req.params.id!);
    const stream = req.query.get('stream') === null || flag(req.query, 'stream');
    const endless = AbortSignal.any([reply.signal, s.stopping]);
    reply.res.writeHead(200, { 'Content-Type': 'application/json' });
    do {
      const sample = await processes.stats(c.id);
      if (endless.aborted) break;
      reply.res.write(JSON.stringify(dockerStats(c, sample)) + '\n');
      if (!sample) break;
    } while (stream && !endless.aborted);
    reply.res.end();
  });

  r.add('POST', '/containers/:id/rename', async (req, { res }) => {
    const name = req.query.get('name');
    if (!name) throw new ApiError(400, 'Neither old nor new names may be empty');
    containers.rename(req.params.id!, name);
    sendEmpty(res);
  });

  r.add('DELETE', '/containers/:id', async (req, { res }) => {
    await containers.remove(req.params.id!, { force: flag(req.query, 'force'), volumes: flag(req.query, 'v') });
    sendEmpty(res);
  });

  r.add('POST', '/containers/prune', async (req, { res }) => {
    const report = await containers.prune({ filters: filterPairs(req.query) });
    sendJson(res, 200, { ContainersDeleted: report.ContainersDeleted ?? null, SpaceReclaimed: report.SpaceReclaimed });
  });

  r.add('POST', '/commit', async (req, { res }) => {
    const q = req.query;
    const ref = q.get('container');
    if (!ref) throw new NotFoundError('No such container: ');
    const repo = q.get('repo');
    const id = await containers.commit(ref, {
      ...(repo ? { reference: q.get('tag') ? `${repo}:${q.get('tag')}` : repo } : {}),
      message: q.get('comment') || undefined, author: q.get('author') || undefined,
      changes: q.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
    });
    sendJson(res, 201, { Id: id });
  });
}

/**
 * POST /containers/{id}/attach, hijacked: the process's streams on the connection (framed without a TTY),
 * the client's bytes to its stdin. An attach to a container not yet started waits for its start (`docker run`).
 */
async function attach(s: Service, req: Request, reply: Reply): Promise<void> {
  const { containers } = s.engine;
  const { processes } = containers;
  if (!reply.hijack) throw new ApiError(400, 'attach needs an upgraded connection (Connection: Upgrade, Upgrade: tcp)');
  const c = containers.resolve(req.params.id!);
  const config = containers.config(c);
  const tty = config.Tty;
  const q = req.query;
  const state = await processes.state(c);
  const socket = reply.hijack();
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${tty ? RAW : MULTIPLEXED}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  if (flag(q, 'logs')) logLines({ stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') }, { timestamps: false, details: false }, { stdout: sink(socket, 1, tty), stderr: sink(socket, 2, tty) })(processes.logs(c.id));
  if (!flag(q, 'stream')) {
    socket.end();
    return;
  }
  const streams: AttachStreams = {
    stdout: flag(q, 'stdout') ? sinkStream(sink(socket, 1, tty)) : discard(),
    stderr: flag(q, 'stderr') ? sinkStream(sink(socket, 2, tty)) : discard(),
    ...(flag(q, 'stdin') && config.OpenStdin ? { stdin: socket } : {}),
  };
  const relay = (done: Promise<void>) => { void done.catch(() => {}).finally(() => socket.end()); };
  // Not running: relayed from its next start, as dockerd does (`docker start -a` attaches first, then starts).
  if (state.status === 'created' || state.status === 'exited') {
    const list = s.pendingAttach.get(c.id) ?? [];
    const pending = { streams, started: relay };
    list.push(pending);
    s.pendingAttach.set(c.id, list);
    socket.once('close', () => {
      const now = s.pendingAttach.get(c.id)?.filter((p) => p !== pending) ?? [];
      if (now.length) s.pendingAttach.set(c.id, now); else s.pendingAttach.delete(c.id);
    });
    return;
  }
  const attachment = await processes.attach(c.id, streams);
  socket.once('close', () => attachment.detach());
  relay(attachment.done);
}
