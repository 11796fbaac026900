/** Progress messages of pull and push as Docker's daemon words and renders them (its JSONMessage). */
import type { JsonMessage, Progress } from '../engine/messages.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** go-units HumanSize (decimal units, 4 significant digits), as the daemon writes a bar's numbers. */
function humanSize(n: number): string {
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) { n /= 1000; i++; }
  return `${Number(n.toPrecision(4))}${UNITS[i]}`;
}

/** The daemon's bar: `[=====>      ]  12.3MB/99.9MB` (its JSONProgress.String at a width over 110). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return current > 0 ? humanSize(current).padStart(8) : '';
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const box = `[${'='.repeat(filled)}>${' '.repeat(Math.max(0, 50 - filled))}] `;
  return box + (current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`);
}

/** Docker's short ID of a layer or blob: the first 12 hex digits of its digest. */
export const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Per-layer progress, at most one bar message per interval so a fast link does not flood the reader. */
export class LayerProgress {
  private last = 0;

  constructor(private readonly report: Progress, readonly id: string, private readonly intervalMs = 100) {}

  status(status: string): void {
    this.report({ status, progressDetail: {}, id: this.id });
  }

  bar(status: string, current: number, total: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    const msg: JsonMessage = { status, progressDetail: { current, total }, progress: progressBar(current, total), id: this.id };
    this.report(msg);
  }
}
