// Pure formatting for the CLI, matching docker's output byte for byte: Go templates for --format,
// tables, sizes, durations, IDs and Go's JSON.

export { compileTemplate, renderTemplate, CompiledTemplate, TemplateError } from './template/index.js';
export type { RenderOptions, MissingKey, ObjectFields } from './template/index.js';
export { formatTable, type Headers } from './table.js';
export { renderTable, tabwrite, displayWidth } from './tabwriter.js';
export { humanSize, goHumanSize, humanSizeWithPrecision, humanDuration, timeAgo, truncateId } from './units.js';
export { marshalJson, type MarshalOptions } from './gojson.js';
export { formatValue, formatFloat, sprintf, quote } from './gofmt.js';
