/**
 * A listing's row as docker's formatter contexts are (images, ps, history, system df): `{{.Field}}` reads
 * a field, `{{.Label "k"}}` calls a method, and `{{json .}}` writes every field (not the methods that
 * take arguments) as docker's marshalMap does: json.Marshal of a map, so keys sorted and <, > and &
 * escaped, whatever the json function's own escaping. A template's error names the row's type as docker's does.
 */
import { GO_TYPE } from './gofmt.js';
import { marshalJson, MARSHAL_JSON, type Marshaler } from './gojson.js';

function marshalRow(this: object): string {
  const fields = new Map<string, unknown>();
  for (const [k, v] of Object.entries(this)) if (typeof v !== 'function') fields.set(k, v);
  return marshalJson(fields);
}

/** `fields` as a row of docker's context type `goType` (which a template error names: `*formatter.imageContext`). */
export function listingRow<T extends object>(goType: string, fields: T): T & Marshaler {
  return Object.defineProperties(fields, {
    [MARSHAL_JSON]: { value: marshalRow, enumerable: false },
    [GO_TYPE]: { value: goType, enumerable: false },
  }) as T & Marshaler;
}
