/**
 * Detach keys: the key sequence that, typed into an attached terminal, leaves the container running and
 * ends the attach (Docker's default ctrl-p ctrl-q, `--detach-keys`). Keys are read from the caller's
 * input before it reaches the container, as Docker's client does, and only with a terminal (-i -t).
 */

/** Docker's default: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The control characters `ctrl-X` names beyond the letters (ctrl-a is 1 … ctrl-z is 26). */
const CTRL_SYMBOLS: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, '_': 31 };

/** `--detach-keys` ("ctrl-p,ctrl-q", "a,ctrl-\\") as the bytes typed: each item one character or ctrl-<letter or @[\]^_>. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    const c = m?.[1]!.toLowerCase();
    if (c !== undefined && c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 96);
    else if (c !== undefined && c in CTRL_SYMBOLS) bytes.push(CTRL_SYMBOLS[c]!);
    else throw new Error(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(bytes);
}

/**
 * Watches input for the detach sequence: what could still be the start of it is held back, and given
 * on (with what follows) as soon as it turns out not to be; once the whole sequence is typed, `feed`
 * says so and nothing of it is passed on.
 */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** The bytes to pass on from `chunk`, and whether the sequence was completed (then the rest of the chunk is dropped). */
  feed(chunk: Buffer): { pass: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        if (++this.held === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: what was held is ordinary input, and this byte may start the sequence anew.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (byte === this.keys[0] && this.keys.length > 1) this.held = 1;
      else if (byte === this.keys[0]) return { pass: Buffer.from(out), detach: true };
      else out.push(byte);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}
