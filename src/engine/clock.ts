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

/** Nanoseconds since the epoch, now: the wall clock as precisely as the runtime reads it (sub-millisecond). */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/**
 * A time as Go's RFC3339Nano writes it, which Docker uses for a container's State times: UTC, up to nine
 * fraction digits, trailing zeros dropped ("2026-11-30T11:51:59.62715Z", "2026-11-30T11:51:59Z").
 */
export function rfc3339Nano(ns: bigint): string {
  return utc(ns, String(ns % 1_000_000_000n).padStart(9, '0').replace(/0+$/, ''));
}

/**
 * Now, as a container's creation is recorded: nine fraction digits always, so that records compare as text
 * (ps orders by them) with one another and with those from before, which have three.
 */
export function isoNowNs(): string {
  const ns = nowNs();
  return utc(ns, String(ns % 1_000_000_000n).padStart(9, '0'));
}

function utc(ns: bigint, fraction: string): string {
  const d = new Date(Number(ns / 1_000_000n));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction ? `.${fraction}` : ''}Z`;
}
