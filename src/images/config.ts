/** Image configuration JSON (OCI image-spec config, with the fields Docker writes). */

/** The runtime defaults of an image or container, Docker's `Config` shape. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  /** SHELL: the shell form's command prefix (Docker's default is /bin/sh -c). */
  Shell?: string[];
  /** HEALTHCHECK, durations in nanoseconds as Docker's API gives them. */
  Healthcheck?: HealthConfig;
}

export interface HealthConfig { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number }

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  /** Optional in OCI: absent in some minimal images. */
  created?: string;
  author?: string;
  comment?: string;
  config: ContainerConfig;
  container?: string;
  /** The configuration the step that made this image ran with (Docker's classic builder keys its cache on it). */
  container_config?: ContainerConfig;
  docker_version?: string;
  history: HistoryEntry[];
  rootfs: { type: 'layers'; diff_ids: string[] };
  parent?: string;
}

export function emptyContainerConfig(): ContainerConfig {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

/** Fill the fields a foreign (e.g. minimal OCI) config may omit, so the rest of strata can rely on them. */
export function normalizeContainerConfig(c: Partial<ContainerConfig> | undefined): ContainerConfig {
  return { ...emptyContainerConfig(), ...(c ?? {}) };
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
export const hostArchitecture = (): string => NODE_ARCH[process.arch] ?? process.arch;

/** Parse and sanity-check a config blob (from a tarball or a registry: untrusted). */
export function parseImageConfig(bytes: Buffer): ImageConfig {
  let c: ImageConfig;
  try {
    c = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch (e) {
    throw new Error(`invalid image config: ${(e as Error).message}`);
  }
  if (!c || typeof c !== 'object' || !c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new Error('invalid image config: missing rootfs.diff_ids');
  if (c.created !== undefined && (typeof c.created !== 'string' || Number.isNaN(Date.parse(c.created)))) {
    throw new Error(`invalid image config: created is not a time: ${JSON.stringify(c.created)}`);
  }
  for (const d of c.rootfs.diff_ids) if (typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new Error(`invalid image config: bad diff_id ${JSON.stringify(d)}`);
  c.config = normalizeContainerConfig(c.config);
  c.history ??= [];
  return c;
}
