/**
 * One registry's HTTP API: the /v2/ probe (HTTPS, falling back to plain HTTP where allowed), Basic auth and
 * the Bearer token flow that a 401's WWW-Authenticate starts (realm, service, scopes; tokens kept until
 * they expire), redirects followed by hand so `Authorization` never goes to another host, and retries with
 * backoff of what is transient (5xx, 429 with Retry-After, a connection reset).
 */
import { rootCertificates } from 'node:tls';
import { StrataError } from '../engine/errors.js';
import type { Credentials } from './credentials.js';
import type { Endpoint } from './hosts.js';
import { proxyFor } from './proxy.js';

export class RegistryError extends StrataError {
  constructor(message: string, readonly httpStatus?: number, readonly code?: string) {
    super(message);
  }
}

/** A failure another attempt may get past. */
export class TransientError extends Error {
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

export interface ClientOptions {
  credentials?: Credentials;
  signal?: AbortSignal;
  /** Attempts of a transient failure before it is given up (Docker's 5). */
  attempts?: number;
  /** The first wait between attempts, in seconds; the n-th waits n times it (Docker's 5 s). */
  retryDelaySeconds?: number;
}

export interface RequestInit2 {
  headers?: Record<string, string>;
  /** A new body for every attempt (a stream can be sent once). */
  body?: () => BodyInit | null;
  /** `repository:<path>:<actions>` scopes the request needs. */
  scopes: string[];
}

type Challenge = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string };

/** The delay before retry number `attempt` (1-based), unless the server said (Retry-After). */
export function retryDelay(opts: ClientOptions, attempt: number, after?: number): number {
  if (after !== undefined) return after;
  return (opts.retryDelaySeconds ?? defaultDelay()) * attempt;
}

const defaultDelay = (): number => Number(process.env.STRATA_REGISTRY_RETRY_DELAY ?? 5);

/** Parse `Bearer realm="…",service="…",scope="…"` (and `Basic realm="…"`). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme === 'bearer' && params.realm) return { scheme: 'bearer', realm: params.realm, service: params.service };
  return undefined;
}

/** The message a registry's error body gives (`manifest unknown: manifest unknown`), or the HTTP status. */
export async function errorText(res: Response): Promise<{ text: string; code?: string }> {
  const body = await res.text().catch(() => '');
  try {
    const errors = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors;
    if (errors?.length) {
      const first = errors[0]!;
      const what = (first.code ?? '').toLowerCase().replace(/_/g, ' ');
      return { text: errors.map((e) => `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`).join(', '), code: first.code ?? what };
    }
  } catch { /* not JSON */ }
  return { text: `${res.status} ${res.statusText}${body && body.length < 200 ? `: ${body.trim()}` : ''}` };
}

const sleep = (seconds: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, seconds * 1000);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason as Error); }, { once: true });
});

/** Network failures worth another attempt: the connection was cut or reset, not refused. */
export function isTransientNetworkError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; name?: string };
  if (err?.name === 'AbortError') return false;
  const text = `${err?.code ?? ''} ${err?.message ?? ''}`;
  if (/ECONNREFUSED|ConnectionRefused|ENOTFOUND|EAI_AGAIN|certificate|self.signed/i.test(text)) return false;
  return /ECONNRESET|EPIPE|socket|closed|terminated|ETIMEDOUT|timed? ?out|premature|ConnectionClosed|aborted|network/i.test(text);
}

export class RegistryClient {
  private base?: string;
  private challenge?: Challenge;
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  /**
   * TLS as Docker's: the system's roots and the host's certs.d CAs, its client certificate if it has one;
   * an insecure registry's certificate is not verified (it may also be spoken to in plain HTTP).
   */
  private readonly tls: { ca?: string[]; cert?: string; key?: string; rejectUnauthorized: boolean };

  constructor(readonly endpoint: Endpoint, readonly opts: ClientOptions = {}) {
    const { ca, cert, key } = endpoint.tls;
    this.tls = { ...(ca ? { ca: [...rootCertificates, ...ca] } : {}), ...(cert ? { cert, key } : {}), rejectUnauthorized: !endpoint.insecure };
  }

