/**
 * Variable substitution and word splitting as Docker's Dockerfile lexer does them (its `shell.Lex`): `$V`,
 * `${V}`, `${V:-word}`, `${V:+word}`; single quotes literal, double quotes expanding `$` and taking the escape
 * character before `"`, `$` or itself; outside quotes the escape character makes the next one literal.
 * Quotes are removed. Unset variables expand to nothing, as in a shell.
 */
import { BuildError } from './errors.js';

export type Lookup = (name: string) => string | undefined;

class Lexer {
  private at = 0;

  constructor(private readonly text: string, private readonly env: Lookup, private readonly escape: string) {}

  private peek(): string | undefined {
    return this.text[this.at];
  }

  /** Words split on unquoted whitespace (ProcessWords); a word made only of quotes (`""`) is kept. */
  words(): string[] {
    const out: string[] = [];
    let word = '';
    let inWord = false;
    while (this.at < this.text.length) {
      const ch = this.peek()!;
      if (/\s/.test(ch)) {
        this.at++;
        if (inWord) out.push(word);
        word = '';
        inWord = false;
        continue;
      }
      inWord = true;
      word += this.unit(ch);
    }
    if (inWord) out.push(word);
    return out;
  }

  /** The whole text as one word (ProcessWord): whitespace kept. */
  word(stopAt?: string): string {
    let out = '';
    while (this.at < this.text.length && this.peek() !== stopAt) out += this.unit(this.peek()!);
    return out;
  }

  /** One unit of a word starting at `ch`: a quoted part, a substitution, an escaped or plain character. */
  private unit(ch: string): string {
    if (ch === "'") return this.singleQuoted();
    if (ch === '"') return this.doubleQuoted();
    if (ch === '$') return this.dollar();
    this.at++;
    if (ch === this.escape) {
      if (this.at >= this.text.length) return '';
      return this.text[this.at++]!;
    }
    return ch;
  }

  private singleQuoted(): string {
    const end = this.text.indexOf("'", this.at + 1);
    if (end < 0) throw new BuildError('unexpected end of statement while looking for matching single-quote');
    const s = this.text.slice(this.at + 1, end);
    this.at = end + 1;
    return s;
  }

  private doubleQuoted(): string {
    this.at++;
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new BuildError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') { this.at++; return out; }
      if (ch === '$') { out += this.dollar(); continue; }
      this.at++;
      if (ch === this.escape) {
        const next = this.peek();
        if (next === undefined) continue;
        if (next === '"' || next === '$' || next === this.escape) { out += next; this.at++; continue; }
      }
      out += ch;
    }
  }

  private dollar(): string {
    this.at++;
    const ch = this.peek();
    if (ch === '{') {
      this.at++;
      const name = this.name();
      const next = this.text[this.at++];
      if (next === '}') return this.env(name) ?? '';
      if (next === ':') {
        const modifier = this.text[this.at++];
        const word = this.word('}');
        if (this.peek() !== '}') throw new BuildError(`missing '}' in substitution`);
        this.at++;
        const value = this.env(name) ?? '';
        if (modifier === '-') return value === '' ? word : value;
        if (modifier === '+') return value === '' ? '' : word;
        if (modifier === '?') {
          if (value === '') throw new BuildError(`${name}: ${word || 'is not allowed to be unset'}`);
          return value;
        }
        throw new BuildError(`unsupported modifier (${modifier ?? ''}) in substitution`);
      }
      throw new BuildError(`missing ':' in substitution`);
    }
    const name = this.name();
    return name === '' ? '$' : this.env(name) ?? '';
  }

  private name(): string {
    const m = /^[A-Za-z0-9_]*/.exec(this.text.slice(this.at))![0];
    this.at += m.length;
    return m;
  }
}

/** `text` with its variables substituted and quotes removed, as one word. */
export function expandWord(text: string, env: Lookup, escape: string): string {
  return new Lexer(text, env, escape).word();
}

/** `text` split into words, each substituted and unquoted. */
export function expandWords(text: string, env: Lookup, escape: string): string[] {
  return new Lexer(text, env, escape).words();
}
