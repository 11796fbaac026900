/**
 * Names inside an image archive. The archive is never extracted onto a filesystem: its entries are looked
 * up by name. So a name is a key, and a name that would climb out of the archive ("../x", "/etc/x") can
 * only come from a broken or hostile archive: it is refused rather than cleaned.
 */
export class InvalidArchiveError extends Error {
  constructor(message: string) {
    super(`invalid archive: ${message}`);
  }
}

/** "./a/b" → "a/b", "a/" → "a"; refuses "..", absolute names, and empty names. */
export function archiveName(name: string): string {
  if (name.startsWith('/')) throw new InvalidArchiveError(`entry ${JSON.stringify(name)} has an absolute name`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new InvalidArchiveError(`entry ${JSON.stringify(name)} points outside the archive`);
  if (parts.length === 0) throw new InvalidArchiveError(`entry ${JSON.stringify(name)} has an empty name`);
  return parts.join('/');
}

/**
 * The entry a symbolic link in the archive names. Classic `docker save` writes `<id>/layer.tar` as a
 * link to `../<other id>/layer.tar` when two layers have the same content, so links that stay inside the
 * archive are aliases; anything else is refused.
 */
export function linkTarget(from: string, linkname: string): string {
  if (linkname.startsWith('/')) throw new InvalidArchiveError(`link ${JSON.stringify(from)} points to an absolute path ${JSON.stringify(linkname)}`);
  const out = from.split('/').slice(0, -1);
  for (const p of linkname.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (out.length === 0) throw new InvalidArchiveError(`link ${JSON.stringify(from)} points outside the archive (${JSON.stringify(linkname)})`);
      out.pop();
    } else out.push(p);
  }
  if (out.length === 0) throw new InvalidArchiveError(`link ${JSON.stringify(from)} points to the archive root`);
  return out.join('/');
}

/** `blobs/sha256/<hex>` → "sha256:<hex>", for names whose content must hash to their name. */
export function blobDigestOf(name: string): string | undefined {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  return m ? `sha256:${m[1]}` : undefined;
}

export const blobPath = (digest: string): string => `blobs/${digest.replace(':', '/')}`;