  /** `GET /v2/`: finds the scheme, and how the registry wants to be authenticated. */
  async ping(): Promise<void> {
    if (this.base) return;
    const tryBase = async (base: string): Promise<Response> => this.raw('GET', `${base}/v2/`, {});
    let res: Response;
    try {
      res = await tryBase(this.endpoint.base);
      this.base = this.endpoint.base;
    } catch (e) {
      if (!this.endpoint.insecure) throw new RegistryError(`Get "${this.endpoint.base}/v2/": ${describe(e)}`);
      const plain = this.endpoint.base.replace(/^https:/, 'http:');
      try {
        res = await tryBase(plain);
      } catch (e2) {
        throw new RegistryError(`Get "${plain}/v2/": ${describe(e2)}`);
      }
      this.base = plain;
    }
    if (res.status === 401) this.challenge = parseChallenge(res.headers.get('www-authenticate'));
    else if (!res.ok && res.status !== 404) {
      throw new RegistryError(`Get "${this.base}/v2/": ${(await errorText(res)).text}`, res.status);
    }
    await res.body?.cancel().catch(() => undefined);
  }

  /** The API's URL for a path under /v2/. */
  url(path: string): string {
    if (!this.base) throw new Error('the registry was not probed yet (ping first)');
    return `${this.base}/v2/${path}`;
  }

