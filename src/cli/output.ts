/**
 * Printing rows the way docker does: a default `table …` format per command, replaced by --format,
 * through the one template implementation in ./format.
 */
import { formatTable, marshalJson, renderTemplate, type Headers } from './format/index.js';
import { stdout } from './stdio.js';

export type { Headers };

export function printRows(rows: object[], format: string | undefined, defaultFormat: string, headers: Headers): void {
  stdout(formatTable(format ?? defaultFormat, rows, headers));
}

/** `inspect -f`: one rendered line per object (unknown fields are errors, as in docker); else docker's JSON array. */
export function printInspect(objects: unknown[], format: string | undefined): void {
  if (format) {
    for (const o of objects) stdout(renderTemplate(format, o, { missingKey: 'error' }) + '\n');
    return;
  }
  stdout(marshalJson(objects, { indent: '    ' }) + '\n');
}

/** Collect a repeatable option (`-c A -c B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
