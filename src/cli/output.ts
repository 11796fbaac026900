/**
 * Printing rows the way docker does: a default `table …` format per command, replaced by --format,
 * through the one template implementation in ./format. The template engine is loaded only for a
 * --format: the default formats are rendered without it (./format/columns.ts).
 */
import { fieldsTable } from './format/columns.js';
import { marshalJson } from './format/gojson.js';
import type { Headers } from './format/table.js';
import { stdout } from './stdio.js';

export type { Headers };

export async function printRows(rows: object[], format: string | undefined, defaultFormat: string, headers: Headers): Promise<void> {
  const plain = format === undefined ? fieldsTable(defaultFormat, rows, headers) : undefined;
  if (plain !== undefined) return stdout(plain);
  const { formatTable } = await import('./format/table.js');
  stdout(formatTable(format ?? defaultFormat, rows, headers));
}

/** `inspect -f`: one rendered line per object (unknown fields are errors, as in docker); else docker's JSON array. */
export async function printInspect(objects: unknown[], format: string | undefined): Promise<void> {
  if (format) {
    const { renderTemplate } = await import('./format/template/index.js');
    for (const o of objects) stdout(renderTemplate(format, o, { missingKey: 'error' }) + '\n');
    return;
  }
  // Docker's daemon writes its JSON without escaping <, > and & (SetEscapeHTML(false)); its CLI indents it as it is.
  stdout(marshalJson(objects, { indent: '    ', escapeHTML: false }) + '\n');
}

/** Collect a repeatable option (`-c A -c B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
