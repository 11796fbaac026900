/** `--filter key=value` flags, read as Docker's CLI reads them; what they mean is the engine's (engine/filters.ts). */
import { FlagValueError } from '../engine/errors.js';
import type { FilterPair } from '../engine/index.js';

/**
 * Each flag split at its first `=`, the key lowercased and both sides trimmed, an empty flag skipped; one
 * without `=` is the CLI's own failure, with Docker's message and status 125.
 */
export function filterPairs(values: readonly string[], flag = '-f, --filter'): FilterPair[] {
  const pairs: FilterPair[] = [];
  for (const v of values) {
    if (v === '') continue;
    const eq = v.indexOf('=');
    if (eq < 0) throw new FlagValueError(`invalid argument ${JSON.stringify(v)} for ${JSON.stringify(flag)} flag: bad format of filter (expected name=value)`);
    pairs.push([v.slice(0, eq).trim().toLowerCase(), v.slice(eq + 1).trim()]);
  }
  return pairs;
}
