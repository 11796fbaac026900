/** The engine's timestamps. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * Now, in ISO 8601 UTC as Date.prototype.toISOString writes it ("2026-11-23T12:00:00.000Z"), but
 * from the getUTC* fields: V8's toISOString first loads the local time zone through ICU, which a
 * cold `strata create` paid about 18 ms for, to use no zone at all.
 */
export function isoNow(): string {
  const d = new Date();
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}
