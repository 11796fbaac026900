/**
 * Identities as Docker and OCI define them, in one place: content digests, the empty layer's diffID,
 * chainIDs, and the random IDs of containers, snapshots and scratch files.
 *
 * Hashed by Bun's own hasher and drawn from Web Crypto's random source, not through `node:crypto`: a
 * short command hashes configs and chainIDs and draws IDs, and loading `node:crypto` (which loads Bun's
 * stream classes) would cost it about 5 ms of its start (bench/RESULTS.md). Streams of layers are hashed
 * where they are read (content/hashing.ts, archive/), which only the verbs that move layers load.
 */
export const sha256 = (data: string | Buffer): string => 'sha256:' + new Bun.CryptoHasher('sha256').update(data).digest('hex');

/** `n` random bytes from the system's secure source. */
export const randomBytes = (n: number): Buffer => {
  const bytes = Buffer.alloc(n);
  crypto.getRandomValues(bytes);
  return bytes;
};

/** A uniform random integer in [0, n), n ≤ 2^32 (rejection sampling, so no value is favoured). */
export function randomInt(n: number): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  const word = new Uint32Array(1);
  do crypto.getRandomValues(word); while (word[0]! >= limit);
  return word[0]! % n;
}

/**
 * The diffID of an empty changeset: the sha256 of an empty tar (two zero blocks). A commit with no
 * changes adds no layer, as in Docker. Written out, not hashed when the module loads: the first hash of a
 * process sets up Bun's hasher, about 0.13 ms of every command's start (test/reference.test.ts checks it).
 */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

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
