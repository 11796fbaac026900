/**
 * Docker's multiplexed stream (stdcopy): without a TTY, attach, exec and logs send stdout and stderr over one
 * connection as frames, each an 8-byte header (the stream: 0 stdin, 1 stdout, 2 stderr; three zero bytes;
 * the payload's length, big-endian) and the payload. With a TTY the bytes go raw.
 */
import { Writable } from 'node:stream';

export type StreamKind = 1 | 2;

export function frame(kind: StreamKind, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Where one of the process's streams is written: framed as `kind`, or raw (TTY); `write` says whether to go on. */
export type Sink = (data: Buffer) => boolean;

export function sink(out: NodeJS.WritableStream, kind: StreamKind, raw: boolean): Sink {
  return (data) => (data.length === 0 ? true : out.write(raw ? data : frame(kind, data)));
}

/** A Writable for the engine's AttachStreams that writes into `out` through `sink`; ending it leaves `out` open. */
export function sinkStream(write: Sink): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      write(Buffer.from(chunk));
      done();
    },
  });
}

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW = 'application/vnd.docker.raw-stream';
