/**
 * Docker's `--filter key=value` as its daemon reads them (api/types/filters): the values given for each
 * key, the keys a listing or prune accepts, and the matching rules every filter shares (labels, name
 * patterns). Listings and prunes apply them here, in the engine, so the CLI and an API server agree.
 */
import { familiarRepository, familiarString, splitStored } from '../images/reference.js';
import { InvalidArgumentError } from './errors.js';

/** One `--filter key=value`, split at its first `=`. */
export type FilterPair = readonly [key: string, value: string];

export class Filters {
  private readonly byKey = new Map<string, string[]>();

  /** Refuses a key outside `accepted` with Docker's message, before anything is looked at. */
  constructor(pairs: readonly FilterPair[], accepted: readonly string[]) {
    for (const [key, value] of pairs) {
      if (!accepted.includes(key)) throw new InvalidArgumentError(`Invalid filter '${key}'`);
      const values = this.byKey.get(key) ?? [];
      // A key's values are a set in Docker: the same one twice counts once.
      if (!values.includes(value)) values.push(value);
      this.byKey.set(key, values);
    }
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The values given for `key`, in the order given. */
  values(key: string): readonly string[] {
    return this.byKey.get(key) ?? [];
  }

  /**
   * Docker's MatchKVList: true when no `key` filter was given; else every value (`k`, or `k=v`) names a
   * label the object has (with that value). Several `label=` filters must all hold.
   */
  labels(key: 'label' | 'label!', labels: Readonly<Record<string, string>>): boolean {
    const wanted = this.values(key);
    if (wanted.length === 0) return true;
    return wanted.every((w) => {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!Object.hasOwn(labels, name)) return false;
      return eq < 0 || labels[name] === w.slice(eq + 1);
    });
  }

  /** Docker's prune label rule: every `label=` holds, and not every `label!=` does (when any is given). */
  pruneLabels(labels: Readonly<Record<string, string>>): boolean {
    return this.labels('label', labels) && !(this.has('label!') && this.labels('label!', labels));
  }

  /** Docker's Match: some value equals `source`, or is a regular expression found in it (a bad one finds nothing). */
  matches(key: string, source: string): boolean {
    return this.values(key).some((v) => {
      if (v === source) return true;
      try {
        return new RegExp(v).test(source);
      } catch {
        return false;
      }
    });
  }
}

/** Docker's error for a value a filter does not take: `Invalid filter 'status=bogus'`. */
export const invalidFilter = (key: string, value: string): InvalidArgumentError =>
  new InvalidArgumentError(`Invalid filter '${key}=${value}'`);

/** How Go prints a list of values in that message: `[a b]`. */
export const goList = (values: readonly string[]): string => `[${values.join(' ')}]`;

/**
 * Go's path.Match, which Docker's `reference=` filter uses: `*` is any run of characters but `/`, `?` one
 * character but `/`, `[…]` a class (`^` negates, `a-z` a range, never empty), `\` escapes the next
 * character. A malformed pattern is Docker's `syntax error in pattern`, whatever the name.
 */
export function pathMatch(pattern: string, name: string): boolean {
  return compilePattern(pattern).test(name);
}

/**
 * Docker's reference.FamiliarMatch: the pattern matches a stored name's familiar repository
 * (`busybox`, `acme/app`) or its whole familiar form (`busybox:1.0`).
 */
export function familiarMatch(pattern: string, stored: string): boolean {
  return pathMatch(pattern, familiarRepository(splitStored(stored).repository)) || pathMatch(pattern, familiarString(stored));
}

const BAD_PATTERN = 'syntax error in pattern';

function compilePattern(pattern: string): RegExp {
  const chars = [...pattern];
  const lit = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= chars.length) throw new InvalidArgumentError(BAD_PATTERN);
      re += lit(chars[++i]!);
    } else if (c === '[') {
      let j = i + 1;
      const negate = chars[j] === '^';
      if (negate) j++;
      // One class character: `-` and `]` must be escaped, `\` escapes.
      const classChar = (): string => {
        let ch = chars[j];
        if (ch === undefined || ch === '-' || ch === ']') throw new InvalidArgumentError(BAD_PATTERN);
        if (ch === '\\') {
          ch = chars[++j];
          if (ch === undefined) throw new InvalidArgumentError(BAD_PATTERN);
        }
        j++;
        return ch;
      };
      let body = '';
      let ranges = 0;
      for (;;) {
        if (chars[j] === ']' && ranges > 0) break;
        const lo = classChar();
        let hi = lo;
        if (chars[j] === '-') {
          j++;
          hi = classChar();
        }
        ranges++;
        // Go's range with lo > hi matches nothing; a RegExp would refuse it.
        if (lo.codePointAt(0)! <= hi.codePointAt(0)!) body += `${lit(lo)}-${lit(hi)}`;
      }
      re += negate ? `[^${body}]` : `[${body}]`;
      i = j;
    } else {
      re += lit(c);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}
