/** A container's mount plan as Docker's inspect shows it: the Mounts list, and HostConfig's Binds, Mounts, VolumesFrom, Tmpfs. */
import type { MountPlan } from '../volumes/index.js';
import type { HostConfig } from './hostconfig.js';
import type { MountPoint } from './types.js';

export function mountPoints(plan: MountPlan): MountPoint[] {
  return plan.mounts.filter((m) => m.listed).map((m): MountPoint => ({
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.name } : {}),
    Source: m.source, Destination: m.destination,
    ...(m.type === 'volume' ? { Driver: 'local' } : {}),
    Mode: m.mode, RW: m.rw, Propagation: m.propagation,
  }));
}

/** HostConfig with what `create` was told about mounts, each key where Docker's struct has it (Tmpfs after SecurityOpt, Mounts before MaskedPaths). */
export function mountHostConfig(host: HostConfig, plan: MountPlan): HostConfig & { Tmpfs?: Record<string, string>; Mounts?: unknown[] } {
  const { Binds, VolumesFrom, Tmpfs, Mounts } = plan.hostConfig;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(host)) {
    if (k === 'MaskedPaths' && Mounts) out.Mounts = Mounts;
    out[k] = k === 'Binds' ? Binds : k === 'VolumesFrom' ? VolumesFrom : v;
    if (k === 'SecurityOpt' && Tmpfs) out.Tmpfs = Tmpfs;
  }
  return out as ReturnType<typeof mountHostConfig>;
}
