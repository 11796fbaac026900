/**
 * What the CLI prints, written straight to file descriptors 1 and 2. process.stdout and process.stderr
 * are streams, and on Bun the first use of either loads the runtime's stream machinery: more CPU than
 * all of a short command's own work (bench/RESULTS.md). Streams stay for the commands that pipe an
 * archive to stdout (save, export); whatever is printed here is written before they start.
 */
import { writeSync } from 'node:fs';

/**
 * The status of a command whose reader went away (`strata inspect … | head -1`): silent, 128 + SIGPIPE,
 * what a shell reports for docker, which the signal ends. (The runtime ignores SIGPIPE, so a write
 * fails with EPIPE instead.)
 */
export const READER_GONE = 141;

/** For the sleep between retries when the descriptor is non-blocking and its pipe is full (made then: rarely needed). */
let pause: Int32Array | undefined;

function writeAll(fd: number, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait((pause ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
      else if (code === 'EPIPE') process.exit(READER_GONE);
      else throw e;
    }
  }
}

/** Text, or bytes as they are (a file name that is not UTF-8). */
export const stdout = (data: string | Buffer): void => writeAll(1, data);
export const stderr = (data: string | Buffer): void => writeAll(2, data);
