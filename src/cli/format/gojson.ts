// Go's encoding/json output for JavaScript values, byte for byte where the value maps onto Go's:
// - Map keys are sorted (Go sorts map keys); plain objects and class instances keep their own key
//   order (they stand for structs, whose fields Go writes in declaration order);
// - strings escape as Go escapes them: \b \f \n \r \t, other control characters as \u00XX, U+2028
//   and U+2029 always, and <, >, & as \u003c \u003e \u0026 when escapeHTML is on (Go's default,
//   and what the daemon's API sends; docker's `{{json}}` template function turns it off);
// - numbers print as Go prints float64 and int (JavaScript's String() agrees for finite numbers);
//   NaN and infinities are an error, as in Go;
// - Dates are RFC 3339 with the fraction's trailing zeros trimmed, as time.Time marshals;
// - Uint8Array (Go []byte) is base64; undefined properties are left out, as JSON.stringify does;
// - a toJSON() method is honoured, as JSON.stringify honours it;
// - a [MARSHAL_JSON]() method is Go's json.Marshaler: the JSON text it returns is written as it is,
//   with <, > and & escaped when escapeHTML is on (what Go's encoder does to a Marshaler's output).

import { compareStrings, formatFloat, goTimeString } from './gofmt.js';

/** The key of a json.Marshaler's MarshalJSON method: it returns the value's JSON text, compact. */
export const MARSHAL_JSON: unique symbol = Symbol('MarshalJSON');

export interface Marshaler { [MARSHAL_JSON](): string }

export interface MarshalOptions {
  /** Escape <, > and & (Go's default). */
  escapeHTML?: boolean;
  /** Indent each level by this string, as json.MarshalIndent(v, "", indent). */
  indent?: string;
}

/**
 * A string with any character the loop below writes otherwise than as itself (surrogates among them,
 * paired or not); with escapeHTML, <, > and & too.
 */
const ESCAPED = /[\u0000-\u001f"\\\u2028\u2029\ud800-\udfff]/;
const ESCAPED_HTML = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

function escapeString(s: string, escapeHTML: boolean): string {
  // Most strings (names, IDs, paths) have none: one native scan, not a loop in JavaScript per character,
  // which at a short command's start (its code not yet compiled) is most of the time an inspect prints in.
  if (!(escapeHTML ? ESCAPED_HTML : ESCAPED).test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08: rep = '\\b'; break;
        case 0x0c: rep = '\\f'; break;
        case 0x0a: rep = '\\n'; break;
        case 0x0d: rep = '\\r'; break;
        case 0x09: rep = '\\t'; break;
        default: rep = '\\u00' + c.toString(16).padStart(2, '0');
      }
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) rep = '\\u00' + c.toString(16);
    else if (c === 0x2028 || c === 0x2029) rep = '\\u' + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go writes U+FFFD for invalid bytes.
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** time.Time's RFC 3339 form with nanosecond precision and trailing zeros trimmed. */
function rfc3339(d: Date): string {
  const [date, time] = goTimeString(d).split(' ');
  return `${date}T${time}Z`;
}

function formatJsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${formatFloat(n, 'g', -1)}`);
  return String(n);
}

/** json.Marshal (or json.MarshalIndent when indent is given). */
export function marshalJson(value: unknown, options: MarshalOptions = {}): string {
  const escapeHTML = options.escapeHTML ?? true;
  const indent = options.indent;
  const seen = new Set<object>();

  const encode = (v: unknown, depth: number): string | undefined => {
    if (v === undefined || v === null) return 'null';
    switch (typeof v) {
      case 'string':
        return escapeString(v, escapeHTML);
      case 'number':
        return formatJsonNumber(v);
      case 'bigint':
        return v.toString();
      case 'boolean':
        return v ? 'true' : 'false';
      case 'function':
      case 'symbol':
        return undefined;
    }
    const obj = v as object;
    if (obj instanceof Date) return escapeString(rfc3339(obj), escapeHTML);
    if (obj instanceof Uint8Array) return `"${Buffer.from(obj).toString('base64')}"`;
    const marshaler = (obj as Partial<Marshaler>)[MARSHAL_JSON];
    if (typeof marshaler === 'function') {
      const text = marshaler.call(obj);
      return escapeHTML ? text.replace(/[<>&]/g, (c) => '\\u00' + c.charCodeAt(0).toString(16)) : text;
    }
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return encode(toJSON.call(obj), depth);
    if (seen.has(obj)) throw new Error(`json: unsupported value: encountered a cycle via ${obj.constructor?.name ?? 'object'}`);
    seen.add(obj);
    try {
      const inner = indent === undefined ? '' : '\n' + indent.repeat(depth + 1);
      const outer = indent === undefined ? '' : '\n' + indent.repeat(depth);
      const colon = indent === undefined ? ':' : ': ';
      if (Array.isArray(obj)) {
        if (obj.length === 0) return '[]';
        const items = obj.map((x) => encode(x, depth + 1) ?? 'null');
        return `[${inner}${items.join(',' + inner)}${outer}]`;
      }
      let entries: [string, unknown][];
      if (obj instanceof Map) {
        entries = [...obj.entries()]
          .map(([k, x]): [string, unknown] => [String(k), x])
          .sort((a, b) => compareStrings(a[0], b[0]));
      } else {
        entries = Object.entries(obj);
      }
      const parts: string[] = [];
      for (const [k, x] of entries) {
        if (x === undefined) continue;
        const enc = encode(x, depth + 1);
        if (enc !== undefined) parts.push(escapeString(k, escapeHTML) + colon + enc);
      }
      if (parts.length === 0) return '{}';
      return `{${inner}${parts.join(',' + inner)}${outer}}`;
    } finally {
      seen.delete(obj);
    }
  };

  return encode(value, 0) ?? 'null';
}
