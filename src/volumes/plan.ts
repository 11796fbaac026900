/**
 * A container's mounts, decided once at create as Docker's daemon does (registerMountPoints): what
 * `--volumes-from` brings, then `-v` binds and named volumes, then `--mount`, then anonymous volumes (`-v
 * /ctr` and the image's VOLUMEs) where nothing else is mounted, and `--tmpfs`. A later mount at the same
 * destination replaces an earlier one. Errors are the daemon's, in its words.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '../engine/errors.js';
import { anonymousName, checkVolumeName } from './names.js';
import type { ApiMount, MountPlan, PlannedMount, VolumeOptions } from './types.js';

/** What `create` was told: Docker's CLI's split of the flags (./flags.ts). */
export interface MountRequest {
  /** `-v SRC:DST[:MODE]`, as given. */
  binds?: readonly string[];
  /** `-v DST`: anonymous volumes. */
  anonymous?: readonly string[];
  mounts?: readonly ApiMount[];
  /** `--tmpfs DST[:OPTIONS]`. */
  tmpfs?: readonly string[];
  /** `--volumes-from C[:ro|rw]`. */
  volumesFrom?: readonly string[];
}

/** What planning needs from the store. */
export interface PlanContext {
  /** The image's Config.Volumes destinations. */
  imageVolumes: readonly string[];
  /** The mounts of the container `ref` (throws `No such container`). */
  mountsOf(ref: string): PlannedMount[];
  /** The host path of a volume's data. */
  volumeSource(name: string): string;
}

/** A volume the container needs; the engine makes it if it does not exist yet. */
export interface WantedVolume {
  name: string;
  anonymous: boolean;
  labels?: Record<string, string>;
  options?: VolumeOptions;
}

export interface Planned {
  plan: MountPlan;
  volumes: WantedVolume[];
  /** Destinations of anonymous volumes, for the container's Config.Volumes (as Docker records `-v /ctr`). */
  configVolumes: string[];
}

const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
const PROPAGATIONS = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];
const DEFAULT_PROPAGATION = 'rprivate';

interface Mode { rw: boolean; nocopy: boolean; propagation?: string }

/** A `-v` or `--volumes-from` mode: comma-separated, at most one of each kind, else `invalid mode: …`. */
function parseMode(mode: string): Mode {
  const parts = mode.split(',');
  const kinds = [RW_MODES, LABEL_MODES, PROPAGATIONS, COPY_MODES, CONSISTENCY];
  const valid = parts.every((p) => kinds.some((k) => k.includes(p)))
    && kinds.every((k) => parts.filter((p) => k.includes(p)).length <= 1);
  if (!valid) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { rw: !parts.includes('ro'), nocopy: parts.includes('nocopy'), propagation: parts.find((p) => PROPAGATIONS.includes(p)) };
}

