/**
 * conmon's k8s-file log: one record per line, `<RFC 3339 time with nanoseconds> <stdout|stderr> <F|P> <bytes>`,
 * where P marks a partial line continued by the next record and F ends a line. Reads whole lines back
 * (joined across P records), from the start or, for `--tail N`, from the end of the file without reading
 * the rest of it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  /** The time conmon stamped on the line's first record, as written (nanoseconds, zone offset). */
  time: string;
  stream: LogStream;
  /** The line's bytes, with its newline unless the process ended without one. */
  data: Buffer;
}

export interface LogQuery {
  /** Only the last N lines (Docker's --tail; undefined for all). */
  tail?: number;
  /** Only lines at or after this time (--since). */
  since?: Date;
  /** Only lines before this time (--until). */
  until?: Date;
}

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

/** One record; `end` is the offset just past its newline in the bytes it was split from. */
interface LogRecord { time: string; stream: LogStream; partial: boolean; data: Buffer; end: number }

function parseRecord(line: Buffer, end: number): LogRecord | null {
  const a = line.indexOf(0x20);
  const b = line.indexOf(0x20, a + 1);
  if (a < 0 || b < 0) return null;
  const stream = line.toString('latin1', a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const tag = line[b + 1];
  // "F"/"P" then a space; a record with empty content may end right after the tag.
  return { time: line.toString('latin1', 0, a), stream, partial: tag === 0x50, data: line.subarray(Math.min(b + 3, line.length)), end };
}

/** Records joined into lines; a trailing partial record (the process is still writing it) becomes a line of its own. */
function joinLines(records: LogRecord[]): LogLine[] {
  const lines: LogLine[] = [];
  let open: { time: string; stream: LogStream; parts: Buffer[] } | null = null;
  for (const r of records) {
    if (open && open.stream !== r.stream) {
      lines.push({ time: open.time, stream: open.stream, data: Buffer.concat(open.parts) });
      open = null;
    }
    open ??= { time: r.time, stream: r.stream, parts: [] };
    open.parts.push(r.data);
    if (!r.partial) {
      open.parts.push(Buffer.from('\n'));
      lines.push({ time: open.time, stream: open.stream, data: Buffer.concat(open.parts) });
      open = null;
    }
  }
  if (open) lines.push({ time: open.time, stream: open.stream, data: Buffer.concat(open.parts) });
  return lines;
}

function splitRecords(bytes: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(NEWLINE); nl >= 0; start = nl + 1, nl = bytes.indexOf(NEWLINE, start)) {
    const r = parseRecord(bytes.subarray(start, nl), nl + 1);
    if (r) records.push(r);
  }
  return records;
}

/** Count of complete lines (F records) in `bytes`. */
function endedLines(bytes: Buffer): number {
  let n = 0;
  for (let nl = bytes.indexOf(NEWLINE); nl >= 0; nl = bytes.indexOf(NEWLINE, nl + 1)) {
    const a = bytes.indexOf(0x20, bytes.lastIndexOf(NEWLINE, nl - 1) + 1);
    const b = bytes.indexOf(0x20, a + 1);
    if (b >= 0 && b < nl && bytes[b + 1] === 0x46) n++;
  }
  return n;
}

/**
 * The last `n` lines' worth of records, read backwards from the end of the file in chunks that double
 * (so counting stays linear in what is read). Reads until n+1 complete lines are in hand (or the file's
 * start), so the first kept line is known to be whole.
 */
function tailBytes(fd: number, size: number, n: number): Buffer {
  let pos = size;
  let bytes = Buffer.alloc(0);
  for (let chunkSize = CHUNK; pos > 0 && endedLines(bytes) <= n; chunkSize *= 2) {
    const len = Math.min(chunkSize, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    readSync(fd, chunk, 0, len, pos);
    bytes = Buffer.concat([chunk, bytes]);
  }
  // Drop a cut first record: it starts after the first newline unless the file's start was reached.
  return pos > 0 ? bytes.subarray(bytes.indexOf(NEWLINE) + 1) : bytes;
}

/** The log's lines as `docker logs` shows them (filtered by time, then the last `tail`). */
export function readLog(path: string, query: LogQuery = {}): LogLine[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    let bytes: Buffer;
    if (query.tail !== undefined && !query.since && !query.until) bytes = tailBytes(fd, size, query.tail);
    else {
      bytes = Buffer.alloc(size);
      readSync(fd, bytes, 0, size, 0);
    }
    let lines = joinLines(splitRecords(bytes));
    if (query.since) lines = lines.filter((l) => logTime(l.time) >= query.since!.getTime());
    if (query.until) lines = lines.filter((l) => logTime(l.time) < query.until!.getTime());
    if (query.tail !== undefined) lines = query.tail <= 0 ? [] : lines.slice(-query.tail);
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** A record's time in milliseconds since the epoch (the nanoseconds beyond are dropped). */
export function logTime(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * Lines appended to the log after byte `offset`, and the offset to continue from (for `logs -f`: call
 * again when the file grows). Only whole records are consumed; a line still open stays for the next call.
 */
export function readLogFrom(path: string, offset: number): { lines: LogLine[]; offset: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { lines: [], offset: size < offset ? 0 : offset };
    const bytes = Buffer.alloc(size - offset);
    readSync(fd, bytes, 0, bytes.length, offset);
    const records = splitRecords(bytes);
    let end = bytes.lastIndexOf(NEWLINE) + 1;
    // Keep an unfinished line (P records at the end) for next time, unless nothing else is there.
    let keep = records.length;
    while (keep > 0 && records[keep - 1]!.partial) keep--;
    if (keep > 0 && keep < records.length) {
      end = records[keep - 1]!.end;
      records.length = keep;
    }
    return { lines: joinLines(records), offset: offset + end };
  } finally {
    closeSync(fd);
  }
}
