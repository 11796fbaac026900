/** Telling a live process from a dead one whose pid was reused, for sweeping a crashed writer's work. */
import { readFileSync } from 'node:fs';

/** The start time (clock ticks since boot) of a process, or null if it is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; fields after the ")" that ends the command name are space-separated.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export const selfStartTime = (): string => processStartTime(process.pid) ?? '0';

export function processAlive(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}
