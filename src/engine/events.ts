/**
 * Docker's events (`docker events`, GET /events): what happened to containers, images and volumes, in the
 * order it happened. strata has no daemon to hold them in memory, so every process (each CLI command, the
 * API service) appends them to one file in the store, `events.log`, one JSON object a line; a line is
 * written with one append-mode write, so lines from processes writing at once never interleave.
 * The file is bounded: past `maxBytes` it becomes `events.log.1` (the one before goes) and a new one starts,
 * so what is kept is between one and two files' worth (Docker's daemon keeps its last 1024 in memory).
 */
import { appendFileSync, closeSync, constants, openSync, readSync, renameSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { LOCK_EX, LOCK_UN, native } from '../native/index.js';

/** events.log's size past which it is rotated: some thousands of events. */
export const EVENTS_MAX_BYTES = 1024 * 1024;

/**
 * Where a reader is: a byte offset in one file, named by its inode (a rotation renames the file, so the
 * inode finds it again as events.log.1). `ino` 0: the file did not exist yet.
 */
export interface EventCursor { ino: number; offset: number }

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
  /** What a rotation leaves: the events before the current file's. */
  readonly previous: string;

  constructor(root: string, private readonly maxBytes = EVENTS_MAX_BYTES) {
    this.file = join(root, 'events.log');
    this.previous = `${this.file}.1`;
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
    if ((stat(this.file)?.size ?? 0) > this.maxBytes) this.rotate();
  }

  /**
   * events.log becomes events.log.1. Under a lock, and only if it is still too large: two processes past
   * the bound at once rotate once (the second would otherwise rename the new, nearly empty file over the
   * events just kept). A writer appending meanwhile lands in one file or the other, whole.
   */
  private rotate(): void {
    const fd = openSync(`${this.file}.lock`, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      native.flock(fd, LOCK_EX);
      if ((stat(this.file)?.size ?? 0) > this.maxBytes) renameSync(this.file, this.previous);
      native.flock(fd, LOCK_UN);
    } finally {
      closeSync(fd);
    }
  }

  /** Where a reader that wants only what comes next starts. */
  end(): EventCursor {
    const now = stat(this.file);
    return { ino: now?.ino ?? 0, offset: now?.size ?? 0 };
  }

  /** Where a reader that wants every event kept starts: the rotated file's first byte (or the current's). */
  start(): EventCursor {
    const before = stat(this.previous);
    return before ? { ino: before.ino, offset: 0 } : { ino: stat(this.file)?.ino ?? 0, offset: 0 };
  }

  /**
   * The whole events written from `cursor` on, and where the next read starts (a line still being written
   * waits). A reader whose file was rotated since reads its rest from events.log.1, then the new file.
   */
  readFrom(cursor: EventCursor): { events: EventMessage[]; cursor: EventCursor } {
    const now = stat(this.file);
    const events: EventMessage[] = [];
    let at = cursor;
    if (now && at.ino !== now.ino) {
      const before = stat(this.previous);
      if (at.ino !== 0 && before?.ino === at.ino) events.push(...readLines(this.previous, at.offset).events);
      at = { ino: now.ino, offset: 0 };
    }
    if (!now) return { events, cursor: at };
    const next = readLines(this.file, at.offset);
    events.push(...next.events);
    return { events, cursor: { ino: at.ino, offset: next.offset } };
  }
}

/** The file's stat, or undefined where it does not exist (yet, or since a rotation). */
const stat = (path: string): Stats | undefined => statSync(path, { throwIfNoEntry: false });

/** The complete lines of `path` from byte `offset`, parsed, and the offset after the last complete one. */
function readLines(path: string, offset: number): { events: EventMessage[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], offset };
    throw e;
  }
  try {
    const size = statSync(path).size;
    if (size <= offset) return { events: [], offset };
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    const complete = buf.subarray(0, n).lastIndexOf(0x0a) + 1;
    const events = buf.subarray(0, complete).toString('utf8').split('\n').filter(Boolean).flatMap((l) => {
      try { return [JSON.parse(l) as EventMessage]; } catch { return []; }
    });
    return { events, offset: offset + complete };
  } finally {
    closeSync(fd);
  }
}