const badPath = (path: string): string => `invalid mount path: '${path}' mount path must be absolute`;
const mountConfigError = (type: string, cause: string): InvalidArgumentError =>
  new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type)}: ${cause}`);
/** A destination a mount can take: absolute, and not the root itself. */
const absolute = (path: string): boolean => isAbsolute(path) && path.replace(/\/+$/, '') !== '';

export function planMounts(req: MountRequest, ctx: PlanContext): Planned {
  const byDestination = new Map<string, PlannedMount>();
  const volumes = new Map<string, WantedVolume>();
  const put = (m: PlannedMount): void => {
    byDestination.delete(m.destination);
    byDestination.set(m.destination, m);
  };
  const volume = (name: string | undefined, anonymous: boolean, extra: Omit<WantedVolume, 'name' | 'anonymous'> = {}): string => {
    const n = name || anonymousName();
    if (!anonymous || name) checkVolumeName(n);
    if (!volumes.has(n)) volumes.set(n, { name: n, anonymous: anonymous && !name, ...extra });
    return n;
  };

  for (const spec of req.volumesFrom ?? []) {
    const colon = spec.lastIndexOf(':');
    const [ref, mode] = colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
    if (mode && !RW_MODES.includes(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
    // As Docker's daemon: the same mounts, read-only if asked, and never seeded again.
    for (const m of ctx.mountsOf(ref)) {
      if (!m.listed) continue;
      put({ ...m, mode: '', rw: m.rw && mode !== 'ro', copyData: false });
      if (m.type === 'volume' && m.name) volumes.set(m.name, { name: m.name, anonymous: false });
    }
  }

  for (const spec of req.binds ?? []) put(bindSpec(spec, (name) => volume(name, false), ctx));

  for (const m of req.mounts ?? []) put(apiMount(m, volume, ctx));

  const tmpfs = new Map<string, string>();
  for (const spec of req.tmpfs ?? []) {
    const colon = spec.indexOf(':');
    const [dst, options] = colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
    if (!absolute(dst)) throw new InvalidArgumentError(badPath(dst));
    tmpfs.set(dst, options);
  }

  const configVolumes: string[] = [];
  for (const dst of [...(req.anonymous ?? []), ...ctx.imageVolumes]) {
    if (!absolute(dst)) throw new InvalidArgumentError(badPath(dst));
    if (req.anonymous?.includes(dst)) configVolumes.push(dst);
    if (byDestination.has(dst) || tmpfs.has(dst)) continue;
    const name = volume(undefined, true);
    byDestination.set(dst, {
      type: 'volume', name, source: ctx.volumeSource(name), destination: dst, mode: '', rw: true, propagation: '', copyData: true, listed: true,
    });
  }
  for (const [dst, options] of tmpfs) {
    byDestination.delete(dst);
    byDestination.set(dst, {
      type: 'tmpfs', source: '', destination: dst, mode: '', rw: true, propagation: '', copyData: false,
      tmpfsOptions: options ? options.split(',') : [], listed: false,
    });
  }

  // Only the volumes still mounted: one a later mount replaced is not made.
  const used = new Set([...byDestination.values()].map((m) => m.name).filter(Boolean));
  return {
    plan: {
      mounts: [...byDestination.values()],
      hostConfig: {
        Binds: req.binds?.length ? [...req.binds] : null,
        VolumesFrom: req.volumesFrom?.length ? [...req.volumesFrom] : null,
        ...(req.mounts?.length ? { Mounts: [...req.mounts] } : {}),
        ...(tmpfs.size ? { Tmpfs: Object.fromEntries(tmpfs) } : {}),
      },
    },
    volumes: [...volumes.values()].filter((v) => used.has(v.name)),
    configVolumes: [...new Set(configVolumes)],
  };
}

/** `-v SRC:DST[:MODE]`: a bind when SRC is absolute, else a named volume. */
function bindSpec(spec: string, volume: (name: string) => string, ctx: PlanContext): PlannedMount {
  const parts = spec.split(':');
  // Docker's daemon's order: the sections counted, the mode read, then the mount's fields checked.
  if (parts.length > 3) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  const [src = '', dst = '', rawMode = ''] = parts;
  const mode = parseMode(rawMode || 'rw');
  const type = isAbsolute(src) ? 'bind' : 'volume';
  const invalid = (cause: string): InvalidArgumentError =>
    new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type ${JSON.stringify(type)}: ${cause}`);
  if (!dst) throw invalid('field Target must not be empty');
  if (!absolute(dst)) throw invalid(badPath(dst));
  if (type === 'bind') {
    if (mode.nocopy) throw invalid('field VolumeOptions must not be specified');
    // A -v bind whose host directory is missing makes it, as Docker does (--mount refuses instead).
    return { type, source: src, destination: dst, mode: rawMode, rw: mode.rw, propagation: mode.propagation ?? DEFAULT_PROPAGATION, copyData: false, listed: true };
  }
  const name = volume(src);
  // Without a mode, Docker's daemon gives a named volume the SELinux label mode `z`, as for --mount.
  return { type, name, source: ctx.volumeSource(name), destination: dst, mode: rawMode || 'z', rw: mode.rw, propagation: '', copyData: !mode.nocopy, listed: true };
}

/** `--mount`: the daemon's checks (a missing bind source is an error here), then the mount. */
function apiMount(m: ApiMount, volume: (name: string | undefined, anonymous: boolean, extra?: Omit<WantedVolume, 'name' | 'anonymous'>) => string, ctx: PlanContext): PlannedMount {
  const fail = (cause: string): InvalidArgumentError => mountConfigError(m.Type, cause);
  if (!['bind', 'volume', 'tmpfs'].includes(m.Type)) throw fail('mount type unknown');
  if (!absolute(m.Target)) throw fail(badPath(m.Target));
  const rw = !m.ReadOnly;
  if (m.Type === 'bind') {
    if (!m.Source) throw fail('field Source must not be empty');
    if (!isAbsolute(m.Source)) throw fail(badPath(m.Source));
    if (!existsSync(m.Source)) throw fail(`bind source path does not exist: ${m.Source}`);
    return { type: 'bind', source: m.Source, destination: m.Target, mode: '', rw, propagation: m.BindOptions?.Propagation ?? DEFAULT_PROPAGATION, copyData: false, listed: true };
  }
  if (m.Type === 'tmpfs') {
    if (m.Source) throw fail('field Source must not be specified');
    const options = [
      ...(m.TmpfsOptions?.SizeBytes ? [`size=${m.TmpfsOptions.SizeBytes}`] : []),
      ...(m.TmpfsOptions?.Mode !== undefined ? [`mode=${m.TmpfsOptions.Mode.toString(8)}`] : []),
    ];
    return { type: 'tmpfs', source: '', destination: m.Target, mode: '', rw, propagation: '', copyData: false, tmpfsOptions: options, listed: true };
  }
  const opts = m.VolumeOptions;
  const name = volume(m.Source, !m.Source, { labels: opts?.Labels, options: opts?.DriverConfig.Options });
  // Docker's daemon gives a --mount volume the SELinux label mode `z`, which inspect shows.
  return { type: 'volume', name, source: ctx.volumeSource(name), destination: m.Target, mode: 'z', rw, propagation: '', copyData: !opts?.NoCopy, listed: true };
}
