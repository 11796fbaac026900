/**
 * The image archive formats `save` writes and `load` reads: docker-archive (manifest.json with
 * `<hex>.json` configs and `<dir>/layer.tar` layers, as classic `docker save`) and the OCI image layout
 * (oci-layout, index.json, blobs/sha256/…), whose manifest.json also lets `docker load` read it, as
 * Docker 25+ writes it.
 */
export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export type ArchiveFormat = 'docker' | 'oci';

/** One entry of manifest.json. */
export interface ArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });
export const REF_NAME = 'org.opencontainers.image.ref.name';
export const IMAGE_NAME = 'io.containerd.image.name';

/** The path of a blob inside an OCI layout. */
export const blobPath = (digest: string): string => `blobs/${digest.replace(':', '/')}`;
