/**
 * Docker's inspect writes a Go map's keys in sorted order, whatever order a config gave them in; strata
 * keeps a config as it was given (its bytes are the image's ID), so the inspect builders sort on the way out.
 */
import type { ContainerConfig } from '../images/config.js';

export function sortedKeys<V>(m: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The config with its maps (Labels, ExposedPorts, Volumes) in Go's key order. */
export function withSortedMaps(c: ContainerConfig): ContainerConfig {
  return {
    ...c,
    ...(c.ExposedPorts ? { ExposedPorts: sortedKeys(c.ExposedPorts) } : {}),
    Volumes: c.Volumes && sortedKeys(c.Volumes),
    Labels: c.Labels && sortedKeys(c.Labels),
  };
}