  /** Check the credentials against the registry (login): resolves, or fails with the registry's refusal. */
  async authenticate(): Promise<{ identityToken?: string }> {
    await this.ping();
    if (!this.challenge) return {};
    const res = await this.request('GET', this.url(''), { scopes: [] });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401) throw new RegistryError(`login attempt to ${this.url('')} failed with status: 401 Unauthorized`, 401);
    return {};
  }

  /**
   * A request with authentication, redirects and retries of transient failures. Returns any final
   * response (callers judge its status), except that 5xx and 429 are retried until attempts run out.
   */
  async request(method: string, url: string, init: RequestInit2, onRetry?: (seconds: number, why: string) => Promise<void> | void): Promise<Response> {
    await this.ping();
    const attempts = this.opts.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.authorized(method, url, init);
        if (res.status >= 500 || res.status === 429) {
          const after = Number(res.headers.get('retry-after'));
          const { text } = await errorText(res);
          throw new TransientError(`${method} ${url}: ${res.status === 429 ? 'toomanyrequests: ' : ''}${text}`, Number.isFinite(after) && after > 0 ? after : undefined);
        }
        return res;
      } catch (e) {
        const transient = e instanceof TransientError || isTransientNetworkError(e);
        if (!transient || attempt >= attempts) {
          if (e instanceof StrataError) throw e;
          throw new RegistryError(e instanceof TransientError ? e.message : `${method} "${url}": ${describe(e)}`);
        }
        const delay = retryDelay(this.opts, attempt, e instanceof TransientError ? e.retryAfterSeconds : undefined);
        if (onRetry) await onRetry(delay, (e as Error).message);
        else await sleep(delay, this.opts.signal);
      }
    }
  }

  /** Sleep `seconds`, calling `tick` with the seconds left each second (Docker's `Retrying in N seconds`). */
  async countdown(seconds: number, tick: (left: number) => void): Promise<void> {
    for (let left = Math.ceil(seconds); left > 0; left--) {
      tick(left);
      await sleep(Math.min(1, seconds), this.opts.signal);
      seconds -= 1;
    }
  }

  private async authorized(method: string, url: string, init: RequestInit2): Promise<Response> {
    let res = await this.follow(method, url, init, await this.authHeader(init.scopes));
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      if (challenge) {
        this.challenge = challenge;
        this.tokens.clear();
        await res.body?.cancel().catch(() => undefined);
        res = await this.follow(method, url, init, await this.authHeader(init.scopes));
      }
    }
    return res;
  }

  /** Follow redirects by hand: the Authorization header goes only to the registry's own host. */
  private async follow(method: string, url: string, init: RequestInit2, auth: string | undefined): Promise<Response> {
    const origin = new URL(url).host;
    for (let hops = 0; hops < 10; hops++) {
      const sameHost = new URL(url).host === origin;
      const headers = { ...init.headers, ...(auth && sameHost ? { Authorization: auth } : {}) };
      const res = await this.raw(method, url, { headers, body: init.body?.() ?? null });
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await res.body?.cancel().catch(() => undefined);
      url = new URL(location, url).toString();
      if (res.status === 303) method = method === 'HEAD' ? 'HEAD' : 'GET';
    }
    throw new RegistryError(`${method} ${url}: too many redirects`);
  }

  private raw(method: string, url: string, init: { headers?: Record<string, string>; body?: BodyInit | null }): Promise<Response> {
    const proxy = proxyFor(new URL(url));
    return fetch(url, {
      method, headers: { 'User-Agent': 'strata', ...init.headers }, body: init.body ?? undefined, redirect: 'manual', signal: this.opts.signal,
      ...(url.startsWith('https:') ? { tls: this.tls } : {}),
      // The proxy is chosen here by Go's rules (./proxy.ts); `false` keeps the runtime from choosing its own.
      proxy: proxy ? { url: proxy, respectNoProxy: false } : false,
      ...(init.body ? { duplex: 'half' } : {}),
    } as RequestInit);
  }

  private async authHeader(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    const creds = this.opts.credentials;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      return creds?.username !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    }
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(c, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /** The token server's answer for these scopes, with the registry's credentials if there are any. */
  private async fetchToken(c: { realm: string; service?: string }, scopes: string[]): Promise<{ token: string; expires: number }> {
    const creds = this.opts.credentials;
    const url = new URL(c.realm);
    if (c.service) url.searchParams.set('service', c.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    let res: Response;
    try {
      if (creds?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'strata', ...(c.service ? { service: c.service } : {}), scope: scopes.join(' ') });
        res = await this.raw('POST', c.realm, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      } else {
        const headers: Record<string, string> = creds?.username !== undefined ? { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` } : {};
        res = await this.raw('GET', url.toString(), { headers });
      }
    } catch (e) {
      throw new RegistryError(`Get "${url}": ${describe(e)}`);
    }
    if (!res.ok) {
      const { text } = await errorText(res);
      throw new RegistryError(res.status === 401 ? `unauthorized: ${text}` : `getting a token from ${c.realm}: ${text}`, res.status);
    }
    const body = await res.json() as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token server ${c.realm} answered without a token`);
    const issued = body.issued_at ? Date.parse(body.issued_at) || Date.now() : Date.now();
    // A token lives 60 s when the server does not say (the token spec's default). It is renewed a little
    // before it expires (5 s, or a quarter of a shorter life), so no request starts with one about to lapse.
    const lifetime = (body.expires_in && body.expires_in > 0 ? body.expires_in : 60) * 1000;
    return { token, expires: Math.min(issued, Date.now()) + lifetime - Math.min(5000, lifetime / 4) };
  }
}

/** What Go's crypto/x509 says of a certificate the runtime refused (Docker's words for the same failure). */
const X509: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'certificate has expired or is not yet valid',
  CERT_NOT_YET_VALID: 'certificate has expired or is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is not valid for this host',
};

/** A fetch failure in words (`connect: connection refused`, `x509: certificate signed by unknown authority`). */
export function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err?.code === 'ConnectionRefused' || err?.code === 'ECONNREFUSED') return 'connect: connection refused';
  if (err?.code && X509[err.code]) return `x509: ${X509[err.code]}`;
  const unknown = /ENOTFOUND (\S+)/.exec(err?.message ?? '');
  if (err?.code === 'ENOTFOUND' && unknown) return `dial tcp: lookup ${unknown[1]}: no such host`;
  // The server ended the handshake: most often it wants a client certificate this host has none for.
  if (err?.code === 'EPROTO') return 'tls: the registry refused the handshake (does it require a client certificate? see certs.d)';
  return err?.message ?? String(e);
}
