/**
 * A stats sample in the Engine API's shape. The engine measures CPU % over its own interval; the counters
 * here are set so that the docker CLI's formula (cpu delta / system delta × CPUs × 100) gives that same %.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from '../../engine/index.js';

type Sample = Awaited<ReturnType<Engine['containers']['processes']['stats']>>;

/** The engine's sampling interval (processes.stats' default), in nanoseconds. */
const INTERVAL_NS = 500_000_000;

export function dockerStats(c: { id: string; name: string }, sample: Sample) {
  const cpus = availableParallelism();
  const now = new Date();
  const systemNow = Number(process.hrtime.bigint()) * cpus;
  const used = sample ? Math.round((sample.cpuPercent / 100) * INTERVAL_NS) : 0;
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: system, online_cpus: cpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const total = sample?.now.cpuNanos ?? 0;
  return {
    read: now.toISOString(), preread: new Date(now.getTime() - INTERVAL_NS / 1e6).toISOString(), id: c.id, name: `/${c.name}`,
    pids_stats: { current: sample?.now.pids ?? 0 },
    blkio_stats: { io_service_bytes_recursive: null },
    num_procs: 0,
    cpu_stats: cpu(total, systemNow),
    precpu_stats: cpu(total - used, systemNow - INTERVAL_NS * cpus),
    memory_stats: sample ? { usage: sample.now.memoryBytes, limit: sample.now.memoryLimitBytes, stats: {} } : {},
    networks: {},
  };
}
