/**
 * A container's config.json as Docker 20.10 writes it by default, from the image's config and Docker's
 * create options. Pure: the rootfs, the user (user.ts) and the host's limits (host.ts) are inputs, so
 * every default can be checked without running anything.
 */
import { containerCapabilities } from './capabilities.js';
import type { HostDevice, HostFacts } from './host.js';
import type { OciDeviceRule, OciMount, OciProcess, OciRlimit, OciSpec } from './oci.js';
import { defaultSeccomp } from './seccomp.js';
import type { ResolvedUser } from './user.js';

/** The image config fields that decide how its containers run (Docker's names). */
export interface ImageRunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface Ulimit { name: string; soft: number; hard: number }

export type NetworkMode = 'none' | 'host';

/** Docker's create options that shape the spec (flag names in the comments). */
export interface ContainerRunOptions {
  /** The container's 64-hex ID: the hostname is its first 12 digits. */
  id: string;
  /** The mounted root filesystem. */
  rootfs: string;
  /** The container's own directory, holding the files bind-mounted at /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  containerDir: string;
  image: ImageRunConfig;
  /** The process's user, resolved in the rootfs from `-u` or the image's User (user.ts). */
  user: ResolvedUser;
  /** The command line after the image name: replaces the image's Cmd. */
  cmd?: string[];
  /** --entrypoint: replaces the image's Entrypoint (and drops its Cmd); "" clears it. */
  entrypoint?: string;
  /** -e/--env-file, as KEY=VALUE, later ones winning. */
  env?: string[];
  /** -w */
  workdir?: string;
  /** -h/--hostname */
  hostname?: string;
  /** -t */
  tty?: boolean;
  /** With -t: the caller's terminal size, so the pty has it before the program starts (Docker's ConsoleSize). */
  consoleSize?: { height: number; width: number };
  /** --network: "none" (a namespace with only loopback, the default here) or "host". */
  network?: NetworkMode;
  /** --read-only */
  readOnly?: boolean;
  /** --shm-size in bytes (64 MiB by default). */
  shmSize?: number;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** --ulimit */
  ulimits?: Ulimit[];
  /** -m/--memory in bytes. */
  memory?: number;
  /** --memory-swap in bytes (memory plus swap; -1 unlimited); twice the memory by default, as Docker. */
  memorySwap?: number;
  /** --pids-limit (0 or negative: unlimited). */
  pidsLimit?: number;
  /** --cpus in billionths of a CPU (Docker's NanoCpus). */
  nanoCpus?: number;
  /** --init: the host path of the init binary (tini) mounted at /sbin/docker-init as PID 1. */
  initPath?: string;
  /** Volumes, binds and tmpfs mounts from the engine, in the runtime-spec's form. */
  mounts?: OciMount[];
  /** The cgroup (cgroupfs path) the container's own cgroup goes under. */
  cgroupParent?: string;
}

export interface BuiltSpec {
  spec: OciSpec;
  /** Things asked for that this host cannot give and were left out, in words for the user. */
  warnings: string[];
}

/** Docker's default PATH for a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const MIN_MEMORY = 6 * 1024 * 1024;
const CPU_PERIOD = 100_000;
const INIT_PATH = '/sbin/docker-init';

/** Docker's masked paths: readable /proc and /sys files that leak the host (bind-mounted over with /dev/null or an empty tmpfs). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
/** Docker's read-only paths: /proc files that would change the host's kernel. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The device nodes every container gets in its /dev: [path, major, minor]. */
const STANDARD_DEVICES: [string, number, number][] = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
];

/**
 * Docker's device cgroup: deny everything, then allow the standard nodes (mknod included), the pty
 * pair, and never the tun device (10:229) — what Docker writes; the runtime adds its own rules for
 * /dev/pts and /dev/ptmx.
 */
