/**
 * `build`: Docker's classic builder on strata's engine. Every step's result is an image whose parent is the
 * previous step's; RUN runs in a container (on the init layer, through the engine's container API) and its
 * writable layer becomes the step's layer; COPY, ADD and WORKDIR change a container's root the same way;
 * the other instructions only change the configuration. A step whose earlier result is found among the
 * parent's children with the same configuration (Docker's cache key) is not run again.
 *
 * It reports only through a Progress callback, with the messages Docker's Engine API streams for the classic
 * builder (`stream`, `aux: {ID}`, `error`), so the CLI renders them and the API service forwards them as they are.
 */
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, FilterPair, PruneReport } from '../engine/index.js';
import { StrataError } from '../engine/errors.js';
import type { Progress } from '../engine/messages.js';
import { openContext, type Context, type ContextSource } from './context.js';
import { parseDockerfile, type Dockerfile, type Instruction } from './dockerfile.js';
import { expandWord } from './shellwords.js';
import { familiarString } from '../images/reference.js';
import { BuildError } from './errors.js';
import { Stage } from './stage.js';
import { short, StepMaker } from './steps.js';
import { BuildArgs } from './args.js';
import { DigestMemo } from './digestmemo.js';

export type { ContextSource } from './context.js';

export interface BuildOptions {
  /** The Dockerfile's path inside the context (default `Dockerfile`), or its text (`-f -`, or a file outside the context). */
  dockerfile?: string;
  dockerfileText?: string;
  /** -t: names for the final image. */
  tags?: string[];
  /** --build-arg K=V (the CLI has already read `--build-arg K` alone from its environment, as the docker CLI does). */
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** -q: only the image ID (the aux message) and errors. */
  quiet?: boolean;
  /** --rm (default true): remove intermediate containers after a successful step. */
  rm?: boolean;
  /** --force-rm: remove them even after a failed step. */
  forceRm?: boolean;
  network?: 'none' | 'host';
  labels?: Record<string, string>;
  platform?: string;
  /** --pull: pull every FROM image, even one the store has (an image not here is pulled in any case, as Docker). */
  pull?: boolean;
  /** Cancels the build: the running step's container is killed and removed, nothing is tagged. */
  signal?: AbortSignal;
  /**
   * A directory context: told, once it is open, the bytes the docker CLI would send for it (its `Sending build
   * context` line), .dockerignore applied.
   */
  sendingContext?: (bytes: number) => void;
}

export class Builder {
  constructor(private readonly engine: Engine) {}

  /** Where the context directories' digest memos are kept. */
  private get memoDir(): string {
    return join(this.engine.store.root, 'builder', 'digests');
  }

  /**
   * `builder prune`: the classic builder's cache is its step images, so what goes is the untagged images made on
   * a parent that no image and no container uses (a chain whose tag moved to a rebuild, the steps of a failed
   * build), as `image prune` finds them, and the context digest memos (rebuilt by the next build).
   */
  async prune(filters: readonly FilterPair[]): Promise<PruneReport> {
    let report: PruneReport;
    try {
      report = await this.engine.images.prune({ filters, onParent: true });
    } catch (e) {
      // Docker's build prune prefixes the reason it stops (a filter it does not take, …), in the CLI and in `POST
      // /build/prune` alike; the error keeps its kind, so the API answers with the same status.
      if (!(e instanceof StrataError)) throw e;
      const Kind = e.constructor as new (message: string, status: number) => StrataError;
      throw new Kind(`failed to prune build cache: ${e.message}`, e.status);
    }
    rmSync(this.memoDir, { recursive: true, force: true });
    return report;
  }

