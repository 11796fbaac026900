/**
 * The registry client on the engine (`await engine.registry()`): pull, push, login and logout. It reports
 * only through a Progress callback of Docker's JSON messages and stops when its AbortSignal fires, so the
 * CLI and the API service drive it alike.
 */
import { InvalidArgumentError, NotFoundError, StrataError } from '../engine/errors.js';
import type { Images } from '../engine/images.js';
import type { Layers } from '../engine/layers.js';
import type { Progress } from '../engine/messages.js';
import type { Store } from '../engine/store.js';
import { referenceString, splitStored } from '../images/reference.js';
import type { Compression } from './compress.js';
import { eraseCredentials, loadCredentials, saveCredentials, type Credentials } from './credentials.js';
import { endpointFor, serverHost } from './hosts.js';
import { errorText, RegistryClient, RegistryError } from './http.js';
import { scope, target, type Target } from './names.js';
import { Puller, type PullResult } from './pull.js';
import { Pusher, type PushResult } from './push.js';

export type { Credentials } from './credentials.js';
export type { Compression } from './compress.js';
export type { PullResult } from './pull.js';
export type { PushResult } from './push.js';
export { RegistryError } from './http.js';

export interface TransferOptions {
  /** Credentials to use instead of the ones config.json holds (the API's X-Registry-Auth). */
  credentials?: Credentials;
  signal?: AbortSignal;
  /** Every tag of the repository (`-a`). */
  allTags?: boolean;
  /** Layers moved at once: 3 for pull, 5 for push, as Docker's defaults. */
  concurrency?: number;
  /** Attempts of a transient failure, and the first wait between them (seconds); Docker's 5 and 5. */
  attempts?: number;
  retryDelaySeconds?: number;
}

export interface PullOptions extends TransferOptions {
  /** `os/arch[/variant]`; the host's by default. */
  platform?: string;
}

export interface PushOptions extends TransferOptions {
  /** How layers never pushed before are compressed (gzip by default). */
  compression?: Compression;
}

export interface LoginResult { Status: string; IdentityToken?: string; ServerAddress: string }

const noProgress: Progress = () => {};

export class Registry {
  constructor(private readonly store: Store, private readonly images: Images, private readonly layers: Layers) {}

  private client(host: string, opts: TransferOptions): RegistryClient {
    return new RegistryClient(endpointFor(host), {
      credentials: opts.credentials ?? loadCredentials(host), signal: opts.signal, attempts: opts.attempts, retryDelaySeconds: opts.retryDelaySeconds,
    });
  }

  /** `docker pull`: a NAME[:TAG|@DIGEST] (the tag defaults to latest), or every tag with `allTags`. */
  async pull(ref: string, opts: PullOptions = {}, progress: Progress = noProgress): Promise<PullResult[]> {
    const t = target(ref);
    if (opts.allTags && (t.tag || t.digest)) throw new InvalidArgumentError('tag can\'t be used with --all-tags/-a');
    const client = this.client(t.host, opts);
    await client.ping();
    const puller = new Puller(this.store, this.images, this.layers, client, progress);
    const one = { platform: opts.platform, concurrency: opts.concurrency ?? 3, signal: opts.signal ?? new AbortController().signal };
    try {
      if (!opts.allTags) return [await puller.pull(t.tag || t.digest ? t : { ...t, tag: 'latest' }, one)];
      const results: PullResult[] = [];
      for (const tag of await this.tags(client, t)) results.push(await puller.pull({ ...t, tag }, one));
      return results;
    } catch (e) {
      throw this.diskFull(e);
    }
  }

  /**
   * A full disk in Docker's words (`write <path>: no space left on device`): the runtime's ENOSPC names
   * the system call, not the file, so the path is the store's (the file system that filled).
   */
  private diskFull(e: unknown): unknown {
    const err = e as NodeJS.ErrnoException;
    if (err?.code !== 'ENOSPC' && !/ENOSPC|no space left on device/.test(err?.message ?? '')) return e;
    return new StrataError(`write ${err.path ?? this.store.root}: no space left on device`);
  }

