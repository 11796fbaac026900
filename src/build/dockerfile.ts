/**
 * A Dockerfile read into instructions: dockerfile-ast splits the text (parser directives, the escape
 * character, line continuations, comments) and this checks each instruction as Docker's parser does
 * before the build starts, so a mistake names its line (`dockerfile parse error line 2: unknown
 * instruction: BOGUS`). dockerfile-ast never throws; what it lets through is refused here.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { BuildError } from './errors.js';

export interface Instruction {
  /** Upper case: `RUN`. */
  keyword: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** The instruction as written, continuations joined (what `Step N/M :` prints). */
  original: string;
  /** Everything after the keyword and its flags, continuations joined. */
  args: string;
  /** `--name=value` flags before the arguments. */
  flags: Map<string, string>;
  /** The JSON (exec) form's strings, or null for the shell form. */
  json: string[] | null;
}

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

/** The flags each instruction takes in Docker's parser; the BuildKit-only ones are refused when the step runs. */
const FLAGS: Record<string, string[]> = {
  FROM: ['platform'], COPY: ['from', 'chown', 'chmod'], ADD: ['chown', 'chmod'], RUN: ['mount', 'network', 'security'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
};

const KEYWORDS = new Set([
  'FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'ENV', 'ARG', 'LABEL', 'MAINTAINER', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'COPY',
  'ADD', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD',
]);

const parseError = (line: number, message: string) => new BuildError(`dockerfile parse error line ${line}: ${message}`);

/** The JSON form: an array of strings, as Docker's parser accepts it; anything else is the shell form. */
export function jsonForm(args: string): string[] | null {
  const t = args.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** Leading `--name=value` flags, as Docker's parser takes them off the arguments. */
function takeFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trimStart();
  for (let m = /^--([A-Za-z0-9-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest); m; m = /^--([A-Za-z0-9-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest)) {
    if (m[1] === '') break;
    flags.set(m[1]!, m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/**
 * Docker skips a comment line inside a continuation and goes on with the instruction; dockerfile-ast ends
 * the instruction there. Blank such lines first (a blank line keeps the line numbers and continues).
 */
function blankCommentsInContinuations(text: string, escape: string): string {
  const lines = text.split('\n');
  let continued = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (continued && /^\s*#/.test(l)) { lines[i] = ''; continue; }
    if (continued && l.trim() === '') continue;
    continued = l.replace(/[ \t\r]+$/, '').endsWith(escape) && !/^\s*#/.test(l);
  }
  return lines.join('\n');
}

/** What the continuation joins: an escape character at the end of a line, with the newline, removed. */
function joinContinuations(raw: string, escape: string): string {
  const esc = escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return raw.replace(new RegExp(`${esc}[ \\t]*\\r?\\n`, 'g'), '').replace(/\r?\n/g, '');
}

/**
 * dockerfile-ast reads BuildKit's heredocs (`RUN <<EOF`) into the instruction; the classic builder does not
 * know them and reads their lines as instructions of their own: a line no continuation brings in is refused
 * as it would refuse it.
 */
function refuseHeredoc(own: string[], first: number, escape: string): void {
  let continued = false;
  for (const [k, l] of own.entries()) {
    if (k > 0 && !continued && l.trim() !== '') {
      const word = l.trim().split(/\s+/)[0]!.toUpperCase();
      throw parseError(first + k + 1, KEYWORDS.has(word) ? 'heredocs (<<) need BuildKit, which the classic builder is not' : `unknown instruction: ${word}`);
    }
    if (l.trim() !== '') continued = l.replace(/[ \t\r]+$/, '').endsWith(escape);
  }
}

export function parseDockerfile(text: string): Dockerfile {
  const first = DockerfileParser.parse(text);
  const escape = first.getEscapeCharacter();
  const blanked = blankCommentsInContinuations(text, escape);
  // Parsed again only when a comment was blanked (most Dockerfiles have none inside a continuation).
  const df = blanked === text ? first : DockerfileParser.parse(blanked);
  const lines = blanked.split('\n');
  const instructions: Instruction[] = [];
  for (const i of df.getInstructions()) {
    const { start, end } = i.getRange();
    const line = start.line + 1;
    const keyword = i.getKeyword().toUpperCase();
    if (!KEYWORDS.has(keyword)) throw parseError(line, `unknown instruction: ${keyword}`);
    // The instruction's own lines (comments inside it blanked above), continuations joined: what Docker prints and parses.
    const own = lines.slice(start.line, end.line + 1);
    refuseHeredoc(own, start.line, escape);
    const original = joinContinuations(own.join('\n'), escape).trim();
    const afterKeyword = original.slice(i.getInstruction().length);
    // Docker's parser takes leading `--name=value` words off every instruction; each takes only its own.
    const { flags, rest } = takeFlags(afterKeyword);
    for (const name of flags.keys()) if (!(FLAGS[keyword] ?? []).includes(name)) throw parseError(line, `Unknown flag: ${name}`);
    const args = rest.trim();
    const instr: Instruction = { keyword, line, original, args, flags, json: jsonForm(args) };
    checkArity(instr);
    instructions.push(instr);
  }
  if (instructions.length === 0) throw new BuildError('the Dockerfile cannot be empty');
  const firstStep = instructions.find((x) => x.keyword !== 'ARG');
  if (firstStep && firstStep.keyword !== 'FROM') throw new BuildError('no build stage in current context');
  return { escape, instructions };
}

/** Docker's parser's argument counts and the instructions ONBUILD may not carry. */
function checkArity(i: Instruction): void {
  const words = i.args.split(/\s+/).filter(Boolean);
  const need = (ok: boolean, message: string) => { if (!ok) throw parseError(i.line, message); };
  switch (i.keyword) {
    case 'FROM': need(words.length === 1 || (words.length === 3 && words[1]!.toUpperCase() === 'AS'), 'FROM requires either one or three arguments'); break;
    case 'COPY': case 'ADD': {
      const n = i.json ? i.json.length : words.length;
      need(n >= 1, `${i.keyword} requires at least two arguments`);
      need(n >= 2, `${i.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      break;
    }
    case 'WORKDIR': case 'USER': case 'STOPSIGNAL': case 'MAINTAINER': need(words.length >= 1, `${i.keyword} requires exactly one argument`); break;
    case 'ONBUILD': {
      need(words.length >= 1, 'ONBUILD requires at least one argument');
      const inner = words[0]!.toUpperCase();
      need(inner !== 'ONBUILD', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      need(inner !== 'FROM' && inner !== 'MAINTAINER', `${inner} isn't allowed as an ONBUILD trigger`);
      break;
    }
    case 'CMD': case 'ENTRYPOINT': case 'SHELL': case 'HEALTHCHECK': case 'RUN':
      need(words.length >= 1 || i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT', `${i.keyword} requires at least one argument`);
      if (i.keyword === 'SHELL') need(i.json !== null, 'SHELL requires the arguments to be in JSON form');
      break;
    default: need(words.length >= 1, `${i.keyword} requires at least one argument`);
  }
}
