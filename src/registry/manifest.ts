/** Manifests and indexes (Docker schema2 and OCI), and choosing a platform's manifest from an index. */
import { hostArchitecture } from '../images/config.js';

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** What a pull asks for, in Docker's order of preference. */
export const MANIFEST_ACCEPT = [MediaType.dockerManifest, MediaType.dockerList, MediaType.ociManifest, MediaType.ociIndex].join(', ');

export interface Platform { os: string; architecture: string; variant?: string }

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest { schemaVersion: 2; mediaType?: string; config: BlobDescriptor; layers: BlobDescriptor[] }
export interface ImageIndex { schemaVersion: 2; mediaType?: string; manifests: BlobDescriptor[] }

export type Parsed = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/** A manifest's or index's JSON, told apart by its media type (the header's, else the document's own). */
export function parseManifest(bytes: Buffer, contentType: string | null): Parsed {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`invalid manifest: ${(e as Error).message}`);
  }
  const type = (typeof doc.mediaType === 'string' ? doc.mediaType : '') || (contentType ?? '').split(';')[0]!.trim();
  if (doc.schemaVersion === 1) throw new Error('unsupported manifest: Docker Image manifest schema 1 (pushed by Docker 1.9 and older)');
  if (type === MediaType.dockerList || type === MediaType.ociIndex || Array.isArray(doc.manifests)) {
    if (!Array.isArray(doc.manifests)) throw new Error('invalid manifest list: no manifests');
    return { kind: 'index', index: doc as unknown as ImageIndex };
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw new Error(`unsupported manifest media type ${JSON.stringify(type)}`);
  return { kind: 'manifest', manifest: doc as unknown as ImageManifest };
}

/** `os/arch[/variant]` as `--platform` takes it, with Docker's default variants (arm64 is v8, arm v7). */
export function parsePlatform(spec: string | undefined): Platform {
  if (!spec) return normalize({ os: 'linux', architecture: hostArchitecture() });
  const [os, architecture, variant, extra] = spec.toLowerCase().split('/');
  if (!os || !architecture || extra !== undefined) throw new Error(`invalid platform ${JSON.stringify(spec)}: expected os/arch[/variant]`);
  return normalize({ os, architecture, variant });
}

function normalize(p: Platform): Platform {
  const architecture = ({ x86_64: 'amd64', aarch64: 'arm64', armhf: 'arm' } as Record<string, string>)[p.architecture] ?? p.architecture;
  const variant = p.variant || (architecture === 'arm64' ? 'v8' : architecture === 'arm' ? 'v7' : undefined);
  return { os: p.os, architecture, ...(variant ? { variant } : {}) };
}

export const platformString = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/**
 * The index entry for `want`: attestation manifests (buildx's `unknown/unknown` entries) are never chosen;
 * an entry without a variant matches any variant of its architecture, as containerd's matcher allows.
 */
export function selectPlatform(index: ImageIndex, want: Platform): BlobDescriptor {
  const candidates = index.manifests.filter((m) => m.platform && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  const found = candidates.find((m) => {
    const p = normalize(m.platform!);
    return p.os === want.os && p.architecture === want.architecture && (!m.platform!.variant || p.variant === want.variant);
  });
  if (!found) throw new Error(`no matching manifest for ${platformString({ os: want.os, architecture: want.architecture, variant: want.architecture === 'arm64' ? undefined : want.variant })} in the manifest list entries`);
  return found;
}

/** Whether a layer blob of this media type is one strata can unpack (and which compression it has). */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' {
  if (mediaType.endsWith('+zstd')) return 'zstd';
  if (mediaType.endsWith('gzip')) return 'gzip';
  if (mediaType === MediaType.ociLayer || mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  throw new Error(`unsupported layer media type ${JSON.stringify(mediaType)}`);
}
