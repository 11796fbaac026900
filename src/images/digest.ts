/** Content identities as Docker and OCI define them. */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: string | Buffer): string => 'sha256:' + createHash('sha256').update(data).digest('hex');

/** chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export const chainIdOf = (parentChainId: string | null, diffId: string): string =>
  parentChainId === null ? diffId : sha256(`${parentChainId} ${diffId}`);

/** The chainIDs of a stack of layers given base first. */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out.at(-1) ?? null, d));
  return out;
}

export const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
export const shortId = (digest: string): string => hexOf(digest).slice(0, 12);
/** A fresh random 64-hex id (container ids, snapshot ids). */
export const randomId = (): string => randomBytes(32).toString('hex');
