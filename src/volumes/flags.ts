/**
 * The mount flags of `create`/`run` as Docker's CLI reads them, before the engine sees them: `-v` split into
 * anonymous volumes (Config.Volumes) and binds (HostConfig.Binds), `--mount`'s comma-separated keys into an
 * Engine API mount. A malformed flag is the CLI's own failure (status 125), with Docker's words.
 */
import { FlagValueError, InvalidArgumentError } from '../engine/errors.js';
import type { ApiMount } from './types.js';

/** The CLI's failure to read a flag's value: status 125, as Docker's. */
const flagError = (message: string): InvalidArgumentError => new InvalidArgumentError(message, 125);

/**
 * `-v` values: a bare path is an anonymous volume (Config.Volumes), anything with a source a bind
 * (HostConfig.Binds), as Docker's CLI splits them. Sections are checked here; what they mean, by the engine.
 */
export function splitVolumeFlags(values: readonly string[]): { binds: string[]; anonymous: string[] } {
  const binds: string[] = [];
  const anonymous: string[] = [];
  for (const v of values) {
    const parts = v.split(':');
    // An empty first or last section, which Docker 20.10's CLI takes as a relative anonymous volume (`:/x`),
    // is refused in newer Docker's words; one between two others (`a::b`) goes on, for the engine's words.
    if (parts[0] === '' || parts.at(-1) === '') throw flagError(`invalid spec: ${v}: empty section between colons`);
    if (parts.length === 1) anonymous.push(v); else binds.push(v);
  }
  return { binds, anonymous };
}

const MOUNT_KEYS = new Set([
  'type', 'source', 'src', 'target', 'destination', 'dst', 'readonly', 'ro', 'consistency', 'bind-propagation',
  'bind-nonrecursive', 'volume-nocopy', 'volume-label', 'volume-driver', 'volume-opt', 'tmpfs-size', 'tmpfs-mode',
]);

/** A `--mount` boolean: bare means true, else Go's ParseBool words. */
function flagBool(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

/** `k=v` into the map `into`, as volume-label and volume-opt take them. */
function keyValue(into: Record<string, string>, value: string): void {
  const eq = value.indexOf('=');
  if (eq < 0) into[value] = ''; else into[value.slice(0, eq)] = value.slice(eq + 1);
}

/** One `--mount` value as Docker's CLI parses it (opts/mount.go), into an Engine API mount. */
export function parseMountFlag(spec: string): ApiMount {
  try {
    return readMount(spec);
  } catch (e) {
    throw new FlagValueError(`invalid argument ${JSON.stringify(spec)} for "--mount" flag: ${(e as Error).message}`);
  }
}

function readMount(spec: string): ApiMount {
  const m: ApiMount = { Type: 'volume', Target: '' };
  const volume = (): NonNullable<ApiMount['VolumeOptions']> => (m.VolumeOptions ??= { DriverConfig: {} });
  const bind = (): NonNullable<ApiMount['BindOptions']> => (m.BindOptions ??= {});
  const tmpfs = (): NonNullable<ApiMount['TmpfsOptions']> => (m.TmpfsOptions ??= {});
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (!MOUNT_KEYS.has(key)) throw new Error(`unexpected key '${key}' in '${field}'`);
    if (value === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type': m.Type = value!.toLowerCase(); break;
      case 'source': case 'src': m.Source = value; break;
      case 'target': case 'destination': case 'dst': m.Target = value!; break;
      case 'readonly': case 'ro': m.ReadOnly = flagBool(key, value); break;
      case 'consistency': break;
      case 'bind-propagation': bind().Propagation = value!.toLowerCase(); break;
      case 'bind-nonrecursive': bind().NonRecursive = flagBool(key, value); break;
      case 'volume-nocopy': volume().NoCopy = flagBool(key, value); break;
      case 'volume-label': keyValue((volume().Labels ??= {}), value!); break;
      case 'volume-driver': volume().DriverConfig.Name = value; break;
      case 'volume-opt': keyValue((volume().DriverConfig.Options ??= {}), value!); break;
      case 'tmpfs-size': tmpfs().SizeBytes = tmpfsSize(value!); break;
      case 'tmpfs-mode': tmpfs().Mode = parseInt(value!, 8); break;
    }
  }
  if (!m.Target) throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/** tmpfs-size: bytes, or a number with Docker's binary unit suffix (k, m, g…). */
function tmpfsSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(value);
  if (!match) throw new Error(`invalid value for tmpfs-size: ${value}`);
  const power = ' kmgtp'.indexOf(match[2]!.toLowerCase() || ' ');
  return Math.floor(Number(match[1]) * 1024 ** power);
}
