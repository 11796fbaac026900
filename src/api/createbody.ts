/** POST /containers/create's body (Docker's Config with HostConfig) as the engine's create options. */
import { InvalidArgumentError, parseUlimit, type CreateOptions } from '../engine/index.js';
import { ApiError } from './http.js';

interface HostConfigBody {
  Binds?: string[] | null;
  Mounts?: NonNullable<NonNullable<CreateOptions['mounts']>['mounts']> | null;
  Tmpfs?: Record<string, string> | null;
  VolumesFrom?: string[] | null;
  NetworkMode?: string;
  ReadonlyRootfs?: boolean;
  Init?: boolean | null;
  AutoRemove?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Privileged?: boolean;
  Memory?: number;
  PidsLimit?: number | null;
  NanoCpus?: number;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  ShmSize?: number;
  Runtime?: string;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
}

export interface CreateBody {
  Image?: string;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Labels?: Record<string, string> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  StdinOnce?: boolean;
  Volumes?: Record<string, unknown> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  HostConfig?: HostConfigBody | null;
}

const list = (v: string[] | string | null | undefined): string[] | undefined => (v == null ? undefined : typeof v === 'string' ? [v] : v);

/** Docker's capability names as its daemon takes them: with or without CAP_, any case. */
const capability = (c: string): string => c.toUpperCase().replace(/^(CAP_)?/, 'CAP_');

export function createOptions(name: string | null, body: CreateBody): CreateOptions {
  if (!body.Image) throw new ApiError(400, 'Config cannot be empty in order to create a container');
  const h = body.HostConfig ?? {};
  const mode = h.NetworkMode || 'default';
  // The docker CLI sends `default` when no --network is given: strata's default is `none`.
  const network = mode === 'default' ? 'none' : mode;
  if (network === 'bridge') throw new InvalidArgumentError('network bridge: strata has no bridge networking; use --network none or --network host');
  // Not a 404: the docker CLI takes a 404 from create for a missing image, and would pull it.
  if (network !== 'none' && network !== 'host') throw new InvalidArgumentError(`network ${network} not found`);
  const runtime = h.Runtime || 'runc';
  if (runtime !== 'runc' && runtime !== 'crun') throw new InvalidArgumentError(`unknown or invalid runtime name: ${runtime}`);
  const restart = h.RestartPolicy?.Name || undefined;
  return {
    image: body.Image, ...(name ? { name } : {}),
    cmd: list(body.Cmd), entrypoint: list(body.Entrypoint), env: body.Env ?? [],
    workdir: body.WorkingDir || undefined, user: body.User || undefined, hostname: body.Hostname || undefined,
    labels: body.Labels ?? {}, tty: !!body.Tty, interactive: !!body.OpenStdin, restart,
    attach: { stdin: !!body.AttachStdin, stdout: !!body.AttachStdout, stderr: !!body.AttachStderr, stdinOnce: !!body.StdinOnce },
    run: {
      network, readOnly: !!h.ReadonlyRootfs, init: !!h.Init, autoRemove: !!h.AutoRemove,
      capAdd: (h.CapAdd ?? []).map(capability), capDrop: (h.CapDrop ?? []).map(capability), privileged: !!h.Privileged,
      memory: h.Memory ?? 0, pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : 0, nanoCpus: h.NanoCpus ?? 0,
      ulimits: (h.Ulimits ?? []).map((u) => parseUlimit(`${u.Name}=${u.Soft}:${u.Hard}`)),
      ...(h.ShmSize ? { shmSize: h.ShmSize } : {}),
      runtime,
      ...(body.StopSignal ? { stopSignal: body.StopSignal } : {}),
      ...(body.StopTimeout != null ? { stopTimeout: body.StopTimeout } : {}),
    },
    mounts: {
      binds: h.Binds ?? [], anonymous: Object.keys(body.Volumes ?? {}), mounts: h.Mounts ?? [],
      tmpfs: Object.entries(h.Tmpfs ?? {}).map(([path, opts]) => (opts ? `${path}:${opts}` : path)),
      volumesFrom: h.VolumesFrom ?? [],
    },
  };
}
