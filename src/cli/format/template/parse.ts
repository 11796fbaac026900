// The parser of Go's text/template, building the same tree (text, actions, if/range/with with else
// and else-if chains, break/continue, pipelines, declarations) with Go's parse-time checks and
// messages ("function \"x\" not defined", "undefined variable \"$x\"", "unexpected EOF", ...).
// {{define}}, {{template}} and {{block}} are not supported: docker formats are single templates.

import { quote } from '../gofmt.js';
import { lex, tokenString, type Token, type TokenType } from './lex.js';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

interface Base {
  /** Offset in the template text, for error locations. */
  pos: number;
}

export interface TextNode extends Base { type: 'text'; text: string }
export interface DotNode extends Base { type: 'dot' }
export interface NilNode extends Base { type: 'nil' }
export interface BoolNode extends Base { type: 'bool'; value: boolean }
export interface NumberNode extends Base {
  type: 'number';
  text: string;
  value: number;
  isInt: boolean;
  /** Written as a float (with '.', or an exponent), so it is a float64 where no type is expected. */
  isFloat: boolean;
}
export interface StringNode extends Base { type: 'string'; quoted: string; text: string }
export interface FieldNode extends Base { type: 'field'; idents: string[] }
export interface VariableNode extends Base { type: 'variable'; idents: string[] }
export interface IdentifierNode extends Base { type: 'identifier'; name: string }
export interface ChainNode extends Base { type: 'chain'; node: ArgNode; fields: string[] }
export interface PipeNode extends Base {
  type: 'pipe';
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends Base { type: 'command'; args: ArgNode[] }
export type ArgNode =
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | FieldNode
  | VariableNode
  | IdentifierNode
  | ChainNode
  | PipeNode;

export interface ListNode extends Base { type: 'list'; nodes: Node[] }
export interface ActionNode extends Base { type: 'action'; pipe: PipeNode }
export interface BranchNode extends Base {
  type: 'if' | 'range' | 'with';
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface BreakNode extends Base { type: 'break' }
export interface ContinueNode extends Base { type: 'continue' }
interface EndNode extends Base { type: 'end' }
interface ElseNode extends Base { type: 'else' }
export type Node = TextNode | ListNode | ActionNode | BranchNode | BreakNode | ContinueNode;
type ParsedNode = Node | EndNode | ElseNode;

/** A node written back as template source, as Go's Node.String() does for error messages. */
export function nodeString(n: ArgNode | CommandNode | ParsedNode): string {
  switch (n.type) {
    case 'text': return n.text;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'field': return '.' + n.idents.join('.');
    case 'variable': return n.idents.join('.');
    case 'identifier': return n.name;
    case 'chain': {
      const head = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return [head, ...n.fields].join('.');
    }
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'list': return n.nodes.map(nodeString).join('');
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'end': return '{{end}}';
    case 'else': return '{{else}}';
  }
}

const OPERAND_START: ReadonlySet<TokenType> = new Set<TokenType>([
  'bool', 'charConstant', 'complex', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string',
  'variable', 'leftParen',
]);

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };

/** strconv.Unquote for "..." strings and '...' character constants; throws "invalid syntax". */
function unquoteEscapes(body: string, quoteChar: '"' | "'"): string {
  const bytes: number[] = [];
  const pushCodePoint = (cp: number): void => {
    bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
  };
  const bad = (): never => {
    throw new TemplateError('invalid syntax');
  };
  for (let i = 0; i < body.length; ) {
    const cp = body.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === quoteChar.charCodeAt(0) || cp === 0x0a) bad();
    if (cp !== 0x5c) {
      pushCodePoint(cp);
      i += width;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) bad();
    i += 2;
    if (e in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[e]);
    else if (e === quoteChar) bytes.push(e.charCodeAt(0));
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) bad();
      i += n;
      const v = parseInt(h, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) bad();
      else pushCodePoint(v);
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o)) bad();
      const v = parseInt(o, 8);
      if (v > 255) bad();
      bytes.push(v);
      i += 2;
    } else bad();
  }
  return Buffer.from(bytes).toString('utf8');
}

function unquote(token: Token): string {
  if (token.type === 'rawString') return token.val.slice(1, -1).replace(/\r/g, '');
  return unquoteEscapes(token.val.slice(1, -1), '"');
}

