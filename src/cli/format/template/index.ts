// Go text/template as docker's --format uses it: one implementation for every command.

import { execute, type MissingKey, type ObjectFields } from './exec.js';
import { BUILTINS, type FuncMap } from './funcs.js';
import { parseTemplate, type ListNode } from './parse.js';

export { TemplateError } from './parse.js';
export type { FuncMap, ParamKind, TemplateFunc } from './funcs.js';
export type { MissingKey, ObjectFields } from './exec.js';

export interface RenderOptions {
  /** 'error' makes a missing map key an error, as Go's Option("missingkey=error"). */
  missingKey?: MissingKey;
  /**
   * 'struct' reads fields of plain objects as struct fields, so an unknown one is an error, as in
   * docker's listing rows; the default 'map' reads them as map keys, as in inspect data.
   */
  objects?: ObjectFields;
  /** Replace functions by name for this run, as Go's Funcs() after Parse (names must be known). */
  funcs?: FuncMap;
}

const FUNC_NAMES: ReadonlySet<string> = new Set(Object.keys(BUILTINS));

export class CompiledTemplate {
  constructor(
    readonly source: string,
    private readonly root: ListNode,
  ) {}

  /** Execute over data; throws TemplateError with Go's message on failure. */
  render(data: unknown, options: RenderOptions = {}): string {
    const funcs = options.funcs ? { ...BUILTINS, ...options.funcs } : BUILTINS;
    return execute(this.root, this.source, data, {
      missingKey: options.missingKey ?? 'default',
      objects: options.objects ?? 'map',
      funcs,
    });
  }
}

/** Parse once (throws TemplateError with Go's parse message), then render many rows. */
export function compileTemplate(text: string): CompiledTemplate {
  return new CompiledTemplate(text, parseTemplate(text, FUNC_NAMES));
}

export function renderTemplate(text: string, data: unknown, options: RenderOptions = {}): string {
  return compileTemplate(text).render(data, options);
}
