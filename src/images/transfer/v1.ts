/**
 * The legacy (v1) layer metadata of a docker-archive, as Docker 20.10's `docker save` writes it: each
 * layer's directory is named by a v1 ID, and holds a `json` of v1 image fields.
 *
 * Docker re-encodes the image config through its Go types, so both the ID and the `json` depend on
 * Go's encoding: struct fields in declaration order, `omitempty` rules, map keys sorted, times in
 * RFC 3339 with trailing zeros cut, and `<`, `>`, `&` escaped. Per layer i of an image (base first):
 *   fields(i) = the image's v1 fields for the top layer; only `created` (the Unix epoch) below it
 *   v1ID(i)   = sha256 of the JSON object fields(i) + {"layer_id": chainID(i), "parent": "sha256:" + v1ID(i-1)},
 *               keys sorted (Go marshals a map)
 *   json(i)   = {"id": v1ID(i), "parent": v1ID(i-1), ...fields(i), "os": <the image's os>} in Go's field order
 */
import { createHash } from 'node:crypto';

/** A JSON value already encoded as Go encodes it. */
type Raw = string;

const HEX4 = (c: number): string => '\\u' + c.toString(16).padStart(4, '0');

/** A string as Go's encoding/json writes it (HTML-safe). */
export function goString(s: string): Raw {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += HEX4(c);
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // a lone surrogate: Go sees invalid UTF-8
    else out += ch;
  }
  return out + '"';
}

export const object = (fields: [string, Raw][]): Raw => `{${fields.map(([k, v]) => `${goString(k)}:${v}`).join(',')}}`;
export const sortedObject = (fields: [string, Raw][]): Raw => object([...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json): string => (typeof v === 'string' ? v : '');
const bool = (v: Json): Raw => (v === true ? 'true' : 'false');
const strings = (v: Json): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** []string: null when absent. */
const stringList = (v: Json): Raw => (Array.isArray(v) ? `[${strings(v).map(goString).join(',')}]` : 'null');
/** strslice.StrSlice: a list, or one string read as a list of one. */
const strSlice = (v: Json): Raw => (typeof v === 'string' ? `[${goString(v)}]` : stringList(v));
/** map[string]struct{} / map[string]string: null when absent, keys sorted. */
const setMap = (v: Json): Raw => (isObject(v) ? sortedObject(Object.keys(v).map((k) => [k, '{}'])) : 'null');
const stringMap = (v: Json): Raw => (isObject(v) ? sortedObject(Object.entries(v).map(([k, x]) => [k, goString(str(x))])) : 'null');
const integer = (v: Json): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/** Go's time.Time as JSON: RFC 3339, nanoseconds at most, trailing zeros cut, UTC as `Z`; the zero time when absent. */
export function goTime(v: Json): Raw {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)$/.exec(str(v));
  if (!m) return goString('0001-01-01T00:00:00Z');
  const fraction = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = /^[+-]00:00$/.test(m[3]!) || m[3] === 'z' ? 'Z' : m[3]!;
  return goString(`${m[1]}${fraction ? '.' + fraction : ''}${zone}`);
}

/** HealthConfig: every field omitempty. */
function healthcheck(v: Record<string, Json>): Raw {
  const f: [string, Raw][] = [];
  if (strings(v.Test).length) f.push(['Test', stringList(v.Test)]);
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries']) if (integer(v[k])) f.push([k, String(integer(v[k]))]);
  return object(f);
}

