/**
 * Dockerfile instructions applied to an image config, as `import --change` and `commit --change` take them
 * (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL).
 */
import type { ContainerConfig } from './config.js';

export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL'];

/** JSON array form, or shell form wrapped in /bin/sh -c, as Docker does for CMD and ENTRYPOINT. */
function commandForm(arg: string): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* not JSON: shell form, as Docker treats it */ }
  }
  return ['/bin/sh', '-c', t];
}

/** Split `k=v k2="v 2"` pairs; a lone `k v…` is the legacy one-pair form. */
function keyValues(arg: string, instr: string): [string, string][] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < arg.length; i++) {
    const ch = arg[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < arg.length) cur += arg[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") { quote = ch; inWord = true; }
    else if (ch === '\\' && i + 1 < arg.length) { cur += arg[++i]; inWord = true; }
    else if (/\s/.test(ch)) { if (inWord) words.push(cur); cur = ''; inWord = false; }
    else { cur += ch; inWord = true; }
  }
  if (quote) throw new Error(`${instr}: unterminated quote in ${JSON.stringify(arg)}`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw new Error(`${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(arg);
    if (!m) throw new Error(`${instr} names must be followed by a value`);
    return [[m[1]!, m[2]!.trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`${instr}: invalid argument ${JSON.stringify(w)}: expected key=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Apply one instruction line (e.g. `CMD ["/bin/sh"]`) to a copy of `config`. */
export function applyChange(config: ContainerConfig, line: string): ContainerConfig {
  const m = /^\s*(\w+)\s*([\s\S]*)$/.exec(line);
  if (!m) throw new Error(`invalid change: ${JSON.stringify(line)}`);
  const instr = m[1]!.toUpperCase();
  const arg = m[2]!;
  const c: ContainerConfig = { ...config };
  switch (instr) {
    case 'CMD': c.Cmd = commandForm(arg); break;
    case 'ENTRYPOINT': c.Entrypoint = arg.trim() === '' ? null : commandForm(arg); break;
    case 'ENV': {
      const env = [...(c.Env ?? [])];
      for (const [k, v] of keyValues(arg, instr)) {
        const i = env.findIndex((e) => e.split('=')[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`; else env.push(`${k}=${v}`);
      }
      c.Env = env;
      break;
    }
    case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(arg, instr)) }; break;
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of arg.trim().split(/\s+/).filter(Boolean)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
      c.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const t = arg.trim();
      const paths = t.startsWith('[') ? (JSON.parse(t) as string[]) : t.split(/\s+/).filter(Boolean);
      c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
      break;
    }
    case 'USER': c.User = arg.trim(); break;
    case 'WORKDIR': c.WorkingDir = arg.trim(); break;
    case 'STOPSIGNAL': c.StopSignal = arg.trim(); break;
    case 'ONBUILD': c.OnBuild = [...(c.OnBuild ?? []), arg.trim()]; break;
    // Docker names the instruction in lower case: `bogus is not a valid change command`.
    default: throw new Error(`${instr.toLowerCase()} is not a valid change command`);
  }
  return c;
}

export function applyChanges(config: ContainerConfig, lines: string[]): ContainerConfig {
  return lines.reduce(applyChange, config);
}
