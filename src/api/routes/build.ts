/**
 * `POST /build`: the request body is the context as a tar (plain or gzip, as the docker CLI sends it), the
 * query the classic builder's flags; the builder's messages go to the client as they come.
 */
import type { Readable } from 'node:stream';
import type { BuildOptions } from '../../engine/index.js';
import { ApiError, flag, type Handler } from '../http.js';
import { streamProgress } from '../progress.js';
import type { Service } from './service.js';

/** A query parameter holding a JSON object of strings (buildargs, labels); a null value is an unset build arg. */
function jsonMap(q: URLSearchParams, key: string): Record<string, string> | undefined {
  const raw = q.get(key);
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid ${key}: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ApiError(400, `invalid ${key}: ${raw}`);
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export const build = (s: Service): Handler => async (req, reply) => {
  const q = req.query;
  if (q.get('remote')) throw new ApiError(501, 'building from a remote context (a URL or a git repository) is not supported by strata');
  const network = q.get('networkmode') || 'none';
  // The docker CLI sends `default` when --network is not given: strata's default is none.
  if (network !== 'none' && network !== 'host' && network !== 'default') throw new ApiError(400, `network mode "${network}" is not supported: strata has none and host only`);
  const opts: BuildOptions = {
    dockerfile: q.get('dockerfile') || undefined,
    tags: q.getAll('t'),
    buildArgs: jsonMap(q, 'buildargs'),
    labels: jsonMap(q, 'labels'),
    target: q.get('target') || undefined,
    noCache: flag(q, 'nocache'),
    quiet: flag(q, 'q'),
    rm: q.get('rm') === null ? true : flag(q, 'rm'),
    forceRm: flag(q, 'forcerm'),
    pull: flag(q, 'pull'),
    network: network === 'host' ? 'host' : 'none',
    platform: q.get('platform') || undefined,
    signal: reply.signal,
  };
  await streamProgress(reply.res, async (progress) => {
    await (await s.engine.builder()).build({ tar: req.body as Readable }, opts, progress);
  });
};
