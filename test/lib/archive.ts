/** docker-archive tarballs built by hand, for images no tool here would make (no `created`, 126 layers). */
import { createHash } from 'node:crypto';
import { buildTar, type RawEntry } from './tarbuild.js';

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface ArchiveImage {
  /** The config's fields; rootfs is filled in from the layers. */
  config: Record<string, unknown>;
  /** Uncompressed layer tars, base first. */
  layers: Buffer[];
  repoTags: string[];
}

/** A docker-archive of the images; manifest.json first, as strata writes it, or last, as Docker does. */
export function dockerArchive(images: ArchiveImage[], opts: { manifestLast?: boolean } = {}): Buffer {
  const entries: RawEntry[] = [];
  const manifest = images.map((img, i) => {
    const config = Buffer.from(JSON.stringify({ ...img.config, rootfs: { type: 'layers', diff_ids: img.layers.map((l) => sha256(l)) } }));
    const configName = `${sha256(config).slice(7)}.json`;
    entries.push({ name: configName, body: config });
    const layerNames = img.layers.map((l, j) => {
      const name = `image${i}-layer${j}/layer.tar`;
      entries.push({ name, body: l });
      return name;
    });
    return { Config: configName, RepoTags: img.repoTags, Layers: layerNames };
  });
  const manifestEntry = { name: 'manifest.json', body: JSON.stringify(manifest) };
  if (opts.manifestLast) entries.push(manifestEntry);
  else entries.unshift(manifestEntry);
  return buildTar(entries);
}

/** `count` one-file layers: layer i adds `/l<i>` holding "<i>\n". */
export const oneFileLayers = (count: number): Buffer[] =>
  Array.from({ length: count }, (_, i) => buildTar([{ name: `l${i}`, body: `${i}\n` }]));
