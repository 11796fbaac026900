// Go's fmt and strconv, as far as docker's --format templates need them: how a value prints with %v,
// Sprint/Sprintln/Sprintf, strconv.Quote, and float formatting with Go's rounding (exact binary value,
// ties to even), which differs from JavaScript's toFixed/toPrecision (ties away from zero).
//
// JavaScript values stand in for Go values like this:
// - a safe integer (|n| < 2^53) is a Go int; any other number is a float64 (so a float that happens
//   to be whole prints as an int: Go prints float64(1e6) as 1e+06, this prints 1000000);
// - an array is a slice; a Map or a plain object is a map (printed with sorted keys);
// - an instance of a class is a struct: %v prints its own enumerable values as `{v1 v2}`;
// - null is a nil interface (`<nil>`); undefined is "no value" (`<no value>` at top level).

/** A decimal expansion: the value is 0.digits × 10^dp. Zero has no digits. */
interface Decimal {
  digits: string;
  dp: number;
}

const ZERO: Decimal = { digits: '', dp: 0 };

function trimZeros(d: Decimal): Decimal {
  const digits = d.digits.replace(/0+$/, '');
  return digits === '' ? ZERO : { digits, dp: d.dp };
}

/** The exact decimal expansion of a positive finite double. */
function exactDecimal(x: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2: number;
  if (biased === 0) {
    exp2 = -1074;
  } else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) {
    const digits = (mantissa << BigInt(exp2)).toString();
    return trimZeros({ digits, dp: digits.length });
  }
  // mantissa × 2^-k = mantissa × 5^k / 10^k
  const k = -exp2;
  const digits = (mantissa * 5n ** BigInt(k)).toString();
  return trimZeros({ digits, dp: digits.length - k });
}

/** The shortest digits that read back as x (Go's and JavaScript's shortest formatting agree). */
function shortestDecimal(x: number): Decimal {
  const [mant, exp] = x.toExponential().split('e');
  const digits = mant.replace('.', '');
  return trimZeros({ digits, dp: Number(exp) + 1 });
}

/** Round to n significant digits, ties to even, as strconv does. */
function roundSignificant(d: Decimal, n: number): Decimal {
  if (d.digits.length <= n) return d;
  if (n < 0) return ZERO;
  const keep = d.digits.slice(0, n);
  const first = d.digits.charCodeAt(n) - 48;
  let up: boolean;
  if (first !== 5) up = first > 5;
  else if (d.digits.length > n + 1) up = true; // trailing zeros are trimmed, so anything after is nonzero
  else up = n > 0 && (keep.charCodeAt(n - 1) - 48) % 2 === 1;
  if (!up) return trimZeros({ digits: keep, dp: d.dp });
  const chars = keep.split('');
  let i = chars.length - 1;
  while (i >= 0 && chars[i] === '9') {
    chars[i] = '0';
    i--;
  }
  if (i < 0) return trimZeros({ digits: '1' + chars.join(''), dp: d.dp + 1 });
  chars[i] = String.fromCharCode(chars[i].charCodeAt(0) + 1);
  return trimZeros({ digits: chars.join(''), dp: d.dp });
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.digits.length ? d.digits[i] : '0';
}

function fixedString(d: Decimal, decimals: number): string {
  let int = '';
  for (let i = 0; i < d.dp; i++) int += digitAt(d, i);
  if (int === '') int = '0';
  let frac = '';
  for (let i = 0; i < decimals; i++) frac += digitAt(d, d.dp + i);
  return decimals > 0 ? `${int}.${frac}` : int;
}