  /**
   * Build the context into an image. A failure before the first step (the context, the Dockerfile's syntax)
   * is thrown; once steps have started, a failure is the last message (`error`) and the result is null.
   * Resolves with the image ID.
   */
  async build(source: ContextSource, opts: BuildOptions, progress: Progress): Promise<string | null> {
    const { engine } = this;
    checkPlatform(opts.platform);
    const tags = (opts.tags ?? []).map((t) => engine.images.normalizeTag(t));
    const context = await openContext(source, engine.store.scratchPath('build-context'));
    // Its listing, read for the size, is what the COPY steps then take their sources' stats from.
    if (opts.sendingContext && 'dir' in source) opts.sendingContext(context.tarSize());
    // A directory's files keep their inodes from build to build: their digests are memoized (a tar's are new each time).
    const memo = 'dir' in source ? DigestMemo.open(this.memoDir, realpathSync(source.dir)) : undefined;
    try {
      const text = opts.dockerfileText ?? readDockerfile(context, opts.dockerfile ?? 'Dockerfile');
      const dockerfile = parseDockerfile(text);
      const instructions = targetStages(dockerfile, opts.target);
      const emit = (stream: string) => { if (!opts.quiet) progress({ stream }); };
      // A pull's own messages (a FROM image not here, or --pull), shown among the steps as Docker shows them.
      const pulling: Progress = (m) => { if (!opts.quiet) progress(m); };
      const scratch = engine.store.scratchPath('build');
      try {
        const steps = new StepMaker(engine, context, opts, emit, pulling, scratch, memo);
        const args = new BuildArgs(opts.buildArgs ?? {});
        let id: string;
        try {
          id = await runStages(instructions, dockerfile.escape, opts, steps, args);
        } catch (e) {
          const message = opts.signal?.aborted ? 'the build was cancelled' : (e as Error).message;
          progress({ error: message, errorDetail: { message } });
          return null;
        }
        const unused = args.unused();
        if (unused.length) emit(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
        progress({ aux: { ID: id } });
        emit(`Successfully built ${short(id)}\n`);
        for (let n = 0; n < tags.length; n++) {
          await engine.images.tag(id, tags[n]!);
          emit(`Successfully tagged ${familiarString(tags[n]!)}\n`);
        }
        return id;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    } finally {
      memo?.save();
      context.dispose();
    }
  }
}

function readDockerfile(context: Context, name: string): string {
  try {
    return readFileSync(join(context.root, name), 'utf8');
  } catch {
    throw new BuildError(`Cannot locate specified Dockerfile: ${name}`);
  }
}

/** --platform: strata runs what the host runs. */
function checkPlatform(platform: string | undefined): void {
  if (!platform) return;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  if (platform !== 'linux' && platform !== `linux/${arch}`) throw new BuildError(`platform ${platform} is not supported: strata builds for linux/${arch}, the host's platform`);
}

/** The instructions up to the end of the target stage (all of them without one), as the classic builder cuts the Dockerfile. */
function targetStages(dockerfile: Dockerfile, target: string | undefined): Instruction[] {
  const all = dockerfile.instructions;
  if (target === undefined) return [...all];
  const at = all.findIndex((i) => i.keyword === 'FROM' && /\s+AS\s+(\S+)\s*$/i.exec(i.args)?.[1]?.toLowerCase() === target.toLowerCase());
  if (at < 0) throw new BuildError(`failed to reach build target ${target} in Dockerfile`);
  const next = all.findIndex((i, n) => n > at && i.keyword === 'FROM');
  return all.slice(0, next < 0 ? all.length : next);
}

/** Every stage in order (the classic builder builds them all), up to the target; the last image made is the result. */
async function runStages(all: Instruction[], escape: string, opts: BuildOptions, steps: StepMaker, args: BuildArgs): Promise<string> {
  if (opts.labels && Object.keys(opts.labels).length) {
    // As the classic builder: --label adds a LABEL instruction at the end, a step of its own.
    const text = Object.keys(opts.labels).sort().map((k) => `${JSON.stringify(k)}=${JSON.stringify(opts.labels![k])}`).join(' ');
    all.push({ keyword: 'LABEL', line: 0, original: `LABEL ${text}`, args: text, flags: new Map(), json: null });
  }
  const total = all.length;
  const stages: Stage[] = [];
  let stage: Stage | null = null;
  for (let n = 0; n < all.length; n++) {
    const instr = all[n]!;
    opts.signal?.throwIfAborted();
    steps.emit(`Step ${n + 1}/${total} : ${instr.original}\n`);
    if (instr.keyword === 'FROM') {
      stage = await Stage.from(instr, stages, steps, args, escape);
      stages.push(stage);
      steps.emit(` ---> ${stage.image ? short(stage.image) : ''}\n`);
    } else if (!stage) {
      const m = /^([^=\s]+)(?:=([\s\S]*))?$/.exec(instr.args.trim());
      if (!m) throw new BuildError('ARG requires exactly one argument');
      args.declareMeta(m[1]!, m[2] === undefined ? undefined : expandWord(m[2], (k) => args.metaValue(k), escape));
    } else {
      await stage.dispatch(instr);
      steps.emit(` ---> ${short(stage.image!)}\n`);
    }
  }
  const last = stage!;
  if (!last.image) throw new BuildError('No image was generated. Is your Dockerfile empty?');
  return last.image;
}
