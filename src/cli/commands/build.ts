/**
 * `build`, with the docker CLI's flags and output (the classic builder's): the work and every line of its
 * progress are the engine's (engine.builder()); this reads the context and the flags, prints the `stream`
 * messages as they come, and the `error` one on stderr with status 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { InvalidArgumentError, StrataError } from '../../engine/errors.js';
import type { BuildOptions, ContextSource, JsonMessage } from '../../engine/index.js';
import { confirm, NOTHING_RECLAIMED } from '../confirm.js';
import type { WithEngine } from '../context.js';
import { filterPairs } from '../filters.js';
import { goHumanSize } from '../format/units.js';
import { openInput } from '../input.js';
import { ProgressDisplay } from '../progress.js';
import { collect } from '../output.js';
import { stderr, stdout } from '../stdio.js';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  pull?: boolean;
  quiet?: boolean;
  rm: string | boolean;
  forceRm?: boolean;
  network?: string;
  label: string[];
  iidfile?: string;
  platform?: string;
}

/** `K=V`, or `K` alone: its value from this environment (left out when unset), as the docker CLI reads --build-arg. */
function buildArgs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq >= 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else if (process.env[a] !== undefined) out[a] = process.env[a]!;
  }
  return out;
}

function labels(list: string[]): Record<string, string> {
  return Object.fromEntries(list.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A tar (plain or gzip) rather than a Dockerfile: what `docker build -` tells apart on stdin. */
const isArchive = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b) || (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar');

export function registerBuildCommands(program: Command, image: Command, withEngine: WithEngine): void {
  const build = (cmd: Command): Command => cmd
    .description('Build an image from a Dockerfile')
    .argument('<context>', 'a directory, or - (a tar or a Dockerfile on STDIN)')
    .option('-t, --tag <name>', 'Name and optionally a tag in the \'name:tag\' format', collect, [])
    .option('-f, --file <file>', 'Name of the Dockerfile (Default is \'PATH/Dockerfile\'; - reads it from STDIN)')
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('--target <stage>', 'Set the target build stage to build')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--rm [bool]', 'Remove intermediate containers after a successful build', true)
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--network <mode>', 'Networking mode for the RUN instructions during build: none or host', 'none')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('--iidfile <file>', 'Write the image ID to the file')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .action(async (contextArg: string, o: BuildFlags) => {
      if (o.network !== 'none' && o.network !== 'host') throw new InvalidArgumentError(`network mode ${JSON.stringify(o.network)} is not supported: strata has none and host only`);
      if (contextArg === '-' && o.file === '-') throw new InvalidArgumentError('invalid argument: can\'t use stdin for both build context and dockerfile');
      const opts: BuildOptions = {
        tags: o.tag, buildArgs: buildArgs(o.buildArg), target: o.target, noCache: !o.cache, quiet: o.quiet,
        rm: o.rm !== 'false' && o.rm !== false, forceRm: o.forceRm, network: o.network, labels: labels(o.label), platform: o.platform, pull: o.pull,
      };
      if (o.file === '-') opts.dockerfileText = (await readAll(await openInput('-'))).toString('utf8');
      else if (o.file !== undefined) opts.dockerfileText = readDockerfileFlag(o.file);
      let empty: string | undefined;
      let source: ContextSource;
      /** What the docker CLI would have sent from stdin: the tar, or a tar of the Dockerfile alone. */
      let sent: number | undefined;
      if (contextArg === '-') {
        const input = await readAll(await openInput('-'));
        sent = isArchive(input) ? input.length : 1024 + 512 + Math.ceil(input.length / 512) * 512;
        // Loaded here: node:stream and node:os cost a build from a directory milliseconds it has no use for.
        if (isArchive(input)) source = { tar: (await import('node:stream')).Readable.from([input]) };
        else {
          // A Dockerfile on stdin and no context, as `docker build - < Dockerfile`.
          empty = mkdtempSync(join((await import('node:os')).tmpdir(), 'strata-build-'));
          opts.dockerfileText = input.toString('utf8');
          source = { dir: empty };
        }
      } else {
        source = { dir: resolve(contextArg) };
      }
      const controller = new AbortController();
      opts.signal = controller.signal;
      const cancel = () => controller.abort();
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, cancel);
      try {
        await withEngine(async (e) => {
          const builder = await e.builder();
          const sending = (bytes: number) => stdout(`Sending build context to Docker daemon  ${goHumanSize(bytes)}\n`);
          // Stdin's bytes are known; a directory's are counted by the builder as it lists the context (not at all with -q).
          if (!o.quiet && sent !== undefined) sending(sent);
          else if (!o.quiet) opts.sendingContext = sending;
          let failure: JsonMessage | undefined;
          // Made for the first pull message only: process.stdout, asked whether it is a terminal, loads Bun's stream
          // machinery, ~20 ms of CPU that a build pulling nothing (a cached one) has no use for.
          let pulling: ProgressDisplay | undefined;
          const id = await builder.build(source, opts, (m) => {
            if (m.error !== undefined) failure = m;
            else if (m.stream !== undefined) stdout(m.stream);
            // The image ID (aux alone) is the display's to ignore: no display is made for it.
            else if (m.aux === undefined || m.status !== undefined) (pulling ??= new ProgressDisplay(stdout, !!process.stdout.isTTY)).show(m);
          });
          if (id === null) {
            // As the docker CLI: the builder's message as it is, without `Error:`.
            stderr(`${failure?.error ?? 'the build failed'}\n`);
            process.exitCode = 1;
            return;
          }
          if (o.quiet) stdout(`${id}\n`);
          if (o.iidfile) writeFileSync(o.iidfile, id);
        });
      } finally {
        for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, cancel);
        if (empty) rmSync(empty, { recursive: true, force: true });
      }
    });
  build(program.command('build'));
  build(image.command('build'));

  program.command('builder').description('Manage builds').command('prune')
    .description('Remove build cache')
    .option('-a, --all', 'Remove all unused build cache, not just dangling ones')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=24h')", collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      if (!o.force && !confirm(o.all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.', true)) {
        return stdout(NOTHING_RECLAIMED);
      }
      const filters = filterPairs(o.filter, '--filter');
      await withEngine(async (e) => {
        const report = await (await e.builder()).prune(filters);
        const deleted = (report.ImagesDeleted ?? []).flatMap((item) => ('Deleted' in item ? [item.Deleted] : []));
        if (deleted.length) stdout(`Deleted build cache objects:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
        stdout(`Total reclaimed space: ${goHumanSize(report.SpaceReclaimed)}\n`);
      });
    });
}

/** -f FILE: read here, relative to this directory, as the docker CLI reads it (it may lie outside the context). */
function readDockerfileFlag(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new StrataError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${resolve(file)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
}
