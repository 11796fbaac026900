/**
 * Snapshot keys: 64 hex digits (random, see engine/store.ts), or a container's key with Docker's `-init`
 * suffix for its init layer. Anything else in a driver's directory is not a snapshot (a probe, a marker).
 */
export const SNAPSHOT_KEY = /^[a-f0-9]{64}(-init)?$/;

export function checkKey(key: string): string {
  if (!SNAPSHOT_KEY.test(key)) throw new Error(`invalid snapshot key ${JSON.stringify(key)}`);
  return key;
}
