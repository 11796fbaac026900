/**
 * The HTTP side of the Engine API: requests as handlers see them, and Docker's answers (JSON bodies, its
 * error object `{"message": …}` with the status Docker's daemon gives each kind of failure).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError, type FilterPair } from '../engine/index.js';

/** A failure with its HTTP status, for what the API itself refuses (a bad query, an endpoint strata lacks). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A request body larger than this is refused (413) unless the endpoint streams it (archives, tars). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

export interface Request {
  method: string;
  /** The path without its `/vX.Y` prefix. */
  path: string;
  /** The API version the client asked for (its prefix), or the service's own. */
  version: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The body, as a stream (archives, tars) — for an upgrade, what follows the headers. */
  body: NodeJS.ReadableStream;
  /** The body as JSON ({} when empty); refused when larger than MAX_JSON_BODY. */
  json<T = Record<string, unknown>>(): Promise<T>;
}

/** Where a handler answers: an ordinary response, or a hijacked connection (attach, exec start). */
export interface Reply {
  res: ServerResponse;
  /** The connection, when the client asked to upgrade it (`Connection: Upgrade`). */
  hijack?: () => Duplex;
  /** Aborted when the client goes away: streaming work stops and undoes what it left half-made. */
  signal: AbortSignal;
}

export type Handler = (req: Request, reply: Reply) => Promise<void> | void;

/** Read a body as JSON, as Docker's daemon does: empty is `{}`; anything else must be one JSON value. */
export async function readJson<T>(body: NodeJS.ReadableStream, limit = MAX_JSON_BODY): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, `request body is larger than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** The status Docker's daemon answers a failure with (its errdefs): 400 bad input, 404 absent, 409 conflict, else 500. */
export function statusOf(e: unknown): number {
  if (e instanceof ApiError) return e.status;
  if (e instanceof NotFoundError) return 404;
  if (e instanceof ConflictError) return 409;
  if (e instanceof InvalidArgumentError) return 400;
  return 500;
}

export function sendError(res: ServerResponse, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusOf(e), { message });
}

/** A query flag as Docker's daemon reads one: absent, empty, 0, no, false and none are false. */
export function flag(q: URLSearchParams, key: string): boolean {
  const v = (q.get(key) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** An integer query value; `fallback` when absent or empty, a 400 when not a number. */
export function intParam(q: URLSearchParams, key: string, fallback?: number): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, `invalid value for ${key}: ${JSON.stringify(v)}`);
  return n;
}

/**
 * `filters=` as clients send it: `{"key": {"value": true}}` (Docker's map), or the older `{"key": ["value"]}`;
 * given as the engine's key=value pairs.
 */
export function filterPairs(q: URLSearchParams): FilterPair[] {
  const raw = q.get('filters');
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ApiError(400, `invalid filter: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'invalid filter: not an object');
  const pairs: FilterPair[] = [];
  for (const [key, values] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(values)) for (const v of values) pairs.push([key, String(v)]);
    else if (values && typeof values === 'object') {
      for (const [v, on] of Object.entries(values)) if (on) pairs.push([key, v]);
    } else throw new ApiError(400, `invalid filter: ${key}`);
  }
  return pairs;
}
