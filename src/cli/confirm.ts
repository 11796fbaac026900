/**
 * Docker's confirmation prompt (prune without -f): the warning and the question on stdout, one line read
 * from stdin, whatever stdin is (a terminal, a pipe, a file, nothing). Only `y` or `Y`, with any
 * surrounding spaces, says yes; anything else, or the end of the input, says no.
 */
import { readSync } from 'node:fs';
import { stdout } from './stdio.js';

/** For the sleep between retries when stdin is non-blocking and has nothing yet. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** The next byte of stdin, or undefined at the end of the input. */
export function readByte(): number | undefined {
  const one = Buffer.alloc(1);
  for (;;) {
    try {
      return readSync(0, one, 0, 1, null) === 0 ? undefined : one[0];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 10);
        continue;
      }
      if (code === 'EOF' || code === 'EBADF') return undefined;
      throw e;
    }
  }
}

/** One line of stdin without its newline, or what came before the end of the input. Reads byte by byte, so nothing after the line is taken. */
export function readLine(): string {
  const bytes: number[] = [];
  for (let b = readByte(); b !== undefined && b !== 0x0a; b = readByte()) bytes.push(b);
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Print `warning` and Docker's question; whether the user said yes. A prune answered no still ends with
 * Docker 20.10's `Total reclaimed space: 0B` (its callers print it).
 */
export const NOTHING_RECLAIMED = 'Total reclaimed space: 0B\n';

export function confirm(warning: string, sameLine = false): boolean {
  // `builder prune` asks on the warning's line, the other prunes on the next.
  stdout(`${warning}${sameLine ? ' ' : '\n'}Are you sure you want to continue? [y/N] `);
  const answer = readLine().trim();
  return answer === 'y' || answer === 'Y';
}
