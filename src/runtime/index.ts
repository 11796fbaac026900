/**
 * Running containers (the `runtime/` part): the engine's entry points. A container runs as
 *
 *   const user = resolveUser(rootfs, opts.user ?? image.User ?? '');           // Docker's -u rules, read inside the rootfs
 *   const { spec, warnings } = containerSpec({ id, rootfs, containerDir, image, user, ... }, hostFacts(),
 *                                            privileged ? hostDevices() : []);  // config.json, Docker's defaults
 *   write containerDir/config.json; writeNetworkFiles(containerDir, networkFiles(spec.hostname, network, hostNetworkFiles()))
 *   const sup = new Supervisor({ id, bundle: containerDir, runtime: new OciRuntime('runc', storeRoot + '/runtime'), ... });
 *   await sup.create();  [sup.attach(streams) for a foreground run]  await sup.start();
 *   foreground: await attachment.done; const { exitCode } = await sup.waitExit();
 *   any later command: await sup.reconcile()  → null while running, else the exit status (255 if conmon died).
 */
export { capabilityMask, DEFAULT_CAPABILITIES, type Capability } from './capabilities.js';
export { cgroupPids, cgroupStats, removeCgroup, type CgroupStats } from './cgroups.js';
export { hostDevices, hostFacts, type HostDevice, type HostFacts } from './host.js';
export { logTime, readLog, readLogFrom, type LogLine, type LogQuery, type LogStream } from './logs.js';
export { containerResolvConf, hostNetworkFiles, networkFiles, writeNetworkFiles, type HostNetworkFiles, type NetworkFiles } from './netfiles.js';
export type { OciHook, OciMount, OciSpec } from './oci.js';
export { OciRuntime, RuntimeError, startFailureCode, type AttachedRunOptions, type OciState, type RuntimeName } from './runc.js';
export {
  containerHostname, containerSpec, DEFAULT_PATH, mergeEnv, parseUlimit, processArgs,
  type BuiltSpec, type ContainerRunOptions, type ImageRunConfig, type NetworkMode, type Ulimit,
} from './spec.js';
export {
  RUNNER_FILE, Supervisor, UNKNOWN_EXIT_CODE, type Attachment, type AttachStreams, type ContainerStatus, type ExitStatus, type SupervisorOptions,
} from './supervisor.js';
export { readFileInRoot, resolveInRoot, resolveUser, type ResolvedUser } from './user.js';
export { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detachkeys.js';
