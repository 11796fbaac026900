// Sizes, durations and IDs as docker prints them (docker/go-units and docker's stringid).

import { formatFloat, goTimeString } from './gofmt.js';
import { displayWidth } from './tabwriter.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;

/**
 * go-units HumanSizeWithPrecision: decimal units and %.<precision>g, falling back to %.0f where %g
 * would print an exponent (999.9 kB is "1000kB", not "1e+03kB").
 */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  let num = formatFloat(size, 'g', precision);
  if (/[eE]/.test(num)) num = formatFloat(size, 'f', 0);
  return num + DECIMAL_UNITS[i];
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;

/** go-units BytesSize: binary units to 4 digits, as `docker stats` prints memory (968KiB, 23.54GiB). */
export function bytesSize(size: number): string {
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return formatFloat(size, 'g', 4) + BINARY_UNITS[i];
}

/** Sizes as `docker images`, `ps -s` and `history` print them: 38B, 1.98MB, 123MB, 1.5GB. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 3);
}

/** go-units HumanSize, to 4 digits, as `system df`, the prune totals and an image's VirtualSize print sizes: 114.8kB, 198.9MB. */
export function goHumanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/**
 * go-units HumanDuration lives with the engine, which words ps's STATUS with it; imported from its own
 * leaf module so that formatting (and `--help`) does not load the engine.
 */
import { humanDuration } from '../../engine/duration.js';
export { humanDuration };

function toMs(t: Date | number | string): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t;
  return Date.parse(t);
}

/** docker's CREATED column: "2 weeks ago". A time is a Date, epoch milliseconds or an ISO string. */
export function timeAgo(time: Date | number | string, now: Date | number | string = Date.now()): string {
  return humanDuration(toMs(now) - toMs(time)) + ' ago';
}

/** docker's short ID: without the "sha256:" prefix, first 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/**
 * docker's formatter.Ellipsis: cut `s` to `max` terminal columns, the last one an ellipsis (…). ASCII counts
 * one column a byte (control characters too); otherwise wide characters count two and zero-width ones none,
 * and a string whose first character alone is wider than `max - 1` stays whole, as in docker.
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  if (max === 1) return chars[0] ?? '';
  if (/^[\x00-\x7f]*$/.test(s)) return s.length <= max ? s : s.slice(0, max - 1) + '…';
  let width = 0;
  const ends = chars.map((ch) => (width += displayWidth(ch)));
  if (width <= max) return s;
  const i = ends.findIndex((end, k) => end <= max - 1 && (ends[k + 1] ?? Infinity) > max - 1);
  return i < 0 ? s : chars.slice(0, i + 1).join('') + '…';
}

/** A time in Unix seconds as Go's time.Time.String() prints it (in UTC): 2026-11-30 04:58:22 +0000 UTC. */
export const goTime = (unixSeconds: number): string => goTimeString(new Date(unixSeconds * 1000));

/** A time in Unix seconds as RFC 3339 (in UTC), as docker's history prints it: 2026-11-30T04:58:22Z. */
export const rfc3339 = (unixSeconds: number): string => goTime(unixSeconds).replace(/^(\S+) (\S+) .*$/, '$1T$2Z');
