/**
 * The storage drivers, in probe order: a new store gets the first one its filesystem supports. Adding a
 * driver is one file (a module exporting `driver: DriverModule`) and one line here. A driver's module is
 * loaded only when a store uses or probes it, so listing the names (CLI help) costs nothing.
 */
import type { Snapshotter } from './types.js';

export interface DriverModule {
  open(storeRoot: string): Snapshotter;
  /** Whether the driver works on the filesystem under `storeRoot` (it may try a real mount there). */
  supported(storeRoot: string): boolean;
}

const REGISTRY = [
  { name: 'overlay2', load: async (): Promise<DriverModule> => (await import('./overlay2.js')).driver },
  { name: 'vfs', load: async (): Promise<DriverModule> => (await import('./vfs.js')).driver },
] as const;

export type DriverName = (typeof REGISTRY)[number]['name'];

export const DRIVER_NAMES: readonly DriverName[] = REGISTRY.map((d) => d.name);

export const isDriverName = (name: string): name is DriverName => (DRIVER_NAMES as readonly string[]).includes(name);

export async function openSnapshotter(name: DriverName, storeRoot: string): Promise<Snapshotter> {
  return (await REGISTRY.find((d) => d.name === name)!.load()).open(storeRoot);
}

/** The first driver, in the registry's order, that works under `storeRoot`. */
export async function probeDriver(storeRoot: string): Promise<DriverName> {
  for (const d of REGISTRY) if ((await d.load()).supported(storeRoot)) return d.name;
  throw new Error(`no storage driver works under ${storeRoot}`);
}
