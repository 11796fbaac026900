/**
 * Docker's events (`docker events`, GET /events): what happened to containers, images and volumes, in the
 * order it happened. strata has no daemon to hold them in memory, so every process (each CLI command, the
 * API service) appends them to one file in the store, `events.log`, one JSON object a line; a line is
 * written with one append-mode write, so lines from processes writing at once never interleave.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type EventType = 'container' | 'image' | 'volume' | 'network';

/** One event, in the Engine API's shape (`status`, `id`, `from` are the pre-1.22 fields Docker still sends). */
export interface EventMessage {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** Unix seconds. */
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

export class Events {
  readonly file: string;

  constructor(root: string) {
    this.file = join(root, 'events.log');
  }

  record(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const e: EventMessage = {
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
      time: Number(nowNs / 1_000_000_000n), timeNano: Number(nowNs),
    };
    // As Docker's daemon: containers' and images' events also carry the old fields its older clients read.
    if (type === 'container' || type === 'image') Object.assign(e, { status: action, id, ...(attributes.image ? { from: attributes.image } : {}) });
    appendFileSync(this.file, JSON.stringify(e) + '\n', { mode: 0o600 });
  }

  /** The file's length now: where a reader that wants only what comes next starts. */
  end(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  /** The whole events written from byte `offset` on, and where the next read starts (a line still being written waits). */
  readFrom(offset: number): { events: EventMessage[]; offset: number } {
    if (!existsSync(this.file)) return { events: [], offset };
    const fd = openSync(this.file, 'r');
    try {
      const size = statSync(this.file).size;
      if (size <= offset) return { events: [], offset };
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      const text = buf.subarray(0, n).toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      const events = text.slice(0, complete).split('\n').filter(Boolean).flatMap((l) => {
        try { return [JSON.parse(l) as EventMessage]; } catch { return []; }
      });
      return { events, offset: offset + Buffer.byteLength(text.slice(0, complete)) };
    } finally {
      closeSync(fd);
    }
  }
}
