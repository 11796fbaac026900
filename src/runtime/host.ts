/**
 * What the machine allows a container started by this process: the facts the spec builder needs and
 * must not exceed (a runtime asked for more fails, or on this host silently cannot). Read once per call.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { capabilitiesInMask, type Capability } from './capabilities.js';

/** A device node of the host, as a privileged container receives it. */
export interface HostDevice { path: string; type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid: number; gid: number }

export interface HostFacts {
  /** process.arch of the machine. */
  arch: string;
  /** The host's hostname: a `--network host` container's default. */
  hostname: string;
  /** The calling process's bounding set: no capability outside it can be given to a child. */
  bounding: Capability[];
  /** The calling process's hard rlimits by runtime-spec name (RLIMIT_NOFILE…); Infinity for unlimited. */
  hardLimits: Record<string, number>;
  /** The calling process's oom_score_adj: lowering it needs CAP_SYS_RESOURCE, which this host withholds. */
  oomScoreAdj: number;
}

/** /proc/self/limits row titles → runtime-spec rlimit names. */
const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

function hardLimits(): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    const title = Object.keys(LIMIT_NAMES).find((t) => line.startsWith(t));
    if (!title) continue;
    const hard = line.slice(title.length).trim().split(/\s+/)[1]!;
    limits[LIMIT_NAMES[title]!] = hard === 'unlimited' ? Infinity : Number(hard);
  }
  return limits;
}

export function hostFacts(): HostFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    arch: process.arch,
    hostname: hostname(),
    bounding: capabilitiesInMask(/^CapBnd:\s*([0-9a-f]+)/m.exec(status)![1]!),
    hardLimits: hardLimits(),
    oomScoreAdj: Number(readFileSync('/proc/self/oom_score_adj', 'utf8')),
  };
}

/** Directories of /dev that hold no device a container should get (Docker skips the same). */
const SKIPPED_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every character and block device under the host's /dev except /dev/console: what --privileged gives. */
export function hostDevices(dir = '/dev'): HostDevice[] {
  const found: HostDevice[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DEV_DIRS.has(entry.name)) found.push(...hostDevices(path));
      continue;
    }
    if (!(entry.isCharacterDevice() || entry.isBlockDevice()) || path === '/dev/console') continue;
    const st = statSync(path);
    found.push({
      path, type: entry.isCharacterDevice() ? 'c' : 'b',
      major: Number((BigInt(st.rdev) >> 8n) & 0xfffn), minor: Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n)),
      fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
    });
  }
  return found;
}
