/**
 * `login`'s questions at a terminal, as Docker's client asks them: `Username: ` and `Password: ` on
 * stdout, the password typed with echo off and a newline printed after it, since the user's Enter was not
 * echoed. Without a terminal on stdin there is no one to ask: Docker's error.
 */
import { spawnSync } from 'node:child_process';
import { isatty } from 'node:tty';
import { InvalidArgumentError } from '../engine/errors.js';
import { readByte, readLine } from './confirm.js';
import { stdout } from './stdio.js';

/** Run stty on the terminal that is stdin; its output. */
const stty = (...args: string[]): string => spawnSync('stty', args, { stdio: ['inherit', 'pipe', 'ignore'], encoding: 'utf8' }).stdout.trim();

/**
 * A line typed without echo. The terminal is put in character mode with signals off, so that Ctrl-C
 * arrives as a byte this loop sees (a blocking read would never let a signal handler run) and can put the
 * terminal back before exiting; erase and kill-line are handled here as the terminal's line mode would.
 */
function readSecret(question: string): string {
  const saved = stty('-g');
  stty('-echo', '-icanon', '-isig', 'min', '1', 'time', '0');
  // Asked only now, so that nothing typed at the question can be echoed.
  stdout(question);
  const bytes: number[] = [];
  try {
    for (;;) {
      const b = readByte();
      if (b === undefined || b === 0x0a || b === 0x0d) break;
      if (b === 0x03) { // Ctrl-C
        stty(saved);
        stdout('\n');
        process.exit(130);
      }
      if (b === 0x04 && bytes.length === 0) break; // Ctrl-D on an empty line
      if (b === 0x7f || b === 0x08) bytes.pop();
      else if (b === 0x15) bytes.length = 0; // Ctrl-U
      else bytes.push(b);
    }
  } finally {
    stty(saved);
    stdout('\n');
  }
  return Buffer.from(bytes).toString('utf8');
}

function ask(question: string, secret: boolean): string {
  if (secret) return readSecret(question).trim();
  stdout(question);
  return readLine().trim();
}

/**
 * The username and password, asking for whichever was not given; `defaultUser` (the stored one) is
 * offered as Docker offers it, `Username (alice): `, and taken when the answer is empty.
 */
export function promptCredentials(given: { username?: string; password?: string }, defaultUser?: string): { username: string; password: string } {
  let { username, password } = given;
  if (username === undefined || password === undefined) {
    if (!isatty(0)) throw new InvalidArgumentError('Cannot perform an interactive login from a non TTY device');
  }
  username = username ?? (ask(defaultUser ? `Username (${defaultUser}): ` : 'Username: ', false) || defaultUser || '');
  if (!username.trim()) throw new InvalidArgumentError('Non-null Username Required');
  password = password ?? ask('Password: ', true);
  if (!password) throw new InvalidArgumentError('Password Required');
  return { username: username.trim(), password };
}
