/**
 * What an archive being read holds, worked out from the entries seen so far. Archives list entries in
 * any order (Docker and skopeo write manifest.json last; strata writes it first), so the plan is asked
 * for again as entries arrive, and is complete once every document it needs has been seen.
 */
import { planDockerArchive } from './docker.js';
import type { PlannedImage } from './model.js';
import { InvalidArchiveError } from './names.js';
import { planOciLayout } from './oci.js';

/** The plan needs an entry the reader has not seen; at the end of the archive, it is missing. */
export class NotYetSeen extends InvalidArchiveError {
  constructor(readonly entry: string) {
    super(`${entry} is missing`);
  }
}

/**
 * Images of the archive, one per image ID (names merged). docker-archive's manifest.json wins over an
 * OCI index.json when both are present (Docker 25+ writes both, and `docker load` reads manifest.json).
 */
export function planArchive(lookup: (name: string) => Buffer | undefined): PlannedImage[] {
  const read = (name: string): Buffer => {
    const b = lookup(name);
    if (!b) throw new NotYetSeen(name);
    return b;
  };
  const manifest = lookup('manifest.json');
  const index = manifest ? undefined : lookup('index.json');
  if (!manifest && !index) throw new NotYetSeen('manifest.json (or an OCI index.json)');
  const images = manifest ? planDockerArchive(manifest, read) : planOciLayout(index!, read);
  const byId = new Map<string, PlannedImage>();
  for (const img of images) {
    const seen = byId.get(img.id);
    if (seen) seen.names.push(...img.names.filter((n) => !seen.names.includes(n)));
    else byId.set(img.id, { ...img, names: [...new Set(img.names)] });
  }
  return [...byId.values()];
}
