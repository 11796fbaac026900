// Execution of a parsed template, following Go's text/template: field chains on maps and structs,
// method calls, variables and their scopes, if/with/range (with else, break, continue), pipelines,
// and Go's error messages with their "template: :LINE:COL: executing "" at <NODE>:" prefix.
//
// How JavaScript data is seen (see gofmt.ts for printing):
// - a Map or a plain object is a Go map: a missing key gives "no value" (printed `<no value>`), or
//   the error `map has no entry for key "X"` when missingKey is 'error' (Go's missingkey=error);
//   a function stored in a plain object is called like a method;
// - an instance of a class is a struct: getters and fields read as fields, methods are called with
//   the action's arguments, and an unknown name is the error `can't evaluate field X in type Class`;
//   with objects: 'struct', plain objects are read the same way (`... in type object`);
// - null is a nil interface: `.X` on it is the error `nil pointer evaluating interface {}.X`.

import { formatValue, GO_TYPE, goTypeName, isPlainObject, isStruct, quote, sortedEntries } from '../gofmt.js';
import { BUILTINS, isTrue, type FuncMap, type ParamKind, type TemplateFunc } from './funcs.js';
import {
  nodeString,
  TemplateError,
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type VariableNode,
} from './parse.js';

export type MissingKey = 'default' | 'error';

/** How `.Field` reads a plain object: as a Go map (a missing key is no value) or as a struct (an error). */
export type ObjectFields = 'map' | 'struct';

export interface ExecOptions {
  missingKey: MissingKey;
  objects: ObjectFields;
  funcs: FuncMap;
}

/** The pipeline value handed to the next command; absent for the first command. */
const NO_FINAL: unique symbol = Symbol('no final argument');
type Final = unknown;

const BREAK: unique symbol = Symbol('break');
const CONTINUE: unique symbol = Symbol('continue');

type Located = { pos: number; type: string };

const KIND_NAMES: Readonly<Record<ParamKind, string>> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  strings: '[]string',
};

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Own or inherited member of a class instance, stopping before Object.prototype. */
function lookupMember(obj: object, name: string): { value: unknown } | undefined {
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return { value: (obj as Record<string, unknown>)[name] };
  }
  return undefined;
}

class Executor {
  private readonly vars: { name: string; value: unknown }[];
  private node: Located | null = null;
  readonly out: string[] = [];

