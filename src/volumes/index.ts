/** Volumes: named and anonymous, the local driver, and the mounts a container is created with. */
export { splitVolumeFlags, parseMountFlag } from './flags.js';
export { planMounts, type MountRequest, type PlanContext, type Planned, type WantedVolume } from './plan.js';
export { ociMounts } from './oci.js';
export { checkOptions, dataDir, makeVolumeDir, mountVolume, removeVolumeDir, seedVolume, volumeDir } from './local.js';
export { anonymousName, checkVolumeName } from './names.js';
export type * from './types.js';
