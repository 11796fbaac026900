/**
 * A build step as images and containers: the cache lookup (Docker's classic builder's: a child of the
 * parent image made with the same configuration, its Cmd naming the step), a configuration-only step
 * (an image on the parent's layers), a RUN (a container run and committed), and a change to the root
 * filesystem (COPY, ADD, WORKDIR: a container changed through its mount and committed).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { archive, streams } from '../engine/lazy.js';
import { NotFoundError, type BuildStep, type CreateOptions, type Engine, type Progress } from '../engine/index.js';
import { randomId } from '../images/digest.js';
import { timeNs } from '../engine/times.js';
import type { ContainerConfig } from '../images/config.js';
import type { Context } from './context.js';
import type { DigestMemo } from './digestmemo.js';
import { BuildError } from './errors.js';
import type { BuildOptions } from './index.js';

export const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** The parts of a configuration the cache compares, with map keys in order. */
function cacheKey(c: ContainerConfig): string {
  const sorted = (o: Record<string, unknown> | null | undefined) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) : null);
  return JSON.stringify([
    c.Cmd, c.Env, c.Entrypoint, c.WorkingDir, c.User, sorted(c.Labels), sorted(c.ExposedPorts), sorted(c.Volumes), c.OnBuild,
    c.StopSignal ?? null, c.Shell ?? null, c.Healthcheck ?? null, c.Image,
  ]);
}

export interface StepRequest {
  parent: string | null;
  /** The configuration the new image gets. */
  config: ContainerConfig;
  /** The Cmd the step runs with, which names it in the cache (`/bin/sh -c #(nop) …`, or the RUN command with its build args). */
  keyCmd: string[];
  createdBy: string;
  author?: string;
}

export class StepMaker {
  constructor(
    private readonly engine: Engine, readonly context: Context, private readonly opts: BuildOptions,
    readonly emit: (text: string) => void, readonly pulling: Progress,
    /** The build's scratch directory in the store, made when a step first needs it (a cached build never does). */
    private readonly scratchDir: string,
    /** The context directory's memo of file digests. */
    readonly memo?: DigestMemo,
  ) {}

  /** A new directory for `purpose` in the build's scratch directory (its owner removes the whole when the build ends). */
  scratch(purpose: string): string {
    mkdirSync(this.scratchDir, { recursive: true });
    return mkdtempSync(join(this.scratchDir, `${purpose}-`));
  }

  /** Cancels the build. */
  get signal(): AbortSignal | undefined {
    return this.opts.signal;
  }

  private step(r: StepRequest): BuildStep {
    return { config: r.config, createdBy: r.createdBy, containerConfig: { ...r.config, Cmd: r.keyCmd, Image: r.parent ?? '' }, ...(r.author ? { author: r.author } : {}) };
  }

  /** The image an earlier build made for this step (the newest, as the classic builder picks), unless --no-cache. */
  private cached(r: StepRequest): string | null {
    if (this.opts.noCache) return null;
    const key = cacheKey(this.step(r).containerConfig);
    const { images } = this.engine;
    let found: { id: string; created: bigint } | null = null;
    for (const child of images.children(r.parent)) {
      const made = images.config(images.resolve(child));
      if (made.container_config && cacheKey(made.container_config) === key && made.history.at(-1)?.created_by === r.createdBy && (made.author ?? '') === (r.author ?? '')) {
        const created = made.created ? timeNs(made.created) : 0n;
        if (!found || created > found.created) found = { id: child, created };
      }
    }
    return found?.id ?? null;
  }

  private hit(r: StepRequest): string | null {
    const id = this.cached(r);
    if (id) this.emit(' ---> Using cache\n');
    return id;
  }

  /**
   * ENV, CMD, LABEL…: an image with the parent's layers and the new configuration. The classic builder
   * creates (and commits, and removes) a container for these steps too, and says so: strata creates the
   * same container record (never started, so nothing can change its files) to show, keep with --rm=false
   * and remove, and makes the image from the configuration alone, without a diff of a layer known to be empty.
   */
  async configOnly(r: StepRequest): Promise<string> {
    const cached = this.hit(r);
    if (cached) return cached;
    const make = () => this.engine.images.derive(r.parent, this.step(r));
    // On scratch there is no image for a container to stand on: the classic builder's lines, with an ID no record holds.
    if (!r.parent) return this.announced(randomId(), make, async () => {});
    return this.inContainer({ image: r.parent, cmd: r.keyCmd, entrypoint: r.config.Entrypoint ?? [], run: { network: 'none' } }, true, make);
  }

