/**
 * A container's cgroup, read and removed directly (the runtime creates it at `linux.cgroupsPath` under
 * each mounted hierarchy): the figures `docker stats` shows, and the empty directories a container that
 * vanished without the runtime's `delete` (a reboot simulated by wiping the runtime's state) leaves.
 */
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** What `docker stats --no-stream` computes its columns from (cgroup v1). */
export interface CgroupStats {
  /** CPU time used by all the container's processes, in nanoseconds (cpuacct.usage). */
  cpuNanos: number;
  /** Memory in use, page cache excluded as Docker does (usage minus total_inactive_file). */
  memoryBytes: number;
  /** The memory limit (the host's memory when there is none). */
  memoryLimitBytes: number;
  /** Processes and threads in the container. */
  pids: number;
}

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/** The container's cgroup figures, or null when its cgroup is gone (the container is not running). */
export function cgroupStats(cgroupsPath: string): CgroupStats | null {
  const at = (controller: string, file: string) => join(CGROUP_ROOT, controller, cgroupsPath, file);
  try {
    const stat = readFileSync(at('memory', 'memory.stat'), 'utf8');
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    const usage = readNumber(at('memory', 'memory.usage_in_bytes'));
    return {
      cpuNanos: readNumber(at('cpuacct', 'cpuacct.usage')),
      memoryBytes: Math.max(0, usage - inactive),
      memoryLimitBytes: Math.min(readNumber(at('memory', 'memory.limit_in_bytes')), totalmem()),
      pids: readNumber(at('pids', 'pids.current')),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Remove the container's cgroup directories in every hierarchy. Only empty ones go (rmdir refuses a
 * cgroup with processes); returns the directories left because something still runs in them.
 */
export function removeCgroup(cgroupsPath: string): string[] {
  const busy: string[] = [];
  for (const hierarchy of readdirSync(CGROUP_ROOT)) {
    const dir = join(CGROUP_ROOT, hierarchy, cgroupsPath);
    try {
      rmdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') busy.push(dir);
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
  }
  return busy;
}

/** PIDs of the processes in the container's cgroup (none when it is gone). */
export function cgroupPids(cgroupsPath: string): number[] {
  try {
    return readFileSync(join(CGROUP_ROOT, 'pids', cgroupsPath, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
