/** The parts of the OCI runtime-spec's config.json (runtime-spec 1.0) that strata writes. */
import type { SeccompPolicy } from './seccomp.js';

export interface OciMount { destination: string; type: string; source: string; options?: string[] }
export interface OciRlimit { type: string; soft: number; hard: number }
export interface OciDevice { path: string; type: 'c' | 'b' | 'p'; major: number; minor: number; fileMode?: number; uid?: number; gid?: number }
export interface OciDeviceRule { allow: boolean; type?: 'a' | 'c' | 'b'; major?: number; minor?: number; access?: string }

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: { bounding: string[]; effective: string[]; permitted: string[]; inheritable?: string[]; ambient?: string[] };
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; swap?: number };
  pids?: { limit: number };
  cpu?: { quota?: number; period?: number };
}

/** A runtime-spec hook: a host program the runtime runs at a point of the container's life. */
export interface OciHook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface OciSpec {
  ociVersion: string;
  /** poststop: run by the runtime once the container's processes are gone and its record deleted. */
  hooks?: { poststop?: OciHook[] };
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    devices?: OciDevice[];
    resources: OciResources;
    cgroupsPath: string;
    sysctl?: Record<string, string>;
    seccomp?: SeccompPolicy;
    maskedPaths?: string[];
    readonlyPaths?: string[];
  };
}
