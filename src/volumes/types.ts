/** What volumes and a container's mounts are, as strata stores them. */

/** The local driver's options (`volume create -o type=… -o device=… -o o=…`), as given. */
export type VolumeOptions = Record<string, string>;

export interface VolumeRecord {
  name: string;
  /** Only Docker's `local` driver exists. */
  driver: 'local';
  options: VolumeOptions | null;
  labels: Record<string, string> | null;
  /** Made for one container (`-v /ctr`, an image's VOLUME): a 64-hex name, removed by `rm -v`, pruned without `-a`. */
  anonymous: boolean;
  created: string;
}

/** One mount a container has, fixed when it is created; the fields Docker's inspect shows, and how to make it. */
export interface PlannedMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** The volume's name (type volume). */
  name?: string;
  /** The host path mounted: a volume's `_data`, a bind's source; empty for tmpfs. */
  source: string;
  destination: string;
  mode: string;
  rw: boolean;
  propagation: string;
  /** Fill an empty volume from the image's content at `destination` when it is first used (not `nocopy`). */
  copyData: boolean;
  /** tmpfs's mount options (size=, mode=, …). */
  tmpfsOptions?: string[];
  /** Whether inspect's Mounts lists it: Docker leaves `--tmpfs` ones out (they are in HostConfig.Tmpfs). */
  listed: boolean;
}

/** A `--mount` as Docker's Engine API keeps it in HostConfig.Mounts. */
export interface ApiMount {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** What `create` was told about mounts, as HostConfig shows it. */
export interface MountHostConfig {
  Binds: string[] | null;
  VolumesFrom: string[] | null;
  Mounts?: ApiMount[];
  Tmpfs?: Record<string, string>;
}

/** A container's mounts, stored with it: made at create, read at start and by inspect. */
export interface MountPlan {
  mounts: PlannedMount[];
  hostConfig: MountHostConfig;
}
