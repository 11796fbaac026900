/**
 * A listing's row as docker's formatter contexts are (images, ps, history, system df): `{{.Field}}` reads
 * a field, `{{.Label "k"}}` calls a method, and `{{json .}}` writes every field (not the methods that
 * take arguments) as docker's marshalMap does: json.Marshal of a map, so keys sorted and <, > and &
 * escaped, whatever the json function's own escaping.
 */
import { marshalJson, MARSHAL_JSON, type Marshaler } from './gojson.js';

function marshalRow(this: object): string {
  const fields = new Map<string, unknown>();
  for (const [k, v] of Object.entries(this)) if (typeof v !== 'function') fields.set(k, v);
  return marshalJson(fields);
}

export function listingRow<T extends object>(fields: T): T & Marshaler {
  return Object.defineProperty(fields, MARSHAL_JSON, { value: marshalRow, enumerable: false }) as T & Marshaler;
}
