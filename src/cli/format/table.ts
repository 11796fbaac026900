// A listing's --format as docker's formatter.Context renders it (images, ps, history, ...):
// - "table <tmpl>": a header row, then one row per entry, aligned by the tabwriter;
// - "json": each entry as {{json .}} on its own line;
// - anything else: the template once per entry, each followed by a newline, unaligned.
// Like docker, the format is trimmed of spaces and its literal \t and \n become tab and newline.
// The header row is the same template run over `headers` (a map from field name to column title,
// e.g. { ID: 'IMAGE ID' }) with json/split/join/title/lower/upper/truncate passing names through;
// a field without a title prints <no value>, as in docker. A function in `headers` is called like
// a method, for fields that take arguments (docker's {{.Label "x"}}).
// Rows are docker's row contexts, structs: a field a row does not have is an error, plain object
// or class instance alike. `{{json .}}` writes a class instance's own properties, or its toJSON().

import { tabwrite } from './tabwriter.js';
import { compileTemplate, TemplateError, type CompiledTemplate } from './template/index.js';
import { HEADER_FUNCS } from './template/funcs.js';

export type Headers = Readonly<Record<string, string | ((...args: unknown[]) => string)>>;

function wrap(e: unknown): never {
  if (e instanceof TemplateError) throw new TemplateError(`template parsing error: ${e.message}`);
  throw e;
}

/** Render rows with a docker listing format. Errors read "template parsing error: template: ...", as docker's. */
export function formatTable(format: string, rows: readonly unknown[], headers: Headers = {}): string {
  const isTable = format.startsWith('table');
  let body = format === 'json' ? '{{json .}}' : isTable ? format.slice('table'.length) : format;
  body = body.replace(/^ +| +$/g, '').replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
  let tmpl: CompiledTemplate;
  try {
    tmpl = compileTemplate(body);
  } catch (e) {
    wrap(e);
  }
  let out = '';
  for (const row of rows) {
    try {
      out += tmpl.render(row, { objects: 'struct' }) + '\n';
    } catch (e) {
      wrap(e);
    }
  }
  if (!isTable) return out;
  let header: string;
  try {
    header = tmpl.render(headers, { funcs: HEADER_FUNCS });
  } catch {
    // docker ignores a header that fails to render.
    header = '';
  }
  return tabwrite(header + '\n' + out);
}
