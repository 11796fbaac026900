/**
 * What the engine returns: Docker Engine API shapes (field names as the API spells them), so the CLI
 * and a future API server share them.
 */
import type { ContainerConfig } from '../images/config.js';
import type { GraphDriverData } from './graphdriver.js';
import type { EndpointSettings, HostConfig, NetworkSettings } from './hostconfig.js';

/** Keys in Docker's order (Data, then Name), which inspect prints them in. */
export interface GraphDriver { Data: GraphDriverData | null; Name: string }

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig;
  Architecture: string;
  Os: string;
  Size: number;
  GraphDriver: GraphDriver;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[];
  Size: number;
  Comment: string;
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface PruneReport { ImagesDeleted?: DeleteItem[]; ContainersDeleted?: string[]; SpaceReclaimed: number }

export interface ContainerSummary {
  Id: string;
  Names: string[];
  /** The name the container was created from while it still names the container's image; else the image ID. */
  Image: string;
  ImageID: string;
  /** Path and arguments, an argument with a space in single quotes, as Docker's daemon joins them. */
  Command: string;
  Created: number;
  Ports: never[];
  State: string;
  Status: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, EndpointSettings> };
  Mounts: MountPoint[];
}

export interface MountPoint {
  Type: 'volume' | 'bind' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: GraphDriver;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: NetworkSettings;
}

export interface DiskUsage {
  LayersSize: number;
  /** strata's addition: bytes of the layers no container stands on, i.e. what removing unused images frees. */
  LayersReclaimable: number;
  Images: (ImageSummary & { SharedSize: number; Containers: number })[];
  Containers: (ContainerSummary & { SizeRw: number; SizeRootFs: number })[];
  Volumes: { Name: string; Mountpoint: string; UsageData: { Size: number; RefCount: number } }[];
  BuildCache: never[];
}