  /** RUN: `cmd` in a container on the parent, its output streamed, its writable layer the step's layer. */
  async run(r: StepRequest, cmd: string[], env: string[]): Promise<string> {
    const cached = this.hit(r);
    if (cached) return cached;
    if (!r.parent) throw new BuildError(`The command '${cmd.join(' ')}' cannot run: the stage has no files yet (FROM scratch)`);
    const { containers } = this.engine;
    const { processes } = containers;
    const create = {
      image: r.parent, cmd, entrypoint: '', env, workdir: r.config.WorkingDir || undefined, user: r.config.User || undefined,
      run: { network: this.opts.network ?? 'none' },
    };
    return this.inContainer(create, true, async (id) => {
      const signal = this.opts.signal;
      const kill = () => { void processes.kill(id, 'SIGKILL').catch(() => {}); };
      try {
        const { Writable } = streams();
        const out = new Writable({ write: (chunk: Buffer, _enc, done) => { this.emit(chunk.toString()); done(); } });
        // The classic builder sends a RUN's stderr in the same stream, in red (ANSI), as the docker CLI then prints it.
        const err = new Writable({ write: (chunk: Buffer, _enc, done) => { this.emit(`\x1b[91m${chunk.toString()}\x1b[0m`); done(); } });
        signal?.throwIfAborted();
        const started = await processes.start(id, { attach: { stdout: out, stderr: err } });
        // Cancelled while it started: the listener below would never hear of it.
        if (signal?.aborted) kill();
        signal?.addEventListener('abort', kill);
        await started.attachment?.done;
        const code = await processes.wait(id);
        signal?.throwIfAborted();
        if (code !== 0) throw new BuildError(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`);
        return await containers.commit(id, { step: this.step(r) });
      } finally {
        signal?.removeEventListener('abort', kill);
      }
    });
  }

  /**
   * A step's container, created, given to `make` (which makes the step's image), and removed. `announce`: the
   * classic builder's intermediate container (every step but COPY/ADD), said (` ---> Running in`) and kept
   * as Docker keeps it: after success with --rm=false, after a failure unless --force-rm (or the build was
   * cancelled). A COPY/ADD container is strata's own means and always goes.
   */
  private async inContainer(create: CreateOptions, announce: boolean, make: (id: string) => Promise<string>): Promise<string> {
    const id = await this.engine.containers.create(create);
    const remove = async () => { await this.engine.containers.remove(id, { force: true, volumes: true }); };
    if (!announce) {
      try {
        return await make(id);
      } finally {
        await remove();
      }
    }
    return this.announced(id, () => make(id), remove);
  }

  /** The intermediate container's lines around `make`, and its removal by Docker's rules. */
  private async announced(id: string, make: () => Promise<string>, remove: () => Promise<void>): Promise<string> {
    this.emit(` ---> Running in ${short(id)}\n`);
    let ok = false;
    try {
      const image = await make();
      ok = true;
      if (this.opts.rm !== false) {
        await remove();
        this.emit(`Removing intermediate container ${short(id)}\n`);
      }
      return image;
    } finally {
      if (!ok && (this.opts.forceRm || this.opts.signal?.aborted)) await remove();
    }
  }

  /**
   * COPY, ADD, WORKDIR: `work` changes the parent's root filesystem (a container's, mounted) and the change
   * becomes the step's layer. On scratch there is no parent to stand on: the files are made in an empty
   * directory that becomes the layer. `announce`: an intermediate container as the classic builder's (WORKDIR).
   */
  async filesystem(r: StepRequest, work: (root: string) => void | Promise<void>, announce: boolean): Promise<string> {
    const cached = this.hit(r);
    if (cached) return cached;
    const { containers, images, layers } = this.engine;
    if (!r.parent) {
      const make = async () => {
        const dir = this.scratch('root');
        await work(dir);
        return images.derive(null, this.step(r), await layers.add(archive().directoryTar(dir), null));
      };
      return announce ? this.announced(randomId(), make, async () => {}) : make();
    }
    return this.inContainer({ image: r.parent, cmd: r.keyCmd, entrypoint: '', run: { network: 'none' } }, announce, async (id) => {
      const root = containers.mount(id);
      try {
        await work(root);
      } finally {
        await containers.unmount(id);
      }
      return containers.commit(id, { step: this.step(r) });
    });
  }

  /**
   * A root filesystem to read from for `COPY --from`: the image's, mounted in a container made for the
   * purpose, given to `use` and released after.
   */
  async withImageRoot<T>(image: string, use: (root: string) => T | Promise<T>): Promise<T> {
    const { containers } = this.engine;
    const id = await containers.create({ image, cmd: ['/bin/sh'], entrypoint: '', run: { network: 'none' } });
    try {
      return await use(containers.mount(id));
    } finally {
      await containers.remove(id, { force: true, volumes: true });
    }
  }

  /**
   * The image FROM or `COPY --from` names, pulled first when the store lacks it or with --pull, as the
   * classic builder does.
   */
  async resolveImage(ref: string): Promise<{ id: string; config: ContainerConfig }> {
    const { images } = this.engine;
    if (this.opts.pull || !this.present(ref)) {
      await (await this.engine.registry()).pull(ref, { platform: this.opts.platform, signal: this.opts.signal }, this.pulling);
    }
    const img = images.resolve(ref);
    return { id: img.id, config: images.config(img).config };
  }

  private present(ref: string): boolean {
    try {
      this.engine.images.resolve(ref);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }
}
