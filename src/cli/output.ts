/**
 * Printing rows the way docker does: a default `table …` format per command, replaced by --format,
 * through the one template implementation in ./format.
 */
import { formatTable, renderTemplate } from './format/index.js';

/** Column headers for the fields a command's rows have, as docker names them. */
export type Headers = Record<string, string>;

export function printRows(rows: object[], format: string | undefined, defaultFormat: string, headers: Headers): void {
  const f = format ?? defaultFormat;
  if (f.startsWith('table')) {
    process.stdout.write(formatTable(f, rows, headers));
    return;
  }
  for (const r of rows) process.stdout.write(renderTemplate(f, r) + '\n');
}

/** `inspect -f`: one rendered line per object; without a format, the JSON array docker prints. */
export function printInspect(objects: unknown[], format: string | undefined): void {
  if (format) {
    for (const o of objects) process.stdout.write(renderTemplate(format, o) + '\n');
    return;
  }
  process.stdout.write(JSON.stringify(objects, null, 4) + '\n');
}

/** Collect a repeatable option (`-c A -c B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