function expString(d: Decimal, decimals: number, upper: boolean): string {
  let mant = digitAt(d, 0);
  if (decimals > 0) {
    mant += '.';
    for (let i = 1; i <= decimals; i++) mant += digitAt(d, i);
  }
  const exp = d.digits === '' ? 0 : d.dp - 1;
  const abs = Math.abs(exp);
  return `${mant}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/**
 * strconv.FormatFloat for the 'e', 'f' and 'g' formats (uppercase 'E'/'G' give an uppercase exponent).
 * A negative precision means the shortest representation that reads back exactly.
 */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  const shortest = prec < 0;
  const upper = fmt === 'E' || fmt === 'G';
  const exact = (): Decimal => (abs === 0 ? ZERO : exactDecimal(abs));
  const short = (): Decimal => (abs === 0 ? ZERO : shortestDecimal(abs));
  switch (fmt) {
    case 'e':
    case 'E': {
      if (shortest) {
        const d = short();
        return sign + expString(d, Math.max(d.digits.length - 1, 0), upper);
      }
      return sign + expString(roundSignificant(exact(), prec + 1), prec, upper);
    }
    case 'f': {
      if (shortest) {
        const d = short();
        return sign + fixedString(d, Math.max(d.digits.length - d.dp, 0));
      }
      const d = exact();
      return sign + fixedString(roundSignificant(d, d.dp + prec), prec);
    }
    default: {
      let d: Decimal;
      let eprec: number;
      let p: number;
      if (shortest) {
        d = short();
        eprec = 6;
        p = d.digits.length;
      } else {
        p = prec === 0 ? 1 : prec;
        d = roundSignificant(exact(), p);
        eprec = p;
        if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
      }
      const exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        return sign + expString(d, Math.min(p, d.digits.length) - 1, upper);
      }
      if (p > d.dp) p = d.digits.length;
      return sign + fixedString(d, Math.max(p - d.dp, 0));
    }
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A map in Go terms: a Map, or a plain object (string keys). */
export function isMapLike(v: unknown): v is Map<unknown, unknown> | Record<string, unknown> {
  return v instanceof Map || isPlainObject(v);
}

/** A struct in Go terms: an instance of a class that is none of the built-in containers. */
export function isStruct(v: unknown): v is object {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof Date) &&
    !isMapLike(v)
  );
}

/** Go's sort order for map keys (internal/fmtsort): numbers numerically, strings by bytes. */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(String(a), String(b));
}

/** Compare as Go compares strings: by UTF-8 bytes, which is code point order (not UTF-16 order). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates encode code points above U+FFFF, so they sort after U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** A map's entries in Go's printing and ranging order. */
export function sortedEntries(v: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort((x, y) => compareKeys(x[0], y[0]));
}

/** The key under which a value names the Go type it stands for (docker's `*formatter.ContainerContext`). */
export const GO_TYPE: unique symbol = Symbol('GoType');

/** The Go type a value stands for, as error messages name it. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  const named = (v as { [GO_TYPE]?: unknown })[GO_TYPE];
  if (typeof named === 'string') return named;
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isSafeInteger(v) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Uint8Array) return '[]uint8';
  if (v instanceof Date) return 'time.Time';
  if (isMapLike(v)) return 'map[string]interface {}';
  return (v as object).constructor?.name ?? 'struct';
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** time.Time.String() for a UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function goTimeString(d: Date): string {
  const ms = d.getUTCMilliseconds();
  const frac = ms === 0 ? '' : '.' + String(ms).padStart(3, '0').replace(/0+$/, '');
  return (
    `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac} +0000 UTC`
  );
}

function formatNumber(n: number): string {
  if (Number.isSafeInteger(n)) return BigInt(n).toString();
  return formatFloat(n, 'g', -1);
}

/** %v. undefined prints as `<no value>`, as text/template prints a missing value. */
export function formatValue(v: unknown): string {
  return v === undefined ? '<no value>' : formatInner(v);
}

function formatInner(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'function':
      return 'func';
    case 'symbol':
      return v.toString();
  }
  if (Array.isArray(v)) return `[${v.map(formatInner).join(' ')}]`;
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Uint8Array).join(' ')}]`;
  if (v instanceof Date) return goTimeString(v);
  if (isMapLike(v)) {
    return `map[${sortedEntries(v)
      .map(([k, x]) => `${formatInner(k)}:${formatInner(x)}`)
      .join(' ')}]`;
  }
  return `{${Object.values(v as object).map(formatInner).join(' ')}}`;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatInner(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatInner).join(' ') + '\n';
}

function isPrint(cp: number): boolean {
  return cp === 0x20 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** strconv.Quote. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (isPrint(cp)) out += ch;
    else {
      switch (cp) {
        case 0x07: out += '\\a'; break;
        case 0x08: out += '\\b'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0a: out += '\\n'; break;
        case 0x0d: out += '\\r'; break;
        case 0x09: out += '\\t'; break;
        case 0x0b: out += '\\v'; break;
        default:
          if (cp < 0x80) out += '\\x' + hex(cp, 2);
          else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
          else out += '\\U' + hex(cp, 8);
      }
    }
  }
  return out + '"';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function padTo(s: string, spec: Spec, numeric: boolean): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - len);
  if (spec.zero) {
    // Zero padding goes after the sign.
    const signed = numeric && /^[+\- ]/.test(s);
    return signed ? s[0] + '0'.repeat(width - len) + s.slice(1) : '0'.repeat(width - len) + s;
  }
  return ' '.repeat(width - len) + s;
}

