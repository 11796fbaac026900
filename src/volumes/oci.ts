/** A container's planned mounts in the OCI runtime-spec's form, as Docker's daemon writes them into config.json. */
import type { OciMount } from '../runtime/oci.js';
import type { MountPlan } from './types.js';

/** Docker's options for every tmpfs it mounts, before the user's own. */
const TMPFS_DEFAULTS = ['noexec', 'nosuid', 'nodev'];

export function ociMounts(plan: MountPlan): OciMount[] {
  return plan.mounts.map((m): OciMount => {
    if (m.type === 'tmpfs') {
      return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS_DEFAULTS, ...(m.rw ? [] : ['ro']), ...(m.tmpfsOptions ?? [])] };
    }
    return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', ...(m.rw ? [] : ['ro']), m.propagation || 'rprivate'] };
  });
}