/** Docker 20.10's container.Config, field by field. */
function containerConfig(v: Json): Raw {
  const c = isObject(v) ? v : {};
  const f: [string, Raw][] = [
    ['Hostname', goString(str(c.Hostname))], ['Domainname', goString(str(c.Domainname))], ['User', goString(str(c.User))],
    ['AttachStdin', bool(c.AttachStdin)], ['AttachStdout', bool(c.AttachStdout)], ['AttachStderr', bool(c.AttachStderr)],
  ];
  if (isObject(c.ExposedPorts) && Object.keys(c.ExposedPorts).length) f.push(['ExposedPorts', setMap(c.ExposedPorts)]);
  f.push(['Tty', bool(c.Tty)], ['OpenStdin', bool(c.OpenStdin)], ['StdinOnce', bool(c.StdinOnce)], ['Env', stringList(c.Env)], ['Cmd', strSlice(c.Cmd)]);
  if (isObject(c.Healthcheck)) f.push(['Healthcheck', healthcheck(c.Healthcheck)]);
  if (c.ArgsEscaped === true) f.push(['ArgsEscaped', 'true']);
  f.push(['Image', goString(str(c.Image))], ['Volumes', setMap(c.Volumes)], ['WorkingDir', goString(str(c.WorkingDir))], ['Entrypoint', strSlice(c.Entrypoint)]);
  if (c.NetworkDisabled === true) f.push(['NetworkDisabled', 'true']);
  if (str(c.MacAddress)) f.push(['MacAddress', goString(str(c.MacAddress))]);
  f.push(['OnBuild', stringList(c.OnBuild)], ['Labels', stringMap(c.Labels)]);
  if (str(c.StopSignal)) f.push(['StopSignal', goString(str(c.StopSignal))]);
  if (typeof c.StopTimeout === 'number') f.push(['StopTimeout', String(integer(c.StopTimeout))]);
  if (strings(c.Shell).length || typeof c.Shell === 'string') f.push(['Shell', strSlice(c.Shell)]);
  return object(f);
}

/** V1Image's fields after id and parent, in Go's order, from an image config. */
function imageFields(config: Record<string, Json>): [string, Raw][] {
  const f: [string, Raw][] = [];
  const text = (k: string) => { if (str(config[k])) f.push([k, goString(str(config[k]))]); };
  text('comment');
  f.push(['created', goTime(config.created)]);
  text('container');
  f.push(['container_config', containerConfig(config.container_config)]);
  text('docker_version');
  text('author');
  if (isObject(config.config)) f.push(['config', containerConfig(config.config)]);
  text('architecture');
  text('variant');
  text('os');
  const size = integer(config.Size ?? config.size);
  if (size) f.push(['Size', String(size)]);
  return f;
}

/** The fields of a layer below the top: only the Unix epoch as its time. */
const lowerFields = (): [string, Raw][] => [['created', goString('1970-01-01T00:00:00Z')], ['container_config', containerConfig(undefined)]];

export interface V1Layer {
  /** 64 hex digits: the layer's directory name. */
  id: string;
  /** The `json` entry's bytes. */
  json: Buffer;
}

/** The v1 ID and `json` of each layer of an image, base first, given its config bytes and its layers' chainIDs. */
export function v1Layers(configBytes: Buffer, chainIds: string[]): V1Layer[] {
  const parsed: Json = JSON.parse(configBytes.toString('utf8'));
  const config = isObject(parsed) ? parsed : {};
  const os = str(config.os);
  let parent = '';
  return chainIds.map((chainId, i) => {
    const fields = i === chainIds.length - 1 ? imageFields(config) : lowerFields();
    const keyed: [string, Raw][] = [...fields, ['layer_id', goString(chainId)], ...(parent ? [['parent', goString(`sha256:${parent}`)] as [string, Raw]] : [])];
    const id = createHash('sha256').update(sortedObject(keyed)).digest('hex');
    // os comes from the image after the ID is made, so a lower layer's json has it and its ID does not.
    const withOs = fields.some(([k]) => k === 'os') || !os ? fields : [...fields, ['os', goString(os)] as [string, Raw]];
    const json = object([['id', goString(id)], ...(parent ? [['parent', goString(parent)] as [string, Raw]] : []), ...withOs]);
    parent = id;
    return { id, json: Buffer.from(json) };
  });
}
