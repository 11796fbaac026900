/**
 * A stats sample in the Engine API's shape. The engine measures CPU % over its own interval; the counters
 * here are set so that the docker CLI's formula (cpu delta / system delta × CPUs × 100) gives that same %.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from '../../engine/index.js';

type Sample = Awaited<ReturnType<Engine['containers']['processes']['stats']>>;

/** The engine's sampling interval (processes.stats' default), in nanoseconds. */
const INTERVAL_NS = 500_000_000;

/** Docker's blkio_stats keys (cgroup v1's), each a list: empty when measured, null when the container is not running. */
const BLKIO = ['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive',
  'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'];

/** Go's zero time, which Docker's daemon gives as the read time of a container that is not running. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function dockerStats(c: { id: string; name: string }, sample: Sample) {
  const zeroUsage = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  if (!sample) {
    // As Docker's daemon answers for a container that is not running: zero times, empty sections.
    return {
      read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: Object.fromEntries(BLKIO.map((k) => [k, null])), num_procs: 0,
      storage_stats: {}, cpu_stats: zeroUsage, precpu_stats: zeroUsage, memory_stats: {}, name: `/${c.name}`, id: c.id,
    };
  }
  const cpus = availableParallelism();
  const now = new Date();
  const systemNow = Number(process.hrtime.bigint()) * cpus;
  const used = Math.round((sample.cpuPercent / 100) * INTERVAL_NS);
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: system, online_cpus: cpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const total = sample.now.cpuNanos;
  // No `networks`: Docker leaves it out for a container without a network interface of its own (none, host).
  return {
    read: now.toISOString(), preread: new Date(now.getTime() - INTERVAL_NS / 1e6).toISOString(), pids_stats: { current: sample.now.pids },
    blkio_stats: Object.fromEntries(BLKIO.map((k) => [k, []])), num_procs: 0, storage_stats: {},
    cpu_stats: cpu(total, systemNow), precpu_stats: cpu(total - used, systemNow - INTERVAL_NS * cpus),
    memory_stats: { usage: sample.now.memoryBytes, limit: sample.now.memoryLimitBytes, stats: {} },
    name: `/${c.name}`, id: c.id,
  };
}
