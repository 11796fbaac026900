/**
 * The Engine API service: one engine (one open store) for every request, so requests cost no store opening;
 * each request is a handler's async work on the event loop, and the engine's heavy file work runs off it.
 * `idleSeconds`: exit after that long without a request (0: never). SIGTERM and SIGINT stop accepting, let
 * open requests finish (endless streams, such as events and logs -f, end at once), then resolve.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine/index.js';
import { rawResponse } from './rawresponse.js';
import { ApiError, readJson, sendError, type Reply, type Request } from './http.js';
import { listen, type Address } from './listen.js';
import { routes, type Service } from './routes/index.js';
import { upgradeBody } from './upgrade.js';

/** Docker's daemon takes headers up to 1 MiB (Go's default); beyond it the client gets 431. */
const MAX_HEADER_SIZE = 1024 * 1024;

export interface ServeOptions { address: Address; idleSeconds: number; onListening?: () => void }

export async function serve(engine: Engine, opts: ServeOptions): Promise<void> {
  const stopping = new AbortController();
  const service: Service = { engine, stopping: stopping.signal, pendingAttach: new Map(), execs: new Map() };
  const router = routes(service);
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let finished: () => void = () => {};
  const done = new Promise<void>((r) => { finished = r; });

  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    if (active === 0 && stopping.signal.aborted) finished();
    else if (active === 0 && opts.idleSeconds > 0) idle = setTimeout(stop, opts.idleSeconds * 1000);
  };
  const track = async (work: () => Promise<void>) => {
    active++;
    if (idle) clearTimeout(idle);
    try {
      await work();
    } finally {
      active--;
      armIdle();
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, hijack?: () => Duplex, body?: NodeJS.ReadableStream): Promise<void> {
    const client = new AbortController();
    const gone = () => { if (!res.writableFinished) client.abort(); };
    res.on('close', gone);
    try {
      const url = new URL(req.url ?? '/', 'http://strata');
      const { handler, params, path, version } = router.match(req.method ?? 'GET', url.pathname);
      const stream = body ?? req;
      const request: Request = {
        method: req.method ?? 'GET', path, version, params, query: url.searchParams, headers: req.headers, body: stream,
        json: <T>() => readJson<T>(stream),
      };
      const reply: Reply = { res, signal: client.signal, ...(hijack ? { hijack } : {}) };
      await handler(request, reply);
    } catch (e) {
      if (process.env.STRATA_DEBUG && !(e instanceof ApiError)) console.error(e);
      if (!res.writableEnded) sendError(res, e);
    }
  }

  const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, (req, res) => {
    void track(async () => {
      await handle(req, res);
      // A handler that has not answered (a stream still open) is done when the response is.
      if (!res.writableFinished) await new Promise<void>((r) => res.once('close', r));
    });
  });
  // attach and exec start: the client upgrades the connection and it carries the process's streams.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void track(async () => {
      const res = rawResponse(socket);
      let taken = false;
      const body = await upgradeBody(req, head);
      await handle(req, res as unknown as ServerResponse, () => { taken = true; return socket; }, body);
      if (taken) await new Promise<void>((r) => (socket.destroyed ? r() : socket.once('close', r)));
      else socket.end();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed requests and oversized headers: Docker's answer where one can still be given, never a crash.
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ message: status === 431 ? 'request header fields too large' : `malformed request: ${err.message}` });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  let unlisten = () => { server.close(); };
  function stop(): void {
    if (stopping.signal.aborted) return;
    stopping.abort();
    unlisten();
    server.close();
    (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    armIdle();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    unlisten = await listen(server, opts.address);
    opts.onListening?.();
    armIdle();
    await done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    unlisten();
    server.close();
  }
}
