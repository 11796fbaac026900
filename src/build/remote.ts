/**
 * ADD of a URL, as Docker's classic builder does it: the file is downloaded by the builder itself (on the host's
 * network, whatever --network says for RUN), named from the URL's path (or its Content-Disposition), mode 0600,
 * its mtime the Last-Modified header's (the epoch without one), and never unpacked. Its digest (over the name and
 * the bytes) is what the step's cache compares, so the download happens on every build, as Docker's.
 */
import { chmodSync, closeSync, openSync, utimesSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Progress } from '../engine/messages.js';
import { progressBar } from '../registry/progress.js';
import { BuildError } from './errors.js';

export const isURL = (s: string) => /^https?:\/\//i.test(s);

export interface Download {
  /** The downloaded file's directory on the host; the file is `name` in it. */
  dir: string;
  /** The file name the URL gives ('' when it gives none: then only a destination that is not a directory names it). */
  name: string;
  /** sha256 (hex) over the name and the bytes: the step's digest. */
  digest: string;
}

/** The file name of a download, as Docker's getFilenameForDownload: the URL path's last element, else Content-Disposition's. */
function fileName(path: string, disposition: string | null): string {
  const base = (p: string) => (p && !p.endsWith('/') ? posix.basename(p) : '');
  const fromPath = base(decodeURIComponent(path));
  if (fromPath) return fromPath;
  const m = disposition ? /filename\*?=(?:"([^"]*)"|([^;\s]*))/i.exec(disposition) : null;
  return base(m?.[1] ?? m?.[2] ?? '');
}

/** Go's net/http error text for a request that never got an answer (`dial tcp …`), as Docker prints it. */
function transportError(url: URL, e: Error & { code?: string }): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (e.code === 'ECONNREFUSED') return `dial tcp ${url.hostname}:${port}: connect: connection refused`;
  if (e.code === 'ENOTFOUND') return `dial tcp: lookup ${url.hostname}: no such host`;
  return e.message;
}

/** Download `address` into `dir` (a new, empty directory), reporting Docker's `Downloading` bar through `progress`. */
export async function download(address: string, dir: string, progress: Progress, signal?: AbortSignal): Promise<Download> {
  const url = new URL(address);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow', headers: { 'User-Agent': 'strata' } });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new BuildError(`ADD failed: Get ${JSON.stringify(address)}: ${transportError(url, e as Error & { code?: string })}`);
  }
  if (res.status >= 400) {
    const body = (await res.text().catch(() => '')).trim();
    throw new BuildError(`ADD failed: failed to GET ${address} with status ${res.status} ${res.statusText}: ${body}`);
  }
  const name = fileName(url.pathname, res.headers.get('content-disposition'));
  const file = join(dir, name || 'download');
  const total = Number(res.headers.get('content-length') ?? -1);
  const hash = new Bun.CryptoHasher('sha256').update(`${name}\0`);
  const fd = openSync(file, 'wx', 0o600);
  let current = 0;
  let last = 0;
  const bar = () => progress({ status: 'Downloading', progressDetail: { current, total }, progress: progressBar(current, total) });
  try {
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
        current += chunk.length;
        if (Date.now() - last >= 100) { last = Date.now(); bar(); }
      }
    }
  } finally {
    closeSync(fd);
  }
  bar();
  chmodSync(file, 0o600);
  // Docker: Last-Modified when it parses, else the zero time, which Chtimes turns into the epoch.
  const modified = Date.parse(res.headers.get('last-modified') ?? '');
  const mtime = Number.isNaN(modified) ? new Date(0) : new Date(modified);
  utimesSync(file, mtime, mtime);
  return { dir, name, digest: hash.digest('hex') };
}

/** The history line's digest of an ADD's downloads: the one's own, or `multi:` over them all (as the classic builder names several sources). */
export function downloadsDigest(downloads: Download[]): string {
  if (downloads.length === 1) return downloads[0]!.digest;
  return `multi:${new Bun.CryptoHasher('sha256').update(downloads.map((d) => d.digest).join('\n')).digest('hex')}`;
}
