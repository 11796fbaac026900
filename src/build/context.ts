/**
 * The build context: a directory, or a tar stream (plain or gzip) unpacked into a scratch directory
 * of the store, with the context's `.dockerignore` applied as Docker applies it (a file it excludes is not
 * there for COPY/ADD; the Dockerfile and .dockerignore are always read).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as dockerignore from '@balena/dockerignore';
import { archive } from '../engine/lazy.js';
import { BuildError } from './errors.js';

/** Where the context comes from: a directory on this host, or a tar stream (the Engine API's request body). */
export type ContextSource = { dir: string } | { tar: Readable };

/** Docker's .dockerignore reading: one pattern a line, `#` comments, surrounding blanks trimmed, leading `/` dropped. */
export function readIgnorePatterns(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(dir, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** The package is CommonJS with a `default` export: TypeScript and Bun disagree on which object the import names. */
type Ignore = ReturnType<typeof import('@balena/dockerignore').default>;
const ignore = ((dockerignore.default as unknown as { default?: () => Ignore }).default ?? dockerignore.default) as () => Ignore;

/** A path of the context (relative, `/`-separated) and its lstat. */
export interface ContextEntry { rel: string; st: BigIntStats }

export class Context {
  private readonly matcher: Ignore | null;
  /** Whether a pattern takes paths back (`!…`): only then may an excluded directory hold a path the context keeps. */
  private readonly exceptions: boolean;
  private listed: ContextEntry[] | undefined;

  constructor(readonly root: string, patterns: string[], private readonly scratch: boolean) {
    this.matcher = patterns.length ? ignore().add(patterns) : null;
    this.exceptions = patterns.some((p) => p.startsWith('!'));
  }

  /** Whether the context path (relative, `/`-separated) is excluded by .dockerignore. */
  excluded(rel: string): boolean {
    return rel !== '' && rel !== '.' && !!this.matcher?.ignores(rel);
  }

  /**
   * Every path the context holds after .dockerignore, with its lstat, parents before children, read once. An
   * excluded directory is walked only when an exception (`!dir/keep`) may take a path under it back, as the
   * docker CLI walks it.
   */
  listing(): readonly ContextEntry[] {
    if (!this.listed) {
      this.listed = [];
      this.walk('', this.listed);
    }
    return this.listed;
  }

  /** The listing if it has been read (for the size): COPY takes its sources' stats from it rather than reading them again. */
  listingIfRead(): readonly ContextEntry[] | undefined {
    return this.listed;
  }

  private walk(rel: string, out: ContextEntry[]): void {
    for (const name of readdirSync(join(this.root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(this.root, path), { bigint: true });
      const excluded = this.excluded(path);
      if (!excluded) out.push({ rel: path, st });
      if (st.isDirectory() && (!excluded || this.exceptions)) this.walk(path, out);
    }
  }

  /** The bytes of the context as the docker CLI's tar of it would have (what `Sending build context` reports). */
  tarSize(): number {
    let size = 1024;
    for (const { rel, st } of this.listing()) {
      size += 512 + (st.isFile() ? Math.ceil(Number(st.size) / 512) * 512 : 0);
      if (Buffer.byteLength(rel) > 100) size += 1024;
    }
    return size;
  }

  dispose(): void {
    if (this.scratch) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Open the context: a directory as it is; a tar unpacked (owners dropped, as the docker CLI sends it) into `scratchDir`. */
export async function openContext(source: ContextSource, scratchDir: string): Promise<Context> {
  if ('dir' in source) {
    try {
      if (!lstatSync(source.dir).isDirectory()) throw new BuildError(`unable to prepare context: path "${source.dir}" not found`);
    } catch (e) {
      if (e instanceof BuildError) throw e;
      throw new BuildError(`unable to prepare context: path "${source.dir}" not found`);
    }
    return new Context(source.dir, readIgnorePatterns(source.dir), false);
  }
  mkdirSync(scratchDir, { recursive: true });
  try {
    await untar(await archive().decompressed(source.tar), scratchDir);
  } catch (e) {
    rmSync(scratchDir, { recursive: true, force: true });
    throw e;
  }
  return new Context(scratchDir, readIgnorePatterns(scratchDir), true);
}

/**
 * GNU tar unpacks the (decompressed) stream, refusing names that climb out of the directory; files belong to root, whoever owned them in the tar, as the classic builder resets them.
 */
async function untar(tar: Readable, dir: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-C', dir, '--no-same-owner', '-p'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    tar.on('error', (e) => { child.kill(); reject(e); });
    child.stdin.on('error', () => { /* tar exited early: its status says why */ });
    tar.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new BuildError(`failed to read the build context: ${err.trim().split('\n')[0] || `tar exited with ${code}`}`));
    });
  });
}
