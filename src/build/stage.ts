/**
 * One stage of a Dockerfile (a FROM and what follows it): the configuration being built, the ARGs in
 * scope, and each instruction dispatched as Docker's classic builder does it, with variables substituted
 * in exactly the instructions it substitutes them in (ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME,
 * STOPSIGNAL, COPY, ADD; FROM with the meta ARGs) and the history line it writes for each.
 */
import { posix } from 'node:path';
import { normalizeContainerConfig, type ContainerConfig, type HealthConfig } from '../images/config.js';
import { resolveUser } from '../runtime/user.js';
import type { BuildArgs } from './args.js';
import { copyInto, destination, findSources, isDirectoryDestination, makeDirectory, sourcesDigest, type Owner, type SourceRoot } from './copy.js';
import { download, downloadsDigest, isURL, type Download } from './remote.js';
import { parseDockerfile, type Instruction } from './dockerfile.js';
import { BuildError } from './errors.js';
import { expandWord, expandWords, type Lookup } from './shellwords.js';
import type { StepMaker, StepRequest } from './steps.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUILDKIT_ONLY = (flag: string) =>
  new BuildError(`the --${flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);

/** Go's %q of a string slice, as the classic builder prints CMD and ENTRYPOINT in history: `["/bin/sh" "-c" "x"]`. */
const goQuoted = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

/** Go's time.Duration text (`30s`, `1m30s`, `500ms`) for the HEALTHCHECK history line. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}µs`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}

function parseDuration(flag: string, text: string): number {
  if (text === '') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) { total += Number(m[1]) * units[m[2]!]!; at = re.lastIndex; }
  if (at !== text.length || at === 0) throw new BuildError(`time: invalid duration "${text}"`);
  if (total !== 0 && total < 1e6) throw new BuildError(`Interval "${flag}" cannot be less than 1ms`);
  return Math.round(total);
}

