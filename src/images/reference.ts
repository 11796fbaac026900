/**
 * Image references as Docker parses them (distribution's reference grammar): `[domain/]path[:tag][@digest]`.
 * Stored names are fully qualified ("docker.io/library/busybox:latest"); users see the familiar form
 * ("busybox:latest"), as `docker images` prints them.
 */
export const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export interface Reference {
  /** Fully qualified repository name, e.g. "docker.io/library/busybox". */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Docker's words: `invalid reference format`, without the reference (callers that add it say where). */
export class InvalidReferenceError extends Error {
  constructor(why = 'invalid reference format') {
    super(why);
  }
}

/** Parse a reference; `name` must not be a bare image ID (callers try IDs first). */
export function parseReference(ref: string): Reference {
  // A name given as 64 hex digits reads as an image ID wherever it is used later: Docker refuses it (only
  // that spelling: with a tag or a domain it is a name like any other).
  if (/^[a-f0-9]{64}$/.test(ref)) throw new InvalidReferenceError(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidReferenceError();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError();
  }
  if (rest.length === 0 || rest.length > 255) throw new InvalidReferenceError();
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0]!;
  // A first component is a registry only with a dot, a port or as localhost: Docker 20.10's daemon reads
  // `Up/x` as docker.io/Up/x, and refuses it for its capitals.
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) throw new InvalidReferenceError();
    domain = first;
    parts.shift();
  }
  let path = parts.join('/');
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = OFFICIAL_PREFIX + path;
  if (path !== path.toLowerCase()) throw new InvalidReferenceError(`invalid reference format: repository name (${path}) must be lowercase`);
  if (!parts.every((p) => COMPONENT.test(p))) throw new InvalidReferenceError();
  const repository = `${domain}/${path}`;
  return { repository, tag, digest };
}

/** A reference with the default tag when it names neither tag nor digest (as `docker tag`/`import` do). */
export function parseTaggedReference(ref: string): Reference & { tag?: string } {
  const r = parseReference(ref);
  return r.tag || r.digest ? r : { ...r, tag: 'latest' };
}

export function referenceString(r: Reference): string {
  return r.repository + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** "docker.io/library/busybox" → "busybox"; "docker.io/acme/x" → "acme/x"; other registries unchanged. */
export function familiarRepository(repository: string): string {
  if (!repository.startsWith(DEFAULT_DOMAIN + '/')) return repository;
  const path = repository.slice(DEFAULT_DOMAIN.length + 1);
  return path.startsWith(OFFICIAL_PREFIX) && !path.slice(OFFICIAL_PREFIX.length).includes('/') ? path.slice(OFFICIAL_PREFIX.length) : path;
}

export function familiarString(stored: string): string {
  const r = splitStored(stored);
  return familiarRepository(r.repository) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Split a stored (already-normalized) name without re-validating it. */
export function splitStored(stored: string): Reference {
  const at = stored.indexOf('@');
  if (at >= 0) return { repository: stored.slice(0, at), digest: stored.slice(at + 1) };
  const colon = stored.lastIndexOf(':');
  if (colon > stored.lastIndexOf('/')) return { repository: stored.slice(0, colon), tag: stored.slice(colon + 1) };
  return { repository: stored };
}