  /** `docker push`: NAME[:TAG] (latest by default), or every local tag of the repository with `allTags`. */
  async push(ref: string, opts: PushOptions = {}, progress: Progress = noProgress): Promise<PushResult[]> {
    const t = target(ref);
    if (t.digest) throw new InvalidArgumentError(`cannot push a digest reference: ${ref}`);
    if (opts.allTags && t.tag) throw new InvalidArgumentError('tag can\'t be used with --all-tags/-a');
    // As Docker: the repository is named first, then what is missing (without its tag).
    progress({ status: `The push refers to repository [${t.repository}]` });
    const tags = opts.allTags ? this.localTags(t) : [t.tag ?? 'latest'];
    const images = tags.map((tag) => {
      const id = this.store.meta.tagTarget(referenceString({ repository: t.repository, tag }));
      const img = id ? this.store.meta.getImage(id) : undefined;
      if (!img) throw new NotFoundError(`An image does not exist locally with the tag: ${t.familiar}`);
      return { tag, img };
    });
    const client = this.client(t.host, opts);
    await client.ping();
    const pusher = new Pusher(this.store, this.layers, client, progress);
    const one = { concurrency: opts.concurrency ?? 5, compression: opts.compression ?? 'gzip', signal: opts.signal ?? new AbortController().signal };
    const results: PushResult[] = [];
    for (const { tag, img } of images) results.push(await pusher.push({ ...t, tag }, img, one));
    return results;
  }

  private localTags(t: Target): string[] {
    const tags = [...this.store.meta.allTags().values()].flat().map(splitStored).filter((r) => r.repository === t.repository && r.tag).map((r) => r.tag!);
    if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${t.familiar}`);
    return tags.sort();
  }

  /** The repository's tags in the registry (`GET /v2/<name>/tags/list`, following its Link pages). */
  private async tags(client: RegistryClient, t: Target): Promise<string[]> {
    const tags: string[] = [];
    await client.ping();
    let url: string | undefined = client.url(`${t.path}/tags/list`);
    while (url) {
      const res: Response = await client.request('GET', url, { scopes: [scope(t.path, 'pull')] });
      if (!res.ok) throw new RegistryError(`listing the tags of ${t.familiar}: ${(await errorText(res)).text}`, res.status);
      tags.push(...((await res.json()) as { tags?: string[] }).tags ?? []);
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      url = next ? new URL(next, url).toString() : undefined;
    }
    return tags;
  }

  /**
   * `docker login`: checks the credentials against the registry, then (unless `store` is false, as for the
   * API, which only checks) keeps them in config.json or its credential helper.
   */
  async login(server: string | undefined, creds: { username: string; password: string }, opts: { store?: boolean; signal?: AbortSignal } = {}): Promise<LoginResult> {
    const host = serverHost(server);
    if (!creds.username) throw new InvalidArgumentError('Username is required');
    if (!creds.password) throw new InvalidArgumentError('Password is required');
    const client = new RegistryClient(endpointFor(host), { credentials: creds, signal: opts.signal, attempts: 1 });
    await client.authenticate();
    if (opts.store !== false) saveCredentials(host, creds);
    return { Status: 'Login Succeeded', ServerAddress: host };
  }

  /** The username and password stored for a login server, if any (`login` tries them before asking). */
  storedLogin(server: string | undefined): { username: string; password: string } | undefined {
    const c = loadCredentials(serverHost(server));
    return c?.username && c.password ? { username: c.username, password: c.password } : undefined;
  }

  /** `docker logout`: false when there was nothing to remove. */
  logout(server: string | undefined): { host: string; removed: boolean } {
    const host = serverHost(server);
    return { host, removed: eraseCredentials(host) };
  }
}
