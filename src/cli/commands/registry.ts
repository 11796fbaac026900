/** `pull`, `push`, `login`, `logout`, with Docker's flags and output; the work is the engine's (engine.registry). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError, StrataError } from '../../engine/errors.js';
import { parseReference, type Compression, type Registry } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { promptCredentials } from '../credprompt.js';
import { ProgressDisplay } from '../progress.js';
import { stderr, stdout } from '../stdio.js';

/** Whether a NAME names neither tag nor digest (Docker then says `Using default tag: latest`). */
function untagged(ref: string): boolean {
  try {
    const r = parseReference(ref);
    return !r.tag && !r.digest;
  } catch {
    return false; // the engine says what is wrong with it
  }
}

/**
 * What `push -q` prints, as Docker's client: the fully qualified reference, with the default tag when
 * none was given (`docker.io/library/app:latest`), or only the repository after `-a`.
 */
function quietPushed(ref: string, allTags: boolean): string {
  const r = parseReference(ref);
  return allTags ? r.repository : `${r.repository}:${r.tag ?? 'latest'}`;
}

/**
 * Docker 28's first try when `login` is given neither -u nor -p: the stored credentials, if they still
 * work. True when they did; otherwise the stored username, which the prompt then offers.
 */
async function loginWithStored(registry: Registry, server: string | undefined): Promise<true | string | undefined> {
  const stored = registry.storedLogin(server);
  if (!stored) return undefined;
  stderr(`Authenticating with existing credentials... [Username: ${stored.username}]\n`);
  stderr('\n Info -> To login with a different account, run \'strata logout\' followed by \'strata login\'\n\n\n');
  try {
    stdout(`${(await registry.login(server, stored)).Status}\n`);
    return true;
  } catch (e) {
    stderr(`Login did not succeed, error: ${(e as Error).message}\n`);
    return stored.username;
  }
}

/** Ctrl-C stops the transfer cleanly: what was half done is removed before strata exits. */
function interruptible(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort(new StrataError('interrupted', 130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { signal: controller.signal, done: () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); } };
}

export function registerRegistryCommands(program: Command, image: Command, withEngine: WithEngine): void {
  const pull = (cmd: Command): Command => cmd
    .description('Download an image from a registry')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable (os/arch[/variant])')
    .action(async (name: string, o: { allTags?: boolean; quiet?: boolean; platform?: string }) => {
      if (!o.allTags && untagged(name) && !o.quiet) stdout('Using default tag: latest\n');
      const display = new ProgressDisplay(stdout, !!process.stdout.isTTY);
      const { signal, done } = interruptible();
      try {
        await withEngine(async (e) => {
          const results = await (await e.registry()).pull(name, { allTags: o.allTags, platform: o.platform, signal }, o.quiet ? () => {} : display.show);
          // As Docker: the full name last (the repository alone after -a).
          const last = results.at(-1)!.reference;
          stdout(`${o.allTags ? last.replace(/:[^:/]*$/, '') : last}\n`);
        });
      } finally {
        done();
      }
    });
  pull(program.command('pull'));
  pull(image.command('pull'));

  const push = (cmd: Command): Command => cmd
    .description('Upload an image to a registry')
    .argument('<name>', 'NAME[:TAG]')
    .option('-a, --all-tags', 'Push all tagged images in the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--compression <kind>', 'Compression of layers never pushed before: gzip or zstd', 'gzip')
    .action(async (name: string, o: { allTags?: boolean; quiet?: boolean; compression: string }) => {
      if (o.compression !== 'gzip' && o.compression !== 'zstd') throw new InvalidArgumentError(`invalid --compression ${JSON.stringify(o.compression)}: use gzip or zstd`);
      if (!o.allTags && untagged(name) && !o.quiet) stdout('Using default tag: latest\n');
      const display = new ProgressDisplay(stdout, !!process.stdout.isTTY);
      const { signal, done } = interruptible();
      try {
        await withEngine(async (e) => {
          await (await e.registry()).push(name, { allTags: o.allTags, compression: o.compression as Compression, signal }, o.quiet ? () => {} : display.show);
          if (o.quiet) stdout(`${quietPushed(name, !!o.allTags)}\n`);
        });
      } finally {
        done();
      }
    });
  push(program.command('push'));
  push(image.command('push'));

  program.command('login')
    .description('Log in to a registry (Docker Hub when none is given)')
    .argument('[server]')
    .option('-u, --username <username>', 'Username')
    .option('-p, --password <password>', 'Password')
    .option('--password-stdin', 'Take the password from stdin')
    .action(async (server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (o.password !== undefined) stderr('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      if (o.passwordStdin) {
        if (o.password !== undefined) throw new InvalidArgumentError('--password and --password-stdin are mutually exclusive');
        if (!o.username) throw new InvalidArgumentError('Must provide --username with --password-stdin');
        o.password = readFileSync(0, 'utf8').replace(/\r?\n$/, '').replace(/\r$/, '');
      }
      await withEngine(async (e) => {
        const registry = await e.registry();
        let storedUser: string | undefined;
        if (o.username === undefined && o.password === undefined) {
          const stored = await loginWithStored(registry, server);
          if (stored === true) return;
          storedUser = stored;
        }
        const result = await registry.login(server, promptCredentials(o, storedUser));
        stdout(`${result.Status}\n`);
      });
    });

  program.command('logout')
    .description('Log out from a registry (Docker Hub when none is given)')
    .argument('[server]')
    .action(async (server: string | undefined) => withEngine(async (e) => {
      const { host, removed } = (await e.registry()).logout(server);
      const shown = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
      stdout(removed ? `Removing login credentials for ${shown}\n` : `Not logged in to ${shown}\n`);
    }));
}
