// The lexer of Go's text/template: the same tokens, trim markers ({{- and -}}), comments and error
// messages, so a bad --format fails with the words docker users already know.

import { quote } from '../gofmt.js';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char' // a printable ASCII character, such as ','
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Token {
  type: TokenType;
  /** Offset of the token in the template (UTF-16 units). */
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ['.', 'dot'],
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['range', 'range'],
  ['nil', 'nil'],
  ['template', 'template'],
  ['with', 'with'],
]);

const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(KEYWORDS.values());

/** A token as Go's parser names it in "unexpected ..." messages. */
export function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return quote(runes.slice(0, 10).join('')) + '...';
  return quote(t.val);
}

const LEFT = '{{';
const RIGHT = '}}';
const EOF = -1;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isAlphaNumeric(c: number): boolean {
  if (c === EOF) return false;
  return c === 0x5f || /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(c));
}

/** Go's %#U: U+007D '}' */
export function formatRune(c: number): string {
  const hex = 'U+' + c.toString(16).toUpperCase().padStart(4, '0');
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(c)) || c === 0x20
    ? `${hex} '${String.fromCodePoint(c)}'`
    : hex;
}

type State = (() => State) | null;

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private atEOF = false;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly input: string) {
    for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) === 0x0a) this.lineStarts.push(i + 1);
  }

  run(): Token[] {
    let state: State = this.lexText;
    while (state) state = state.call(this);
    return this.tokens;
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Reads one code point; backup() undoes exactly one next(). */
  private next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const c = this.input.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    return c;
  }

  private backup(): void {
    if (this.atEOF) {
      this.atEOF = false;
      return;
    }
    const low = this.input.charCodeAt(this.pos - 1);
    this.pos -= low >= 0xdc00 && low <= 0xdfff && this.pos >= 2 ? 2 : 1;
  }

  private peek(): number {
    const c = this.next();
    this.backup();
    return c;
  }

  private charAt(i: number): number {
    return i < this.input.length ? this.input.charCodeAt(i) : EOF;
  }

  private emit(type: TokenType): void {
    this.tokens.push({ type, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.lineOf(this.start) });
    this.start = this.pos;
  }

  private errorf(msg: string): State {
    this.tokens.push({ type: 'error', pos: this.start, val: msg, line: this.lineOf(this.start) });
    return null;
  }

  private accept(valid: string): boolean {
    const c = this.next();
    if (c !== EOF && valid.includes(String.fromCodePoint(c))) return true;
    this.backup();
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  private hasLeftTrimMarker(i: number): boolean {
    return this.charAt(i) === 0x2d && isSpace(this.charAt(i + 1));
  }

  private hasRightTrimMarker(i: number): boolean {
    return isSpace(this.charAt(i)) && this.charAt(i + 1) === 0x2d;
  }

  /** Whether the input is at the right delimiter, and whether a trim marker precedes it. */
  private atRightDelim(): [boolean, boolean] {
    if (this.hasRightTrimMarker(this.pos) && this.input.startsWith(RIGHT, this.pos + 2)) return [true, true];
    return [this.input.startsWith(RIGHT, this.pos), false];
  }

  private skipSpaces(from: number): number {
    let i = from;
    while (isSpace(this.charAt(i))) i++;
    return i;
  }

  private lexText(): State {
    const x = this.input.indexOf(LEFT, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit('text');
      this.emit('eof');
      return null;
    }
    let end = x;
    if (this.hasLeftTrimMarker(x + LEFT.length)) {
      while (end > this.start && isSpace(this.input.charCodeAt(end - 1))) end--;
    }
    if (end > this.start) {
      this.pos = end;
      this.emit('text');
    }
    this.pos = x;
    this.start = x;
    return this.lexLeftDelim;
  }

  private lexLeftDelim(): State {
    this.pos += LEFT.length;
    const after = this.hasLeftTrimMarker(this.pos) ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + after)) {
      this.pos += after;
      this.start = this.pos;
      return this.lexComment;
    }
    this.emit('leftDelim');
    this.pos += after;
    this.start = this.pos;
    this.parenDepth = 0;
    return this.lexInsideAction;
  }

  private lexComment(): State {
    this.pos += 2;
    const i = this.input.indexOf('*/', this.pos);
    if (i < 0) return this.errorf('unclosed comment');
    this.pos = i + 2;
    const [delim, trim] = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    this.pos += (trim ? 2 : 0) + RIGHT.length;
    if (trim) this.pos = this.skipSpaces(this.pos);
    this.start = this.pos;
    return this.lexText;
  }

  private lexRightDelim(): State {
    const trim = this.hasRightTrimMarker(this.pos);
    if (trim) {
      this.pos += 2;
      this.start = this.pos;
    }
    this.pos += RIGHT.length;
    this.emit('rightDelim');
    if (trim) {
      this.pos = this.skipSpaces(this.pos);
      this.start = this.pos;
    }
    return this.lexText;
  }

  private lexInsideAction(): State {
    const [delim] = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim;
      return this.errorf('unclosed left paren');
    }
    const r = this.next();
    if (r === EOF) return this.errorf('unclosed action');
    if (isSpace(r)) {
      this.backup();
      return this.lexSpace;
    }
    switch (r) {
      case 0x3d: // =
        this.emit('assign');
        return this.lexInsideAction;
      case 0x3a: // :
        if (this.next() !== 0x3d) return this.errorf('expected :=');
        this.emit('declare');
        return this.lexInsideAction;
      case 0x7c: // |
        this.emit('pipe');
        return this.lexInsideAction;
      case 0x22: // "
        return this.lexQuote;
      case 0x60: // `
        return this.lexRawQuote;
      case 0x24: // $
        return this.lexVariable;
      case 0x27: // '
        return this.lexChar;
      case 0x28: // (
        this.emit('leftParen');
        this.parenDepth++;
        return this.lexInsideAction;
      case 0x29: // )
        this.emit('rightParen');
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(`unexpected right paren ${formatRune(r)}`);
        return this.lexInsideAction;
    }
    if (r === 0x2e) {
      // ".Field", unless a digit follows and it is a number such as .5
      const c = this.charAt(this.pos);
      if (c === EOF || c < 0x30 || c > 0x39) return this.lexField;
    }
    if (r === 0x2e || r === 0x2b || r === 0x2d || (r >= 0x30 && r <= 0x39)) {
      this.backup();
      return this.lexNumber;
    }
    if (isAlphaNumeric(r)) {
      this.backup();
      return this.lexIdentifier;
    }
    if (r < 0x80 && r >= 0x20 && r !== 0x7f) {
      this.emit('char');
      return this.lexInsideAction;
    }
    return this.errorf(`unrecognized character in action: ${formatRune(r)}`);
  }

  private lexSpace(): State {
    // Stop before a space that begins " -}}", so the trim marker stays with the delimiter.
    while (isSpace(this.charAt(this.pos))) {
      if (this.hasRightTrimMarker(this.pos) && this.input.startsWith(RIGHT, this.pos + 2)) break;
      this.pos++;
    }
    if (this.pos > this.start) this.emit('space');
    return this.lexInsideAction;
  }

  private atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    switch (r) {
      case EOF:
      case 0x2e: // .
      case 0x2c: // ,
      case 0x7c: // |
      case 0x3a: // :
      case 0x29: // )
      case 0x28: // (
        return true;
    }
    return this.input.startsWith(RIGHT, this.pos);
  }

  private lexIdentifier(): State {
    let r: number;
    do r = this.next();
    while (isAlphaNumeric(r));
    this.backup();
    if (!this.atTerminator()) return this.errorf(`bad character ${formatRune(r)}`);
    const word = this.input.slice(this.start, this.pos);
    const keyword = KEYWORDS.get(word);
    if (keyword) this.emit(keyword);
    else if (word === 'true' || word === 'false') this.emit('bool');
    else this.emit('identifier');
    return this.lexInsideAction;
  }

  private lexField(): State {
    return this.lexFieldOrVariable('field');
  }

  private lexVariable(): State {
    if (this.atTerminator()) {
      this.emit('variable');
      return this.lexInsideAction;
    }
    return this.lexFieldOrVariable('variable');
  }

  private lexFieldOrVariable(type: 'field' | 'variable'): State {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'dot');
      return this.lexInsideAction;
    }
    let r: number;
    do r = this.next();
    while (isAlphaNumeric(r));
    this.backup();
    if (!this.atTerminator()) return this.errorf(`bad character ${formatRune(r)}`);
    this.emit(type);
    return this.lexInsideAction;
  }

  private lexChar(): State {
    for (;;) {
      let r = this.next();
      if (r === 0x5c) {
        r = this.next();
        if (r !== EOF && r !== 0x0a) continue;
      }
      if (r === EOF || r === 0x0a) return this.errorf('unterminated character constant');
      if (r === 0x27) break;
    }
    this.emit('charConstant');
    return this.lexInsideAction;
  }

  private lexNumber(): State {
    if (!this.scanNumber()) return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === 0x2b || sign === 0x2d) {
      // Complex: 1+2i. No spaces, must end in 'i'.
      if (!this.scanNumber() || this.input[this.pos - 1] !== 'i') {
        return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
      }
      this.emit('complex');
    } else {
      this.emit('number');
    }
    return this.lexInsideAction;
  }

  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): State {
    for (;;) {
      let r = this.next();
      if (r === 0x5c) {
        r = this.next();
        if (r !== EOF && r !== 0x0a) continue;
      }
      if (r === EOF || r === 0x0a) return this.errorf('unterminated quoted string');
      if (r === 0x22) break;
    }
    this.emit('string');
    return this.lexInsideAction;
  }

  private lexRawQuote(): State {
    for (;;) {
      const r = this.next();
      if (r === EOF) return this.errorf('unterminated raw quoted string');
      if (r === 0x60) break;
    }
    this.emit('rawString');
    return this.lexInsideAction;
  }
}

/** All tokens of a template; the last one is 'eof' or 'error'. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}
