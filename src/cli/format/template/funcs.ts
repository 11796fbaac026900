// The functions a docker --format template can call: text/template's builtins and the ones docker's
// CLI adds (json, split, join, title, lower, upper, pad, truncate), with Go's semantics and error texts.
// Not provided: call, html, js, urlquery.

import { marshalJson } from '../gojson.js';
import { compareStrings, formatValue, goTypeName, isPlainObject, sprint, sprintf, sprintln } from '../gofmt.js';

/**
 * What a parameter accepts, checked before the call with Go's messages:
 * 'any' is interface{}, 'string' and 'int' are Go's, 'strings' is []string.
 */
export type ParamKind = 'any' | 'string' | 'int' | 'strings';

export interface TemplateFunc {
  readonly params: readonly ParamKind[];
  /** The kind of the trailing variadic arguments, if the function takes any. */
  readonly variadic?: ParamKind;
  /** Throwing an Error reports "error calling <name>: <message>". */
  call(args: unknown[]): unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'function':
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (ArrayBuffer.isView(v)) return (v as Uint8Array).length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

type Kind = 'invalid' | 'bool' | 'number' | 'string' | 'other';

/** The comparison kind; nil and missing values are both "invalid" (a nil interface in Go). */
function basicKind(v: unknown): Kind {
  if (v === undefined || v === null) return 'invalid';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  return 'other';
}

function eq(a: unknown, others: unknown[]): boolean {
  if (others.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') throw new Error('incompatible types for comparison');
      continue;
    }
    if (k1 === 'invalid') return true;
    if (k1 === 'other') throw new Error(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    // Loose equality, so a bigint equals the same number.
    if (a == b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') {
    throw new Error('invalid type for comparison');
  }
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'string') return compareStrings(a as string, b as string) < 0;
  return (a as number) < (b as number);
}

function length(v: unknown): number {
  if (v === undefined || v === null) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (ArrayBuffer.isView(v)) return (v as Uint8Array).length;
  if (v instanceof Map) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function indexArg(i: unknown, len: number): number {
  if (i === undefined || i === null) throw new Error('cannot index slice/array with nil');
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
  if (i < 0 || i > len) throw new Error(`index out of range: ${i}`);
  return i;
}

/** The zero value of a map's element type, inferred from the values it holds. */
function zeroOfElements(values: unknown[]): unknown {
  if (values.length > 0 && values.every((x) => typeof x === 'string')) return '';
  if (values.length > 0 && values.every((x) => typeof x === 'number')) return 0;
  if (values.length > 0 && values.every((x) => typeof x === 'boolean')) return false;
  // An interface{} map: the zero value is a nil interface, which prints as <no value>.
  return values.length === 0 ? '' : undefined;
}

function index(item: unknown, indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('index of untyped nil');
  let cur: unknown = item;
  for (const i of indexes) {
    if (cur === null || cur === undefined) throw new Error('index of nil pointer');
    if (typeof cur === 'string') {
      const bytes = Buffer.from(cur, 'utf8');
      const x = indexArg(i, bytes.length);
      if (x === bytes.length) throw new Error('reflect: string index out of range');
      cur = bytes[x];
    } else if (Array.isArray(cur) || ArrayBuffer.isView(cur)) {
      const list = cur as ArrayLike<unknown>;
      const x = indexArg(i, list.length);
      if (x === list.length) throw new Error('reflect: slice index out of range');
      cur = list[x];
    } else if (cur instanceof Map) {
      cur = cur.has(i) ? cur.get(i) : zeroOfElements([...cur.values()]);
    } else if (isPlainObject(cur)) {
      if (typeof i !== 'string') throw new Error(`value has type ${goTypeName(i)}; should be string`);
      cur = Object.hasOwn(cur, i) ? cur[i] : zeroOfElements(Object.values(cur));
    } else {
      throw new Error(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: unknown, indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = Buffer.byteLength(item, 'utf8');
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len];
  indexes.forEach((x, k) => {
    idx[k] = indexArg(x, len);
  });
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return (item as unknown[]).slice(idx[0], idx[1]);
}

/** strings.Title: upper-case the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** strings.Title's word boundary: ASCII other than letters, digits and _, or Unicode space. */
function isSeparator(ch: string): boolean {
  if (ch <= '\x7f') return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

function repeatSpaces(n: number): string {
  if (n < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(n);
}

export const BUILTINS: FuncMap = {
  // Evaluated lazily by the executor: returns the first false (and) or true (or) argument, else the last.
  and: { params: ['any'], variadic: 'any', call: (args) => args.find((a) => !isTrue(a)) ?? args[args.length - 1] },
  or: { params: ['any'], variadic: 'any', call: (args) => args.find((a) => isTrue(a)) ?? args[args.length - 1] },
  not: { params: ['any'], call: ([v]) => !isTrue(v) },
  len: { params: ['any'], call: ([v]) => length(v) },
  index: { params: ['any'], variadic: 'any', call: ([item, ...rest]) => index(item, rest) },
  slice: { params: ['any'], variadic: 'any', call: ([item, ...rest]) => slice(item, rest) },
  print: { params: [], variadic: 'any', call: (args) => sprint(args) },
  printf: { params: ['string'], variadic: 'any', call: ([f, ...rest]) => sprintf(f as string, rest) },
  println: { params: [], variadic: 'any', call: (args) => sprintln(args) },
  eq: { params: ['any'], variadic: 'any', call: ([a, ...rest]) => eq(a, rest) },
  ne: { params: ['any', 'any'], call: ([a, b]) => !eq(a, [b]) },
  lt: { params: ['any', 'any'], call: ([a, b]) => lt(a, b) },
  le: { params: ['any', 'any'], call: ([a, b]) => lt(a, b) || eq(a, [b]) },
  gt: { params: ['any', 'any'], call: ([a, b]) => !(lt(a, b) || eq(a, [b])) },
  ge: { params: ['any', 'any'], call: ([a, b]) => !lt(a, b) },
  // docker's additions. Its json ignores encoding errors, leaving the output empty.
  json: {
    params: ['any'],
    call: ([v]) => {
      try {
        return marshalJson(v, { escapeHTML: false });
      } catch {
        return '';
      }
    },
  },
  split: { params: ['string', 'string'], call: ([s, sep]) => (sep === '' ? Array.from(s as string) : (s as string).split(sep as string)) },
  join: { params: ['strings', 'string'], call: ([list, sep]) => ((list as string[] | null) ?? []).join(sep as string) },
  title: { params: ['string'], call: ([s]) => title(s as string) },
  lower: { params: ['string'], call: ([s]) => (s as string).toLowerCase() },
  upper: { params: ['string'], call: ([s]) => (s as string).toUpperCase() },
  pad: {
    params: ['string', 'int', 'int'],
    call: ([s, prefix, suffix]) => (s === '' ? '' : repeatSpaces(prefix as number) + s + repeatSpaces(suffix as number)),
  },
  truncate: {
    params: ['string', 'int'],
    call: ([s, n]) => {
      const bytes = Buffer.from(s as string, 'utf8');
      const len = n as number;
      if (bytes.length < len) return s;
      if (len < 0) throw new Error(`runtime error: slice bounds out of range [:${len}]`);
      return bytes.subarray(0, len).toString('utf8');
    },
  },
};

const identity = ([v]: unknown[]): unknown => v;

/**
 * docker renders a table's header row by running the same template over the header names, with
 * these in place of the functions that would mangle a name (pad is kept, so columns still line up).
 */
export const HEADER_FUNCS: FuncMap = {
  json: { params: ['string'], call: identity },
  split: { params: ['string', 'string'], call: identity },
  join: { params: ['string', 'string'], call: identity },
  title: { params: ['string'], call: identity },
  lower: { params: ['string'], call: identity },
  upper: { params: ['string'], call: identity },
  truncate: { params: ['string', 'int'], call: identity },
};
