/**
 * Identities as Docker and OCI define them, in one place: content digests, the empty layer's diffID,
 * chainIDs, and the random IDs of containers, snapshots and scratch files.
 */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: string | Buffer): string => 'sha256:' + createHash('sha256').update(data).digest('hex');

/**
 * The diffID of an empty changeset: the sha256 of an empty tar (two zero blocks). A commit with no
 * changes adds no layer, as in Docker.
 */
export const EMPTY_LAYER_DIFF_ID = sha256(Buffer.alloc(1024));

/** chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export const chainIdOf = (parentChainId: string | null, diffId: string): string =>
  parentChainId === null ? diffId : sha256(`${parentChainId} ${diffId}`);

/** The chainIDs of a stack of layers given base first: chainIdOf applied down the stack. */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out.at(-1) ?? null, d));
  return out;
}

export const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
/** A fresh random 64-hex id (container ids, snapshot ids). */
export const randomId = (): string => randomBytes(32).toString('hex');
