/**
 * `login`'s questions at a terminal, as Docker's client asks them: `Username: ` and `Password: ` on
 * stdout, the password typed with echo off (the terminal stays in line mode, so the user can still edit
 * the line) and a newline printed after it, since the user's Enter was not echoed. Without a terminal on
 * stdin there is no one to ask: Docker's error.
 */
import { spawnSync } from 'node:child_process';
import { isatty } from 'node:tty';
import { InvalidArgumentError } from '../engine/errors.js';
import { readLine } from './confirm.js';
import { stdout } from './stdio.js';

/** Turn the terminal's echo on stdin off or on (stty acts on the terminal it is given as stdin). */
function echo(on: boolean): void {
  spawnSync('stty', [on ? 'echo' : '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

function ask(question: string, secret: boolean): string {
  stdout(question);
  if (!secret) return readLine().trim();
  echo(false);
  // Ctrl-C while the echo is off must not leave the user's shell without one.
  const restore = (): void => { echo(true); stdout('\n'); process.exit(130); };
  process.once('SIGINT', restore);
  try {
    return readLine().trim();
  } finally {
    process.off('SIGINT', restore);
    echo(true);
    stdout('\n');
  }
}

/** The username and password, asking for whichever was not given. */
export function promptCredentials(given: { username?: string; password?: string }): { username: string; password: string } {
  let { username, password } = given;
  if (username === undefined || password === undefined) {
    if (!isatty(0)) throw new InvalidArgumentError('Cannot perform an interactive login from a non TTY device');
  }
  username = username ?? ask('Username: ', false);
  if (!username.trim()) throw new InvalidArgumentError('Non-null Username Required');
  password = password ?? ask('Password: ', true);
  if (!password) throw new InvalidArgumentError('Password Required');
  return { username: username.trim(), password };
}
