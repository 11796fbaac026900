/**
 * The listings' default formats (`table {{.A}}\t{{.B}}…`: fields only, between tabs) rendered without
 * the template engine, so a command loads that only for --format. For such a format and rows whose
 * fields are strings, this is what the template engine prints (formatTable in ./table.ts): each
 * header title and cell as it is, laid out by the same tabwriter.
 */
import { renderTable } from './tabwriter.js';

const FIELDS_ONLY = /^table (\{\{\.\w+\}\}(?:\t\{\{\.\w+\}\})*)$/;

/** A row's (or the headers') string field; undefined for anything the template engine would format. */
function text(o: object, field: string): string | undefined {
  const v: unknown = Object.hasOwn(o, field) ? (o as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The listing, or undefined when the format or a value needs the template engine. */
export function fieldsTable(format: string, rows: readonly object[], headers: object): string | undefined {
  const m = FIELDS_ONLY.exec(format);
  if (!m) return undefined;
  const fields = m[1]!.split('\t').map((f) => f.slice('{{.'.length, -'}}'.length));
  const titles = fields.map((f) => text(headers, f));
  const cells = rows.map((r) => fields.map((f) => text(r, f)));
  const complete = (line: (string | undefined)[]): line is string[] => !line.includes(undefined);
  if (!complete(titles) || !cells.every(complete)) return undefined;
  return renderTable(titles, cells);
}
