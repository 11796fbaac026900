/**
 * A command run on a pseudo-terminal, as a user at a terminal runs it: util-linux's `script` gives the
 * command a pty of its own, relays what is written to `type` as keys typed, and collects what the
 * terminal shows. The pty's size is set with stty first, so the command sees a terminal of that size.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Terminal {
  /** Everything the terminal showed so far. */
  readonly screen: string;
  /** Type keys (bytes as they are: "\x10\x11" is ctrl-p ctrl-q). */
  type(keys: string): void;
  /** Resolves once the screen matches, or fails after `ms`. */
  shows(pattern: RegExp, ms?: number): Promise<void>;
  /** The command's exit code once it ends (script -e passes it on), or null if it still runs after `ms`. */
  exited(ms?: number): Promise<number | null>;
  kill(): void;
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

export function onTerminal(argv: string[], size: { rows: number; columns: number } = { rows: 24, columns: 80 }): Terminal {
  const line = `stty rows ${size.rows} cols ${size.columns}; exec ${argv.map(quote).join(' ')}`;
  const child: ChildProcess = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let code: number | null | undefined;
  child.stdout!.on('data', (d: Buffer) => (screen += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (screen += d.toString('latin1')));
  const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve((code = c))));
  child.stdin!.on('error', () => {});
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    get screen() { return screen; },
    type: (keys) => void child.stdin!.write(Buffer.from(keys, 'latin1')),
    async shows(pattern, ms = 15000) {
      for (const end = Date.now() + ms; Date.now() < end; await wait(50)) if (pattern.test(screen)) return;
      throw new Error(`the terminal never showed ${pattern}; it shows ${JSON.stringify(screen)}`);
    },
    async exited(ms = 15000) {
      return Promise.race([closed, wait(ms).then(() => (code === undefined ? null : code))]);
    },
    kill: () => void child.kill('SIGKILL'),
  };
}
