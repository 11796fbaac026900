/**
 * docker-archive, as `docker save` writes it and `docker load` reads it:
 *   manifest.json   [{"Config": "<hex>.json", "RepoTags": ["busybox:latest"], "Layers": ["<id>/layer.tar", …]}]
 *   repositories    {"busybox": {"latest": "<id of the top layer>"}}
 *   <hex>.json      the image config (its sha256 is the image ID)
 *   <id>/VERSION "1.0", <id>/json (legacy v1 layer metadata), <id>/layer.tar (the exact layer tar)
 * Docker 25+ writes the same manifest.json with paths into an OCI layout (`blobs/sha256/<hex>`); the
 * reader takes both, since entries are found by the names manifest.json gives.
 */
import { familiarString, splitStored } from '../reference.js';
import { parseImageConfig } from '../config.js';
import { hexOf, sha256 } from '../digest.js';
import type { ArchiveEntry, PlannedImage, SaveImage, SaveLayer } from './model.js';
import { archiveName, InvalidArchiveError } from './names.js';

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/**
 * Legacy per-layer directory names. Docker derives them from v1 metadata that strata does not keep; any
 * unique name will do (readers go by manifest.json). The diffID's hex names the layer's bytes, so a
 * layer tar that appears in several images, or twice in one, is written once.
 */
const layerDirs = (layers: SaveLayer[]): string[] => layers.map((l) => hexOf(l.diffId));

/**
 * The entries of a docker-archive holding `images`, in an order that lets a streaming reader apply each
 * layer as it arrives: manifest.json and configs first, then layers base first, each layer written once.
 */
export function dockerArchiveEntries(images: SaveImage[]): ArchiveEntry[] {
  const manifest: DockerManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const configs: ArchiveEntry[] = [];
  const layers: ArchiveEntry[] = [];
  const written = new Set<string>();
  for (const img of images) {
    const mtime = img.created;
    const dirs = layerDirs(img.layers);
    const configName = `${hexOf(img.id)}.json`;
    const repoTags = img.names.map(familiarString);
    manifest.push({ Config: configName, RepoTags: repoTags.length ? repoTags : null, Layers: dirs.map((d) => `${d}/layer.tar`) });
    for (const name of img.names) {
      const ref = splitStored(name);
      if (ref.tag && dirs.length) (repositories[familiarString(ref.repository)] ??= {})[ref.tag] = dirs.at(-1)!;
    }
    if (!written.has(configName)) configs.push({ kind: 'bytes', name: configName, mtime, data: img.config });
    written.add(configName);
    img.layers.forEach((layer, i) => {
      const dir = dirs[i]!;
      if (written.has(dir)) return;
      written.add(dir);
      const json = { id: dir, ...(i > 0 ? { parent: dirs[i - 1] } : {}), created: mtime.toISOString(), os: 'linux' };
      layers.push(
        { kind: 'dir', name: dir, mtime },
        { kind: 'bytes', name: `${dir}/VERSION`, mtime, data: Buffer.from('1.0') },
        { kind: 'bytes', name: `${dir}/json`, mtime, data: Buffer.from(JSON.stringify(json)) },
        { kind: 'layer', name: `${dir}/layer.tar`, mtime, layer },
      );
    });
  }
  const mtime = images[0]?.created ?? new Date(0);
  return [
    { kind: 'bytes', name: 'manifest.json', mtime, data: Buffer.from(JSON.stringify(manifest)) },
    { kind: 'bytes', name: 'repositories', mtime, data: Buffer.from(JSON.stringify(repositories)) },
    ...configs,
    ...layers,
  ];
}

export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InvalidArchiveError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function parseDockerManifest(bytes: Buffer): DockerManifestEntry[] {
  const doc = parseJson(bytes, 'manifest.json');
  if (!Array.isArray(doc)) throw new InvalidArchiveError('manifest.json is not a list of images');
  return doc.map((e: Record<string, unknown>, i) => {
    if (!e || typeof e !== 'object' || typeof e.Config !== 'string' || !isStringArray(e.Layers) || !(e.RepoTags == null || isStringArray(e.RepoTags))) {
      throw new InvalidArchiveError(`manifest.json entry ${i} needs Config (a name), Layers (names) and RepoTags (names or null)`);
    }
    return { Config: archiveName(e.Config), RepoTags: (e.RepoTags as string[] | null) ?? null, Layers: e.Layers.map(archiveName) };
  });
}

/**
 * The images a docker-archive holds. `read` gives an entry's bytes, or undefined when the reader has not
 * seen it (yet): then NotYetSeen is thrown, naming the entry.
 */
export function planDockerArchive(manifest: Buffer, read: (name: string) => Buffer): PlannedImage[] {
  return parseDockerManifest(manifest).map((m) => {
    const config = read(m.Config);
    const diffIds = configDiffIds(config, m.Config);
    if (diffIds.length !== m.Layers.length) {
      throw new InvalidArchiveError(`manifest.json lists ${m.Layers.length} layers for ${m.Config}, but its config has ${diffIds.length} diff_ids`);
    }
    return { id: sha256(config), config, layers: m.Layers.map((entry, i) => ({ entry, diffId: diffIds[i]! })), names: m.RepoTags ?? [] };
  });
}

export function configDiffIds(config: Buffer, name: string): string[] {
  try {
    return parseImageConfig(config).rootfs.diff_ids;
  } catch (e) {
    throw new InvalidArchiveError(`${name}: ${(e as Error).message}`);
  }
}
