/**
 * OCI image layout (image-spec image-layout.md) in a tar:
 *   oci-layout   {"imageLayoutVersion": "1.0.0"}
 *   index.json   an image index whose manifests carry the names (org.opencontainers.image.ref.name = tag,
 *                io.containerd.image.name = full name, as containerd and Docker 25+ write them)
 *   blobs/sha256/<hex>  manifests, configs and layers; every blob hashes to its name
 * strata writes layers uncompressed (application/vnd.oci.image.layer.v1.tar), so a layer's digest is its
 * diffID and save runs at disk speed. It also writes Docker's manifest.json, as Docker 25+ does, so that
 * any `docker load` reads the same file.
 */
import { hostArchitecture } from '../config.js';
import { sha256 } from '../digest.js';
import { familiarString, splitStored } from '../reference.js';
import { configDiffIds, parseJson, type DockerManifestEntry } from './docker.js';
import type { ArchiveEntry, PlannedImage, SaveImage } from './model.js';
import { blobPath, InvalidArchiveError } from './names.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface Manifest { schemaVersion: 2; mediaType?: string; config: Descriptor; layers: Descriptor[] }
interface Index { schemaVersion: 2; mediaType?: string; manifests: Descriptor[] }

const descriptor = (mediaType: string, data: Buffer): Descriptor => ({ mediaType, digest: sha256(data), size: data.length });

/** Entries of an OCI layout holding `images`: small documents first, then each image's blobs, layers base first and once each. */
export function ociArchiveEntries(images: SaveImage[]): ArchiveEntry[] {
  const index: Index = { schemaVersion: 2, mediaType: MEDIA.index, manifests: [] };
  const dockerManifest: DockerManifestEntry[] = [];
  const blobs: ArchiveEntry[] = [];
  const written = new Set<string>();
  const blob = (entry: ArchiveEntry): void => {
    if (!written.has(entry.name)) blobs.push(entry);
    written.add(entry.name);
  };
  for (const img of images) {
    const mtime = img.created;
    const manifest: Manifest = {
      schemaVersion: 2, mediaType: MEDIA.manifest,
      config: descriptor(MEDIA.config, img.config),
      layers: img.layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.diffId, size: l.tarSize })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const desc = descriptor(MEDIA.manifest, manifestBytes);
    if (img.names.length === 0) index.manifests.push(desc);
    for (const name of img.names) {
      const tag = splitStored(name).tag;
      index.manifests.push({ ...desc, annotations: { [ANNOTATION_CONTAINERD_NAME]: name, ...(tag ? { [ANNOTATION_REF_NAME]: tag } : {}) } });
    }
    const repoTags = img.names.map(familiarString);
    dockerManifest.push({ Config: blobPath(img.id), RepoTags: repoTags.length ? repoTags : null, Layers: img.layers.map((l) => blobPath(l.diffId)) });
    blob({ kind: 'bytes', name: blobPath(desc.digest), mtime, data: manifestBytes });
    blob({ kind: 'bytes', name: blobPath(img.id), mtime, data: img.config });
    for (const layer of img.layers) blob({ kind: 'layer', name: blobPath(layer.diffId), mtime, layer });
  }
  const mtime = images[0]?.created ?? new Date(0);
  return [
    { kind: 'bytes', name: 'oci-layout', mtime, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { kind: 'bytes', name: 'index.json', mtime, data: Buffer.from(JSON.stringify(index)) },
    { kind: 'bytes', name: 'manifest.json', mtime, data: Buffer.from(JSON.stringify(dockerManifest)) },
    { kind: 'dir', name: 'blobs', mtime },
    { kind: 'dir', name: 'blobs/sha256', mtime },
    ...blobs,
  ];
}

function checkDescriptor(d: unknown, where: string): Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== 'object' || typeof x.mediaType !== 'string' || typeof x.digest !== 'string' || typeof x.size !== 'number') {
    throw new InvalidArchiveError(`${where}: a descriptor needs mediaType, digest and size`);
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(x.digest)) throw new InvalidArchiveError(`${where}: unsupported digest ${JSON.stringify(x.digest)}`);
  return x;
}

const isIndex = (mediaType: string): boolean => mediaType === MEDIA.index || mediaType === MEDIA.dockerList;

/** The image's name from a top-level index entry: the full name containerd records, else a ref.name that is a full reference. */
function nameOf(d: Descriptor): string[] {
  const full = d.annotations?.[ANNOTATION_CONTAINERD_NAME];
  if (full) return [full];
  const ref = d.annotations?.[ANNOTATION_REF_NAME];
  // A bare ref.name is only a tag ("latest"): it names no repository, so the image loads untagged.
  return ref && /[:/]/.test(ref) ? [ref] : [];
}

/**
 * The images an OCI layout holds. Nested indexes (multi-platform images) resolve to the manifest for
 * this host's platform. `read` gives a blob's bytes, or throws NotYetSeen.
 */
export function planOciLayout(indexBytes: Buffer, read: (name: string) => Buffer): PlannedImage[] {
  const out: PlannedImage[] = [];
  const index = parseJson(indexBytes, 'index.json') as Index;
  if (!index || typeof index !== 'object' || !Array.isArray(index.manifests)) throw new InvalidArchiveError('index.json has no manifests list');
  for (const [i, m] of index.manifests.entries()) {
    const top = checkDescriptor(m, `index.json manifest ${i}`);
    const manifestDesc = isIndex(top.mediaType) ? platformManifest(top, read) : top;
    const manifest = parseJson(read(blobPath(manifestDesc.digest)), `manifest ${manifestDesc.digest}`) as Manifest;
    if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.layers)) throw new InvalidArchiveError(`manifest ${manifestDesc.digest} has no layers list`);
    const configDesc = checkDescriptor(manifest.config, `manifest ${manifestDesc.digest} config`);
    const layers = manifest.layers.map((l, j) => checkDescriptor(l, `manifest ${manifestDesc.digest} layer ${j}`));
    const config = read(blobPath(configDesc.digest));
    const diffIds = configDiffIds(config, `config ${configDesc.digest}`);
    if (diffIds.length !== layers.length) {
      throw new InvalidArchiveError(`manifest ${manifestDesc.digest} lists ${layers.length} layers, but its config has ${diffIds.length} diff_ids`);
    }
    out.push({ id: sha256(config), config, layers: layers.map((l, j) => ({ entry: blobPath(l.digest), diffId: diffIds[j]! })), names: nameOf(top) });
  }
  return out;
}

function platformManifest(desc: Descriptor, read: (name: string) => Buffer): Descriptor {
  const index = parseJson(read(blobPath(desc.digest)), `index ${desc.digest}`) as Index;
  if (!index || !Array.isArray(index.manifests)) throw new InvalidArchiveError(`index ${desc.digest} has no manifests list`);
  const arch = hostArchitecture();
  const candidates = index.manifests.map((m, i) => checkDescriptor(m, `index ${desc.digest} manifest ${i}`));
  const manifests = candidates.filter((m) => !isIndex(m.mediaType));
  const found = manifests.length === 1 && !manifests[0]!.platform
    ? manifests[0]
    : manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
  if (!found) throw new InvalidArchiveError(`index ${desc.digest} has no image for linux/${arch}`);
  return found;
}