/** `k=v k2="v 2"` (or the old `k v` form) split as Docker's parser does, each word then substituted and unquoted. */
function keyValues(args: string, keyword: string, env: Lookup, escape: string): [string, string][] {
  const raw = rawWords(args);
  if (raw.length === 0) throw new BuildError(`${keyword} requires at least one argument`);
  if (!raw[0]!.includes('=')) {
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(args)!;
    if (m[2] === '') throw new BuildError(`${keyword} names can not be blank`);
    return [[m[1]!, expandWord(m[2]!.trim(), env, escape)]];
  }
  return raw.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw new BuildError(`failed to parse Dockerfile: Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    if (eq === 0) throw new BuildError(`${keyword} names can not be blank`);
    return [w.slice(0, eq), expandWord(w.slice(eq + 1), env, escape)];
  });
}

/** Words split on blanks outside quotes, quotes and escapes kept (Docker's parseWords). */
function rawWords(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!quote && /\s/.test(ch)) { if (word) out.push(word); word = ''; continue; }
    if (ch === '\\' && i + 1 < text.length) { word += ch + text[++i]; continue; }
    if (quote && ch === quote) quote = '';
    else if (!quote && (ch === '"' || ch === "'")) quote = ch;
    word += ch;
  }
  if (word) out.push(word);
  return out;
}

export class Stage {
  image: string | null;
  config: ContainerConfig;
  /** ARGs declared in this stage, with their values (undefined: declared without one). */
  private readonly args = new Map<string, string | undefined>();
  private cmdSet = false;
  private author: string | undefined;

  private constructor(
    readonly name: string, image: string | null, config: ContainerConfig, private readonly steps: StepMaker,
    private readonly buildArgs: BuildArgs, private readonly stages: readonly Stage[], private readonly escape: string,
  ) {
    this.image = image;
    this.config = config;
  }

  /** FROM: an image, `scratch`, or an earlier stage by name; its ONBUILD triggers run here, as the classic builder runs them. */
  static async from(instr: Instruction, stages: readonly Stage[], steps: StepMaker, args: BuildArgs, escape: string): Promise<Stage> {
    const platform = instr.flags.get('platform');
    const meta: Lookup = (n) => args.metaValue(n);
    if (platform) checkFromPlatform(expandWord(platform, meta, escape));
    const words = expandWords(instr.args, meta, escape);
    const ref = words[0];
    if (ref === undefined || ref === '') throw new BuildError(`base name (${instr.args.split(/\s+/)[0]}) should not be blank`);
    const name = (words[2] ?? String(stages.length)).toLowerCase();
    const earlier = stages.find((s) => s.name === ref.toLowerCase() && !/^\d+$/.test(s.name));
    let image: string | null = null;
    let config: ContainerConfig;
    if (earlier) {
      image = earlier.image;
      config = structuredClone(earlier.config);
    } else if (ref.toLowerCase() === 'scratch') {
      config = normalizeContainerConfig({});
    } else {
      const found = await steps.resolveImage(ref);
      image = found.id;
      config = structuredClone(found.config);
    }
    if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), DEFAULT_PATH];
    const stage = new Stage(name, image, config, steps, args, stages, escape);
    const triggers = config.OnBuild ?? [];
    config.OnBuild = null;
    if (triggers.length) {
      steps.emit(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) for (const i of parseDockerfile(`FROM scratch\n${t}`).instructions.slice(1)) await stage.dispatch(i);
    }
    return stage;
  }

  /** Values for substitution: the stage's ENV, then its ARGs (an ENV of the same name wins). */
  private readonly lookup: Lookup = (name) => {
    const env = (this.config.Env ?? []).find((e) => e.startsWith(`${name}=`));
    if (env !== undefined) return env.slice(name.length + 1);
    return this.args.get(name);
  };

  private word(text: string): string {
    return expandWord(text, this.lookup, this.escape);
  }

  private words(i: Instruction): string[] {
    return i.json ? i.json.map((w) => this.word(w)) : expandWords(i.args, this.lookup, this.escape);
  }

  private get shell(): string[] {
    return this.config.Shell?.length ? this.config.Shell : DEFAULT_SHELL;
  }

  /** The shell form's command: SHELL's prefix and the text; the JSON form as written. */
  private command(i: Instruction): string[] {
    return i.json ?? [...this.shell, i.args];
  }

  private request(keyCmd: string[], createdBy: string): StepRequest {
    return { parent: this.image, config: this.config, keyCmd, createdBy, ...(this.author ? { author: this.author } : {}) };
  }

  /** A configuration-only step: `#(nop) ` and the comment after the shell, as the classic builder records it. */
  private async nop(comment: string): Promise<void> {
    const keyCmd = [...this.shell, '#(nop) ', comment];
    this.image = await this.steps.configOnly(this.request(keyCmd, keyCmd.join(' ')));
  }

  async dispatch(i: Instruction): Promise<void> {
    this.config = structuredClone(this.config);
    switch (i.keyword) {
      case 'RUN': return this.run(i);
      case 'CMD': {
        this.config.Cmd = this.command(i);
        this.cmdSet = true;
        return this.nop(`CMD ${goQuoted(this.config.Cmd)}`);
      }
      case 'ENTRYPOINT': {
        this.config.Entrypoint = i.json ?? (i.args === '' ? null : [...this.shell, i.args]);
        if (!this.cmdSet) this.config.Cmd = null;
        return this.nop(`ENTRYPOINT ${goQuoted(this.config.Entrypoint ?? [])}`);
      }
      case 'ENV': {
        const pairs = keyValues(i.args, 'ENV', this.lookup, this.escape);
        const env = [...(this.config.Env ?? [])];
        for (const [k, v] of pairs) {
          const at = env.findIndex((e) => e.split('=')[0] === k);
          if (at >= 0) env[at] = `${k}=${v}`; else env.push(`${k}=${v}`);
        }
        this.config.Env = env;
        return this.nop(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'LABEL': {
        const pairs = keyValues(i.args, 'LABEL', this.lookup, this.escape);
        this.config.Labels = { ...(this.config.Labels ?? {}), ...Object.fromEntries(pairs) };
        return this.nop(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'MAINTAINER': {
        this.author = i.args;
        return this.nop(`MAINTAINER ${i.args}`);
      }
      case 'ARG': return this.arg(i);
      case 'WORKDIR': return this.workdir(i);
      case 'USER': {
        this.config.User = this.word(i.args);
        return this.nop(`USER ${this.config.User}`);
      }
      case 'EXPOSE': {
        const ports = expandWords(i.args, this.lookup, this.escape);
        const exposed = { ...(this.config.ExposedPorts ?? {}) };
        for (const p of ports) exposed[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        this.config.ExposedPorts = exposed;
        return this.nop(`EXPOSE ${[...ports].sort().join(' ')}`);
      }
      case 'VOLUME': {
        const paths = this.words(i);
        if (paths.some((p) => p.trim() === '')) throw new BuildError('VOLUME specified can not be an empty string');
        this.config.Volumes = { ...(this.config.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) };
        return this.nop(`VOLUME [${paths.join(' ')}]`);
      }
      case 'STOPSIGNAL': {
        this.config.StopSignal = this.word(i.args);
        return this.nop(`STOPSIGNAL ${this.config.StopSignal}`);
      }
      case 'SHELL': {
        this.config.Shell = i.json!;
        return this.nop(`SHELL [${i.json!.join(' ')}]`);
      }
      case 'HEALTHCHECK': return this.healthcheck(i);
      case 'ONBUILD': {
        const trigger = i.args.replace(/^(\S+)/, (k) => k.toUpperCase());
        this.config.OnBuild = [...(this.config.OnBuild ?? []), trigger];
        return this.nop(`ONBUILD ${trigger}`);
      }
      case 'COPY': case 'ADD': return this.copy(i);
      default: throw new BuildError(`unknown instruction: ${i.keyword}`);
    }
  }

  private arg(i: Instruction): Promise<void> {
    const m = /^([^=\s]+)(?:=([\s\S]*))?$/.exec(i.args.trim());
    if (!m) throw new BuildError(`ARG requires exactly one argument`);
    const name = m[1]!;
    const fallback = m[2] === undefined ? undefined : this.word(m[2]);
    this.args.set(name, this.buildArgs.declare(name, fallback, true));
    return this.nop(`ARG ${name}${fallback === undefined ? '' : `=${fallback}`}`);
  }

  /** The build args RUN sees and records: those declared in the stage with a value, not overridden by an ENV, sorted. */
  private runArgs(): string[] {
    const env = new Set((this.config.Env ?? []).map((e) => e.split('=')[0]));
    return [...this.args].filter(([k, v]) => v !== undefined && !env.has(k)).map(([k, v]) => `${k}=${v}`).sort();
  }

  private async run(i: Instruction): Promise<void> {
    for (const flag of ['mount', 'network', 'security']) if (i.flags.has(flag)) throw BUILDKIT_ONLY(flag);
    const cmd = this.command(i);
    const args = this.runArgs();
    const keyCmd = args.length ? [`|${args.length}`, ...args, ...cmd] : cmd;
    this.image = await this.steps.run(this.request(keyCmd, keyCmd.join(' ')), cmd, args);
  }

  private async workdir(i: Instruction): Promise<void> {
    const dir = posix.resolve(this.config.WorkingDir || '/', this.word(i.args));
    this.config.WorkingDir = dir;
    const keyCmd = [...this.shell, `#(nop) WORKDIR ${dir}`];
    this.image = await this.steps.filesystem(this.request(keyCmd, keyCmd.join(' ')), (root) => makeDirectory(root, dir, ROOT), true);
  }

  private async healthcheck(i: Instruction): Promise<void> {
    const words = i.args.trim().split(/\s+/);
    const kind = words[0]!.toUpperCase();
    let test: string[];
    if (kind === 'NONE') {
      if (words.length > 1) throw new BuildError('HEALTHCHECK NONE takes no arguments');
      test = ['NONE'];
    } else if (kind === 'CMD') {
      const rest = i.args.trim().slice(3).trim();
      if (!rest) throw new BuildError('Missing command after HEALTHCHECK CMD');
      const json = i.json ?? (rest.startsWith('[') ? (() => { try { return JSON.parse(rest) as string[]; } catch { return null; } })() : null);
      test = json ? ['CMD', ...json] : ['CMD-SHELL', rest];
    } else {
      throw new BuildError(`Unknown type ${JSON.stringify(kind)} in HEALTHCHECK (try CMD)`);
    }
    const health: HealthConfig = { Test: test };
    if (kind !== 'NONE') {
      // Docker's HealthConfig leaves zero values out of the JSON.
      const set = (key: 'Interval' | 'Timeout' | 'StartPeriod', flag: string) => {
        const ns = parseDuration(flag, i.flags.get(flag) ?? '');
        if (ns) health[key] = ns;
      };
      set('Interval', 'interval');
      set('Timeout', 'timeout');
      set('StartPeriod', 'start-period');
      const retries = Number(i.flags.get('retries') ?? 0);
      if (!Number.isInteger(retries) || retries < 0) throw new BuildError('--retries cannot be negative');
      if (retries) health.Retries = retries;
    }
    this.config.Healthcheck = health;
    const q = (ns?: number) => JSON.stringify(goDuration(ns ?? 0));
    const retries = `'\\x${(health.Retries ?? 0).toString(16).padStart(2, '0')}'`;
    return this.nop(`HEALTHCHECK &{${goQuoted(test)} ${q(health.Interval)} ${q(health.Timeout)} ${q(health.StartPeriod)} ${retries}}`);
  }

  /**
   * ADD of URLs: each downloaded (on every build: its digest is the cache's key, as Docker's), then copied as a
   * file of mode 0600, never unpacked. A URL that names no file needs a destination that is not a directory.
   */
  private async addRemote(urls: string[], dest: string, chown: string | undefined): Promise<void> {
    const downloads: Download[] = [];
    for (const url of urls) {
      downloads.push(await download(url, this.steps.scratch('download'), this.steps.pulling, this.steps.signal));
      this.steps.emit('\n');
    }
    const digest = downloadsDigest(downloads);
    const keyCmd = [...this.shell, `#(nop) ADD ${chown ? `--chown=${chown}` : ''}${digest} in ${dest} `];
    this.image = await this.steps.filesystem(this.request(keyCmd, keyCmd.join(' ')), (root) => {
      const target = destination(dest, this.config.WorkingDir);
      const intoDirectory = isDirectoryDestination(root, target);
      if (downloads.length > 1 && !intoDirectory) throw new BuildError('When using ADD with more than one source file, the destination must be a directory and end with a /');
      for (const [n, d] of downloads.entries()) {
        if (!d.name && intoDirectory) throw new BuildError(`ADD failed: cannot determine filename for source ${urls[n]}`);
        const from: SourceRoot = { root: d.dir, excluded: () => false, chrooted: false };
        copyInto(root, { from, sources: [d.name || 'download'], dest, workdir: this.config.WorkingDir, owner: owner(root, chown), add: false, verb: 'ADD' });
      }
    }, false);
  }

  private async copy(i: Instruction): Promise<void> {
    const verb = i.keyword;
    if (i.flags.has('chmod')) throw BUILDKIT_ONLY('chmod');
    const words = this.words(i);
    const dest = words.pop()!;
    const from = i.flags.get('from');
    const chown = i.flags.get('chown');
    if (words.some(isURL)) {
      if (verb === 'COPY') throw new BuildError('COPY failed: source can\'t be a URL for COPY');
      if (!words.every(isURL)) throw new BuildError('ADD failed: strata takes URLs and local files in separate ADD instructions');
      return this.addRemote(words, dest, chown);
    }
    const work = async (src: SourceRoot) => {
      const sources = findSources(src, words, verb);
      const digest = await sourcesDigest(src, sources);
      // The classic builder writes --chown's flag right before the digest, without a space.
      const keyCmd = [...this.shell, `#(nop) ${verb} ${chown ? `--chown=${chown}` : ''}${digest} in ${dest} `];
      this.image = await this.steps.filesystem(this.request(keyCmd, keyCmd.join(' ')), (root) => {
        copyInto(root, { from: src, sources, dest, workdir: this.config.WorkingDir, owner: owner(root, chown), add: verb === 'ADD', verb });
      }, false);
    };
    if (from === undefined) {
      const { context, memo } = this.steps;
      return work({ root: context.root, excluded: (rel) => context.excluded(rel), chrooted: false, memo, listed: () => context.listingIfRead() });
    }
    const stage = /^\d+$/.test(from) ? this.stages[Number(from)] : this.stages.find((s) => s.name === from.toLowerCase());
    const image = stage ? stage.image : (await this.steps.resolveImage(from)).id;
    if (!image) throw new BuildError(`${verb} failed: the stage ${from} has no files (FROM scratch)`);
    await this.steps.withImageRoot(image, (root) => work({ root, excluded: () => false, chrooted: true }));
  }
}

const ROOT: Owner = { uid: 0, gid: 0 };

/** --chown's user and group, looked up in the image's own passwd and group files. */
function owner(root: string, chown: string | undefined): Owner {
  if (!chown) return ROOT;
  try {
    const u = resolveUser(root, chown);
    // Without a group, Docker takes the user's number as the group's too.
    return { uid: u.uid, gid: chown.includes(':') ? u.gid : u.uid };
  } catch (e) {
    throw new BuildError(`unable to convert uid/gid chown string to host mapping: ${(e as Error).message}`);
  }
}

function checkFromPlatform(platform: string): void {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  if (platform !== 'linux' && platform !== `linux/${arch}`) throw new BuildError(`platform ${platform} is not supported: strata builds for linux/${arch}`);
}
