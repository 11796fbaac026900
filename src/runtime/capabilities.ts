/**
 * Linux capabilities by name, Docker's default set, and `--cap-add/--cap-drop/--privileged` as Docker
 * applies them. Names are the kernel's (CAP_*), in the order of their bit numbers.
 */

/** Every capability the kernel defines, indexed by its bit number (capability.h). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

/** Docker's default set, in the order Docker writes it into config.json (CapEff 00000000a80425fb). */
export const DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The capabilities set in a /proc/<pid>/status mask such as CapBnd ("000001fffeffffff"). */
export function capabilitiesInMask(hex: string): Capability[] {
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The /proc/<pid>/status mask of a set of capabilities, 16 hex digits as the kernel prints it. */
export function capabilityMask(caps: readonly Capability[]): string {
  const mask = caps.reduce((m, c) => m | (1n << BigInt(CAPABILITIES.indexOf(c))), 0n);
  return mask.toString(16).padStart(16, '0');
}

/** "net_admin", "CAP_NET_ADMIN", "Net_Admin" → "CAP_NET_ADMIN"; "ALL" stays "ALL"; unknown → an error as Docker's. */
export function normalize(name: string, flag: 'CapAdd' | 'CapDrop'): Capability | 'ALL' {
  const upper = name.toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITIES as readonly string[]).includes(cap)) throw new Error(`invalid ${flag}: unknown capability: "${cap}"`);
  return cap as Capability;
}

export interface CapabilityChoice {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
}

export interface CapabilitySet {
  capabilities: Capability[];
  /** Capabilities asked for that the caller's bounding set lacks, so no process it starts can hold them. */
  unavailable: Capability[];
}

/**
 * The container's capabilities as Docker computes them: the default set, minus --cap-drop (ALL empties
 * it), plus --cap-add (ALL is every capability); --privileged is every capability. Whatever the caller's
 * own bounding set lacks (CAP_SYS_RESOURCE on the benchmark host) is left out and reported, since the
 * runtime could only fail on it ("unable to apply caps: operation not permitted").
 */
export function containerCapabilities(choice: CapabilityChoice, callerBounding: readonly Capability[]): CapabilitySet {
  const adds = (choice.capAdd ?? []).map((n) => normalize(n, 'CapAdd'));
  const drops = (choice.capDrop ?? []).map((n) => normalize(n, 'CapDrop'));
  let caps: Capability[];
  if (choice.privileged || adds.includes('ALL')) caps = [...CAPABILITIES];
  else {
    caps = drops.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c));
    for (const c of adds) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  }
  if (!choice.privileged && adds.includes('ALL')) caps = caps.filter((c) => !drops.includes(c));
  return {
    capabilities: caps.filter((c) => callerBounding.includes(c)),
    unavailable: caps.filter((c) => !callerBounding.includes(c)),
  };
}
