/**
 * What /info and /version say about the host and the programs strata runs containers with, read from the host
 * as Docker's daemon reads it (so the docker CLI's `info` prints the host's facts, and its warnings are about
 * the host, not about fields left false). Read once per service: nothing here changes while it runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, statfsSync } from 'node:fs';

/** statfs magic numbers → the names Docker's overlay2 driver gives a backing filesystem. */
const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x2fc12fc1: 'zfs', 0x794c7630: 'overlayfs',
};

/** One line of /proc/sys as a flag; false when the file is absent (the module not loaded). */
function sysctl(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** /etc/os-release's fields (PRETTY_NAME, VERSION_ID), as Docker's daemon reads them for OperatingSystem and OSVersion. */
function osRelease(): Record<string, string> {
  const fields: Record<string, string> = {};
  try {
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) fields[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    }
  } catch { /* no os-release: Docker says "<unknown>" */ }
  return fields;
}

/** A program's `--version` lines as key → value (`runc version 1.1.5`, `commit: …`), or null when it cannot be run. */
function versionOf(program: string): { version: string; commit: string } | null {
  const r = spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout) return null;
  const version = /version\s+(\S+)/.exec(r.stdout)?.[1] ?? '';
  const commit = /^commit:\s*(\S+)/m.exec(r.stdout)?.[1] ?? '';
  return { version, commit: commit === 'unknown' ? '' : commit };
}

export interface HostInfo {
  operatingSystem: string;
  osVersion: string;
  cgroupVersion: '1' | '2';
  /** overlay2's DriverStatus lines, as Docker's overlay2 driver gives them. */
  driverStatus(root: string, driver: string): [string, string][];
  swapLimit: boolean;
  oomKillDisable: boolean;
  ipv4Forwarding: boolean;
  bridgeNfIptables: boolean;
  bridgeNfIp6tables: boolean;
  runc: { version: string; commit: string } | null;
  conmon: { version: string; commit: string } | null;
  /** When strata's executable was built (its file's time), as RFC 3339. */
  buildTime: string;
}

let cached: HostInfo | undefined;

export function hostInfo(): HostInfo {
  if (cached) return cached;
  const os = osRelease();
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  cached = {
    operatingSystem: os.PRETTY_NAME || '<unknown>',
    osVersion: os.VERSION_ID ?? '',
    cgroupVersion: v2 ? '2' : '1',
    driverStatus(root, driver) {
      if (driver !== 'overlay2') return [];
      const type = statfsSync(root).type;
      return [['Backing Filesystem', FS_NAMES[type] ?? `0x${type.toString(16)}`], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']];
    },
    // cgroup v1: the memory controller's swap and OOM files; v2: memory.swap.max in the root's children, the OOM control is always there.
    swapLimit: v2 ? true : existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    oomKillDisable: !v2 && existsSync('/sys/fs/cgroup/memory/memory.oom_control'),
    ipv4Forwarding: sysctl('/proc/sys/net/ipv4/ip_forward'),
    bridgeNfIptables: sysctl('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    bridgeNfIp6tables: sysctl('/proc/sys/net/bridge/bridge-nf-call-ip6tables'),
    runc: versionOf('runc'),
    conmon: versionOf('conmon'),
    buildTime: statSync(process.execPath).mtime.toISOString(),
  };
  return cached;
}
