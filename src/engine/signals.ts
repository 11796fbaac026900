/**
 * Signals as Docker's daemon reads them for `kill -s`: a number, or a name with or without SIG in any case,
 * from Linux's table (real-time ones as RTMIN+n and RTMAX-n); refusals in its words.
 */
import { InvalidArgumentError } from './errors.js';

const NAMED: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};
const RTMIN = 34;
const RTMAX = 64;

function named(name: string): number | undefined {
  if (Object.hasOwn(NAMED, name)) return NAMED[name];
  if (name === 'RTMIN') return RTMIN;
  if (name === 'RTMAX') return RTMAX;
  const rt = /^RT(MIN\+|MAX-)([1-9]|1[0-5])$/.exec(name);
  if (!rt) return undefined;
  const n = Number(rt[2]);
  // Docker's table goes RTMIN+1…RTMIN+15 and RTMAX-14…RTMAX-1.
  if (rt[1] === 'MAX-' && n > 14) return undefined;
  return rt[1] === 'MIN+' ? RTMIN + n : RTMAX - n;
}

/** The signal's number; `Invalid signal: X` for 0 or a name Linux does not have. */
export function parseSignal(raw: string): number {
  const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : named(raw.toUpperCase().replace(/^SIG/, ''));
  if (n === undefined || n === 0) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return n;
}

/** Whether Linux has the signal (a number past 64 parses, and is refused once the container is found). */
export const validSignal = (n: number): boolean => n > 0 && n <= RTMAX;