  constructor(
    private readonly text: string,
    private readonly options: ExecOptions,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  private at(node: Located): void {
    this.node = node;
  }

  private errorf(msg: string): never {
    const node = this.node;
    if (!node) throw new TemplateError(`template: : ${msg}`);
    const before = this.text.slice(0, node.pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = Buffer.byteLength(before.slice(nl + 1), 'utf8');
    const context = nodeString(node as Parameters<typeof nodeString>[0]);
    throw new TemplateError(`template: :${line}:${col}: executing "" at <${context}>: ${msg}`);
  }

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'text':
        this.out.push(node.text);
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private printValue(node: Node, value: unknown): void {
    this.at(node);
    if (typeof value === 'function') this.errorf(`can't print ${nodeString(node)} of type func`);
    this.out.push(formatValue(value));
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.mark();
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) this.walk(node.type === 'with' ? value : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private rangeItems(value: unknown, decls: number): [unknown, unknown][] | null {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value.map((v, i) => [i, v]);
    if (ArrayBuffer.isView(value)) return Array.from(value as Uint8Array, (v, i) => [i, v]);
    if (value instanceof Map || isPlainObject(value)) return sortedEntries(value);
    if (typeof value === 'number' && Number.isInteger(value)) {
      // Go 1.22 ranges over an integer n as 0..n-1.
      if (decls > 1) this.errorf(`can't use ${value} to iterate over more than one variable`);
      return Array.from({ length: Math.max(value, 0) }, (_, i) => [i, i]);
    }
    return null;
  }

  private walkRange(dot: unknown, node: BranchNode): void {
    this.at(node);
    const outer = this.mark();
    try {
      const value = this.evalPipeline(dot, node.pipe);
      const mark = this.mark();
      const decls = node.pipe.decl.length;
      const items = this.rangeItems(value, decls);
      if (items === null) this.errorf(`range can't iterate over ${formatValue(value)}`);
      if (items.length === 0) {
        if (node.elseList) this.walk(dot, node.elseList);
        return;
      }
      for (const [index, elem] of items) {
        if (decls > 0) this.vars[this.vars.length - 1].value = elem;
        if (decls > 1) this.vars[this.vars.length - 2].value = index;
        try {
          this.walk(elem, node.list);
        } catch (e) {
          if (e === BREAK) break;
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      }
    } finally {
      this.pop(outer);
    }
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.idents[0], value);
      else this.vars.push({ name: v.idents[0], value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== NO_FINAL) {
      this.errorf(`can't give argument to non-function ${args ? nodeString(args[0]) : ''}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private idealConstant(n: NumberNode): number {
    this.at(n);
    return n.value;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.idents, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.idents[0]);
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.idents.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Located,
    idents: readonly string[],
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    let r = receiver;
    for (let i = 0; i < idents.length - 1; i++) r = this.evalField(dot, idents[i], node, null, NO_FINAL, r);
    return this.evalField(dot, idents[idents.length - 1], node, args, final, r);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: Located,
    args: readonly ArgNode[] | null,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.options.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== NO_FINAL;
    const missing = (): unknown => {
      if (this.options.missingKey === 'error') this.errorf(`map has no entry for key ${quote(name)}`);
      return undefined;
    };
    if (receiver instanceof Map) {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      return receiver.has(name) ? receiver.get(name) : missing();
    }
    const plain = isPlainObject(receiver);
    if (plain && this.options.objects === 'map') {
      if (!Object.hasOwn(receiver, name)) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return missing();
      }
      const value = receiver[name];
      if (typeof value === 'function') return this.callMethod(dot, value, receiver, node, name, args, final);
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      return value;
    }
    if (plain || isStruct(receiver)) {
      const member = lookupMember(receiver as object, name);
      if (member) {
        if (typeof member.value === 'function') return this.callMethod(dot, member.value, receiver, node, name, args, final);
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return member.value;
      }
    }
    this.errorf(`can't evaluate field ${name} in type ${plain && !(GO_TYPE in receiver) ? 'object' : goTypeName(receiver)}`);
  }

  private callMethod(
    dot: unknown,
    method: Function,
    receiver: unknown,
    node: Located,
    name: string,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const argv = (args ? args.slice(1) : []).map((a) => this.evalArg(dot, 'any', a));
    if (final !== NO_FINAL) argv.push(final);
    let result: unknown;
    try {
      result = method.apply(receiver, argv);
    } catch (e) {
      this.at(node);
      this.errorf(`error calling ${name}: ${messageOf(e)}`);
    }
    return result;
  }

  private evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: Located,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(node);
    const fn = Object.hasOwn(this.options.funcs, node.name) ? this.options.funcs[node.name] : undefined;
    if (!fn) this.errorf(`${quote(node.name)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, node.name, args, final);
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunc,
    node: Located,
    name: string,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== NO_FINAL ? 1 : 0);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const kindAt = (i: number): ParamKind => (i < fixed ? fn.params[i] : (fn.variadic ?? 'any'));
    if (fn === BUILTINS.and || fn === BUILTINS.or) {
      // and/or stop evaluating at the first argument that decides the result.
      const decisive = fn === BUILTINS.or;
      let value: unknown;
      for (const a of argNodes) {
        value = this.evalArg(dot, 'any', a);
        if (isTrue(value) === decisive) return value;
      }
      return final !== NO_FINAL ? final : value;
    }
    const argv = argNodes.map((a, i) => this.evalArg(dot, kindAt(i), a));
    if (final !== NO_FINAL) argv.push(this.validateType(final, kindAt(numIn - 1)));
    let result: unknown;
    try {
      result = fn.call(argv);
    } catch (e) {
      this.at(node);
      this.errorf(`error calling ${name}: ${messageOf(e)}`);
    }
    return result;
  }

  private validateType(value: unknown, kind: ParamKind): unknown {
    if (kind === 'any') return value;
    if (value === undefined) this.errorf(`invalid value; expected ${KIND_NAMES[kind]}`);
    const ok =
      kind === 'string'
        ? typeof value === 'string'
        : kind === 'int'
          ? (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint'
          : value === null || (Array.isArray(value) && value.every((x) => typeof x === 'string'));
    if (!ok) this.errorf(`wrong type for value; expected ${KIND_NAMES[kind]}; got ${goTypeName(value)}`);
    return kind === 'int' ? Number(value) : value;
  }

  private evalArg(dot: unknown, kind: ParamKind, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, kind);
      case 'nil':
        if (kind === 'any') return null;
        this.errorf(`cannot assign nil to ${KIND_NAMES[kind]}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], NO_FINAL), kind);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, NO_FINAL), kind);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), kind);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, NO_FINAL), kind);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, NO_FINAL), kind);
    }
    switch (kind) {
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return n.value;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'any':
        if (n.type === 'number') return this.idealConstant(n);
        return n.type === 'bool' ? n.value : n.text;
      case 'strings':
        this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
  }
}

/** Run a parsed template over data and return its output. */
export function execute(root: ListNode, text: string, data: unknown, options: ExecOptions): string {
  const exec = new Executor(text, options, data);
  exec.walk(data, root);
  return exec.out.join('');
}