function signed(body: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + body;
  if (spec.plus) return '+' + body;
  if (spec.space) return ' ' + body;
  return body;
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatInner(v)})`;
}

function formatInteger(n: bigint, verb: string, spec: Spec): string | undefined {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let body: string;
  switch (verb) {
    case 'd':
    case 'v':
      body = abs.toString();
      break;
    case 'b':
      body = abs.toString(2);
      break;
    case 'o':
      body = (spec.sharp ? '0' : '') + abs.toString(8);
      break;
    case 'O':
      body = '0o' + abs.toString(8);
      break;
    case 'x':
      body = (spec.sharp ? '0x' : '') + abs.toString(16);
      break;
    case 'X':
      body = (spec.sharp ? '0X' : '') + abs.toString(16).toUpperCase();
      break;
    case 'c':
      return padTo(String.fromCodePoint(Number(n)), spec, false);
    case 'q':
      return padTo(`'${String.fromCodePoint(Number(n))}'`, spec, false);
    case 'U':
      return padTo('U+' + abs.toString(16).toUpperCase().padStart(4, '0'), spec, false);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) body = body.padStart(spec.prec, '0');
  const zeroSpec = spec.prec !== undefined ? { ...spec, zero: false } : spec;
  return padTo(signed(body, neg, spec), zeroSpec, true);
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string | undefined {
  let body: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      body = formatFloat(Math.abs(x), verb === 'G' ? 'G' : 'g', spec.prec ?? -1);
      break;
    case 'e':
    case 'E':
      body = formatFloat(Math.abs(x), verb, spec.prec ?? 6);
      break;
    case 'f':
    case 'F':
      body = formatFloat(Math.abs(x), 'f', spec.prec ?? 6);
      break;
    default:
      return undefined;
  }
  if (!Number.isFinite(x)) {
    // Infinities always show their sign; neither they nor NaN are zero-padded.
    body = Number.isNaN(x) ? signed('NaN', false, spec) : x < 0 ? '-Inf' : '+Inf';
    return padTo(body, { ...spec, zero: false }, false);
  }
  return padTo(signed(body, x < 0 || Object.is(x, -0), spec), spec, true);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      const cut = spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s;
      return padTo(cut, spec, false);
    }
    case 'q':
      return padTo(quote(s), spec, false);
    case 'x':
    case 'X': {
      let bytes = Buffer.from(s, 'utf8');
      if (spec.prec !== undefined) bytes = bytes.subarray(0, spec.prec);
      const h = bytes.toString('hex');
      return padTo(verb === 'X' ? h.toUpperCase() : h, spec, false);
    }
    default:
      return undefined;
  }
}

function formatArg(v: unknown, verb: string, spec: Spec): string {
  if (v === undefined || v === null) {
    return verb === 'v' ? padTo('<nil>', spec, false) : badVerb(verb, v);
  }
  let out: string | undefined;
  if (typeof v === 'boolean') {
    out = verb === 't' || verb === 'v' ? padTo(String(v), spec, false) : undefined;
  } else if (typeof v === 'bigint') {
    out = formatInteger(v, verb, spec);
  } else if (typeof v === 'number') {
    // A whole number may also be given to a float verb: JavaScript cannot tell 2 from 2.0.
    if (Number.isSafeInteger(v) && !'eEfFgG'.includes(verb)) out = formatInteger(BigInt(v), verb, spec);
    else out = formatFloatVerb(v, verb, spec);
  } else if (typeof v === 'string') {
    out = formatString(v, verb, spec);
  } else if (Array.isArray(v)) {
    const inner = { ...spec, width: undefined };
    out = `[${v.map((e) => formatArg(e, verb, inner)).join(' ')}]`;
  } else if (isMapLike(v)) {
    const inner = { ...spec, width: undefined };
    out = `map[${sortedEntries(v)
      .map(([k, x]) => `${formatArg(k, verb, inner)}:${formatArg(x, verb, inner)}`)
      .join(' ')}]`;
  } else if (verb === 'v' || verb === 's') {
    out = padTo(formatInner(v), spec, false);
  }
  return out ?? badVerb(verb, v);
}

/** fmt.Sprintf for the verbs templates use: %v %s %q %d %t %x %X %o %b %c %U %e %f %g %T and flags. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const takeStar = (): number | undefined => {
    const a = args[argi++];
    return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    if (format[i] === '*') {
      i++;
      spec.width = takeStar();
      if (spec.width !== undefined && spec.width < 0) {
        spec.minus = true;
        spec.width = -spec.width;
      }
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        spec.prec = takeStar();
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    out += verb === 'T' ? padTo(goTypeName(arg), spec, false) : formatArg(arg, verb, spec);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatInner(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