const INT_RE = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/;
const FLOAT_RE = /^[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?$/;

function parseNumber(pos: number, text: string, type: TokenType): NumberNode {
  if (type === 'complex' || text.endsWith('i')) throw new TemplateError('complex numbers are not supported');
  if (type === 'charConstant') {
    const s = [...unquoteEscapesOrMalformed(text)];
    if (s.length !== 1) throw new TemplateError(`malformed character constant: ${text}`);
    const value = s[0].codePointAt(0)!;
    return { type: 'number', pos, text, value, isInt: true, isFloat: false };
  }
  const clean = text.replace(/_/g, '');
  if (INT_RE.test(text)) {
    const neg = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    const radixBody = /^0[0-7]+$/.test(body) ? '0o' + body.slice(1) : body;
    const big = BigInt(radixBody);
    const value = Number(neg ? -big : big);
    return { type: 'number', pos, text, value, isInt: true, isFloat: false };
  }
  if (FLOAT_RE.test(text)) {
    const value = Number(clean);
    return { type: 'number', pos, text, value, isInt: Number.isInteger(value), isFloat: true };
  }
  throw new TemplateError(`illegal number syntax: ${quote(text)}`);
}

function unquoteEscapesOrMalformed(text: string): string {
  try {
    return unquoteEscapes(text.slice(1, -1), "'");
  } catch {
    throw new TemplateError(`malformed character constant: ${text}`);
  }
}

class Parser {
  private i = 0;
  private fetched = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  private token(i: number): Token {
    return this.tokens[Math.min(i, this.tokens.length - 1)];
  }

  private next(): Token {
    const index = Math.min(this.i, this.tokens.length - 1);
    this.fetched = Math.max(this.fetched, index);
    this.i = index + 1; // past the last token, next() keeps returning the final eof/error token
    return this.tokens[index];
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Token {
    const t = this.next();
    this.backup();
    return t;
  }

  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.type === 'space');
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(msg: string): never {
    // Go reports the line of the most recently lexed token.
    throw new TemplateError(`template: :${this.token(this.fetched).line}: ${msg}`);
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = t.val.endsWith(' action') ? ` started at :${this.actionLine}` : ` in action started at :${this.actionLine}`;
      }
      this.errorf(t.val + extra);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  /** Wraps errors raised outside errorf (literals) with the template location. */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof TemplateError && !e.message.startsWith('template: ')) this.errorf(e.message);
      throw e;
    }
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  private itemList(): [ListNode, ParsedNode] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): ParsedNode {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') {
      this.actionLine = t.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    this.unexpected(t, 'input');
  }

  private action(): ParsedNode {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'break':
      case 'continue':
        return this.breakOrContinue(t);
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with':
        return this.control(t.type);
      case 'template':
      case 'block':
      case 'define':
        this.errorf(`{{${t.val}}} is not supported`);
    }
    this.backup();
    const first = this.peek();
    return { type: 'action', pos: first.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private breakOrContinue(t: Token): BreakNode | ContinueNode {
    const word = t.type as 'break' | 'continue';
    const after = this.nextNonSpace();
    if (after.type !== 'rightDelim') this.unexpected(after, `{{${word}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
    return { type: word, pos: t.pos };
  }

  private elseControl(): ElseNode {
    const peek = this.peekNonSpace();
    // "{{else if" and "{{else with" leave the keyword pending for control() to chain.
    if (peek.type === 'if' || peek.type === 'with') return { type: 'else', pos: peek.pos };
    return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let list: ListNode;
      let next: ParsedNode;
      try {
        [list, next] = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        const pending = this.peek().type;
        if ((context === 'if' && pending === 'if') || (context === 'with' && pending === 'with')) {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.control(context)] };
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type: context, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const pipe: PipeNode = { type: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const at = this.i;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === 'assign' || after.type === 'declare') {
        pipe.isAssign = after.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: v.val.split('.') });
        this.vars.push(v.val);
        break;
      }
      if (after.type === 'char' && after.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, idents: v.val.split('.') });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const n = this.peekNonSpace().type;
          if (n === 'variable' || n === 'rightDelim' || n === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = at; // a variable used as an operand, not declared
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!OPERAND_START.has(t.type)) this.unexpected(t, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0].type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(...this.next().val.slice(1).split('.'));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { type: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
    }
    return { type: 'chain', pos, node, fields };
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.funcs.has(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable': {
        const idents = t.val.split('.');
        if (!this.vars.includes(idents[0])) this.errorf(`undefined variable ${quote(idents[0])}`);
        return { type: 'variable', pos: t.pos, idents };
      }
      case 'field':
        return { type: 'field', pos: t.pos, idents: t.val.slice(1).split('.') };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.guard(() => parseNumber(t.pos, t.val, t.type));
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, quoted: t.val, text: this.guard(() => unquote(t)) };
    }
    this.backup();
    return null;
  }
}

/** Parse a template; function names are checked against funcs, as Go checks them at parse time. */
export function parseTemplate(text: string, funcs: ReadonlySet<string>): ListNode {
  return new Parser(lex(text), funcs).parse();
}
