/** On-disk image archive formats: docker-archive (`docker save`) and OCI image layout, written and read. */
export { dockerArchiveEntries } from './docker.js';
export { ociArchiveEntries } from './oci.js';
export { planArchive, NotYetSeen } from './plan.js';
export { writeArchive } from './write.js';
export { archiveName, linkTarget, blobDigestOf, InvalidArchiveError } from './names.js';
export type { ArchiveEntry, LayerOpener, PlannedImage, PlannedLayer, SaveImage, SaveLayer } from './model.js';