const DEFAULT_DEVICE_RULES: OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  ...[[1, 5], [1, 3], [1, 9], [1, 8], [5, 0], [5, 1]].map(([major, minor]): OciDeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

/** --ulimit names Docker accepts → runtime-spec rlimit types. */
const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** A number as Go's strconv.ParseInt(s, 10, 64) reads it, failing in its words. */
function parseInt64(s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * `nofile=1024:2048` or `nproc=512` as Docker's CLI parses --ulimit, in its words and order: the type, then
 * the hard limit before the soft one; -1 is unlimited, so a soft -1 under a finite hard limit is refused.
 */
export function parseUlimit(arg: string): Ulimit {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${arg}`);
  const name = arg.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw new Error(`invalid ulimit type: ${name}`);
  const values = arg.slice(eq + 1).split(':');
  if (values.length > 2) throw new Error(`too many limit value arguments - ${arg.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const hard = values.length === 2 ? parseInt64(values[1]!) : undefined;
  const soft = parseInt64(values[0]!);
  const limit = hard ?? soft;
  if (limit !== -1n && soft === -1n) throw new Error(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${limit}`);
  if (limit !== -1n && soft > limit) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${limit}`);
  return { name, soft: Number(soft), hard: Number(limit) };
}

/**
 * The process's argv: Entrypoint then Cmd, where the command line replaces Cmd and --entrypoint replaces
 * Entrypoint (and, unless a command is given, the image's Cmd with it), as Docker merges them.
 */
export function processArgs(image: ImageRunConfig, cmd?: string[], entrypoint?: string): string[] {
  let args: string[];
  if (entrypoint === undefined) args = [...(image.Entrypoint ?? []), ...(cmd?.length ? cmd : image.Cmd ?? [])];
  else args = [...(entrypoint === '' ? [] : [entrypoint]), ...(cmd ?? [])];
  if (args.length === 0) throw new Error('No command specified');
  return args;
}

/**
 * `env` with each of `entries` replacing the variable of the same name or appended, and a bare name (`-e X`
 * when the caller has no X) removing it, as Docker's ReplaceOrAppendEnvValues does.
 */
export function mergeEnv(env: readonly string[], entries: readonly string[]): string[] {
  let out = [...env];
  const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  for (const entry of entries) {
    if (!entry.includes('=')) {
      out = out.filter((e) => keyOf(e) !== entry);
      continue;
    }
    const i = out.findIndex((e) => keyOf(e) === keyOf(entry));
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

/** The container's hostname: --hostname, else the host's with --network host, else the short ID. */
export function containerHostname(opts: Pick<ContainerRunOptions, 'id' | 'hostname' | 'network'>, host: Pick<HostFacts, 'hostname'>): string {
  return opts.hostname || (opts.network === 'host' ? host.hostname : opts.id.slice(0, 12));
}

function rlimits(ulimits: readonly Ulimit[], host: HostFacts): OciRlimit[] {
  return ulimits.map((u) => {
    const type = `RLIMIT_${u.name.toUpperCase()}`;
    const ceiling = host.hardLimits[type] ?? Infinity;
    // Raising a hard limit needs CAP_SYS_RESOURCE, which this host withholds: say so before the runtime fails obscurely.
    if (u.hard > ceiling) throw new Error(`--ulimit ${u.name}=${u.soft}:${u.hard}: the hard limit cannot exceed ${ceiling}, the limit strata itself runs under`);
    return { type, hard: u.hard, soft: u.soft };
  });
}

/** /proc, /dev, /sys and the rest every container gets, in Docker's order. */
function defaultMounts(opts: ContainerRunOptions): OciMount[] {
  const sysOptions = opts.privileged ? ['nosuid', 'noexec', 'nodev'] : ['nosuid', 'noexec', 'nodev', 'ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [opts.privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${opts.shmSize ?? DEFAULT_SHM_SIZE}`] },
  ];
}

/** The container's hosts, hostname and resolv.conf over the image's, read-only with --read-only (as Docker). */
function networkFileMounts(opts: ContainerRunOptions): OciMount[] {
  const options = opts.readOnly ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'];
  return ['resolv.conf', 'hostname', 'hosts'].map((name) => ({
    destination: `/etc/${name}`, type: 'bind', source: `${opts.containerDir}/${name}`, options,
  }));
}

const depth = (path: string) => path.split('/').filter(Boolean).length;

function mounts(opts: ContainerRunOptions): OciMount[] {
  const user = [...networkFileMounts(opts), ...(opts.mounts ?? [])];
  if (opts.initPath) user.push({ destination: INIT_PATH, type: 'bind', source: opts.initPath, options: ['bind', 'ro'] });
  // A mount the user asked for replaces the default at the same place (--tmpfs /dev/shm, -v x:/etc/hosts).
  const taken = new Set(user.map((m) => m.destination.replace(/\/+$/, '')));
  const defaults = defaultMounts(opts).filter((m) => !taken.has(m.destination));
  // Parents before children, so a volume at /data/x lands inside one at /data (stable for equal depths).
  return [...defaults, ...user.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map(({ m }) => m)];
}

function resources(opts: ContainerRunOptions): OciSpec['linux']['resources'] {
  const res: OciSpec['linux']['resources'] = {
    devices: opts.privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES.map((r) => ({ ...r })),
  };
  if (opts.memory) {
    if (opts.memory < MIN_MEMORY) throw new Error('Minimum memory limit allowed is 6MB');
    const swap = opts.memorySwap ?? opts.memory * 2;
    if (swap !== -1 && swap < opts.memory) throw new Error('Minimum memoryswap limit should be larger than memory limit, see usage');
    res.memory = { limit: opts.memory, swap };
  }
  if (opts.pidsLimit && opts.pidsLimit > 0) res.pids = { limit: opts.pidsLimit };
  if (opts.nanoCpus) res.cpu = { quota: Math.round((opts.nanoCpus * CPU_PERIOD) / 1e9), period: CPU_PERIOD };
  return res;
}

/**
 * The spec of a container as Docker 20.10 runs it by default on this host. Throws Docker's messages for
 * options it refuses (no command, bad workdir, memory below 6MB, an unknown capability); options this
 * host cannot honour (a capability outside its bounding set) are left out with a warning.
 */
export function containerSpec(opts: ContainerRunOptions, host: HostFacts, privilegedDevices: readonly HostDevice[] = []): BuiltSpec {
  const warnings: string[] = [];
  let args = processArgs(opts.image, opts.cmd, opts.entrypoint);
  if (opts.initPath) args = [INIT_PATH, '--', ...args];

  const cwd = opts.workdir || opts.image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw new Error(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);

  const hostname = containerHostname(opts, host);
  let env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(opts.tty ? ['TERM=xterm'] : [])];
  env = mergeEnv(mergeEnv(env, opts.image.Env ?? []), opts.env ?? []);
  // runc would add HOME itself; writing it here makes crun and runc agree and the spec tell the whole story.
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${opts.user.home}`);

  const { capabilities, unavailable } = containerCapabilities(opts, host.bounding);
  for (const cap of unavailable) warnings.push(`${cap} is not in this host's bounding set: the container runs without it`);

  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      ...(opts.tty ? { terminal: true } : {}),
      ...(opts.tty && opts.consoleSize ? { consoleSize: { ...opts.consoleSize } } : {}),
      user: { uid: opts.user.uid, gid: opts.user.gid, additionalGids: opts.user.additionalGids },
      args,
      env,
      cwd,
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
      ...(opts.ulimits?.length ? { rlimits: rlimits(opts.ulimits, host) } : {}),
      // Docker writes 0; lowering the caller's own value needs CAP_SYS_RESOURCE, so never go below it.
      oomScoreAdj: Math.max(0, host.oomScoreAdj),
    },
    root: { path: opts.rootfs, ...(opts.readOnly ? { readonly: true } : {}) },
    hostname,
    mounts: mounts(opts),
    linux: {
      ...(opts.network === 'host' ? {} : { sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' } }),
      resources: resources(opts),
      cgroupsPath: `${opts.cgroupParent ?? '/strata'}/${opts.id}`,
      namespaces: [
        { type: 'mount' }, ...(opts.network === 'host' ? [] : [{ type: 'network' }]), { type: 'uts' }, { type: 'pid' }, { type: 'ipc' },
      ],
      devices: opts.privileged
        ? privilegedDevices.map((d) => ({ ...d }))
        : STANDARD_DEVICES.map(([path, major, minor]) => ({ path, type: 'c' as const, major, minor, fileMode: 0o666, uid: 0, gid: 0 })),
    },
  };
  if (!opts.privileged) {
    spec.linux.seccomp = defaultSeccomp(capabilities, host.arch);
    spec.linux.maskedPaths = [...MASKED_PATHS];
    spec.linux.readonlyPaths = [...READONLY_PATHS];
  }
  return { spec, warnings };
}

/** `docker exec`'s options, with the container's own settings they start from. */
export interface ExecRunOptions {
  /** The command to run (no entrypoint applies). */
  cmd: string[];
  /** The container's hostname (HOSTNAME in the environment). */
  hostname: string;
  /** The container's configured environment: the image's Env with the container's -e applied (Docker's Config.Env). */
  containerEnv: readonly string[];
  /** The container's process (config.json's): its user, cwd and capabilities are the defaults. */
  container: OciProcess;
  /** exec -e */
  env?: string[];
  /** exec -u, resolved in the container's rootfs; the container's user otherwise. */
  user?: ResolvedUser;
  /** exec -w; the container's working directory otherwise. */
  workdir?: string;
  /** exec -t */
  tty?: boolean;
  /** With -t: the terminal's size from the first byte (the runtime sets it before the program runs). */
  consoleSize?: { height: number; width: number };
  /** exec --privileged: every capability the host allows. */
  privileged?: boolean;
}

/**
 * The process of a `docker exec`, for the runtime's `exec --process`: Docker's environment (default PATH,
 * HOSTNAME, TERM with -t, the container's variables, then -e; HOME from the exec user's passwd entry),
 * the container's user, cwd and capabilities unless overridden.
 */
export function execProcess(o: ExecRunOptions, host: HostFacts): BuiltProcess {
  if (o.cmd.length === 0) throw new Error('No command specified');
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) throw new Error(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`);
  let env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${o.hostname}`, ...(o.tty ? ['TERM=xterm'] : [])];
  env = mergeEnv(mergeEnv(env, o.containerEnv), o.env ?? []);
  const user = o.user ?? null;
  if (!env.some((e) => e.startsWith('HOME='))) {
    const containerHome = o.container.env.find((e) => e.startsWith('HOME='));
    env.push(user ? `HOME=${user.home}` : (containerHome ?? 'HOME=/'));
  }
  const warnings: string[] = [];
  let capabilities = o.container.capabilities;
  if (o.privileged) {
    const set = containerCapabilities({ privileged: true }, host.bounding);
    for (const cap of set.unavailable) warnings.push(`${cap} is not in this host's bounding set: the process runs without it`);
    capabilities = { bounding: set.capabilities, effective: set.capabilities, permitted: set.capabilities };
  }
  const { terminal: _terminal, consoleSize: _size, ...rest } = o.container;
  return {
    process: {
      ...rest,
      ...(o.tty ? { terminal: true } : {}),
      ...(o.tty && o.consoleSize ? { consoleSize: { ...o.consoleSize } } : {}),
      user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : o.container.user,
      args: [...o.cmd],
      env,
      cwd: o.workdir || o.container.cwd,
      ...(capabilities ? { capabilities } : {}),
    },
    warnings,
  };
}

export interface BuiltProcess {
  process: OciProcess;
  warnings: string[];
}
