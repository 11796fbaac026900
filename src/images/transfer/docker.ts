/**
 * docker-archive, as Docker 20.10's `docker save` writes it and `docker load` reads it:
 *   manifest.json   [{"Config": "<hex>.json", "RepoTags": ["busybox:latest"], "Layers": ["<v1 id>/layer.tar", …], "Parent": …}]
 *   repositories    {"busybox": {"latest": "<v1 id of the top layer>"}}, when any image is saved by a tag
 *   <hex>.json      the image config (its sha256 is the image ID)
 *   <v1 id>/        per layer: VERSION "1.0", json (legacy v1 metadata, ./v1.ts), layer.tar (the exact layer
 *                   tar; a symlink to the first copy when the same tar is in the archive already)
 * Docker 25+ writes the same manifest.json with paths into an OCI layout (`blobs/sha256/<hex>`); the
 * reader takes both, since entries are found by the names manifest.json gives.
 *
 * Docker writes the entries in name order (manifest.json near the end); strata writes manifest.json,
 * repositories and the configs first, then the layers base first, so that a streaming reader (strata's
 * own load) applies each layer as it arrives.
 */
import { familiarString, splitStored } from '../reference.js';
import { parseImageConfig } from '../config.js';
import { hexOf, sha256 } from '../digest.js';
import type { ArchiveEntry, PlannedImage, SaveImage } from './model.js';
import { archiveName, InvalidArchiveError } from './names.js';
import { goString, sortedObject, v1Layers } from './v1.js';

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  /** The image's parent, when that is saved too (Docker 20.10 writes it then). */
  Parent?: string;
}

/** Docker's manifest.json and repositories are written by Go's json.Encoder: HTML-safe, one line. */
const encoded = (json: string): Buffer => Buffer.from(json + '\n');

/**
 * The entries of a docker-archive holding `images`, in an order that lets a streaming reader apply each
 * layer as it arrives: manifest.json and configs first, then layers base first, each layer tar written once.
 */
export function dockerArchiveEntries(images: SaveImage[], now = new Date()): ArchiveEntry[] {
  const manifest: DockerManifestEntry[] = [];
  const repositories = new Map<string, Map<string, string>>();
  const configs: ArchiveEntry[] = [];
  const layers: ArchiveEntry[] = [];
  const written = new Set<string>();
  /** diffID → the archive path of the first copy of that tar. */
  const tarPaths = new Map<string, string>();
  const saved = new Set(images.map((i) => i.id));
  for (const img of images) {
    const mtime = img.created;
    const v1 = v1Layers(img.config, img.layers.map((l) => l.chainId));
    const configName = `${hexOf(img.id)}.json`;
    const repoTags = img.names.map(familiarString);
    manifest.push({
      Config: configName, RepoTags: repoTags.length ? repoTags : null, Layers: v1.map((l) => `${l.id}/layer.tar`),
      ...(img.parent && saved.has(img.parent) ? { Parent: img.parent } : {}),
    });
    for (const name of img.names) {
      const ref = splitStored(name);
      if (!ref.tag || !v1.length) continue;
      const repo = familiarString(ref.repository);
      repositories.set(repo, (repositories.get(repo) ?? new Map()).set(ref.tag, v1.at(-1)!.id));
    }
    if (!written.has(configName)) configs.push({ kind: 'bytes', name: configName, mtime, data: img.config });
    written.add(configName);
    img.layers.forEach((layer, i) => {
      const { id, json } = v1[i]!;
      if (written.has(id)) return;
      written.add(id);
      const tarPath = `${id}/layer.tar`;
      const first = tarPaths.get(layer.diffId);
      if (!first) tarPaths.set(layer.diffId, tarPath);
      // Docker dates a layer's files by the image's creation, except where the tar is a link (it skips that step there).
      const when = first ? now : mtime;
      layers.push(
        { kind: 'dir', name: id, mtime: when },
        { kind: 'bytes', name: `${id}/VERSION`, mtime: when, data: Buffer.from('1.0') },
        { kind: 'bytes', name: `${id}/json`, mtime: when, data: json },
        first ? { kind: 'symlink', name: tarPath, mtime: when, target: `../${first}` } : { kind: 'layer', name: tarPath, mtime, layer },
      );
    });
  }
  // Docker gives these two the Unix epoch as their time.
  const epoch = new Date(0);
  const manifestJson = `[${manifest.map((m) => `{"Config":${goString(m.Config)},"RepoTags":${m.RepoTags ? `[${m.RepoTags.map(goString).join(',')}]` : 'null'},` +
    `"Layers":[${m.Layers.map(goString).join(',')}]${m.Parent ? `,"Parent":${goString(m.Parent)}` : ''}}`).join(',')}]`;
  const repositoriesJson = sortedObject([...repositories].map(([repo, tags]) => [repo, sortedObject([...tags].map(([t, id]) => [t, goString(id)]))]));
  return [
    { kind: 'bytes', name: 'manifest.json', mtime: epoch, data: encoded(manifestJson) },
    ...(repositories.size ? [{ kind: 'bytes', name: 'repositories', mtime: epoch, data: encoded(repositoriesJson) } as const] : []),
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
    // Parent is only a hint for the image store (Docker 20.10 writes it when the parent is saved too).
    const parent = typeof e.Parent === 'string' && /^sha256:[a-f0-9]{64}$/.test(e.Parent) ? { Parent: e.Parent } : {};
    return { Config: archiveName(e.Config), RepoTags: (e.RepoTags as string[] | null) ?? null, Layers: e.Layers.map(archiveName), ...parent };
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
    return { id: sha256(config), config, layers: m.Layers.map((entry, i) => ({ entry, diffId: diffIds[i]! })), names: m.RepoTags ?? [], parent: m.Parent };
  });
}

export function configDiffIds(config: Buffer, name: string): string[] {
  try {
    return parseImageConfig(config).rootfs.diff_ids;
  } catch (e) {
    throw new InvalidArchiveError(`${name}: ${(e as Error).message}`);
  }
}
