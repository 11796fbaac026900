/**
 * The registry's endpoints: pull (`POST /images/create?fromImage`), push and `POST /auth`, on
 * `engine.registry()`. Credentials come as the docker CLI sends them (X-Registry-Auth, base64url JSON);
 * without any, the service uses its own ~/.docker/config.json, as strata's CLI does.
 */
import type { Credentials, PullOptions } from '../../engine/index.js';
import { ApiError, type Handler, type Request } from '../http.js';
import { streamProgress } from '../progress.js';
import type { Service } from './service.js';

/** Docker's AuthConfig, as X-Registry-Auth and POST /auth carry it. */
interface AuthConfig { username?: string; password?: string; serveraddress?: string; identitytoken?: string; registrytoken?: string }

function credentials(req: Request): Credentials | undefined {
  const header = req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header === '') return undefined;
  let auth: AuthConfig;
  try {
    auth = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as AuthConfig;
  } catch {
    throw new ApiError(400, 'invalid X-Registry-Auth header: not base64url-encoded JSON');
  }
  const c: Credentials = { username: auth.username, password: auth.password, identityToken: auth.identitytoken, registryToken: auth.registrytoken };
  return c.username || c.identityToken || c.registryToken ? c : undefined;
}

/** fromImage and tag as Docker's daemon joins them: a tag, or a digest after `@`; neither means every tag. */
function pullTarget(image: string, tag: string): { ref: string; allTags: boolean } {
  if (tag) return { ref: tag.includes(':') ? `${image}@${tag}` : `${image}:${tag}`, allTags: false };
  const named = /@|:[^/]*$/.test(image);
  return { ref: image, allTags: !named };
}

export const pull = (s: Service): Handler => async (req, reply) => {
  const { ref, allTags } = pullTarget(req.query.get('fromImage')!, req.query.get('tag') ?? '');
  const opts: PullOptions = { allTags, platform: req.query.get('platform') || undefined, credentials: credentials(req), signal: reply.signal };
  await streamProgress(reply.res, async (progress) => {
    await (await s.engine.registry()).pull(ref, opts, progress);
  });
};

export const push = (s: Service): Handler => async (req, reply) => {
  const tag = req.query.get('tag') ?? '';
  const name = req.params.name!;
  await streamProgress(reply.res, async (progress) => {
    await (await s.engine.registry()).push(tag ? `${name}:${tag}` : name, { allTags: !tag, credentials: credentials(req), signal: reply.signal }, progress);
  });
};

/** POST /auth: checks the credentials against the registry; the client keeps them (the service stores nothing). */
export const auth = (s: Service): Handler => async (req, reply) => {
  const body = await req.json<AuthConfig>();
  try {
    const result = await (await s.engine.registry()).login(body.serveraddress || undefined, { username: body.username ?? '', password: body.password ?? '' }, { store: false, signal: reply.signal });
    reply.res.writeHead(200, { 'Content-Type': 'application/json' });
    reply.res.end(JSON.stringify({ Status: result.Status, IdentityToken: result.IdentityToken ?? '' }));
  } catch (e) {
    // As Docker's daemon: a refused login is 401, with the registry's words.
    if ((e as { httpStatus?: number }).httpStatus === 401) throw new ApiError(401, (e as Error).message);
    throw e;
  }
};
