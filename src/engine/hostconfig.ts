/**
 * The HostConfig and NetworkSettings a container's inspect shows, key for key and in Docker 20.10's order
 * (checked side by side), from the settings `create` was given. strata's containers have `--network none`
 * (loopback only) unless told `host`.
 */
import { existsSync } from 'node:fs';
import type { NetworkMode } from '../runtime/index.js';
import { DEFAULT_SETTINGS, type RunSettings } from './runsettings.js';

/** Docker's default for paths a container must not read (its OCI spec's maskedPaths). */
const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];

/** Docker's default for paths a container may read and not write (readonlyPaths). */
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's /dev/shm size for a container not told otherwise: 64 MiB. */
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker 20.10's default cgroup namespace: a private one on the unified hierarchy (cgroup v2), the host's otherwise. */
const cgroupnsMode = (): string => (existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'private' : 'host');

/** --cpus as Docker keeps it (NanoCpus); -m (Memory) with twice as much memory+swap (MemorySwap), as Docker's default. */
export function hostConfig(s: RunSettings = DEFAULT_SETTINGS) {
  return {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: s.network,
    PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: s.autoRemove, VolumeDriver: '',
    VolumesFrom: null, CapAdd: s.capAdd.length ? [...s.capAdd] : null, CapDrop: s.capDrop.length ? [...s.capDrop] : null, CgroupnsMode: cgroupnsMode(), Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: s.privileged, PublishAllPorts: false, ReadonlyRootfs: s.readOnly, SecurityOpt: null, UTSMode: '', UsernsMode: '',
    ShmSize: s.shmSize ?? DEFAULT_SHM_SIZE, Runtime: s.runtime, ConsoleSize: [0, 0], Isolation: '', CpuShares: 0, Memory: s.memory, NanoCpus: s.nanoCpus,
    CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0, MemorySwap: s.memory ? s.memory * 2 : 0, MemorySwappiness: null,
    OomKillDisable: false, PidsLimit: s.pidsLimit > 0 ? s.pidsLimit : null, Ulimits: s.ulimits.length ? s.ulimits.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })) : null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0,
    IOMaximumBandwidth: 0, MaskedPaths: s.privileged ? null : [...MASKED_PATHS], ReadonlyPaths: s.privileged ? null : [...READONLY_PATHS],
    ...(s.init ? { Init: true } : {}),
  };
}

export type HostConfig = ReturnType<typeof hostConfig>;

/** A network endpoint of a container that was never started: named, not yet connected. */
function endpointSettings() {
  return {
    IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '',
    IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
  };
}

export type EndpointSettings = ReturnType<typeof endpointSettings>;

/** The container's networks, by name: the one it was given. */
export const networks = (mode: NetworkMode = 'none'): Record<string, EndpointSettings> => ({ [mode]: endpointSettings() });

export function networkSettings(mode: NetworkMode = 'none') {
  return {
    Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: {},
    SandboxKey: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: networks(mode),
  };
}

export type NetworkSettings = ReturnType<typeof networkSettings>;
