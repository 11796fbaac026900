/**
 * /images/…: list, inspect, history, tag, remove, prune, get (save), load, create from a tar (import) or
 * from a registry (pull, ./registry.ts), push; search is refused.
 */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { streamProgress } from '../progress.js';
import { build } from './build.js';
import { auth, pull, push } from './registry.js';
import { ApiError, filterPairs, flag, sendJson, type Handler } from '../http.js';
import type { Router } from '../router.js';
import { emptyContainerConfig, type ImageConfig, type ImageInspect } from '../../engine/index.js';
import { compareVersions } from '../versions.js';
import type { Service } from './service.js';

/** Before API 1.44 an image summary also had VirtualSize (the same as Size), which older clients compute with. */
export function withVirtualSize<T extends { Size: number }>(version: string, images: T[]): (T & { VirtualSize?: number })[] {
  return compareVersions(version, '1.44') < 0 ? images.map((i) => ({ ...i, VirtualSize: i.Size })) : images;
}

/**
 * An image's inspect as the API version asked for has it: before 1.45 with Container and ContainerConfig (the
 * config's `container` and `container_config`), before 1.44 with VirtualSize; in Docker's field order, which
 * `docker image inspect` prints as it comes.
 */
function forVersion(version: string, inspect: ImageInspect, config: () => ImageConfig): Record<string, unknown> {
  if (compareVersions(version, '1.45') >= 0) return { ...inspect };
  const { Id, RepoTags, RepoDigests, Parent, Comment, Created, ...rest } = inspect;
  const c = config();
  const { Size, GraphDriver, RootFS, Metadata, ...middle } = rest;
  return {
    Id, RepoTags, RepoDigests, Parent, Comment, Created, Container: c.container ?? '', ContainerConfig: c.container_config ?? emptyContainerConfig(),
    ...middle, Size, ...(compareVersions(version, '1.44') < 0 ? { VirtualSize: Size } : {}), GraphDriver, RootFS, Metadata,
  };
}

const notSupported = (what: string): Handler => () => { throw new ApiError(501, `${what} is not supported by strata's API service yet`); };

export function imageRoutes(r: Router, s: Service): void {
  const { images } = s.engine;

  r.add('GET', '/images/json', (req, { res }) => {
    // `filter=NAME` is the reference filter older clients send.
    const legacy = req.query.get('filter');
    const list = images.list({ all: flag(req.query, 'all'), filters: [...filterPairs(req.query), ...(legacy ? [['reference', legacy] as const] : [])] });
    // Docker's list leaves the count of containers uncomputed (-1, which the CLI shows as N/A); system df counts them.
    sendJson(res, 200, withVirtualSize(req.version, list.map((i) => ({ ...i, Containers: -1 }))));
  });

  r.add('GET', '/images/search', notSupported('searching a registry (docker search)'));

  r.add('GET', '/images/get', async (req, reply) => {
    await save(s, req.query.getAll('names'), reply.res, reply.signal);
  });

  r.add('POST', '/images/load', async (req, { res }) => {
    const result = await (await s.engine.transfer()).load(req.body as Readable);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const r2 of result.renamed) res.write(JSON.stringify({ stream: `The image ${r2.name} already exists, renaming the old one with ID ${r2.previousId} to empty string\n` }) + '\r\n');
    for (const img of result.images) {
      const lines = img.RepoTags.length ? img.RepoTags.map((t) => `Loaded image: ${t}\n`) : [`Loaded image ID: ${img.Id}\n`];
      for (const stream of lines) res.write(JSON.stringify({ stream }) + '\r\n');
    }
    res.end();
  });

  r.add('POST', '/images/create', async (req, reply) => {
    const q = req.query;
    if (q.get('fromImage')) return pull(s)(req, reply);
    const src = q.get('fromSrc');
    if (src !== '-') throw new ApiError(501, `importing from ${JSON.stringify(src ?? '')} is not supported: send the tar in the request (fromSrc=-)`);
    const repo = q.get('repo');
    const reference = repo ? (q.get('tag') ? `${repo}:${q.get('tag')}` : repo) : undefined;
    // Refused before the stream begins, as a status the client sees.
    if (reference) images.normalizeTag(reference);
    await streamProgress(reply.res, async (progress) => {
      const id = await images.import(req.body as Readable, {
        reference, message: q.get('message') || undefined, changes: q.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
      });
      progress({ status: id });
    });
  });

  r.add('POST', '/images/prune', async (req, { res }) => {
    const filters = filterPairs(req.query);
    // `dangling=false` is `image prune -a`.
    const all = filters.some(([k, v]) => k === 'dangling' && ['false', '0'].includes(v.toLowerCase()));
    const report = await images.prune({ all, filters: filters.filter(([k]) => k !== 'dangling') });
    sendJson(res, 200, { ImagesDeleted: report.ImagesDeleted?.length ? report.ImagesDeleted : null, SpaceReclaimed: report.SpaceReclaimed });
  });

  r.add('GET', '/images/*name/json', (req, { res }) => {
    const inspect = images.inspect(req.params.name!);
    sendJson(res, 200, forVersion(req.version, inspect, () => images.config(images.resolve(inspect.Id))));
  });
  r.add('GET', '/images/*name/history', (req, { res }) => sendJson(res, 200, images.history(req.params.name!)));
  r.add('GET', '/images/*name/get', async (req, reply) => save(s, [req.params.name!], reply.res, reply.signal));
  r.add('POST', '/images/*name/push', push(s));

  r.add('POST', '/images/*name/tag', async (req, { res }) => {
    const repo = req.query.get('repo');
    if (!repo) throw new ApiError(400, 'repository name must have at least one component');
    await images.tag(req.params.name!, req.query.get('tag') ? `${repo}:${req.query.get('tag')}` : repo);
    res.writeHead(201);
    res.end();
  });

  r.add('DELETE', '/images/*name', async (req, { res }) => {
    sendJson(res, 200, await images.remove(req.params.name!, { force: flag(req.query, 'force'), noPrune: flag(req.query, 'noprune') }));
  });

  r.add('POST', '/build', build(s));
  // The classic builder's cache is its step images (Builder.prune); `all` removes the same (README).
  r.add('POST', '/build/prune', async (req, { res }) => {
    const report = await (await s.engine.builder()).prune(filterPairs(req.query));
    const deleted = (report.ImagesDeleted ?? []).flatMap((item) => ('Deleted' in item ? [item.Deleted] : []));
    sendJson(res, 200, { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: report.SpaceReclaimed });
  });
  r.add('POST', '/auth', auth(s));
}

/** docker-archive of `refs` streamed to the client; a client gone mid-way stops the save. */
async function save(s: Service, refs: string[], res: import('node:http').ServerResponse, signal: AbortSignal): Promise<void> {
  if (!refs.length) throw new ApiError(400, 'no images given (names=…)');
  // The engine resolves every name before the first byte, as Docker's save does (a bare repository is all its tags).
  const tar = (await s.engine.transfer()).save(refs, 'docker');
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  signal.addEventListener('abort', () => tar.destroy(), { once: true });
  await pipeline(tar, res).catch(() => tar.destroy());
}
