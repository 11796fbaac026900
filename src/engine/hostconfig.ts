/**
 * The HostConfig and NetworkSettings a container's inspect shows. strata gives a container no network and
 * runs no process yet, so these are what Docker 20.10 shows for a container made by `docker create
 * --network none` and never started, key for key and in Docker's order (checked side by side).
 */
import { existsSync } from 'node:fs';

/** strata's containers have no network: Docker's `--network none`. */
export const NETWORK_MODE = 'none';

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

export function hostConfig() {
  return {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: NETWORK_MODE,
    PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '',
    VolumesFrom: null, CapAdd: null, CapDrop: null, CgroupnsMode: cgroupnsMode(), Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '',
    ShmSize: DEFAULT_SHM_SIZE, Runtime: 'runc', ConsoleSize: [0, 0], Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0,
    CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null,
    OomKillDisable: false, PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0,
    IOMaximumBandwidth: 0, MaskedPaths: [...MASKED_PATHS], ReadonlyPaths: [...READONLY_PATHS],
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

/** The container's networks, by name: only `none`. */
export const networks = (): Record<string, EndpointSettings> => ({ [NETWORK_MODE]: endpointSettings() });

export function networkSettings() {
  return {
    Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: {},
    SandboxKey: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: networks(),
  };
}

export type NetworkSettings = ReturnType<typeof networkSettings>;
