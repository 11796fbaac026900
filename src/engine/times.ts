/**
 * Times as Docker's filters compare them: to the nanosecond (an image config's `created` carries
 * nanoseconds, and `until=` compares with them), and the `until=` values Docker's daemon takes
 * (api/types/time GetTimestamp): a Go duration back from now, an RFC 3339 time or date (local
 * time when it names no zone), or Unix seconds.
 */
import { InvalidArgumentError } from './errors.js';
import type { Filters } from './filters.js';

const NS = 1_000_000_000n;

/** Go's zero time (0001-01-01T00:00:00Z): what an image with no `created` counts as. */
export const ZERO_TIME_NS = -62135596800n * NS;

/** An RFC 3339 time (`2026-11-30T08:40:13.152046114Z`) in nanoseconds since the epoch; "" is Go's zero time. */
export function timeNs(iso: string): bigint {
  if (iso === '') return ZERO_TIME_NS;
  const m = /^(.*?:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(iso);
  const ms = Date.parse(m ? m[1]! + m[3]! : iso);
  if (Number.isNaN(ms)) return ZERO_TIME_NS;
  return BigInt(ms) * 1_000_000n + fractionNs(m?.[2] ?? '');
}

/** Digits after a decimal point, as nanoseconds (at most nine count). */
const fractionNs = (digits: string): bigint => BigInt((digits + '000000000').slice(0, 9));

/**
 * The time `until=` names, or undefined when none is given. One only, as Docker's: `more than one
 * until filter specified`.
 */
export function untilNs(filters: Filters, now: Date): bigint | undefined {
  const values = filters.values('until');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new InvalidArgumentError('more than one until filter specified');
  return timestampNs(values[0]!, now);
}

/** Go's time.ParseDuration units, in nanoseconds. */
const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;

/** A Go duration (`10m`, `1h30m`, `-1.5h`) in nanoseconds, or undefined when `value` is not one. */
function durationNs(value: string): number | undefined {
  if (!DURATION.test(value)) return undefined;
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(n) * UNITS[unit!]!;
  return value.startsWith('-') ? -total : total;
}

const RANGES: [name: string, max: (y: number, mo: number) => number, min: number][] = [
  ['month', () => 12, 1],
  ['day', (y, mo) => new Date(Date.UTC(y, mo, 0)).getUTCDate(), 1],
  ['hour', () => 23, 0],
  ['minute', () => 59, 0],
  ['second', () => 59, 0],
];

/** Docker's GetTimestamp followed by ParseTimestamps: the time `value` names, in nanoseconds. */
export function timestampNs(value: string, now: Date): bigint {
  const d = durationNs(value);
  // As Go's reference.Add(-d).Unix(): whole seconds.
  if (value !== '0' && d !== undefined) return BigInt(Math.floor((now.getTime() * 1e6 - d) / 1e9)) * NS;
  // A zone (Z, +hh:mm) or a date with a negative offset (three dashes) is read as given; else as local time.
  const zoned = /[zZ+]/.test(value) || value.split('-').length - 1 === 3;
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?)?(Z|z|[+-]\d\d:\d\d)?$/.exec(value);
  // What Go's layout for this shape of value asks for: a fraction only where the value has a `.`, a zone
  // exactly when it is zoned.
  const shapeOk = m !== null && (m[7] !== undefined) === value.includes('.') && (m[8] !== undefined) === zoned;
  if (!shapeOk) {
    if (value.includes('-')) throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: cannot parse it as an RFC 3339 time or date`);
    const unix = /^([-+]?\d+)(?:\.([-+]?\d+))?$/.exec(value);
    if (!unix) throw new InvalidArgumentError(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
    return BigInt(unix[1]!) * NS + (unix[2] === undefined ? 0n : fractionNs(unix[2].replace(/^[-+]/, '')));
  }
  const [y, mo, day, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  [mo, day, h, mi, s].forEach((v, i) => {
    const [name, max, min] = RANGES[i]!;
    if (v < min || v > max(y, mo)) throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: ${name} out of range`);
  });
  const zone = m[8];
  let ms: number;
  if (zone === undefined) {
    ms = new Date(y, mo - 1, day, h, mi, s).getTime();
  } else {
    const offset = /^[zZ]$/.test(zone) ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ms = Date.UTC(y, mo - 1, day, h, mi, s) - offset * 60_000;
  }
  return BigInt(ms) * 1_000_000n + fractionNs(m[7] ?? '');
}

/** conmon's time (nanoseconds, zone offset) as `docker logs -t` prints it: UTC with nine fraction digits. */
export function dockerLogTime(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(time);
  if (!m) return time;
  const utc = new Date(Date.parse(`${m[1]}${m[3] || 'Z'}`)).toISOString().slice(0, 19);
  return `${utc}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}
